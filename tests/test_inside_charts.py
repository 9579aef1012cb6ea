"""Sizes and label places for the inside-the-model charts: plain functions, no model, no Streamlit."""
from __future__ import annotations

import math

import pytest

from tutor.inside import charts
from tutor.inside.attention import AttentionTable
from tutor.inside.charts import Box, heatmap_layout, map_scale, place_labels, text_width
from tutor.inside.embeddings import MapPoint, WordMap
from tutor.inside.model import MAX_TOKENS

MAIN_COLUMN = 820  # pixels of the page's main column on a 1280-pixel screen (measured in Chromium)


@pytest.mark.parametrize("pieces", range(1, MAX_TOKENS + 1))
def test_every_heatmap_row_label_fits_its_row_and_the_heatmap_fits_the_page(pieces):
    layout = heatmap_layout(pieces)
    assert layout.side == layout.cell * pieces
    # rows and upright columns are one cell apart, a line of text takes 1.2 × its font size
    assert layout.font_size >= 10 and layout.cell >= 1.1 * layout.font_size
    if layout.label_angle == -60:  # slanted labels are parallel lines cell × sin 60° apart
        assert layout.cell * math.sin(math.radians(60)) >= 1.2 * layout.font_size
    else:
        assert layout.label_angle == -90
    assert layout.side + charts.LABEL_LIMIT + 20 <= MAIN_COLUMN  # row labels, axis title and plot side by side


def test_short_texts_get_bigger_cells_than_long_ones():
    cells = [heatmap_layout(n).cell for n in range(1, MAX_TOKENS + 1)]
    assert cells == sorted(cells, reverse=True)
    assert heatmap_layout(8).cell == charts.MAX_CELL and heatmap_layout(MAX_TOKENS).cell < heatmap_layout(32).cell


@pytest.mark.parametrize("pieces", [3, 21, 64])
def test_the_heatmap_spec_keeps_the_computed_size_and_label_font(pieces):
    table = AttentionTable(
        tokens=[f"토{i}" for i in range(pieces)], layer=1, head=None,
        weights=[[1 / (i + 1) if j <= i else 0.0 for j in range(pieces)] for i in range(pieces)],
    )
    spec = charts.attention_heatmap(table, row_title="r", col_title="c", weight_title="w").to_dict()
    layout = heatmap_layout(pieces)
    assert (spec["width"], spec["height"]) == (layout.side, layout.side)
    assert spec["autosize"]["type"] == "pad"  # Streamlit's default ("fit") would squeeze the labels into it
    assert spec["encoding"]["y"]["axis"]["labelFontSize"] == layout.font_size
    assert spec["encoding"]["x"]["axis"]["labelAngle"] == layout.label_angle


def test_a_hangul_label_is_wider_than_a_latin_one_of_the_same_length():
    assert text_width("여왕") > text_width("ab") > 0
    assert text_width("월요일") == pytest.approx(3 * charts.MAP_FONT)


def overlaps(placed, dots):
    """(label, label) and (label, other dot) pairs that overlap, and labels off the plot."""
    bad = []
    for i, p in enumerate(placed):
        if not p.box.inside(charts.MAP_WIDTH, charts.MAP_HEIGHT):
            bad.append((p.word, "off the plot"))
        for j, q in enumerate(placed):
            if i < j and p.box.overlaps(q.box):
                bad.append((p.word, q.word))
            x, y = dots[j]
            dot = Box(x - charts.DOT_RADIUS, y - charts.DOT_RADIUS, x + charts.DOT_RADIUS, y + charts.DOT_RADIUS)
            if i != j and p.box.overlaps(dot):
                bad.append((p.word, f"dot of {q.word}"))
    return bad


CLUSTERS = {
    # shapes the model's own presets make (measured on the default model): Korean words of one
    # kind sit within a few pixels of each other, some exactly on top of each other
    "days": (["월요일", "화요일", "수요일", "목요일", "금요일"], [(159, 135), (141, 126), (130, 131), (146, 129), (147, 130)]),
    "royal": (["왕", "여왕", "남자", "여자"], [(247, 42), (292, 57), (340, 106), (346, 74)]),
    "furniture": (["고양이", "개", "의자", "책상", "침대"], [(346, 254), (329, 283), (344, 266), (346, 265), (341, 269)]),
    "one spot": (["하나", "둘", "셋", "넷", "다섯", "여섯"], [(360, 220)] * 6),
}


