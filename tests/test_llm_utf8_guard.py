"""Generated answers never show a broken character ("�"), checked against Python's own UTF-8
decoder and on the tiny random model, which breaks characters all the time when left alone."""
from __future__ import annotations

import random

import pytest
import torch

from tests.llm_tiny import tiny_engine
from tutor.llm.local import _BYTE_LEVEL
from tutor.llm.utf8_guard import BROKEN, STATES, Utf8Guard

GWE = "궤".encode()  # EA B6 A4
_BYTE_SPELLING = {byte: char for char, byte in _BYTE_LEVEL.items()}  # how byte-level BPE writes one byte


def test_a_token_that_would_break_a_character_is_refused_and_one_that_finishes_it_is_allowed():
    tokens = [b"a", GWE[:2], GWE[2:], GWE, GWE[2:] + b"a", GWE[1:], None, b"\xff", None]
    guard = Utf8Guard(tokens, always_allowed=[8])
    a, start, last, whole, last_then_a, two_last, special, never, end = range(9)
    one_owed = guard.after(0, start)  # EA B6 written: one byte still owed
    assert guard.after(0, a) == 0 and guard.after(0, whole) == 0
    assert one_owed != 0 and guard.after(one_owed, last) == 0 and guard.after(one_owed, last_then_a) == 0
    for broken in (a, whole, special, never, start):  # something new before 궤 is finished
        assert guard.after(one_owed, broken) == BROKEN
    for stray in (last, last_then_a, two_last, never):  # a continuation with nothing to continue
        assert guard.after(0, stray) == BROKEN
    assert guard.after(0, special) == 0
    assert guard.after(one_owed, end) == 0  # the answer may end anywhere: its tail is dropped
    owes_two = Utf8Guard([GWE[:1], GWE[1:]]).after(0, 0)  # EA alone: two bytes owed
    assert Utf8Guard([GWE[:1], GWE[1:]]).after(owes_two, 1) == 0  # B6 A4 pays both


def test_allowed_masks_list_exactly_the_tokens_after_accepts():
    rng = random.Random(0)
    tokens = [bytes([b]) for b in range(256)] + [bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))) for _ in range(400)]
    tokens += ["가나".encode(), "😀".encode(), "😀".encode()[1:], None]
    guard = Utf8Guard(tokens, always_allowed=[len(tokens) - 1])
    for state in range(len(STATES)):
        expected = torch.tensor([guard.after(state, t) != BROKEN for t in range(len(tokens))])
        assert torch.equal(guard.allowed(state), expected), state


def _decoder_says(text: bytes) -> str:
    """Python's strict UTF-8 decoder on the whole text: "complete", "unfinished" (only its end is
    missing) or "broken"."""
    try:
        text.decode("utf-8")
        return "complete"
    except UnicodeDecodeError as err:
        return "unfinished" if err.reason == "unexpected end of data" and err.end == len(text) else "broken"


def test_the_guard_agrees_with_pythons_utf8_decoder_on_random_token_sequences():
    """After every token the guard refuses it exactly when the decoder calls the text broken,
    and says it is between characters exactly when the decoder calls it complete."""
    rng = random.Random(1)
    singles = [bytes([b]) for b in range(256)]
    words = [text.encode() for text in ("궤도", "ß", "€", "😀", "é", "\U0010ffff", "한국어", "\ud7ff", "\ue000")]
    pieces = [w[i:j] for w in words for i in range(len(w)) for j in range(i + 1, len(w) + 1)]
    tokens = singles + pieces
    guard = Utf8Guard(tokens)
    state, unfinished, refused, accepted = 0, b"", 0, 0  # `unfinished`: the bytes since the last whole character
    for _ in range(20_000):
        token = rng.randrange(len(tokens))
        verdict = guard.after(state, token)
        decoder = _decoder_says(unfinished + tokens[token])
        assert (verdict == BROKEN) == (decoder == "broken"), (state, unfinished, tokens[token])
        if verdict == BROKEN:
            refused += 1
            continue
        accepted += 1
        state = verdict
        assert (state == 0) == (decoder == "complete"), (unfinished, tokens[token])
        unfinished = b"" if state == 0 else unfinished + tokens[token]
    assert refused > 1000 and accepted > 1000  # both sides were really exercised


@pytest.fixture(scope="module")
def engine():
    engine = tiny_engine()
    engine._eos_ids = set()  # let the random model write its whole budget
    return engine


def _answers(engine, seeds: range) -> list[str]:
    return [
        "".join(engine.stream_completion("안녕하세요. 고양이", max_new_tokens=24, temperature=1.0, seed=seed))
        for seed in seeds
    ]


def test_answers_of_a_random_model_never_show_a_broken_character(engine, monkeypatch):
    guarded = _answers(engine, range(12))
    assert all("\ufffd" not in answer for answer in guarded), guarded
    assert sum(len(answer) for answer in guarded) > 12 * 5  # they did write something
    # the same draws without the guard: the random model breaks characters in most answers
    monkeypatch.setattr(Utf8Guard, "after", lambda self, state, token: 0)
    engine.forget_cache()
    unguarded = _answers(engine, range(12))
    assert sum("\ufffd" in answer for answer in unguarded) >= 3, unguarded


class _Scripted:
    """Replaces the model's scores step by step: each step's favourite tokens, best first."""

    def __init__(self, engine, steps: list[list[int]]) -> None:
        self.engine, self.steps, self.step = engine, steps, 0

    def scores(self) -> torch.Tensor:
        logits = torch.full((self.engine.vocab_size,), -10.0)
        for rank, token in enumerate(self.steps[min(self.step, len(self.steps) - 1)]):
            logits[token] = 10.0 - rank
        self.step += 1
        return logits


def test_greedy_takes_the_best_token_that_finishes_the_character_instead_of_the_favourite(monkeypatch):
    engine = tiny_engine()
    vocab = engine.tokenizer.get_vocab()
    ids = {b: vocab[_BYTE_SPELLING[b]] for b in (0xEA, 0xB6, 0xA4, ord("a"))}
    end = engine.tokenizer.convert_tokens_to_ids("<|im_end|>")
    # the model's favourites: EA, then B6, then "a" (A4, which finishes 궤, only second), then stop
    script = _Scripted(engine, [[ids[0xEA]], [ids[0xB6]], [ids[ord("a")], ids[0xA4]], [end]])

    def scripted_feed(state, tokens):  # the backend's pass over the model, replaced by the script
        state.ids.extend(tokens)
        state.logits = script.scores()

    monkeypatch.setattr(engine.backend, "feed", scripted_feed)
    answer = "".join(engine.stream_completion("x", max_new_tokens=8, temperature=0.0))
    assert answer == "궤"
