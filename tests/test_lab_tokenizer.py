"""tutor.lab.tokenizer: training a sentencepiece tokenizer on the course, and the vocabulary ladder."""
from __future__ import annotations

import pytest

from tutor.lab import tokenizer
from tutor.lessons import course
from tutor.llm.base import TokenPiece


@pytest.fixture(scope="module")
def course_text() -> list[str]:
    return tokenizer.course_sentences([x for code in ("en", "ko") for x in course().in_language(code)])


def test_course_text_has_both_languages_and_no_markdown(course_text):
    joined = "\n".join(course_text)
    assert any("\uac00" <= ch <= "\ud7a3" for ch in joined), "Korean lesson text"
    assert "the" in joined.lower()
    assert "**" not in joined and "](" not in joined


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
@pytest.mark.parametrize("size", [500, 2000])
def test_tokenizer_trained_on_the_lessons_has_the_asked_size_and_rebuilds_the_text(course_text, model_type, size):
    import sentencepiece as spm

    built = tokenizer.train_tokenizer(course_text, size, model_type)
    processor = spm.SentencePieceProcessor(model_proto=built.model_proto)
    assert processor.GetPieceSize() == built.vocab_size
    if not built.shrunk:
        assert built.vocab_size == size
    sentence = "The model predicts the next token."
    pieces = built.split(sentence)
    assert "".join(pieces).replace("▁", " ").strip() == sentence


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_a_bigger_vocabulary_splits_a_sentence_into_fewer_pieces(course_text, model_type):
    sentence = "A language model predicts the next token. 언어 모델은 다음 토큰을 예측합니다."
    counts = [len(tokenizer.train_tokenizer(course_text, size, model_type).split(sentence)) for size in (300, 1000, 3000)]
    assert counts[0] > counts[2] and counts == sorted(counts, reverse=True)


def test_a_vocabulary_too_small_for_every_character_keeps_the_common_ones(course_text):
    built = tokenizer.train_tokenizer(course_text, 100, "bpe")
    assert built.vocab_size == 100 and built.left_out_chars > 0
    pieces = built.split("the 고양이 🦄")
    assert tokenizer.UNKNOWN_PIECE in pieces  # the emoji (and rare syllables) have no piece
    assert "t" in "".join(pieces)


def test_a_run_of_characters_the_vocabulary_lacks_is_one_unknown_piece_that_names_them(course_text):
    built = tokenizer.train_tokenizer(course_text, 100, "bpe")
    pieces = built.pieces("the 🦄🐙 cat")
    assert [p.text for p in pieces] == built.split("the 🦄🐙 cat")
    unknown = [p for p in pieces if p.unknown]
    assert [p.surface for p in unknown] == ["🦄🐙"]  # two characters, one piece
    assert unknown[0].shown == "⁇(🦄🐙)" and pieces[0].shown == pieces[0].text


def test_the_ladder_rises_where_a_run_of_unknown_characters_gets_pieces_and_says_which(course_text):
    """The tokenizer ladder's count went up from 100 to 300 (37 -> 38) although the page promises
    fewer pieces: at 100 two neighbouring characters the vocabulary lacks are one ⁇ together; at
    300 one of them has a piece, so they are two. Here the sentence is made of such characters."""
    small, large = (tokenizer.train_tokenizer(course_text, size, "bpe") for size in (100, 300))
    # Characters the small vocabulary left out (they become ⁇) but the larger one kept.
    lacked = [ch for ch in tokenizer._characters_by_frequency(course_text)
              if "가" <= ch <= "힣" and small.split(ch) == ["▁", tokenizer.UNKNOWN_PIECE] and tokenizer.UNKNOWN_PIECE not in large.split(ch)]
    run = "".join(lacked[:2])
    sentence = f"the {run} cat"
    rungs = [(100, small.pieces(sentence)), (300, large.pieces(sentence))]
    assert len(rungs[1][1]) > len(rungs[0][1])  # more pieces with the larger vocabulary
    assert tokenizer.ladder_rises(rungs) == [tokenizer.LadderRise(100, 300, len(rungs[0][1]), len(rungs[1][1]), (run,))]


def _piece(text: str, start: int, end: int, surface: str | None = None) -> tokenizer.SplitPiece:
    return tokenizer.SplitPiece(text, text if surface is None else surface, start, end)


def test_a_ladder_that_falls_has_no_rise_and_a_rise_without_unknown_runs_names_none():
    short = [_piece("▁cat", 0, 4)]
    long = [_piece("▁c", 0, 2), _piece("at", 2, 4)]
    assert tokenizer.ladder_rises([(100, long), (300, short)]) == []
    assert tokenizer.ladder_rises([(100, short), (300, short)]) == []
    # More pieces, but no ⁇ was split: the larger vocabulary only chose other pieces.
    assert tokenizer.ladder_rises([(1000, short), (3000, long)]) == [tokenizer.LadderRise(1000, 3000, 1, 2, ())]
    # A ⁇ of two characters that the larger vocabulary still writes as one ⁇ explains nothing.
    lost = [_piece(tokenizer.UNKNOWN_PIECE, 0, 6, "앉았")]
    assert tokenizer.ladder_rises([(100, lost), (300, lost + [_piece(".", 6, 7)])])[0].unknown_runs == ()


def test_a_vocabulary_larger_than_the_text_allows_is_shrunk_and_says_so():
    few = ["the cat sat on the mat", "a dog lay on the rug", "고양이가 매트 위에 앉았다"] * 3
    built = tokenizer.train_tokenizer(few, 2000, "bpe")
    assert built.shrunk and built.requested_size == 2000 and built.vocab_size < 2000
    assert built.split("the cat") == ["▁the", "▁cat"]


@pytest.mark.parametrize("size", [50, 9000, 1000.5, "2000", None])
def test_a_vocabulary_size_out_of_range_is_refused_clearly(size):
    with pytest.raises(tokenizer.TokenizerTrainingError) as err:
        tokenizer.train_tokenizer(["some text"], size, "bpe")
    assert err.value.code == "bad_size"


def test_no_text_or_an_unknown_method_is_refused_clearly():
    with pytest.raises(tokenizer.TokenizerTrainingError) as err:
        tokenizer.train_tokenizer(["  ", ""], 500, "bpe")
    assert err.value.code == "no_text"
    with pytest.raises(tokenizer.TokenizerTrainingError) as err:
        tokenizer.train_tokenizer(["text"], 500, "wordpiece")
    assert err.value.code == "bad_type"


def test_the_ladder_table_has_a_row_per_size_and_the_real_models_row_last(course_text):
    sentence = "The cat sat."
    ladder = [tokenizer.train_tokenizer(course_text, size) for size in (300, 1000)]
    rungs = tokenizer.ladder_rungs(ladder, sentence)
    assert [size for size, _ in rungs] == [300, 1000]
    rows = tokenizer.ladder_rows(rungs)
    assert [row.label for row in rows] == ["300", "1,000"]
    assert [row.count for row in rows] == [len(pieces) for _, pieces in rungs]
    assert rows[0].split == " | ".join(p.shown for p in rungs[0][1])
    real = tokenizer.real_model_row("the model", [TokenPiece("The", [1]), TokenPiece(" cat", [2]), TokenPiece(" sat.", [3])])
    assert real == tokenizer.LadderRow("the model", 3, "The | ␣cat | ␣sat.")
