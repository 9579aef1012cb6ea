"""A scripted stand-in for the language model, used at the engine boundary in page tests.

It implements tutor.llm.base.Engine with plain Python, so AppTests run in milliseconds and
can check exactly what the page drew. It is never used by the app itself.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator

from tutor.llm.base import EngineError, NextTokenDistribution, QueueStatus, TokenChoice, TokenPiece

_VOCAB = [" mat", " floor", " bed", " sofa", " roof", " chair", " table", " rug", " box", " grass", " 고양이", "."]
_LOGITS = [4.0, 3.1, 2.6, 2.2, 1.5, 1.4, 1.2, 1.0, 0.8, 0.5, 0.3, 0.1]


class FakeStream:
    """A stream that first waits in a scripted line (`queue_status` pops one status per call)."""

    def __init__(self, pieces: Iterator[str], waiting: list[QueueStatus]) -> None:
        self._pieces = pieces
        self._waiting = list(waiting)
        self.closed = False

    def queue_status(self) -> QueueStatus | None:
        return self._waiting.pop(0) if self._waiting else None

    def __iter__(self) -> FakeStream:
        return self

    def __next__(self) -> str:
        self._waiting.clear()  # writing means its turn has come
        return next(self._pieces)

    def close(self) -> None:
        """Like an engine's stream: a consumer that stops early lets go (the scripted words end)."""
        self.closed = True
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


class FakeEngine:
    name = "fake-model"
    vocab_size = 1000
    context_window = 2048
    runtime = ""  # says nothing about what computes, like a model server

    def __init__(self, reply: str = "Tokens are pieces of text that the model reads and writes.", delay_s: float = 0.0):
        self.reply = reply
        self.delay_s = delay_s
        self.calls: list[dict] = []  # every request, for assertions
        self.lock = threading.Lock()
        self.replies: list[str] = []  # scripted replies, one per stream call; `reply` when used up
        self.error: Exception | None = None  # raised by the next stream, when set
        self.fail_after: int | None = None  # when set, streams raise EngineError after this many words
        self.waiting: list[QueueStatus] = []  # statuses the next stream reports before its turn

    def queue_outlook(self) -> QueueStatus | None:
        return None  # keeps no line: its streams script their own waits (`waiting`)

    def _next_reply(self) -> str:
        if self.error is not None:
            raise self.error
        return self.replies.pop(0) if self.replies else self.reply

    def _stream(self, text: str, max_new_tokens: int, stop: threading.Event | None) -> Iterator[str]:
        for i, word in enumerate(text.split(" ")):
            if i >= max_new_tokens or (stop is not None and stop.is_set()):
                return
            if self.fail_after is not None and i >= self.fail_after:
                raise EngineError("generation_failed", "The fake model failed on purpose.")
            if self.delay_s:
                time.sleep(self.delay_s)
            yield word if i == 0 else " " + word

    def stream_chat(self, messages, *, max_new_tokens=256, temperature=0.0, top_p=1.0, stop=None, timeout_s=120.0):
        self.calls.append(
            {"kind": "chat", "messages": [dict(m) for m in messages], "temperature": temperature, "stop": stop}
        )
        return self._queued(self._stream(self._next_reply(), max_new_tokens, stop))

    def _queued(self, pieces: Iterator[str]) -> FakeStream:
        waiting, self.waiting = self.waiting, []
        return FakeStream(pieces, waiting)

    def stream_completion(self, text, *, max_new_tokens=64, temperature=0.0, top_p=1.0, stop=None, timeout_s=120.0):
        self.calls.append({"kind": "completion", "text": text, "temperature": temperature})
        return self._queued(self._stream(self._next_reply(), max_new_tokens, stop))

    def next_token_distribution(self, text, *, temperature=1.0, top_k=10, top_p=1.0):
        self.calls.append({"kind": "next", "text": text, "temperature": temperature, "top_k": top_k, "top_p": top_p})
        total_raw = sum(math.exp(v) for v in _LOGITS) + 5.0  # the rest of the vocabulary
        raw = [math.exp(v) / total_raw for v in _LOGITS]
        t = max(temperature, 1e-6)
        scaled = [math.exp(v / t) for v in _LOGITS]
        kept = [i < top_k for i in range(len(_LOGITS))]
        z = sum(s for s, k in zip(scaled, kept, strict=True) if k)
        choices = [
            TokenChoice(token=tok, id=i + 10, prob=(s / z if k else 0.0), raw_prob=r, kept=k)
            for i, (tok, s, r, k) in enumerate(zip(_VOCAB, scaled, raw, kept, strict=True))
        ][:max(top_k, 1)]
        return NextTokenDistribution(
            choices=choices,
            rest_prob=0.0,
            rest_raw_prob=1.0 - sum(c.raw_prob for c in choices),
            vocab_size=self.vocab_size,
            context_tokens=len(text.split()),
        )

    def tokenize(self, text):
        return [TokenPiece(text=w, ids=[abs(hash(w)) % self.vocab_size]) for w in text.split(" ") if w]

    def count_tokens(self, text):
        return max(1, len(text) // 4)

    def apply_chat_template(self, messages):
        return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"


def ask_and_explain(at, question: str):
    """On the tutor page: ask `question`, then press "Explain it in other words" under its answer
    (the model writes only on that click; the answer itself is the lesson's quote)."""
    at.chat_input[0].set_value(question).run()
    index = len(at.session_state["chat_history"]) - 1
    return at.button(key=f"chat_explain_{index}").click().run()
