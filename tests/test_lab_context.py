"""tutor.lab.context: cleaning the learner's text and cutting it to fit the model's context."""
from __future__ import annotations

import pytest

from tests.fakes import FakeEngine
from tutor.lab import context


def test_clean_text_drops_control_characters_but_keeps_newlines_emoji_and_korean():
    assert context.clean_text("a\x00b\x1b\tc\r\nd 🍕 한글") == "ab\tc\nd 🍕 한글"
    assert context.clean_text(None) == ""
    assert context.clean_text("bad \ud800 surrogate") == "bad  surrogate"


def test_empty_means_nothing_but_spaces():
    assert context.is_empty("") and context.is_empty("  \n ")
    assert not context.is_empty(" a")


def test_short_text_is_not_cut():
    fitted = context.fit_to_context("hello there", lambda s: len(s), 100)
    assert fitted == context.FittedText("hello there", False, 11, 11)


def test_long_text_keeps_the_longest_ending_that_fits():
    count = FakeEngine().count_tokens  # max(1, len // 4)
    text = "".join(f"{i:05d} " for i in range(3000))
    fitted = context.fit_to_context(text, count, 256)
    assert fitted.cut and text.endswith(fitted.text)
    assert count(fitted.text) <= 256
    assert count(text[-(len(fitted.text) + 1) :]) > 256, "one more character would not fit"
    assert fitted.tokens_before == count(text)


def test_huge_text_is_cut_with_few_tokenizer_calls():
    calls = []

    def count(s: str) -> int:
        calls.append(len(s))
        return len(s) // 3

    fitted = context.fit_to_context("x" * 2_000_000, count, 100)
    assert fitted.cut and count(fitted.text) <= 100
    assert len(calls) < 40 and max(calls[1:]) <= 100 * 16


@pytest.mark.parametrize("raw, cleaned", [
    ("Mina\u202egnp.exe", "Minagnp.exe"),       # a right-to-left override the chat strips too
    ("a\x85b\u200fc\ufeff", "abc"),               # a C1 control, a direction mark, a byte-order mark
    ("line\r\nnext\rlast\tx", "line\nnext\nlast\tx"),
    ("👩\u200d💻 codes", "👩\u200d💻 codes"),     # the zero-width joiner of an emoji stays
    ("bad \ud800 surrogate", "bad  surrogate"),   # no tokenizer can encode a lone surrogate
])
def test_the_lab_cleans_text_by_the_chats_rule(raw, cleaned):
    from tutor.chat.answer import clean_message

    assert context.clean_text(raw) == cleaned
    assert clean_message(raw, 2000).text == cleaned.strip()


def test_the_lab_reads_at_most_its_own_limit_and_never_more_than_the_model_holds():
    assert context.model_limit(32_768) == context.LAB_MAX_CONTEXT
    assert context.model_limit(100) == 99, "one token of the window is the one predicted"
    assert context.model_limit(1) == 1
