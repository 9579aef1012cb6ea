"""Asking the model about the learner's text, and remembering what it said.

Asking about a new text costs the model a pass over all its tokens, while undo, regenerate and
every slider ask about texts already seen. So each answer is remembered per model and text (the
last MEMO_SIZE), in two dicts kept in the learner's session: one per learner, never shared.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TypeVar

from tutor.lab.context import FittedText, fit_to_context, is_empty, model_limit, start_of_message_messages
from tutor.lab.reshaping import POOL_SIZE, Reshaped
from tutor.lab.tokens import finish_character, is_readable
from tutor.llm.base import Engine, NextTokenDistribution

MEMO_SIZE = 64  # answers remembered per session and kind (undo and regenerate reuse them)
FINISH_TOKENS = 4  # a character is at most 4 bytes, and each piece after the first holds at least one

Answer = TypeVar("Answer")


def remember(memo: dict, key: Hashable, ask: Callable[[], Answer], size: int = MEMO_SIZE) -> Answer:
    """memo[key], asked for first when it is not there; beyond `size` answers the oldest is forgotten."""
    if key not in memo:
        answer = ask()
        if len(memo) >= size:
            memo.pop(next(iter(memo)))  # forget the oldest
        memo[key] = answer
    return memo[key]


def what_the_model_reads(engine: Engine, text: str) -> FittedText:
    """The text the model is asked about: the learner's, cut to fit the lab's context. With nothing
    typed, the start of a chat reply to an empty message instead of failing on an empty input."""
    if is_empty(text):
        return FittedText(engine.apply_chat_template(start_of_message_messages()), False, 0, 0)
    return fit_to_context(text, engine.count_tokens, model_limit(engine.context_window))


@dataclass
class Predictions:
    """The model's answers about one learner's texts, asked once each."""

    engine: Engine
    distributions: dict = field(default_factory=dict)  # (model, text) -> (distribution, what it read)
    continuations: dict = field(default_factory=dict)  # (model, text) -> its greedy next few tokens
    # Around each call that makes the model read a new text (the page shows a busy note there).
    waiting: Callable[[], AbstractContextManager[object]] = nullcontext

    def distribution(self, text: str) -> tuple[NextTokenDistribution, FittedText]:
        """The model's top POOL_SIZE candidates after `text`, raw (temperature 1, no top-k or top-p
        cut beyond the pool) for the lab to reshape, and the text the model really read."""

        def ask() -> tuple[NextTokenDistribution, FittedText]:
            fitted = what_the_model_reads(self.engine, text)
            with self.waiting():
                dist = self.engine.next_token_distribution(fitted.text, temperature=1.0, top_k=POOL_SIZE, top_p=1.0)
            return dist, fitted

        return remember(self.distributions, (self.engine.name, text), ask)

    def candidates(self, text: str) -> NextTokenDistribution:
        """The distribution alone: the text -> distribution function the generation loop asks."""
        return self.distribution(text)[0]

    def greedy_continuation(self, text: str) -> str:
        """The model's next few tokens after `text` at temperature 0 (whole characters only)."""

        def ask() -> str:
            fitted = self.distribution(text)[1]  # the same (possibly cut) text the probabilities came from
            return "".join(self.engine.stream_completion(fitted.text, max_new_tokens=FINISH_TOKENS, temperature=0.0))

        return remember(self.continuations, (self.engine.name, text), ask)

    def finished_favourite(self, text: str, shaped: Reshaped) -> str | None:
        """When the favourite is a piece of a character: the whole character the model makes of it.

        Asked of the model itself (its greedy continuation of the same text, which starts with the
        favourite). None when the favourite is a whole token or there is nothing to ask about.
        """
        if not shaped.candidates or is_readable(shaped.candidates[0].token) or is_empty(text):
            return None
        return finish_character(shaped.candidates[0].token, self.greedy_continuation(text))
