"""What the model reads: the learner's text, cleaned, and cut to fit the model's context window."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tutor.text import drop_invisible

# The lab reads at most this many tokens of text: a new text costs a full pass over every token,
# which takes tens of seconds for long texts on a laptop CPU (extending by one token is cheap).
LAB_MAX_CONTEXT = 512


def clean_text(text: object) -> str:
    """The learner's text with invisible characters removed (newlines and tabs stay), by the same
    rule as the chat's (tutor.text.drop_invisible)."""
    if not isinstance(text, str):
        return ""
    return drop_invisible(text)


def is_empty(text: str) -> bool:
    """True when there is nothing to predict from (only spaces counts as nothing)."""
    return not text.strip()


def start_of_message_messages() -> list[dict[str, str]]:
    """With no text at all, the lab shows the start of a chat reply to an empty message instead."""
    return [{"role": "user", "content": ""}]


def model_limit(context_window: int) -> int:
    """How many tokens of text the lab lets the model read: its context window minus the one token
    it predicts, and never more than LAB_MAX_CONTEXT."""
    return max(1, min(context_window - 1, LAB_MAX_CONTEXT))


@dataclass(frozen=True)
class FittedText:
    """Text cut to fit the model, and whether anything was cut."""

    text: str
    cut: bool
    tokens_before: int  # how many tokens the full text had
    tokens_kept: int


def fit_to_context(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> FittedText:
    """Keep the end of `text` so that it is at most `max_tokens` tokens long.

    The end is what matters for the next token, so we drop text from the start.
    """
    total = count_tokens(text)
    if total <= max_tokens:
        return FittedText(text, False, total, total)
    # A token is rarely longer than 16 characters, so look only at the end of a huge text.
    text = text[-max_tokens * 16 :]
    if count_tokens(text) <= max_tokens:
        return FittedText(text, True, total, count_tokens(text))
    # Binary search for the longest ending that still fits (tokenizing is fast; the model is not).
    low, high = 0, len(text)  # text[low:] does not fit; text[high:] (empty) always fits
    while high - low > 1:
        middle = (low + high) // 2
        if count_tokens(text[middle:]) <= max_tokens:
            high = middle
        else:
            low = middle
    kept = text[high:]
    return FittedText(kept, True, total, count_tokens(kept))
