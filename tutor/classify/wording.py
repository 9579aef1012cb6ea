"""The sentences and numbers the Classifiers page shows, built from the experiments' results.

Each function turns a result (a table problem, a prediction, a fit, a sentence score) into the
words the learner reads, in their language; pages/classifiers.py only decides where they go.
No Streamlit here, so every sentence can be checked in a unit test.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tutor.classify import pixels, sentiment, songs
from tutor.classify.charts import genre_name
from tutor.i18n import t, t_list

PROBLEMS_SHOWN = 6  # a table with more problems than this lists the first ones: fixing them comes first


def _tr(key: str, lang: str, **fmt: object) -> str:
    return t(f"classifiers.{key}", lang, **fmt)


def percent(share: float) -> str:
    """A share from 0 to 1 the way the page shows it: 0.974 -> "97%"."""
    return f"{share:.0%}"


def accuracy_value(share: float | None) -> str:
    """An accuracy as a metric shows it; "—" when there is none (no songs held back for a test)."""
    return "—" if share is None else percent(share)


def count(n: int) -> str:
    """A count of numbers with thousands separators, so a big one reads as big: 150528 -> "150,528"."""
    return f"{n:,}"


# --- Songs ------------------------------------------------------------------------------------


def problem_text(problem: songs.TableProblem, lang: str) -> str:
    """One thing to fix in the song table, as a sentence (the column named as the table names it)."""
    column = _tr(f"songs.table.{problem.column}", lang) if problem.column else ""
    return _tr(f"songs.problems.{problem.code}", lang, row=problem.row or "", column=column, value=problem.value)


def problems_message(problems: list[songs.TableProblem], lang: str) -> str:
    """The error box for a table the model cannot learn from: a header, then the first problems as a list."""
    lines = "\n".join(f"- {problem_text(p, lang)}" for p in problems[:PROBLEMS_SHOWN])
    return _tr("songs.problems.header", lang) + "\n\n" + lines


def blank_rows_text(rows: list[int], lang: str) -> str:
    """The note about rows just added and still empty (songs.blank_rows): the model leaves them out."""
    return _tr("songs.problems.blank_rows", lang, rows=", ".join(map(str, rows)))


def song_answer(prediction: songs.SongPrediction, lang: str) -> str:
    """The model's genre for the new song and its probability: "The model says: R&B, with 97% probability"."""
    prob = percent(prediction.probabilities[prediction.genre])
    return _tr("songs.new.result", lang, genre=genre_name(prediction.genre, lang), prob=prob)


def probabilities_line(probabilities: dict[str, float], lang: str) -> str:
    """Every genre with the model's probability for it: "Reggaeton 3% · R&B 97%"."""
    return " · ".join(f"{genre_name(g, lang)} {percent(p)}" for g, p in probabilities.items())


def distance_text(distance: float, genres: tuple[str, ...], lang: str) -> str:
    """How far a new song lies from the line, and on which genre's side."""
    side = genre_name(songs.side_of_line(genres, distance), lang)
    return _tr("songs.distance.value", lang, distance=f"{abs(distance):.2f}", side=side)


@dataclass(frozen=True)
class Note:
    """A sentence under the accuracies; `warn` when it is a warning (overfitting), not a remark."""

    text: str
    warn: bool = False


def accuracy_note(fit: songs.SongFit, lang: str) -> Note | None:
    """What the page says about training against test accuracy: why there is no test accuracy,
    that the model overfits (songs.overfitting_gap), what to try with a tree, or nothing."""
    if fit.test_accuracy is None:
        return Note(_tr("songs.accuracy.no_test", lang))
    gap = songs.overfitting_gap(fit)
    if gap is not None:
        return Note(_tr("songs.accuracy.overfit", lang, gap=percent(gap)), warn=True)
    if fit.kind == "tree":
        return Note(_tr("songs.accuracy.tree_notice", lang))
    return None


def energy_answer(tempo: float, energy: float, lang: str) -> str:
    """The regression's answer: the energy it expects for a song of this tempo."""
    return _tr("songs.regression.result", lang, tempo=f"{tempo:.0f}", energy=f"{energy:.2f}")


def error_value(error: float | None) -> str:
    """A mean absolute error in energy units as a metric shows it; "—" when there is no test part."""
    return "—" if error is None else f"{error:.3f}"


# --- Pixels -----------------------------------------------------------------------------------


def confusion_notice(confusion: np.ndarray, lang: str) -> str:
    """How to read the confusion table, naming the model's most common mistake (if it made any)."""
    worst = pixels.most_confused(confusion)
    if worst is None:
        return _tr("pixels.train.no_mistakes", lang)
    true, predicted, times = worst
    return _tr("pixels.train.confusion_notice", lang, true=true, predicted=predicted, count=times)


# --- Sentiment --------------------------------------------------------------------------------


def example_sentences(choice: int, lang: str) -> tuple[str, str]:
    """The example picked from the pills: (sentence, sentence to compare with, or "" for none).

    An example written "Dog bites man. | Man bites dog." fills both boxes."""
    first, _, second = t_list("classifiers.sentiment.examples", lang)[choice].partition(" | ")
    return first, second


def sentiment_verdict(result: sentiment.SentimentResult, lang: str) -> str:
    """The model's answer and how sure it is of that answer: "Positive · 88%"."""
    return f"{_tr(f'sentiment.labels.{result.label}', lang)} · {percent(result.confidence)}"


def score_line(result: sentiment.SentimentResult, lang: str) -> str:
    """The sum behind the answer: the score and the probability of "positive" it gives."""
    return _tr("sentiment.score_line", lang, score=f"{result.score:+.2f}", prob=percent(result.probability_positive))


def learned_words(weights: list[tuple[str, float]], lang: str) -> pd.DataFrame:
    """Words the model learned and their weights, as a table with headings in the learner's language."""
    return pd.DataFrame(weights, columns=[_tr("sentiment.learned.word", lang), _tr("sentiment.learned.weight", lang)])
