"""tutor.lab.charts: the probability chart's rows and order, percentages, colours, and the escaped HTML."""
from __future__ import annotations

from tests.lab_distributions import make_distribution
from tutor.i18n import t
from tutor.lab import charts, generation, reshaping, tokens
from tutor.lab.charts import bar_rows, percent, probability_chart


def test_chart_rows_carry_percentages_and_grey_out_cut_tokens():
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=1, top_p=1.0)
    rows = bar_rows(reshaping.chart_bars(shaped, shown=3), reshaped=True, rest_label="rest", kept_label="k", cut_label="c")
    assert [r["status"] for r in rows] == ["k", "c", "c", "rest"]
    assert rows[0]["percent"] == "100.0%" and rows[1]["percent"] == "0%"
    spec = probability_chart(
        reshaping.chart_bars(shaped), reshaped=False, title="t", axis_label="p", rest_label="rest", kept_label="k", cut_label="c"
    ).to_dict()
    assert spec["layer"][0]["mark"]["type"] == "bar"


def test_bars_are_drawn_most_likely_first_not_alphabetically():
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=3, top_p=1.0)
    bars = reshaping.chart_bars(shaped, shown=3)
    spec = probability_chart(
        bars, reshaped=False, title="t", axis_label="p", rest_label="rest", kept_label="k", cut_label="c"
    ).to_dict()
    # Vega-Lite drops an explicit sort list when the bar and label layers merge their domains,
    # which drew the bars alphabetically; a field sort with op "min" survives the merge.
    y = spec["encoding"]["y"] if "encoding" in spec else spec["layer"][0]["encoding"]["y"]
    assert y["sort"] == {"field": "order", "op": "min", "order": "ascending"}
    rows = bar_rows(bars, reshaped=False, rest_label="rest", kept_label="k", cut_label="c")
    assert [r["order"] for r in rows] == sorted(r["order"] for r in rows)
    assert [r["prob"] for r in rows[:-1]] == sorted((r["prob"] for r in rows[:-1]), reverse=True)


def test_percent_is_readable_at_both_ends():
    assert percent(0.1234) == "12.3%"
    assert percent(0.00001) == "<0.1%"
    assert percent(0.0) == "0%"


def test_probability_colours_run_from_red_to_green():
    assert charts.probability_colour(0.0) == "hsl(0, 75%, 82%)"
    assert charts.probability_colour(1.0) == "hsl(120, 75%, 82%)"
    assert charts.probability_colour(float("nan")) == "hsl(0, 75%, 82%)"
    assert charts.probability_colour(7) == "hsl(120, 75%, 82%)"


def test_the_continued_text_escapes_the_start_and_every_token_and_keeps_line_breaks():
    from tutor.lab.charts import continuation_html

    state = generation.Continuation(start="<b>Hi</b>\n", steps=(
        generation.Step(token="<script>", id=1, prob=0.5, raw_prob=0.5, how="greedy"),
        generation.Step(token=' "x"', id=2, prob=0.1, raw_prob=0.1, how="picked", piece=" <0xEB>"),
    ))
    out = continuation_html(state, "ko")
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;Hi&lt;/b&gt;<br>" in out
    assert out.count("<span") == 2 and "&quot;x&quot;" in out
    assert t("lab.continue.how_greedy", "ko") in out  # the hover says how each token was chosen


def test_token_chips_escape_each_piece_and_count_byte_tokens():
    from tutor.lab.charts import piece_chips_html

    out = piece_chips_html([tokens.PieceRow("<img>", (5,)), tokens.PieceRow("먹", (101, 102))])
    assert "<img>" not in out and "&lt;img&gt;" in out
    assert "<sup>×2</sup>" in out and "101 102" in out and out.count("<sup>") == 1
