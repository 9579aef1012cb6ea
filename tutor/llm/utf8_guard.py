"""Keeping a generated answer readable, one token at a time.

A byte-level tokenizer (Qwen's, GPT-2's) may write one Korean syllable as two or three tokens,
each holding part of the syllable's UTF-8 bytes: "궤" is the bytes EA B6 A4, and the model may
write EA B6 as one token and A4 as the next. Nothing forces a model to finish a character it has
started. A small one sometimes writes EA B6 and then a whole new syllable, and the learner sees
"�" where a character should be (our 0.5B model did it in 1 of 30 greedy Korean tutor answers).

The guard follows the answer's bytes the way a UTF-8 decoder does. When the model's choice would
break a character, the engine lets it choose again, from the same scores, among the tokens that
keep every character whole. Every other choice goes through untouched, and the next-token lab's
probabilities are never changed by this: it only applies to generated answers.

UTF-8 in one paragraph: a byte below 0x80 is a whole character (ASCII). A byte from 0xC2 to 0xF4
starts a character of 2, 3 or 4 bytes, and a byte from 0x80 to 0xBF continues one. Four start
bytes narrow the range of the byte after them (E0, ED, F0, F4: no character may be spelled two
ways, and none may fall outside Unicode). Any other byte (0xC0, 0xC1, 0xF5 to 0xFF) never appears.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

BROKEN = -1  # "this token would break a character"

# What a decoder is waiting for, as (continuation bytes still owed, lowest and highest value the
# next byte may have). The index in this list is the state the engine keeps between tokens.
STATES: tuple[tuple[int, int, int], ...] = (
    (0, 0x80, 0xBF),  # 0: between characters
    (1, 0x80, 0xBF),
    (2, 0x80, 0xBF),
    (3, 0x80, 0xBF),
    (2, 0xA0, 0xBF),  # after E0 (shorter spellings are not allowed)
    (2, 0x80, 0x9F),  # after ED (no surrogates)
    (3, 0x90, 0xBF),  # after F0
    (3, 0x80, 0x8F),  # after F4 (nothing above U+10FFFF)
)
_STATE_INDEX = {state: index for index, state in enumerate(STATES)}
_OPEN = _STATE_INDEX[(0, 0x80, 0xBF)]


def _after_start_byte(byte: int) -> int:
    """The state after a byte read between characters."""
    if byte < 0x80:
        return _OPEN
    if 0xC2 <= byte <= 0xDF:
        return _STATE_INDEX[(1, 0x80, 0xBF)]
    if byte == 0xE0:
        return _STATE_INDEX[(2, 0xA0, 0xBF)]
    if byte == 0xED:
        return _STATE_INDEX[(2, 0x80, 0x9F)]
    if 0xE1 <= byte <= 0xEF:
        return _STATE_INDEX[(2, 0x80, 0xBF)]
    if byte == 0xF0:
        return _STATE_INDEX[(3, 0x90, 0xBF)]
    if byte == 0xF4:
        return _STATE_INDEX[(3, 0x80, 0x8F)]
    if 0xF1 <= byte <= 0xF3:
        return _STATE_INDEX[(3, 0x80, 0xBF)]
    return BROKEN


def step(state: int, byte: int) -> int:
    """The state after one more byte (BROKEN if that byte cannot come here)."""
    owed, low, high = STATES[state]
    if owed == 0:
        return _after_start_byte(byte)
    if not low <= byte <= high:
        return BROKEN
    return _STATE_INDEX[(owed - 1, 0x80, 0xBF)]


def _is_continuation(byte: int) -> bool:
    return 0x80 <= byte <= 0xBF


def _shape(raw: bytes) -> tuple[int, int]:
    """(how many continuation bytes the token starts with, the state after the rest read
    between characters, or BROKEN)."""
    lead = 0
    while lead < len(raw) and _is_continuation(raw[lead]):
        lead += 1
    state = _OPEN
    for byte in raw[lead:]:
        state = step(state, byte)
        if state == BROKEN:
            break
    return lead, state


class Utf8Guard:
    """Which tokens keep the text valid UTF-8, in each of the STATES."""

    def __init__(self, token_bytes: Sequence[bytes | None], always_allowed: Iterable[int] = ()) -> None:
        """`token_bytes[i]` is token i's bytes; None for a token that is not bytes (a special
        token, or a whole-text piece of a non-byte tokenizer): allowed only between characters.
        `always_allowed` (end-of-answer tokens) may come at any point: the engine drops an
        unfinished last character when the answer ends."""
        leads, ends, firsts, pure = [], [], [], []
        for raw in token_bytes:
            lead, end = (0, _OPEN) if raw is None else _shape(raw)
            leads.append(lead)
            ends.append(end)
            firsts.append(raw[0] if raw else 0)
            pure.append(raw is not None and len(raw) == lead)  # nothing but continuation bytes
        self._lead = torch.tensor(leads, dtype=torch.int16)
        self._end = torch.tensor(ends, dtype=torch.int16)
        self._first = torch.tensor(firsts, dtype=torch.int16)
        self._pure = torch.tensor(pure, dtype=torch.bool)
        self._always = torch.zeros(len(leads), dtype=torch.bool)
        for token in always_allowed:
            if 0 <= token < len(leads):
                self._always[token] = True
        self._masks: dict[int, torch.Tensor] = {}

    def after(self, state: int, token: int) -> int:
        """The state after `token` follows text in `state` (BROKEN if it would break a character)."""
        if self._always[token]:
            return _OPEN
        owed, low, high = STATES[state]
        lead = int(self._lead[token])
        if lead > owed or (lead and not low <= int(self._first[token]) <= high):
            return BROKEN
        if self._pure[token]:  # only continuation bytes: they pay off part of what is owed
            return _STATE_INDEX[(owed - lead, 0x80, 0xBF)] if lead else state
        if lead != owed:  # it must finish the open character before it starts new ones
            return BROKEN
        return int(self._end[token])

    def allowed(self, state: int) -> torch.Tensor:
        """A True/False mask over the vocabulary: the tokens that may follow text in `state`."""
        if state not in self._masks:
            owed, low, high = STATES[state]
            first_fits = (self._lead == 0) | ((self._first >= low) & (self._first <= high))
            pays_part = self._pure & (self._lead <= owed)
            pays_all_then_valid = ~self._pure & (self._lead == owed) & (self._end != BROKEN)
            self._masks[state] = (first_fits & (pays_part | pays_all_then_valid)) | self._always
        return self._masks[state]
