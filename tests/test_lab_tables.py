"""tutor.lab.tables: the lab's tables, with headers in the learner's language."""
from __future__ import annotations

import pytest

from tutor.i18n import t
from tutor.lab import tables, tokenizer, tokens
from tutor.llm.base import TokenPiece


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_pieces_table_lists_each_piece_its_ids_and_its_token_count(lang):
    rows = tokens.piece_rows([TokenPiece(" 고양이", [5, 6]), TokenPiece("!", [7])])
    table = tables.pieces_table(rows, lang)
    assert list(table.columns) == [t("lab.tokens.piece", lang), t("lab.tokens.ids", lang), t("lab.tokens.count", lang)]
    assert table.values.tolist() == [["␣고양이", "5, 6", 2], ["!", "7", 1]]


def test_characters_per_token_are_written_with_two_decimals():
    counts = [tokens.CharsVsTokens("en", "The cat sat", 23, 7)]
    styled = tables.comparison_table(counts, "en")
    assert styled.data.iloc[0].tolist()[:3] == ["en", 23, 7]
    assert "3.29" in styled.to_html() and "3.2857" not in styled.to_html()


def test_the_pairs_table_shows_context_and_target_with_spaces_visible():
    pairs = tokens.training_pairs([TokenPiece("The", [1]), TokenPiece(" cat", [2])])
    table = tables.pairs_table(pairs, "ko")
    assert list(table.columns) == [t("lab.pairs.context", "ko"), t("lab.pairs.target", "ko")]
    assert table.values.tolist() == [["The", "␣cat"]]


def test_the_ladder_table_keeps_the_rows_in_order():
    rows = [tokenizer.LadderRow("100", 9, "▁a | b"), tokenizer.LadderRow("the model", 3, "a | b")]
    table = tables.ladder_table(rows, "en")
    assert list(table.iloc[:, 0]) == ["100", "the model"] and list(table.iloc[:, 1]) == [9, 3]
