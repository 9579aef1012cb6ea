"""The local engine: a model in this process behind the `Engine` interface.

`LocalEngine` is everything a learner sees of a local model: the chat template, tokenizing, the
answer's budget, the prefix cache, the decode loop, streaming and the line for the model. The
arithmetic is a backend's (tutor.llm.backends): PyTorch (`pytorch_engine`, `load_pytorch_engine`)
or llama.cpp (`llama_cpp_engine`, `load_llama_cpp_engine`); the engine cannot tell them apart.

One model per process, shared by every session. A model is not safe to run from two threads at
once, so every pass over it happens under one lock. Generation runs in a worker thread that holds
the lock and hands text pieces to the caller through a queue; the caller can stop it (a stop
event), and it stops by itself on a timeout or after `max_new_tokens`.

We decode with an explicit loop (read the prompt once, then one token at a time, the keys and
values kept) rather than `model.generate`: the loop is easy to read next to the lessons, checks the
stop event every token, and skips generate's per-step bookkeeping.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import torch

from tutor.llm import sampling
from tutor.llm.backends import Backend, ModelState
from tutor.llm.base import (
    EngineError,
    NextTokenDistribution,
    QueueStatus,
    TextStream,
    TokenChoice,
    TokenPiece,
    check_messages,
    check_text,
    readable_pieces,
)
from tutor.llm.queueing import ModelQueue
from tutor.llm.utf8_guard import BROKEN, Utf8Guard

_DONE = object()  # end-of-stream marker in the worker queue


def configure_threads(threads: int = 0) -> int:
    """Set torch's CPU thread count (0 = one per core) and return it. Whatever the backend, torch
    does the sampling arithmetic (over ~150,000 scores per token)."""
    count = threads if threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(count)
    return count


class PrefixCache:
    """The texts the model read last (one ModelState each), so a text that starts the same way is
    not read again: the lab's text one token longer, the chat's system prompt and lesson notes, a
    follow-up question after its answer. Used and changed only under the engine lock.

    It remembers what the backend has room for (`max_tokens` in all, at most `max_texts` texts);
    to make room it forgets the least recently used text, and gives its memory back to the backend.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.max_tokens = backend.remembered_tokens
        self.max_texts = backend.remembered_texts
        self.entries: list[ModelState] = []  # most recently used first

    def longest(self, ids: list[int]) -> tuple[ModelState | None, int]:
        """The text sharing the longest start with `ids`, and how many tokens it shares."""
        return longest_start(self.entries, ids)

    def use(self, state: ModelState) -> None:
        """Mark `state` as just used (adding it if new)."""
        self.entries = [state] + [e for e in self.entries if e is not state]

    def make_room_for_a_text(self, spare: ModelState | None = None) -> None:
        """Forget old texts (never `spare`) until one more fits in the backend's count of texts."""
        while self.max_texts is not None and len(self.entries) >= self.max_texts:
            self.forget(self._oldest(besides=spare))

    def make_room(self, state: ModelState, count: int) -> None:
        """Forget old texts (never `state`) until `count` more tokens fit; the newest always stays."""
        while len(self.entries) > 1 and sum(len(e.ids) for e in self.entries) + count > self.max_tokens:
            self.forget(self._oldest(besides=state))

    def forget(self, state: ModelState) -> None:
        """Drop `state` and give its memory back (nothing happens to a state already forgotten)."""
        if any(e is state for e in self.entries):
            self.entries = [e for e in self.entries if e is not state]
            self.backend.release(state)

    def clear(self) -> None:
        for state in self.entries:
            self.backend.release(state)
        self.entries = []

    def _oldest(self, besides: ModelState | None) -> ModelState:
        return next(e for e in reversed(self.entries) if e is not besides)


