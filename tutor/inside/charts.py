"""Altair charts for the inside-the-model views (data in, chart out; no Streamlit, no torch).

Labels arrive already readable (tutor.inside.attention.token_labels). Vega draws them as SVG
text and escapes them, so markup a learner types shows as typed.
"""
from __future__ import annotations

import altair as alt

from tutor.inside.attention import AttentionTable
from tutor.inside.embeddings import WordMap

CELL = 26  # pixels per heatmap row and column, for short texts
MAX_SIDE = 900  # 64 tokens still fit a laptop screen: 14-pixel cells


def axis_labels(tokens: list[str]) -> list[str]:
    """One unique label per piece ("3 ␣it"): the same word twice must stay two rows."""
    return [f"{i + 1} {token}" for i, token in enumerate(tokens)]


def heatmap_rows(table: AttentionTable) -> list[dict]:
    """One row per cell on or below the diagonal (the cells above it are always 0 and are left out)."""
    labels = axis_labels(table.tokens)
    return [
        {"row": labels[i], "col": labels[j], "i": i, "j": j, "weight": table.weights[i][j]}
        for i in range(len(labels))
        for j in range(i + 1)
    ]


def attention_heatmap(table: AttentionTable, *, row_title: str, col_title: str, weight_title: str) -> alt.Chart:
    """Tokens × earlier tokens; darker = more weight; hovering a cell shows its weight."""
    labels = axis_labels(table.tokens)
    size = min(MAX_SIDE, max(300, CELL * len(labels)))
    axis = dict(labelLimit=140, labelOverlap=False, labelFontSize=11)  # every token labelled, none skipped
    return (
        alt.Chart(alt.Data(values=heatmap_rows(table)))
        .mark_rect()
        .encode(
            x=alt.X("col:N", sort=labels, title=col_title, axis=alt.Axis(labelAngle=-60, **axis)),
            y=alt.Y("row:N", sort=labels, title=row_title, axis=alt.Axis(**axis)),
            # a square-root colour scale: many heads pour most of their weight onto the first token,
            # and a plain scale would leave every other cell the same pale blue
            color=alt.Color(
                "weight:Q", title=weight_title,
                scale=alt.Scale(type="sqrt", scheme="blues", domain=[0, 1]),
                legend=alt.Legend(format="%"),
            ),
            tooltip=[
                alt.Tooltip("row:N", title=row_title),
                alt.Tooltip("col:N", title=col_title),
                alt.Tooltip("weight:Q", title=weight_title, format=".1%"),
            ],
        )
        .properties(width=size, height=size)
    )


def source_bars(table: AttentionTable, row: int, *, weight_title: str) -> alt.Chart:
    """How one piece spreads its attention over itself and every earlier piece."""
    labels = axis_labels(table.tokens)[: row + 1]
    values = [{"col": label, "weight": table.weights[row][j]} for j, label in enumerate(labels)]
    return (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            x=alt.X("col:N", sort=labels, title=None, axis=alt.Axis(labelAngle=-60, labelLimit=120)),
            y=alt.Y("weight:Q", title=weight_title, axis=alt.Axis(format="%")),
            tooltip=[alt.Tooltip("col:N", title=None), alt.Tooltip("weight:Q", title=weight_title, format=".1%")],
        )
        .properties(height=200)
    )


def answer_by_layer(probs: list[float], *, title: str, layer_title: str, prob_title: str) -> alt.Chart:
    """The final answer's probability after each layer (0 = the embedding alone)."""
    values = [{"layer": layer, "prob": prob} for layer, prob in enumerate(probs)]
    return (
        alt.Chart(alt.Data(values=values), title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("layer:Q", title=layer_title, scale=alt.Scale(domain=[0, len(probs) - 1])),
            y=alt.Y("prob:Q", title=prob_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            tooltip=[alt.Tooltip("layer:Q", title=layer_title), alt.Tooltip("prob:Q", title=prob_title, format=".1%")],
        )
        .properties(height=220)
    )


def word_map_chart(found: WordMap) -> alt.Chart:
    """Each word as a dot with its label; the axes are the two directions of greatest spread."""
    values = [{"word": p.word, "x": p.x, "y": p.y} for p in found.points]
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("x:Q", title=None, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("y:Q", title=None, axis=alt.Axis(labels=False, ticks=False)),
        tooltip=[alt.Tooltip("word:N", title=None)],
    )
    dots = base.mark_circle(size=80)
    names = base.mark_text(align="left", dx=7, fontSize=14).encode(text="word:N")
    return (dots + names).properties(height=420)
