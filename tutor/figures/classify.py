"""Figures for lessons 2–5: the song scatter, a curved boundary, a digit's pixels, a sentence's words."""
from __future__ import annotations

from tutor.classify import charts, pixels, sentiment, songs
from tutor.figures import Figure, figure
from tutor.i18n import t

PIXEL_FIGURE_DIGIT = 0  # the first bundled digit, a clear "0"


@figure("song-scatter")
def song_scatter(lang: str) -> Figure:
    """Lesson 2: the 20 default songs and the line logistic regression learns from them."""
    table = songs.make_songs()
    fit, _, _ = songs.train_songs(table, "logistic", test_share=0)
    tempo_range, energy_range = songs.chart_ranges(table)
    grid = songs.boundary_grid(fit.model, tempo_range, energy_range, steps=40)
    chart = charts.song_chart(table, lang, grid=grid, line=songs.line_points(fit.model, tempo_range),
                              tempo_range=tempo_range, height=320)
    return Figure("altair", chart, t("classifiers.fig.song_scatter.caption", lang))


@figure("curved-boundary")
def curved_boundary(lang: str) -> Figure:
    """Lesson 3: songs that only a curved boundary separates, with an RBF SVM's boundary."""
    table = songs.curved_songs()
    fit, _, _ = songs.train_songs(table, "svm", test_share=0)
    tempo_range, energy_range = songs.chart_ranges(table)
    grid = songs.boundary_grid(fit.model, tempo_range, energy_range, steps=40)
    chart = charts.song_chart(table, lang, grid=grid, tempo_range=tempo_range, height=320)
    return Figure("altair", chart, t("classifiers.fig.curved.caption", lang))


@figure("pixel-grid")
def pixel_grid(lang: str) -> Figure:
    """Lesson 4: one handwritten digit as an 8×8 grid with its numbers printed in the cells."""
    grid, label = pixels.digit_grid(PIXEL_FIGURE_DIGIT)
    return Figure("altair", charts.number_grid_chart(grid, lang), t("classifiers.fig.pixel_grid.caption", lang, label=label))


@figure("word-contributions")
def word_contributions(lang: str) -> Figure:
    """Lesson 5: each word's share of a sentence's score — on a negated sentence the model gets wrong."""
    sentence = t("classifiers.fig.words.sentence", lang)
    result = sentiment.score_sentence(sentiment.train_sentiment(lang), sentence)
    if result is None:
        raise ValueError("classifiers.fig.words.sentence must not be empty")
    return Figure("altair", charts.contributions_chart(result, lang),
                  t("classifiers.fig.words.caption", lang, sentence=sentence))