class GenerationStream(TextStream):
    """The text pieces of one generation, as they are produced; `stop_reason` says why it ended.

    stop_reason: "eos" (the model finished), "length" (max_new_tokens), "stopped" (stop event),
    "timeout", or "" while still running. A timeout raises EngineError("timeout") after the pieces
    that arrived, as the remote engine does: the answer is cut, and a consumer must not file it as
    complete. A consumer that stops reading early calls `close()` (or reads it in a `with` block):
    the model is let go at once, not whenever the garbage collector gets to the stream.
    """

    def __init__(
        self, pieces: queue.Queue, cancel: threading.Event, deadline: float, status: Any = None
    ) -> None:
        self._pieces = pieces
        self._status = status  # () -> QueueStatus | None: where this answer stands in the model's line
        self._stop = cancel  # this stream's own event: never the caller's, which they may reuse
        self._deadline = deadline
        self._finished = False
        self.stop_reason = ""
        self.worker: threading.Thread | None = None  # set by the engine once started

    def __iter__(self) -> GenerationStream:
        return self

    def __next__(self) -> str:
        if self._finished:
            raise StopIteration
        # a little longer than the worker's own deadline: the worker reports its timeout itself
        wait = max(0.1, self._deadline - time.monotonic() + 5.0)
        try:
            item = self._pieces.get(timeout=wait)
        except queue.Empty:
            self.close()
            raise EngineError("timeout", "The model did not answer in time.", hint="Try a shorter question.") from None
        if isinstance(item, tuple) and item and item[0] is _DONE:
            self._finish()
            self.stop_reason = item[1]
            raise StopIteration
        if isinstance(item, EngineError):
            self._finish()
            if item.code == "timeout":
                self.stop_reason = "timeout"
            raise item
        return item

    def __enter__(self) -> GenerationStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _finish(self) -> None:
        self._finished = True
        # the worker's last act was to report; wait for it to exit, so a process that ends right
        # after the stream never tears torch down under a running thread
        if self.worker is not None:
            self.worker.join(timeout=5.0)

    def queue_status(self) -> QueueStatus | None:
        """While this answer waits for the model: how many are ahead and about how long; else None."""
        return self._status() if self._status is not None else None

    def close(self) -> None:
        """Stop the worker (called when the consumer goes away early) and wait for it to let go
        of the model: a process that exits right after must not tear torch down under it."""
        self._stop.set()
        self._finish()

    def __del__(self) -> None:
        # a last resort only: every consumer that drops a stream half-read closes it explicitly
        self._stop.set()


