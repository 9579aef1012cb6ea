"""The bag-of-words sentiment model: right on plain sentences, wrong where counting words must fail."""
from __future__ import annotations

import math

import pytest

from tutor.classify import sentiment


def _label(lang: str, text: str) -> str:
    result = sentiment.score_sentence(sentiment.train_sentiment(lang), text)
    assert result is not None
    return result.label


@pytest.mark.parametrize(
    "lang,text,expected",
    [
        ("en", "The food was great and the staff were friendly.", "pos"),
        ("en", "The room was dirty and the service was terrible.", "neg"),
        ("en", "What a lovely day.", "pos"),
        ("en", "The hotel was awful.", "neg"),
        ("ko", "음식이 정말 맛있고 직원들도 친절했어요.", "pos"),
        ("ko", "방이 더럽고 서비스도 최악이었어요.", "neg"),
        ("ko", "정말 좋았어요.", "pos"),
        ("ko", "정말 별로였어요.", "neg"),
    ],
)
def test_plain_sentences_get_the_right_sentiment(lang, text, expected):
    assert _label(lang, text) == expected


@pytest.mark.parametrize(
    "lang,text,meant",
    [
        ("en", "The food was not good.", "neg"),
        ("en", "The movie was not bad.", "pos"),
        ("ko", "서비스가 안 좋았어요.", "neg"),
    ],
)
def test_negation_fools_the_bag_of_words(lang, text, meant):
    assert _label(lang, text) != meant


@pytest.mark.parametrize("lang,text", [("en", "That was a great fall."), ("ko", "참 멋지게 넘어졌네요.")])
def test_sarcasm_fools_the_bag_of_words(lang, text):
    # Said to someone who just tripped, both sentences are negative; the model hears praise.
    assert _label(lang, text) == "pos"


@pytest.mark.parametrize(
    "lang,first,second",
    [
        ("en", "Dog bites man.", "Man bites dog."),
        ("en", "It started great but ended boring.", "It started boring but ended great."),
        ("ko", "처음엔 최고, 끝은 최악", "처음엔 최악, 끝은 최고"),
    ],
)
def test_word_order_does_not_change_the_score(lang, first, second):
    model = sentiment.train_sentiment(lang)
    assert sentiment.score_sentence(model, first).score == pytest.approx(sentiment.score_sentence(model, second).score)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_score_is_the_starting_value_plus_each_word_and_probability_its_logistic(lang):
    model = sentiment.train_sentiment(lang)
    result = sentiment.score_sentence(model, "The concert was amazing, the concert! 콘서트는 최고였어요")
    assert result.score == pytest.approx(model.bias + sum(c.weight for c in result.contributions))
    assert result.probability_positive == pytest.approx(1 / (1 + math.exp(-result.score)))
    repeated = [c for c in result.contributions if c.word == "concert"]
    assert len(repeated) in (0, 2) and (not repeated or repeated[1].weight == 0.0)


def test_unknown_words_add_nothing():
    result = sentiment.score_sentence(sentiment.train_sentiment("en"), "zyxxy qworp")
    assert [c.known for c in result.contributions] == [False, False]
    assert result.score == pytest.approx(sentiment.train_sentiment("en").bias)
    assert result.unknown_share == 1.0


@pytest.mark.parametrize("text", ["", "   ", "?!... —"])
def test_an_empty_sentence_gives_no_result(text):
    assert sentiment.score_sentence(sentiment.train_sentiment("en"), text) is None


def test_words_are_lowercased_and_stripped_of_punctuation():
    assert sentiment.words("Great, GREAT movie!! “정말” 좋았어요.") == ["great", "great", "movie", "정말", "좋았어요"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_course_sentences_are_a_few_hundred_balanced_and_unique(lang):
    examples = sentiment.load_examples(lang)
    assert 200 <= len(examples) <= 600
    positive = sum(e.label == "pos" for e in examples)
    assert abs(positive - (len(examples) - positive)) <= 0.1 * len(examples)
    assert len({e.text for e in examples}) == len(examples)


def test_a_malformed_sentence_file_names_the_file_and_line(tmp_path):
    (tmp_path / "en.tsv").write_text("# comment\npos\tFine.\nmaybe\tHmm.\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"en\.tsv:3"):
        sentiment.load_examples("en", tmp_path)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_strongest_words_point_the_right_way(lang):
    positive, negative = sentiment.strongest_words(sentiment.train_sentiment(lang), 5)
    assert all(w > 0 for _, w in positive) and all(w < 0 for _, w in negative)


@pytest.mark.parametrize("text", ["좋아", "좋아요", "정말 좋아.", "최고야"])
def test_everyday_korean_praise_is_known_and_positive(text):
    result = sentiment.score_sentence(sentiment.train_sentiment("ko"), text)
    assert result.unknown_share < 0.5 and result.label == "pos"


def test_a_learners_korean_double_negation_is_read_from_known_words_not_guessed():
    # "안 좋지 않아" (not not good): every word is known now, so the answer is the bag of words'
    # own mistake to look at, not "mostly guessing" over unknown words.
    result = sentiment.score_sentence(sentiment.train_sentiment("ko"), "안 좋지 않아")
    assert result.unknown_share < 0.5


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_contributions_chart_gives_every_row_its_own_height(lang):
    from tutor.classify.charts import ROW_STEP, contributions_chart

    chart = contributions_chart(sentiment.score_sentence(sentiment.train_sentiment(lang), "bad"), lang).to_dict()
    assert chart["height"] == {"step": ROW_STEP}
    # Below the bars, one entry a line: side by side the Korean entries ran past a half-width column.
    assert chart["encoding"]["color"]["legend"] == {"orient": "bottom", "direction": "vertical"}


def test_confidence_is_the_probability_of_the_label_given_and_mostly_unknown_means_half_new():
    model = sentiment.train_sentiment("en")
    positive = sentiment.score_sentence(model, "The food was great and the staff were friendly.")
    negative = sentiment.score_sentence(model, "The room was dirty and the service was terrible.")
    assert positive.confidence == positive.probability_positive > 0.5
    assert negative.confidence == pytest.approx(1 - negative.probability_positive) and negative.confidence > 0.5
    half = sentiment.score_sentence(model, "great zorblax")
    assert half.unknown_share == 0.5 and half.mostly_unknown  # half the words new: mostly a guess
    third = sentiment.score_sentence(model, "great food zorblax")
    assert third.unknown_share < 0.5 and not third.mostly_unknown
    assert not positive.mostly_unknown
