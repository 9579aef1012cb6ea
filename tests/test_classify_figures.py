"""The lesson figures of tutor/figures/classify.py build in both languages and show what they claim."""
from __future__ import annotations

import pytest

from tutor.classify import sentiment
from tutor.figures import build
from tutor.i18n import t

CLASSIFY_FIGURES = ("song-scatter", "curved-boundary", "pixel-grid", "word-contributions")


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", CLASSIFY_FIGURES)
def test_each_classifier_figure_is_an_altair_chart_with_a_caption(name, lang):
    fig = build(name, lang)
    assert fig.kind == "altair"
    assert fig.caption and "{" not in fig.caption
    spec = fig.spec.to_dict()
    assert spec.get("layer") or spec.get("mark")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_song_scatter_draws_twenty_songs_and_a_line(lang):
    layers = build("song-scatter", lang).spec.to_dict()["layer"]
    marks = [layer["mark"]["type"] for layer in layers]
    assert marks[:3] == ["rect", "line", "point"]
    datasets = build("song-scatter", lang).spec.to_dict()["datasets"]
    assert 20 in {len(rows) for rows in datasets.values()}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_word_contributions_figure_shows_the_negation_the_model_gets_wrong(lang):
    sentence = t("classifiers.fig.words.sentence", lang)
    result = sentiment.score_sentence(sentiment.train_sentiment(lang), sentence)
    assert result.label == "pos"  # the caption says the model calls this negated sentence positive
    rows = next(iter(build("word-contributions", lang).spec.to_dict()["datasets"].values()))
    assert len(rows) == len(result.contributions) + 1  # every word plus the starting value