class LocalEngine:
    """An Engine whose model runs in this process, on a backend (tutor.llm.backends)."""

    def __init__(
        self,
        backend: Backend,
        tokenizer: Any,
        *,
        name: str,
        eos_ids: set[int],
        max_new_tokens_cap: int = 1024,
    ) -> None:
        self.backend = backend
        self.tokenizer = tokenizer
        self.name = name
        self.max_new_tokens_cap = max_new_tokens_cap
        self.runtime = backend.runtime  # what does the arithmetic (shown in the sidebar)
        self.vocab_size = backend.vocab_size
        self.context_window = backend.context_window
        self.lock = ModelQueue()  # every pass over the model takes its turn here, first come first served
        self._prefixes = PrefixCache(backend)
        self._eos_ids = eos_ids  # tokens that end an answer
        self._utf8: Utf8Guard | None = None  # made by the first generation, the warm-up at load (see _guard)

    def warm_up(self) -> None:
        """Run one tiny generation so the first learner does not pay for lazy initialisation."""
        for _ in self.stream_completion("Hello", max_new_tokens=2, temperature=0.0, timeout_s=600.0):
            pass
        self.forget_cache()

    def forget_cache(self) -> None:
        """Drop every remembered prefix, so the next call reads its whole text again (waits at most
        the line's `wait_s` for the model, then EngineError "timeout")."""
        with self.lock:
            self._prefixes.clear()

    def close(self) -> None:
        """Give the model's memory back (the engine is unusable afterwards).

        Requests still waiting for the model are sent away first (EngineError "cancelled"): after
        this they would run on freed memory. If the running one does not finish within the line's
        `wait_s`, the memory is kept (freeing it under a running pass would crash the process) and
        EngineError "timeout" says so.
        """
        if not self.lock.close():
            raise EngineError("timeout", "The model is still busy, so its memory was not freed.", hint="Try again soon.")
        self.backend.close()

    def queue_outlook(self) -> QueueStatus | None:
        """What a request arriving now would face in the model's line (see Engine.queue_outlook)."""
        return self.lock.outlook()

    # ---- text in, text out ---------------------------------------------------------------------

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        """The exact text the model sees for these messages, ending where the assistant speaks."""
        check_messages(messages)
        try:
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception as err:  # a template error is the model's fault, not the learner's
            raise EngineError("generation_failed", f"The chat template failed: {err}") from err

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` takes."""
        return len(self._encode(check_text(text)))

    def tokenize(self, text: str) -> list[TokenPiece]:
        """Split text into readable pieces; byte tokens of one character are grouped together
        (see tutor.llm.base.readable_pieces)."""
        return readable_pieces(self._encode(check_text(text)), self._decode)

    # ---- generation ----------------------------------------------------------------------------

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
    ) -> GenerationStream:
        """Yield the assistant's reply piece by piece (see Engine.stream_chat)."""
        check_messages(messages)
        budget = self._budget(max_new_tokens)
        ids = self._chat_ids(messages, self.context_window - budget)
        return self._start(ids, budget, temperature, top_p, stop, timeout_s, seed)

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
    ) -> GenerationStream:
        """Continue raw text with no chat template."""
        budget = self._budget(max_new_tokens)
        ids = self._encode(check_text(text, allow_empty=False))
        ids = ids[-(self.context_window - budget):]
        return self._start(ids, budget, temperature, top_p, stop, timeout_s, seed)

    def next_token_distribution(
        self,
        text: str,
        *,
        temperature: float = 1.0,
        top_k: int = 10,
        top_p: float = 1.0,
        show: int | None = None,
        stop: threading.Event | None = None,
    ) -> NextTokenDistribution:
        """The model's real probabilities for the token after `text`.

        top_k / top_p reshape the sampling pool (top_k 0 = off); `show` is how many candidates to
        list (default: top_k, or 10 when top_k is off). Candidates are ordered by raw probability.
        While other requests hold the model this waits for its turn: at most the line's `wait_s`
        (then EngineError "timeout"), and setting `stop` gives up the wait ("cancelled").
        """
        ids = self._encode(check_text(text, allow_empty=False))
        limit = self.context_window - 1
        truncated = len(ids) > limit
        ids = ids[-limit:]
        logits = self._last_logits(ids, stop)
        raw = sampling.softmax(logits)
        probs, keep = sampling.sampling_distribution(logits, temperature=temperature, top_k=top_k, top_p=top_p)
        count = max(1, min(show or (top_k if top_k > 0 else 10), self.vocab_size))
        top = torch.topk(raw, count).indices.tolist()
        choices = [
            TokenChoice(
                token=self.token_label(int(i)),
                id=int(i),
                prob=float(probs[i]),
                raw_prob=float(raw[i]),
                kept=bool(keep[i]),
            )
            for i in top
        ]
        return NextTokenDistribution(
            choices=choices,
            rest_prob=max(0.0, 1.0 - sum(c.prob for c in choices)),
            rest_raw_prob=max(0.0, 1.0 - sum(c.raw_prob for c in choices)),
            vocab_size=self.vocab_size,
            context_tokens=len(ids),
            truncated=truncated,
        )

    def next_token_logits(self, text: str, *, stop: threading.Event | None = None) -> torch.Tensor:
        """The raw float32 logits for the token after `text` (for labs that reshape them themselves);
        waits for the model like next_token_distribution."""
        ids = self._encode(check_text(text, allow_empty=False))[-(self.context_window - 1):]
        return self._last_logits(ids, stop).clone()

    def token_label(self, token_id: int) -> str:
        """Readable text of one token; a token that is only part of a character shows its bytes.

        e.g. the first byte of '한' alone shows as '<0xED>' instead of an unreadable '�'.
        """
        text = self._decode([token_id])
        if "\ufffd" not in text:
            return text
        raw = _token_bytes(self.tokenizer, token_id)
        if raw is None:
            return text
        return "".join(chr(b) if 0x20 <= b < 0x7F else f"<0x{b:02X}>" for b in raw)

    # ---- internals -----------------------------------------------------------------------------

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def _budget(self, max_new_tokens: int) -> int:
        """Clamp the requested answer length to something this engine allows."""
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise EngineError("bad_input", f"max_new_tokens must be a positive integer, got {max_new_tokens!r}.")
        return min(max_new_tokens, self.max_new_tokens_cap, self.context_window // 2)

    def _chat_ids(self, messages: list[dict[str, str]], limit: int) -> list[int]:
        """Token ids of the chat prompt, dropping the oldest turns if it does not fit in `limit`."""
        kept = list(messages)
        while True:
            ids = self._encode(self.apply_chat_template(kept))
            if len(ids) <= limit:
                return ids
            # drop the oldest message after a leading system message; keep the last one
            first = 1 if kept and kept[0]["role"] == "system" else 0
            if len(kept) - first <= 1:
                return ids[-limit:]  # one huge message: keep its end (the question is usually last)
            kept.pop(first)

    def _last_logits(self, ids: list[int], stop: threading.Event | None = None) -> torch.Tensor:
        """Scores for the token after `ids` (reusing whatever start of `ids` the model already read)."""
        with self.lock.turn(cancelled=None if stop is None else stop.is_set), torch.inference_mode():
            return self._read(ids).logits

    def _read(self, ids: list[int]) -> ModelState:
        """Run the model over `ids`; the state holding them, with the scores after the last one
        (call under the lock).

        Only the tokens after the longest start already remembered go through the model: one token
        when the lab's text grew by one, the question when the chat's notes are unchanged.
        """
        remembered, shared = self._prefixes.longest(ids)
        if remembered is not None and remembered.ids == ids:
            self._prefixes.use(remembered)
            return remembered
        shared = min(shared, len(ids) - 1)  # at least one token must go through the model for scores
        try:
            if remembered is not None and shared == len(remembered.ids):
                state = remembered  # `ids` extends this text: grow it in place
            elif remembered is not None and shared > 0:
                self._prefixes.make_room_for_a_text(spare=remembered)
                state = self.backend.branch(remembered, shared)  # copy the shared start, keep the old text too
            else:
                self._prefixes.make_room_for_a_text()
                state, shared = self.backend.new_state(), 0
        except Exception as err:
            raise _as_engine_error(err) from err
        self._prefixes.use(state)
        self._feed(state, ids[shared:])
        return state

    def _feed(self, state: ModelState, tokens: list[int]) -> None:
        """Run the model over `tokens` after `state` (call under the lock): a prompt's new end, or
        the one token just chosen. Older texts are forgotten first if the backend is full."""
        self._prefixes.make_room(state, len(tokens))
        try:
            self.backend.feed(state, tokens)
        except BaseException as err:
            self._prefixes.forget(state)  # its keys and values may be half-written
            if isinstance(err, EngineError) or not isinstance(err, Exception):
                raise
            raise _as_engine_error(err) from err

    def _start(
        self,
        ids: list[int],
        budget: int,
        temperature: float,
        top_p: float,
        stop: threading.Event | None,
        timeout_s: float,
        seed: int | None,
    ) -> GenerationStream:
        """Start a worker thread that generates into a queue; return the stream that reads it."""
        _check_number("temperature", temperature, 0.0, 10.0)
        _check_number("top_p", top_p, 0.0, 1.0)
        _check_number("timeout_s", timeout_s, 0.001, 86_400.0)
        if not ids:
            raise EngineError("bad_input", "There is no text to continue.")
        cancel = threading.Event()
        deadline = time.monotonic() + timeout_s
        pieces: queue.Queue = queue.Queue()
        ticket = self.lock.join("answer")  # in line from now on, so the page can show its place
        try:
            stream = GenerationStream(pieces, cancel, deadline, status=lambda: self.lock.status(ticket))
            worker = threading.Thread(
                target=self._generate_into,
                args=(ticket, ids, budget, temperature, top_p, (cancel, stop), deadline, seed, pieces),
                name=f"generate-{self.name}",
                daemon=True,
            )
            stream.worker = worker
            worker.start()
        except BaseException as err:
            # no worker will ever take this turn or give it back: a ticket left in line would block
            # the model for every later request of the process
            self.lock.leave(ticket)
            if isinstance(err, Exception):
                raise EngineError("generation_failed", f"The model's worker did not start: {err}") from err
            raise
        return stream

    def _generate_into(
        self,
        ticket: Any,
        ids: list[int],
        budget: int,
        temperature: float,
        top_p: float,
        stops: tuple[threading.Event, threading.Event | None],
        deadline: float,
        seed: int | None,
        pieces: queue.Queue,
    ) -> None:
        """The generation loop (runs in the worker thread): read the prompt, then one token at a time."""

        def stop_requested() -> bool:
            return any(event is not None and event.is_set() for event in stops)

        reason = "length"
        try:
            turn = self.lock.wait_turn(
                ticket, timeout=max(0.0, deadline - time.monotonic()), cancelled=stop_requested
            )
            if not turn and stop_requested():  # the learner left the line: nothing was written
                pieces.put((_DONE, "stopped"))
                return
            if not turn:  # too long in line, or the engine is being closed
                pieces.put(self.lock.refusal())
                return
            try:
                generator = sampling.seeded_generator(seed)
                generated: list[int] = []
                shown = ""
                if stop_requested():  # stopped (or abandoned) just as its turn came
                    budget, reason = 0, "stopped"
                with torch.inference_mode():
                    if budget == 0:
                        pieces.put((_DONE, reason))
                        return
                    # read the prompt once (only what the prefix cache has not seen), keep its last scores
                    state = self._read(ids)
                    try:
                        reason, shown = self._decode_loop(
                            state, budget, temperature, top_p, generator, stop_requested, deadline,
                            generated, pieces,
                        )
                    except BaseException:
                        self._prefixes.forget(state)  # it may hold a half-written step
                        raise
                    # the state now also holds the answer: a follow-up question starts from here
                    self._prefixes.use(state)
                    final = self.tokenizer.decode(generated, skip_special_tokens=True)
                    if final.startswith(shown) and len(final) > len(shown):
                        pieces.put(final[len(shown):].replace("\ufffd", ""))
            finally:
                self.lock.leave(ticket)
            if reason == "timeout":
                # cut by the deadline: the pieces already sent stay with the reader, and this error
                # after them says the answer is not complete (the same as the remote engine)
                kept = " What arrived so far is kept." if generated else ""
                pieces.put(EngineError(
                    "timeout", f"The model did not finish in time.{kept}", hint="Try a shorter question."
                ))
                return
            pieces.put((_DONE, reason))
        except Exception as err:  # noqa: BLE001 - the worker must always report back
            pieces.put(_as_engine_error(err))
        finally:
            self.lock.leave(ticket)  # a no-op unless something above failed before giving the turn back

    def _decode_loop(
        self,
        state: ModelState,
        budget: int,
        temperature: float,
        top_p: float,
        generator: torch.Generator | None,
        stop_requested: Callable[[], bool],
        deadline: float,
        generated: list[int],
        pieces: queue.Queue,
    ) -> tuple[str, str]:
        """Pick a token, show it, feed it back; returns (why it stopped, the text shown so far).

        `state` grows by every token fed back; `state.logits` always holds the scores after the
        last token it holds.
        """
        reason, shown = "length", ""
        guard, owed = self._guard(), 0  # where the answer's last UTF-8 character stands (0: complete)
        for step in range(budget):
            if stop_requested():
                reason = "stopped"
                break
            if time.monotonic() > deadline:
                reason = "timeout"
                break
            # temperature → top-p → draw (temperature 0 = argmax), from the scores after the last token
            token = sampling.pick_next_token(
                state.logits, temperature=temperature, top_p=top_p, generator=generator
            )
            after = guard.after(owed, token)
            if after == BROKEN:
                # that token would leave half a character ("�" on screen): choose again, from the
                # same scores, among the tokens that keep every character whole
                token = sampling.pick_next_token(
                    state.logits, temperature=temperature, top_p=top_p, generator=generator,
                    allowed=guard.allowed(owed),
                )
                after = guard.after(owed, token)
            if token in self._eos_ids:
                reason = "eos"
                break
            owed = after
            generated.append(token)
            # show only complete characters: hold back a half-decoded multi-byte one
            text = self.tokenizer.decode(generated, skip_special_tokens=True)
            if not text.endswith("\ufffd") and len(text) > len(shown) and text.startswith(shown):
                pieces.put(text[len(shown):])
                shown = text
            if step + 1 == budget:
                break  # that was the last token we may write: no need to read it back
            # feed the chosen token back in; the state remembers everything before it
            self._feed(state, [token])
        return reason, shown

    def _guard(self) -> Utf8Guard:
        """The UTF-8 guard for this tokenizer, made once (0.6 s for Qwen's 151,936 tokens)."""
        if self._utf8 is None:
            tokens = self.tokenizer.convert_ids_to_tokens(list(range(self.vocab_size)))
            special = set(self.tokenizer.all_special_ids) | set(getattr(self.tokenizer, "added_tokens_decoder", {}))
            pieces = [None if i in special or not isinstance(t, str) else _piece_bytes(t) for i, t in enumerate(tokens)]
            self._utf8 = Utf8Guard(pieces, always_allowed=self._eos_ids)
        return self._utf8


# ---- helpers ---------------------------------------------------------------------------------


def eos_token_ids(configs: list[Any], tokenizer: Any) -> set[int]:
    """Every token id that means "the answer is over": from the model's configs and its tokenizer."""
    found: set[int] = set()
    for source in (*configs, tokenizer):
        value = getattr(source, "eos_token_id", None)
        if isinstance(value, int):
            found.add(value)
        elif isinstance(value, (list, tuple)):
            found.update(int(v) for v in value)
    for special in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>"):
        token_id = tokenizer.convert_tokens_to_ids(special) if special in tokenizer.get_vocab() else None
        if isinstance(token_id, int):
            found.add(token_id)
    return found


def _byte_level_alphabet() -> dict[str, int]:
    """GPT-2's byte-level BPE writes each byte as a printable character; this maps them back."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            chars[chr(byte)] = byte
        else:
            chars[chr(256 + extra)] = byte
            extra += 1
    return chars


_BYTE_LEVEL = _byte_level_alphabet()
# str.translate table: a byte-level character becomes chr(its byte); any other character below 256
# becomes one that Latin-1 cannot encode, so it is refused like every character above 255
_AS_LATIN1 = {code: "\uffff" for code in range(256)} | {ord(ch): chr(byte) for ch, byte in _BYTE_LEVEL.items()}


def _token_bytes(tokenizer: Any, token_id: int) -> bytes | None:
    """The raw bytes a token stands for (byte-level BPE or '<0xNN>' byte-fallback), if knowable."""
    token = tokenizer.convert_ids_to_tokens(token_id)
    return _piece_bytes(token) if isinstance(token, str) else None


def _piece_bytes(token: str) -> bytes | None:
    """The raw bytes of a token as the tokenizer spells it, if it spells bytes."""
    if token.startswith("<0x") and token.endswith(">") and len(token) == 6:
        try:
            return bytes.fromhex(token[3:5])
        except ValueError:
            return None
    try:  # spell each byte-level character as the Latin-1 character of its byte, then encode
        return token.translate(_AS_LATIN1).encode("latin-1")
    except UnicodeEncodeError:  # a character that is no byte: not a byte-level token
        return None


def longest_start(remembered: list[Any], ids: list[int]) -> tuple[Any, int]:
    """Of texts the model already read (anything with `.ids`), the one sharing the longest start
    with `ids`, and how many tokens it shares (None, 0 when none shares any)."""
    best, shared = None, 0
    for entry in remembered:
        n = common_prefix(entry.ids, ids)
        if n > shared:
            best, shared = entry, n
    return best, shared


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _check_number(label: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low <= float(value) <= high):
        raise EngineError("bad_input", f"{label} must be a number between {low} and {high}, got {value!r}.")


def out_of_memory(err: BaseException) -> EngineError:
    return EngineError("out_of_memory", f"Not enough memory for the model: {err}", hint="Close other programs.")


def _as_engine_error(err: BaseException) -> EngineError:
    """Translate whatever the backend (torch, transformers, llama.cpp) raised into a readable EngineError."""
    if isinstance(err, EngineError):
        return err
    if isinstance(err, MemoryError) or "out of memory" in str(err).lower() or "can't allocate" in str(err).lower():
        return out_of_memory(err)
    return EngineError("generation_failed", f"The model failed: {type(err).__name__}: {err}")
