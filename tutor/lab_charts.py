"""Charts for the next-token lab: the model's candidates as horizontal bars (Altair specs, no Streamlit)."""
from __future__ import annotations

import altair as alt

from tutor.lab import Bar

KEPT_COLOUR = "#4c78a8"
CUT_COLOUR = "#d0d4da"  # greyed out: removed by top-k / top-p, never drawn
REST_COLOUR = "#9aa3ad"


def percent(prob: float) -> str:
    """0.1234 -> '12.3%'; tiny values stay visible as '<0.1%' instead of '0.0%'."""
    if prob <= 0:
        return "0%"
    if prob < 0.001:
        return "<0.1%"
    return f"{prob * 100:.1f}%"


def bar_rows(bars: list[Bar], *, reshaped: bool, rest_label: str, kept_label: str, cut_label: str) -> list[dict]:
    """One row per bar: what it is, its probability and whether it is still in the sampling pool."""
    rows, seen = [], {}
    for order, bar in enumerate(bars):
        label = rest_label if bar.is_rest else bar.label
        # two different tokens can look the same (e.g. "a" and "a" with another id): keep both bars
        seen[label] = seen.get(label, 0) + 1
        key = label + "\u200b" * (seen[label] - 1)
        prob = bar.prob if reshaped else bar.raw_prob
        status = (kept_label if bar.kept else cut_label) if not bar.is_rest else rest_label
        rows.append({"token": key, "order": order, "prob": prob, "percent": percent(prob), "status": status})
    return rows


def probability_chart(
    bars: list[Bar],
    *,
    reshaped: bool,
    title: str,
    axis_label: str,
    rest_label: str,
    kept_label: str,
    cut_label: str,
) -> alt.Chart:
    """Horizontal bars, most likely on top, each labelled with its percentage; cut-off tokens grey."""
    rows = bar_rows(bars, reshaped=reshaped, rest_label=rest_label, kept_label=kept_label, cut_label=cut_label)
    base = alt.Chart(alt.Data(values=rows), title=title).encode(
        # most likely first, "everything else" last (not alphabetical). Sorting by a field with
        # op="min" survives layering; an explicit list is dropped when the two layers' domains merge.
        y=alt.Y(
            "token:N",
            sort=alt.EncodingSortField(field="order", op="min", order="ascending"),
            title=None,
            axis=alt.Axis(labelLimit=160),
        ),
        x=alt.X("prob:Q", title=axis_label, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("token:N"), alt.Tooltip("percent:N"), alt.Tooltip("status:N")],
    )
    colours = alt.Scale(domain=[kept_label, cut_label, rest_label], range=[KEPT_COLOUR, CUT_COLOUR, REST_COLOUR])
    bars_layer = base.mark_bar().encode(color=alt.Color("status:N", scale=colours, legend=None))
    labels_layer = base.mark_text(align="left", dx=3).encode(text="percent:N")
    return (bars_layer + labels_layer).properties(height=alt.Step(22))