@pytest.mark.parametrize("name", CLUSTERS)
def test_korean_labels_of_close_dots_do_not_overlap_each_other_or_other_dots(name):
    words, dots = CLUSTERS[name]
    placed = place_labels(dots, words)
    assert [p.word for p in placed] == words and [p.dot for p in placed] == dots
    assert overlaps(placed, dots) == []


def test_labels_of_dots_on_top_of_each_other_get_a_line_to_their_dot():
    words, dots = CLUSTERS["one spot"]
    placed = place_labels(dots, words)
    assert all(p.leader for p in placed)
    for p in placed:  # the line stops at the edge of the label's box
        x, y = p.leader_end
        assert p.box.distance(x, y) == pytest.approx(0, abs=1e-6)
        assert p.box.distance(*p.dot) > 0


def test_a_lone_dot_keeps_its_label_right_beside_it_without_a_line():
    (placed,) = place_labels([(100.0, 100.0)], ["고양이"])
    assert not placed.leader
    assert placed.box.left > 100 and placed.box.distance(100, 100) <= charts.DOT_RADIUS + charts.LABEL_GAP + 1


def test_the_map_scale_keeps_one_pixel_size_per_unit_and_every_dot_inside_with_room_for_labels():
    xs, ys = [-3.0, 1.0, 5.0], [0.0, 0.5, 1.0]
    scale = map_scale(xs, ys)
    spans = (scale.x_domain[1] - scale.x_domain[0], scale.y_domain[1] - scale.y_domain[0])
    assert spans[0] * scale.per_unit == pytest.approx(charts.MAP_WIDTH)
    assert spans[1] * scale.per_unit == pytest.approx(charts.MAP_HEIGHT)
    # the wider axis (x here) leaves MAP_MARGIN of the spread free on both sides, for labels
    margin = charts.MAP_MARGIN / (1 + 2 * charts.MAP_MARGIN) * charts.MAP_WIDTH
    for x, y in zip(xs, ys, strict=True):
        px, py = scale.pixels(x, y)
        assert margin - 1e-6 <= px <= charts.MAP_WIDTH - margin + 1e-6 and 0 < py < charts.MAP_HEIGHT
        assert scale.data(px, py) == pytest.approx((x, y))


def test_the_word_map_chart_puts_each_label_where_it_was_placed():
    found = WordMap(points=[MapPoint(w, float(i % 2), float(i // 2) * 0.01, 1) for i, w in enumerate(["왕", "여왕", "남자", "여자"])],
                    explained=(0.6, 0.3))
    scale, placed = charts.word_map_labels(found)
    spec = charts.word_map_chart(found).to_dict()
    rows = spec["data"]["values"] if "data" in spec else spec["datasets"][next(iter(spec["datasets"]))]
    for row, p in zip(rows, placed, strict=True):
        assert (row["word"], row["leader"]) == (p.word, p.leader)
        assert (row["lx"], row["ly"]) == pytest.approx(scale.data(*p.label))
    assert spec["autosize"]["type"] == "pad" and (spec["width"], spec["height"]) == (charts.MAP_WIDTH, charts.MAP_HEIGHT)


@pytest.mark.parametrize("raw, shown", [
    ("↵" * 12, "↵×12"),
    (".↵↵↵↵↵↵↵↵", ".↵×8"),
    ("----↵", "-×4↵"),
    ("↵↵↵", "↵↵↵"),  # three are still easy to count
    ("␣Paris", "␣Paris"),
    ("거든요", "거든요"),
])
def test_long_runs_of_one_character_are_written_with_their_count(raw, shown):
    assert charts.compact_runs(raw) == shown


def test_a_table_of_25_layers_is_tall_enough_for_every_row_and_no_more():
    assert charts.table_height(25) == 35 * 26 + 3
