"""What the Classifiers page says about results (tutor.classify.wording), in both languages."""
from __future__ import annotations

import numpy as np
import pytest

from tutor.classify import sentiment, songs, wording
from tutor.i18n import t, t_list

LANGS = ("en", "ko")


def _tr(key: str, lang: str, **fmt) -> str:
    return t(f"classifiers.{key}", lang, **fmt)


def test_percent_rounds_a_share_to_whole_percent_and_counts_get_separators():
    assert wording.percent(0.974) == "97%" and wording.percent(1.0) == "100%" and wording.percent(0) == "0%"
    assert wording.accuracy_value(None) == "—" and wording.accuracy_value(0.5) == "50%"
    assert wording.count(150528) == "150,528" and wording.count(64) == "64"
    assert wording.error_value(None) == "—" and wording.error_value(0.12345) == "0.123"


@pytest.mark.parametrize("lang", LANGS)
def test_a_table_problem_names_its_row_and_the_column_as_the_table_calls_it(lang):
    problem = songs.TableProblem("empty_cell", row=3, column="energy")
    text = wording.problem_text(problem, lang)
    assert text == _tr("songs.problems.empty_cell", lang, row=3, column=_tr("songs.table.energy", lang), value="")
    assert _tr("songs.table.energy", lang) in text and "3" in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_problems_message_lists_the_first_six_under_its_header(lang):
    problems = [songs.TableProblem("empty_cell", row=i, column="tempo") for i in range(1, 10)]
    message = wording.problems_message(problems, lang)
    header, _, items = message.partition("\n\n")
    assert header == _tr("songs.problems.header", lang)
    assert items.splitlines() == [f"- {wording.problem_text(p, lang)}" for p in problems[:6]]


def test_the_new_songs_answer_names_its_genre_and_every_genres_probability():
    prediction = songs.SongPrediction("rnb", {"reggaeton": 0.03, "rnb": 0.97}, -1.2)
    assert wording.song_answer(prediction, "en") == _tr("songs.new.result", "en", genre="R&B", prob="97%")
    assert wording.probabilities_line(prediction.probabilities, "en") == "Reggaeton 3% · R&B 97%"


@pytest.mark.parametrize("lang", LANGS)
def test_the_distance_text_says_how_far_and_on_which_genres_side(lang):
    text = wording.distance_text(-1.234, ("reggaeton", "rnb"), lang)
    assert text == _tr("songs.distance.value", lang, distance="1.23", side=t("classifiers.genres.reggaeton", lang))


def _fit(train: float, test: float | None, kind: str) -> songs.SongFit:
    return songs.SongFit(kind, {}, None, songs.GENRES, train, test, 20, 0 if test is None else 6)


@pytest.mark.parametrize("lang", LANGS)
def test_the_accuracy_note_warns_of_overfitting_and_otherwise_explains(lang):
    overfit = wording.accuracy_note(_fit(1.0, 0.5, "logistic"), lang)
    assert overfit.warn and overfit.text == _tr("songs.accuracy.overfit", lang, gap="50%")
    no_test = wording.accuracy_note(_fit(1.0, None, "tree"), lang)
    assert not no_test.warn and no_test.text == _tr("songs.accuracy.no_test", lang)
    tree = wording.accuracy_note(_fit(1.0, 0.9, "tree"), lang)
    assert not tree.warn and tree.text == _tr("songs.accuracy.tree_notice", lang)
    assert wording.accuracy_note(_fit(1.0, 0.9, "knn"), lang) is None


def test_blank_rows_and_the_regression_answer_read_as_the_page_shows_them():
    assert wording.blank_rows_text([21, 22], "en") == _tr("songs.problems.blank_rows", "en", rows="21, 22")
    assert wording.energy_answer(70.4, 0.4567, "en") == _tr("songs.regression.result", "en", tempo="70", energy="0.46")


def test_the_confusion_notice_names_the_commonest_mistake_or_says_there_were_none():
    assert wording.confusion_notice(np.eye(10, dtype=int) * 4, "en") == _tr("pixels.train.no_mistakes", "en")
    confusion = np.eye(10, dtype=int) * 4
    confusion[8, 1], confusion[3, 5] = 6, 1
    assert wording.confusion_notice(confusion, "ko") == _tr("pixels.train.confusion_notice", "ko", true=8,
                                                            predicted=1, count=6)


def test_an_example_with_a_bar_fills_both_sentence_boxes_and_others_clear_the_second():
    examples = t_list("classifiers.sentiment.examples", "en")
    word_order = next(i for i, e in enumerate(examples) if " | " in e)
    assert wording.example_sentences(word_order, "en") == ("Dog bites man.", "Man bites dog.")
    assert wording.example_sentences(2, "en") == ("The food was not good.", "")


@pytest.mark.parametrize("lang", LANGS)
def test_the_sentiment_verdict_gives_the_surety_of_the_answer_given(lang):
    model = sentiment.train_sentiment(lang)
    result = sentiment.score_sentence(model, {"en": "The room was dirty and terrible.", "ko": "방이 더럽고 최악이었어요."}[lang])
    assert result.label == "neg"
    sure = wording.percent(1 - result.probability_positive)
    assert wording.sentiment_verdict(result, lang) == f"{_tr('sentiment.labels.neg', lang)} · {sure}"
    assert wording.score_line(result, lang) == _tr("sentiment.score_line", lang, score=f"{result.score:+.2f}",
                                                   prob=wording.percent(result.probability_positive))


def test_learned_words_are_a_table_with_headings_in_the_learners_language():
    table = wording.learned_words([("great", 1.5), ("good", 1.2)], "ko")
    assert list(table.columns) == [_tr("sentiment.learned.word", "ko"), _tr("sentiment.learned.weight", "ko")]
    assert table.iloc[0].tolist() == ["great", 1.5]
