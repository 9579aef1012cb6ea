"""Charts and HTML for the next-token lab: the model's candidates as horizontal bars (Altair specs), the
continued text coloured by probability and the token chips (escaped HTML strings). No Streamlit."""
from __future__ import annotations

import html
import math

import altair as alt

from tutor.i18n import t
from tutor.lab.generation import Continuation
from tutor.lab.reshaping import Bar
from tutor.lab.tokens import PieceRow, visible_token

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


def probability_colour(prob: float) -> str:
    """A background colour for a token: red for unlikely, yellow for so-so, green for likely."""
    prob = min(max(prob if math.isfinite(prob) else 0.0, 0.0), 1.0)
    hue = round(120 * prob)  # 0 = red … 120 = green
    return f"hsl({hue}, 75%, 82%)"


def continuation_html(state: Continuation, lang: str) -> str:
    """The start in plain text, then each added token on a background coloured by its probability,
    with its probability and how it was chosen on hover. Every token is escaped: the model can
    write "<script>" as well as anyone."""
    parts = [html.escape(state.start)]
    for step in state.steps:
        tip = t("lab.continue.tooltip", lang, prob=percent(step.raw_prob), how=t(f"lab.continue.how_{step.how}", lang))
        if step.piece:
            tip += " " + t("lab.continue.tooltip_piece", lang, piece=visible_token(step.piece))
        parts.append(
            f'<span style="background:{probability_colour(step.raw_prob)};border-radius:3px" '
            f'title="{html.escape(tip)}">{html.escape(step.token)}</span>'
        )
    body = "".join(parts).replace("\n", "<br>")
    return f'<div style="font-size:1.1rem;line-height:1.9;white-space:pre-wrap">{body}</div>'


def piece_chips_html(rows: list[PieceRow]) -> str:
    """Each piece in a box with its id(s) under it; a piece made of several byte tokens shows how
    many. Pieces are escaped."""
    chips = []
    for row in rows:
        ids = " ".join(map(str, row.ids))
        badge = f"<sup>×{row.token_count}</sup>" if row.token_count > 1 else ""
        chips.append(
            '<span style="display:inline-block;margin:2px;padding:2px 6px;border:1px solid #c8ccd2;'
            f'border-radius:4px;text-align:center">{html.escape(row.text)}{badge}'
            f'<br><small style="color:#6b7280">{ids}</small></span>'
        )
    return "".join(chips)
