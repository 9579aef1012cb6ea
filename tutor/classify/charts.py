"""Altair charts for the classifier panels and the lesson figures (data in, chart out; no Streamlit)."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from tutor.classify.pixels import ImageNumbers
from tutor.classify.sentiment import SentimentResult
from tutor.classify.songs import ALL_GENRES, Grid
from tutor.i18n import t

GENRE_COLOURS = {"reggaeton": "#e4572e", "rnb": "#2e86ab", "kpop": "#8e44ad"}
POSITIVE, NEGATIVE, UNKNOWN = "#2a9d8f", "#e76f51", "#b0b0b0"


def genre_name(genre: str, lang: str) -> str:
    """A genre code ("rnb") as the learner reads it ("R&B")."""
    return t(f"classifiers.genres.{genre}", lang)


def _genre_scale(genres: list[str], lang: str) -> alt.Scale:
    shown = [g for g in ALL_GENRES if g in genres]
    return alt.Scale(domain=[genre_name(g, lang) for g in shown], range=[GENRE_COLOURS[g] for g in shown])


def _with_names(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    named = frame.copy()
    names = {g: genre_name(g, lang) for g in ALL_GENRES}
    named["name"] = named["genre"].map(names)
    return named


def song_chart(songs: pd.DataFrame, lang: str, grid: Grid | None = None, line: pd.DataFrame | None = None,
               new_song: tuple[float, float] | None = None, test_songs: pd.DataFrame | None = None,
               tempo_range: tuple[float, float] | None = None, height: int = 360) -> alt.LayerChart:
    """Songs as dots on tempo × energy, over the model's shaded answer, with its line and a new song.

    The background's colour is the genre the model would answer there; its strength is how sure it is.
    """
    genres = sorted(set(songs["genre"]) | (set(np.unique(grid.genre)) if grid is not None else set()))
    colour_scale = _genre_scale(genres, lang)
    genre_title = t("classifiers.chart.genre", lang)
    lo, hi = tempo_range or (float(songs["tempo"].min()) - 5, float(songs["tempo"].max()) + 5)
    x = alt.X("tempo:Q", title=t("classifiers.chart.tempo", lang), scale=alt.Scale(domain=[lo, hi], nice=False))
    y = alt.Y("energy:Q", title=t("classifiers.chart.energy", lang), scale=alt.Scale(domain=[0, 1]))
    layers: list[alt.Chart] = []
    if grid is not None:
        cells = _with_names(grid.rows(), lang)
        half_t = (grid.tempo[1] - grid.tempo[0]) / 2 if len(grid.tempo) > 1 else 1.0
        half_e = (grid.energy[1] - grid.energy[0]) / 2 if len(grid.energy) > 1 else 0.01
        cells["t0"], cells["t1"] = cells["tempo"] - half_t, cells["tempo"] + half_t
        cells["e0"], cells["e1"] = cells["energy"] - half_e, cells["energy"] + half_e
        # A 50% guess (two genres) shows almost no colour; a sure answer shows the most.
        cells["shade"] = (cells["confidence"] - 1.0 / max(len(genres), 2)).clip(lower=0)
        layers.append(
            alt.Chart(cells).mark_rect(clip=True).encode(
                x=alt.X("t0:Q", scale=alt.Scale(domain=[lo, hi], nice=False), title=t("classifiers.chart.tempo", lang)),
                x2="t1:Q", y=alt.Y("e0:Q", scale=alt.Scale(domain=[0, 1]), title=t("classifiers.chart.energy", lang)),
                y2="e1:Q",
                color=alt.Color("name:N", scale=colour_scale, title=genre_title),
                opacity=alt.Opacity("shade:Q", scale=alt.Scale(domain=[0, 0.5], range=[0.03, 0.45]), legend=None),
            )
        )
    if line is not None:
        layers.append(alt.Chart(line).mark_line(color="#222222", strokeWidth=2, clip=True).encode(x=x, y=y))
    points = _with_names(songs, lang)
    points["part"] = t("classifiers.chart.train_song", lang)
    if test_songs is not None and len(test_songs):
        held = _with_names(test_songs, lang)
        held["part"] = t("classifiers.chart.test_song", lang)
        points = pd.concat([points, held], ignore_index=True)
    layers.append(
        alt.Chart(points).mark_point(filled=True, size=90, stroke="#222222", strokeWidth=0.8, opacity=0.95).encode(
            x=x, y=y,
            color=alt.Color("name:N", scale=colour_scale, title=genre_title),
            shape=alt.Shape("part:N", title=t("classifiers.chart.part", lang),
                            scale=alt.Scale(domain=[t("classifiers.chart.train_song", lang),
                                                    t("classifiers.chart.test_song", lang)],
                                            range=["circle", "triangle-up"])),
            tooltip=[alt.Tooltip("tempo:Q", title=t("classifiers.chart.tempo", lang)),
                     alt.Tooltip("energy:Q", title=t("classifiers.chart.energy", lang)),
                     alt.Tooltip("name:N", title=genre_title)],
        )
    )
    if new_song is not None:
        star = pd.DataFrame({"tempo": [new_song[0]], "energy": [new_song[1]],
                             "label": [t("classifiers.chart.new_song", lang)]})
        layers.append(alt.Chart(star).mark_point(shape="diamond", size=260, filled=True, color="#ffd400",
                                                 stroke="#222222", strokeWidth=1.5).encode(x=x, y=y, tooltip="label:N"))
    return alt.layer(*layers).properties(height=height)


def energy_chart(songs: pd.DataFrame, curve_tempo: np.ndarray, curve_energy: np.ndarray, lang: str,
                 new_tempo: float | None = None, new_energy: float | None = None, height: int = 320) -> alt.LayerChart:
    """Regression: songs as (tempo, energy) dots and the model's predicted energy as a curve."""
    lo, hi = float(curve_tempo.min()), float(curve_tempo.max())
    x = alt.X("tempo:Q", title=t("classifiers.chart.tempo", lang), scale=alt.Scale(domain=[lo, hi], nice=False))
    y = alt.Y("energy:Q", title=t("classifiers.chart.energy", lang), scale=alt.Scale(domain=[0, 1]))
    dots = alt.Chart(songs[["tempo", "energy"]]).mark_circle(size=70, color="#555555", opacity=0.8).encode(x=x, y=y)
    curve = pd.DataFrame({"tempo": curve_tempo, "energy": np.clip(curve_energy, -0.2, 1.2)})
    line = alt.Chart(curve).mark_line(color="#e4572e", strokeWidth=3, clip=True).encode(x=x, y=y)
    layers = [dots, line]
    if new_tempo is not None and new_energy is not None:
        star = pd.DataFrame({"tempo": [new_tempo], "energy": [float(np.clip(new_energy, 0, 1))]})
        layers.append(alt.Chart(star).mark_point(shape="diamond", size=260, filled=True, color="#ffd400",
                                                 stroke="#222222").encode(x=x, y=y))
    return alt.layer(*layers).properties(height=height)


