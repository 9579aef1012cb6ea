"""The engine interface every page uses, and the plain data it returns.

Pages never touch torch or transformers: they call these methods and draw what comes back.
The local engine implements it (tutor.llm.local, over a PyTorch or llama.cpp backend), and so does
the remote one (tutor.llm.openai_compatible); tests use a scripted fake.

What an engine or a stream can do is declared here, never discovered: every engine says what does
its arithmetic (`runtime`) and what a request arriving now would face (`queue_outlook()`, None when
it keeps no line it can see); every stream can say where it stands in line (`queue_status()`, None
when it does not wait) and can be let go of (`close()`).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class EngineError(Exception):
    """A failure a learner can read: what went wrong and what to do about it.

    `message` is plain English for logs and the CLI; `code` is a stable id the UI can
    translate (e.g. "model_missing", "hash_mismatch", "out_of_memory", "generation_failed").
    """

    def __init__(self, code: str, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


@dataclass(frozen=True)
class TokenChoice:
    """One candidate for the next token."""

    token: str  # readable text of the token (may start with a space)
    id: int  # the token's id in the vocabulary
    prob: float  # probability after temperature / top-k / top-p (0 if cut off)
    raw_prob: float  # plain softmax(logits), before any reshaping
    kept: bool  # False when top-k or top-p removed it from the sampling pool


@dataclass(frozen=True)
class NextTokenDistribution:
    """What the model thinks comes next, in a shape that is easy to draw."""

    choices: list[TokenChoice]  # the top candidates, most likely (raw) first
    rest_prob: float  # transformed probability of everything not listed
    rest_raw_prob: float  # raw probability of everything not listed
    vocab_size: int  # how many tokens the model chooses from
    context_tokens: int  # how many tokens of input the model saw
    truncated: bool = False  # True when the input was cut to fit the context window
    # When a server returns fewer alternatives than asked for (OpenAI-compatible servers may cap
    # `logprobs`), how many it returned, so the lab can say so; None when nothing was capped.
    alternatives_capped: int | None = None


@dataclass(frozen=True)
class TokenPiece:
    """A readable piece of tokenized text.

    Byte-level tokenizers split one Korean syllable into several byte tokens, each of which
    alone decodes to '\ufffd'. A piece groups such tokens so its text is always readable;
    `ids` lists every token id it covers.
    """

    text: str
    ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class QueueStatus:
    """Where a request waiting for a shared model stands."""

    ahead: int  # requests served before this one (the one running included)
    estimate_s: float  # rough seconds until this one starts


@runtime_checkable
class Queued(Protocol):
    """Something that may wait for the shared model: an engine's stream, the tutor's answer job."""

    def queue_status(self) -> QueueStatus | None:
        """While it waits for its turn: how many are ahead and about how long; None once it runs
        (or when it never waits, like an answer from a model server)."""
        ...


@runtime_checkable
class TextStream(Queued, Iterator[str], Protocol):
    """What `stream_chat` and `stream_completion` return: the answer's text pieces as they come.

    A consumer that stops reading early calls `close()` (see close_stream), which lets go of the
    model at once. An answer cut by its time limit raises EngineError("timeout") after the pieces
    that arrived: it is not complete.
    """

    def close(self) -> None:
        """Stop the answer and let go of the model (or hang up on the server) now."""
        ...


@runtime_checkable
class Engine(Protocol):
    """Everything the pages need from a language model."""

    name: str  # e.g. "qwen2.5-coder-0.5b-instruct"
    vocab_size: int
    context_window: int  # max tokens of input + output
    # what does the arithmetic, as the sidebar names it: "PyTorch", "llama.cpp"; "" when a model
    # server computes (it does not say how)
    runtime: str

    def queue_outlook(self) -> QueueStatus | None:
        """What a request arriving now would face: how many are ahead in the model's line and
        roughly how long. None when the engine keeps no line it can see (a model server)."""
        ...

    def stream_chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        stop: threading.Event | None = None,
        timeout_s: float = 120.0,
        seed: int | None = None,
    ) -> TextStream:
        """Yield the assistant's reply, piece by piece. `messages` are {"role", "content"}
        dicts (roles: system, user, assistant). Setting `stop` ends the stream within a few
        tokens. temperature 0 means greedy (always the most likely token); `seed` makes a
        sampled answer repeatable."""
        ...

    def stream_completion(
        self,
        text: str,
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        top_p: float = 1.0,
        stop: threading.Event | None = None,
        timeout_s: float = 120.0,
        seed: int | None = None,
    ) -> TextStream:
        """Continue raw text with no chat template: the model as a pure text completer."""
        ...

    def next_token_distribution(
        self, text: str, *, temperature: float = 1.0, top_k: int = 10, top_p: float = 1.0
    ) -> NextTokenDistribution:
        """The model's real probabilities for the token after `text`."""
        ...

    def tokenize(self, text: str) -> list[TokenPiece]:
        """Split text into readable pieces with the token ids each covers."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` takes (for prompt budgets)."""
        ...

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        """The exact text the model sees for these messages (to show learners)."""
        ...


CHAT_ROLES = ("system", "user", "assistant")


def close_stream(stream: Iterator[str]) -> None:
    """Let go of a stream read only in part: the local engine's worker stops and gives the model
    back, the remote engine hangs up. Explicit, because waiting for the garbage collector to drop
    the stream may take a while (or forever, in a reference cycle) while the model keeps writing.
    An engine's stream (a TextStream) and a generator have close(); any other iterator of pieces
    (a list's, in a test) has nothing to let go of."""
    if isinstance(stream, TextStream | Generator):
        stream.close()


def check_text(text: object, *, allow_empty: bool = True) -> str:
    """The text itself, or EngineError("bad_input") for a non-string (or an empty one, if refused)."""
    if not isinstance(text, str):
        raise EngineError("bad_input", f"Expected text, got {type(text).__name__}.")
    if not allow_empty and not text:
        raise EngineError("bad_input", "There is no text to continue.")
    return text


def check_messages(messages: object) -> None:
    """EngineError("bad_input") unless `messages` is a non-empty list of {"role", "content"} dicts."""
    if not isinstance(messages, list) or not messages:
        raise EngineError("bad_input", "A chat needs at least one message.")
    for message in messages:
        if (
            not isinstance(message, dict)
            or message.get("role") not in CHAT_ROLES
            or not isinstance(message.get("content"), str)
        ):
            raise EngineError("bad_input", f"Each message needs a role ({', '.join(sorted(CHAT_ROLES))}) and text.")


_MAX_GROUP = 16  # a readable piece never needs more byte tokens than this (guards real U+FFFD input)


def readable_pieces(ids: list[int], decode: Callable[[list[int]], str]) -> list[TokenPiece]:
    """Group token ids so every piece decodes to readable text.

    A byte-level tokenizer may cut the Korean syllable '한' (3 bytes in UTF-8) into several
    tokens, each of which alone decodes to '\ufffd'. We add tokens to a group until the group
    decodes to complete characters, then show the group as one piece with all its ids.
    """
    pieces: list[TokenPiece] = []
    group: list[int] = []
    for token_id in ids:
        group.append(token_id)
        piece = decode(group)
        if "\ufffd" not in piece or len(group) >= _MAX_GROUP:
            pieces.append(TokenPiece(text=piece, ids=group))
            group = []
    if group:
        pieces.append(TokenPiece(text=decode(group), ids=group))
    return pieces
