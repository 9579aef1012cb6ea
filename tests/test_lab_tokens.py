"""tutor.lab.tokens: tokens made visible, pieces of a character, the Tokens table, training pairs."""
from __future__ import annotations

import pytest

from tests.fakes import FakeEngine
from tutor.i18n import t
from tutor.lab import tokens
from tutor.llm.base import TokenPiece


def test_tokens_are_shown_with_their_invisible_parts():
    assert tokens.visible_token(" mat") == "␣mat"
    assert tokens.visible_token("\n") == "↵"
    assert tokens.visible_token("") == "∅"


def test_byte_pieces_of_a_character_count_as_unreadable_in_either_spelling():
    assert not tokens.is_readable("\ufffd") and not tokens.is_readable(" <0xEB><0x8B>")
    assert tokens.is_readable(" 고양이") and tokens.is_readable("<0x>") and tokens.is_readable("🍕")


def test_finishing_a_piece_keeps_only_the_character_it_starts():
    assert tokens.piece_bytes(" <0xEB><0xA8>") == b" \xeb\xa8"
    assert tokens.finish_character(" <0xEB><0xA8>", " 먹고 싶어요") == " 먹"
    assert tokens.finish_character(" <0xEB>", " 서울") is None  # 서 starts with EC, not EB
    assert tokens.finish_character(" <0xEB>", "") is None


def test_a_korean_syllable_split_into_byte_tokens_stays_one_readable_piece():
    pieces = [TokenPiece("고양이", [1, 2]), TokenPiece("가", [3]), TokenPiece("🍕", [4, 5, 6])]
    rows = tokens.piece_rows(pieces)
    assert [(r.text, r.token_count) for r in rows] == [("고양이", 2), ("가", 1), ("🍕", 3)]
    assert tokens.token_total(pieces) == 6


def test_characters_vs_tokens_counts_each_sample_and_skips_empty_ones():
    engine = FakeEngine()
    rows = tokens.chars_vs_tokens({"en": "The cat sat", "ko": "고양이가 앉았다", "empty": "  "}, engine.tokenize)
    assert [(r.label, r.characters, r.tokens) for r in rows] == [("en", 11, 3), ("ko", 8, 2)]
    assert rows[0].characters_per_token == pytest.approx(11 / 3)


def test_a_sentence_of_n_tokens_gives_n_minus_one_training_pairs():
    pieces = [TokenPiece(x, [i]) for i, x in enumerate(["The", " cat", " sat", " down", "."])]
    pairs = tokens.training_pairs(pieces)
    assert [(p.context, p.target) for p in pairs] == [
        ("The", " cat"),
        ("The cat", " sat"),
        ("The cat sat", " down"),
        ("The cat sat down", "."),
    ]
    assert tokens.training_pairs(pieces[:1]) == [] and tokens.training_pairs([]) == []
    assert len(tokens.training_pairs(pieces, limit=2)) == 2


def test_a_sentence_gives_one_pair_per_token_after_the_first_however_many_are_listed():
    pieces = [TokenPiece(f" w{i}", [i]) for i in range(100)]
    assert tokens.pair_count(pieces) == 99 and len(tokens.training_pairs(pieces)) == tokens.MAX_PAIRS
    assert tokens.pair_count([]) == 0


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_comparison_puts_english_korean_and_the_start_of_your_text_side_by_side(lang):
    samples = tokens.comparison_samples("x" * 5000, lang)
    assert list(samples) == [t("lab.tokens.english_sample", lang), t("lab.tokens.korean_sample", lang),
                             t("lab.tokens.yours", lang)]
    assert samples[t("lab.tokens.korean_sample", lang)] == t("lab.tokens.korean_text", lang)
    assert samples[t("lab.tokens.yours", lang)] == "x" * tokens.COMPARED_CHARS