def confidence_chart(distances: np.ndarray, confidence: np.ndarray, lang: str,
                     marker: float | None = None, height: int = 180) -> alt.LayerChart:
    """How sure the line is, as a song moves away from it."""
    data = pd.DataFrame({"distance": distances, "confidence": confidence})
    x = alt.X("distance:Q", title=t("classifiers.chart.distance", lang))
    y = alt.Y("confidence:Q", title=t("classifiers.chart.confidence", lang), scale=alt.Scale(domain=[0.5, 1]),
              axis=alt.Axis(format="%"))
    layers = [alt.Chart(data).mark_line(color="#2e86ab", strokeWidth=3).encode(x=x, y=y)]
    if marker is not None:
        idx = int(np.abs(distances - abs(marker)).argmin())
        point = pd.DataFrame({"distance": [abs(marker)], "confidence": [confidence[idx]]})
        layers.append(alt.Chart(point).mark_point(shape="diamond", size=200, filled=True, color="#ffd400",
                                                  stroke="#222222").encode(x=x, y=y))
    return alt.layer(*layers).properties(height=height)


def number_grid_chart(values: np.ndarray, lang: str, colours: np.ndarray | None = None,
                      max_value: float = 16, show_numbers: bool = True, cell: int = 34) -> alt.LayerChart:
    """An image as a grid of cells, each with its number printed in it.

    `values` is (rows, columns). Without `colours`, cells are grey by value (0 = white, max = black),
    like ink on paper; with `colours` (rows, columns, 3 RGB), each cell is painted its real colour.
    """
    rows, cols = values.shape
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    data = pd.DataFrame({"row": r.ravel(), "col": c.ravel(), "value": values.ravel().astype(int)})
    if colours is not None:
        flat = colours.reshape(-1, 3).astype(int)
        data["fill"] = [f"#{a:02x}{b:02x}{d:02x}" for a, b, d in flat]
        data["dark"] = (flat @ np.array([0.299, 0.587, 0.114])) < 128
        fill = alt.Color("fill:N", scale=None)
    else:
        data["dark"] = data["value"] > max_value / 2
        fill = alt.Color("value:Q", scale=alt.Scale(domain=[0, max_value], range=["#ffffff", "#111111"]), legend=None)
    base = alt.Chart(data).encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None),
    )
    layers = [base.mark_rect(stroke="#dddddd", strokeWidth=0.5).encode(
        color=fill, tooltip=[alt.Tooltip("value:Q", title=t("classifiers.chart.value", lang))])]
    if show_numbers:
        layers.append(base.mark_text(fontSize=max(8, cell // 3)).encode(
            text="value:Q",
            color=alt.condition("datum.dark", alt.value("#ffffff"), alt.value("#222222")),
        ))
    return alt.layer(*layers).properties(width=cols * cell, height=rows * cell)


NUMBERED_SIDE = 16  # a shrunk picture up to this many cells a side has its numbers printed in them


def picture_chart(picture: ImageNumbers, channel: int, side: int, lang: str) -> alt.LayerChart:
    """One colour channel (0 red, 1 green, 2 blue) of a shrunk upload as numbers, each cell painted
    its real colour. Up to NUMBERED_SIDE cells a side every number is printed in big cells; a bigger
    grid would be too dense for them, so it shows small cells and the numbers on hover."""
    small = side <= NUMBERED_SIDE
    return number_grid_chart(picture.small[:, :, channel], lang, colours=picture.small, show_numbers=small,
                             cell=30 if small else 14)


# Confusion matrix colours: an empty cell (no test digit landed there) is plain white, so only what
# happened is coloured: green where the model was right, orange for mistakes (darker = more often).
EMPTY_CELL, RIGHT_CELL = "#ffffff", "#d8ecd9"
MISTAKE_LIGHT, MISTAKE_DARK = "#fbd9cc", "#e76f51"


def _mix(low: str, high: str, share: float) -> str:
    """The colour `share` (0..1) of the way from `low` to `high` (both "#rrggbb")."""
    a, b = (tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in (low, high))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def confusion_cell_colours(confusion: np.ndarray) -> np.ndarray:
    """A fill colour per cell: empty (count 0) white, right answers green, mistakes orange from
    light (the rarest) to dark (the most frequent)."""
    right = np.eye(*confusion.shape, dtype=bool)
    mistakes = np.where(right, 0, confusion)
    most = max(1, int(mistakes.max()))
    fill = np.full(confusion.shape, EMPTY_CELL, dtype=object)
    fill[right & (confusion > 0)] = RIGHT_CELL
    for i, j in zip(*np.nonzero(mistakes), strict=True):
        # 1 mistake is the light end, the most frequent one the dark end.
        fill[i, j] = _mix(MISTAKE_LIGHT, MISTAKE_DARK, (mistakes[i, j] - 1) / max(1, most - 1))
    return fill


def confusion_chart(confusion: np.ndarray, lang: str, cell: int = 30) -> alt.LayerChart:
    """Rows = the true digit, columns = what the model said; off the diagonal are its mistakes."""
    true, predicted = np.meshgrid(np.arange(10), np.arange(10), indexing="ij")
    data = pd.DataFrame({"true": true.ravel(), "predicted": predicted.ravel(), "count": confusion.ravel(),
                         "fill": confusion_cell_colours(confusion).ravel()})
    base = alt.Chart(data).encode(
        x=alt.X("predicted:O", title=t("classifiers.chart.predicted_digit", lang), axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("true:O", title=t("classifiers.chart.true_digit", lang)),
    )
    # The colours are given, not scaled by Vega: a scale from 0 painted the empty cells pale orange.
    rects = base.mark_rect(stroke="#e5e7eb", strokeWidth=0.5).encode(
        color=alt.Color("fill:N", scale=None),
        tooltip=[alt.Tooltip("true:O", title=t("classifiers.chart.true_digit", lang)),
                 alt.Tooltip("predicted:O", title=t("classifiers.chart.predicted_digit", lang)),
                 alt.Tooltip("count:Q", title=t("classifiers.chart.count", lang))],
    )
    text = base.transform_filter("datum.count > 0").mark_text(fontSize=11).encode(text="count:Q")
    return alt.layer(rects, text).properties(width=10 * cell, height=10 * cell)


def learning_curve_chart(curve: list[tuple[int, float]], lang: str, current: tuple[int, float] | None = None,
                         height: int = 260) -> alt.LayerChart:
    """Test accuracy against the number of training digits (log scale: each step doubles the data)."""
    data = pd.DataFrame(curve, columns=["n", "accuracy"])
    x = alt.X("n:Q", title=t("classifiers.chart.train_size", lang),
              scale=alt.Scale(type="log", domain=[int(data["n"].min()), int(data["n"].max())], nice=False))
    y = alt.Y("accuracy:Q", title=t("classifiers.chart.accuracy", lang), scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format="%"))
    layers = [alt.Chart(data).mark_line(point=True, color="#2e86ab").encode(
        x=x, y=y, tooltip=[alt.Tooltip("n:Q", title=t("classifiers.chart.train_size", lang)),
                           alt.Tooltip("accuracy:Q", title=t("classifiers.chart.accuracy", lang), format=".1%")])]
    if current is not None:
        point = pd.DataFrame({"n": [current[0]], "accuracy": [current[1]]})
        layers.append(alt.Chart(point).mark_point(shape="diamond", size=220, filled=True, color="#ffd400",
                                                  stroke="#222222").encode(x=x, y=y))
    return alt.layer(*layers).properties(height=height)


ROW_STEP = 28  # pixels per word in the sentiment chart: room for a label at any sentence length


def contributions_chart(result: SentimentResult, lang: str) -> alt.Chart:
    """One bar per word, in sentence order: right = pushes towards positive, left = negative."""
    rows = [{"order": i, "word": f"{i + 1}. {c.word}", "weight": c.weight,
             "kind": ("pos" if c.weight > 0 else "neg") if c.known and c.weight != 0 else "unknown"}
            for i, c in enumerate(result.contributions)]
    rows.append({"order": len(rows), "word": t("classifiers.chart.start_value", lang), "weight": result.bias,
                 "kind": "pos" if result.bias > 0 else "neg"})
    data = pd.DataFrame(rows)
    names = {k: t(f"classifiers.chart.kind_{k}", lang) for k in ("pos", "neg", "unknown")}
    data["kind_name"] = data["kind"].map(names)
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("word:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelOverlap=False, labelLimit=160)),
        x=alt.X("weight:Q", title=t("classifiers.chart.contribution", lang)),
        # The legend goes below: beside the bars it is taller than a two-word sentence's chart and
        # squeezed the rows until their labels overlapped ("1. bad" over "(starting value)").
        # One entry a line: side by side, the Korean entries ran past a half-width column
        # ("처음 보는 단어…" cut off at the right edge).
        color=alt.Color("kind_name:N", title=None, legend=alt.Legend(orient="bottom", direction="vertical"),
                        scale=alt.Scale(domain=[names["pos"], names["neg"], names["unknown"]],
                                        range=[POSITIVE, NEGATIVE, UNKNOWN])),
        tooltip=[alt.Tooltip("word:N", title=t("classifiers.chart.word", lang)),
                 alt.Tooltip("weight:Q", title=t("classifiers.chart.contribution", lang), format="+.2f")],
    ).properties(height=alt.Step(ROW_STEP))  # a fixed height per row: labels never share a row
