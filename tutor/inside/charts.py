"""Altair charts for the inside-the-model views (data in, chart out; no Streamlit, no torch).

Labels arrive already readable (tutor.inside.attention.token_labels). Vega draws them as SVG
text and escapes them, so markup a learner types shows as typed.

Sizes are worked out here, in pixels, by plain functions (`heatmap_layout`, `place_labels`), and the
charts use `autosize: pad`: the plot is exactly the size we computed and the axis labels and legend
are drawn around it. (Streamlit's default, `fit`, squeezes labels *and* plot into the given size,
which drew a 21-token heatmap with 17-pixel cells and left it smaller than planned.)
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import altair as alt

from tutor.inside.attention import AttentionTable
from tutor.inside.embeddings import WordMap

PAD = alt.AutoSizeParams(type="pad", contains="padding")  # the plot keeps its size; labels go around it

# The attention heatmap. The page's main column is about 820 pixels wide on a 1280-pixel screen;
# row labels take up to LABEL_LIMIT of it, so the cells share the rest.
HEATMAP_PLOT = 700  # the plot's side for a long text (64 tokens: 11-pixel cells)
MAX_CELL = 30  # short texts: big cells, not a huge square
MIN_CELL = 11  # one 10-pixel label per row still fits; 64 tokens need no more than 704 pixels
LINE_HEIGHT = 1.2  # a line of text takes about 1.2 × its font size
LABEL_LIMIT = 90  # pixels of a row label ("12 ␣because" takes 60) before Vega shortens it with "…"


@dataclass(frozen=True)
class HeatmapLayout:
    cell: int  # pixels per row and per column
    side: int  # the plot's width and height: cell × pieces
    font_size: int  # axis labels: one per row, so the font must fit one cell
    label_angle: int  # column labels: slanted when the columns are wide enough, else upright


def heatmap_layout(pieces: int) -> HeatmapLayout:
    """The heatmap's size from the number of pieces: every row and column labelled, none overlapping."""
    cell = max(MIN_CELL, min(MAX_CELL, HEATMAP_PLOT // max(pieces, 1)))
    font_size = max(10, min(13, cell - 2))
    # neighbouring column labels are parallel lines cell × sin(angle) apart, and a line of text
    # needs about 1.2 × its font size: slanted by 60° from 15 pixels up (font 10), else upright
    label_angle = -60 if cell * math.sin(math.radians(60)) >= LINE_HEIGHT * font_size else -90
    return HeatmapLayout(cell=cell, side=cell * pieces, font_size=font_size, label_angle=label_angle)


def compact_runs(text: str, longest: int = 3) -> str:
    """A run of more than `longest` copies of one character written once with its count:
    "↵↵↵↵↵↵↵↵↵↵↵↵" becomes "↵×12". Code tokens made of many newlines or dashes are common
    guesses in the middle layers, and written out they push the table's columns apart."""
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] == text[i]:
            j += 1
        out.append(text[i] * (j - i) if j - i <= longest else f"{text[i]}×{j - i}")
        i = j
    return "".join(out)


def table_height(rows: int) -> int:
    """Pixels for an st.dataframe showing every row with no scroll bar and no blank row below:
    Streamlit draws 35-pixel rows, one for the header, plus a border."""
    return 35 * (rows + 1) + 3


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
    layout = heatmap_layout(len(labels))
    # every token labelled, none skipped; the font fits one cell
    axis = dict(labelLimit=LABEL_LIMIT, labelOverlap=False, labelFontSize=layout.font_size, labelPadding=3)
    return (
        alt.Chart(alt.Data(values=heatmap_rows(table)))
        .mark_rect()
        .encode(
            x=alt.X("col:N", sort=labels, title=col_title, axis=alt.Axis(labelAngle=layout.label_angle, **axis)),
            y=alt.Y("row:N", sort=labels, title=row_title, axis=alt.Axis(**axis)),
            # a square-root colour scale: many heads pour most of their weight onto the first token,
            # and a plain scale would leave every other cell the same pale blue
            color=alt.Color(
                "weight:Q", title=weight_title,
                scale=alt.Scale(type="sqrt", scheme="blues", domain=[0, 1]),
                # above the plot: at 64 tokens the plot and its row labels take the column's width
                legend=alt.Legend(format="%", orient="top", direction="horizontal", gradientLength=max(120, min(240, layout.side))),
            ),
            tooltip=[
                alt.Tooltip("row:N", title=row_title),
                alt.Tooltip("col:N", title=col_title),
                alt.Tooltip("weight:Q", title=weight_title, format=".1%"),
            ],
        )
        .properties(width=layout.side, height=layout.side, autosize=PAD)
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


# The word map: a fixed plot size, so label boxes can be placed in pixels before Vega draws them.
MAP_WIDTH, MAP_HEIGHT = 720, 440
MAP_FONT = 14
DOT_RADIUS = 5  # a circle mark of size 80 (its area in square pixels)
MAP_MARGIN = 0.12  # room around the outermost dots (a share of the spread) for their labels
LABEL_GAP = 3  # pixels between a dot and its label, and between two labels


def text_width(text: str, font_size: int = MAP_FONT) -> float:
    """The width a label takes, in pixels, estimated generously: a Hangul syllable (or any wide
    character) is about one font size wide, a Latin letter about 0.56 of it."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return (wide + 0.56 * (len(text) - wide)) * font_size


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels: (left, top) to (right, bottom), y growing downwards as on screen."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        return not (self.right + gap <= other.left or other.right + gap <= self.left
                    or self.bottom + gap <= other.top or other.bottom + gap <= self.top)

    def inside(self, width: float, height: float) -> bool:
        return self.left >= 0 and self.top >= 0 and self.right <= width and self.bottom <= height

    def distance(self, x: float, y: float) -> float:
        """From a point to the nearest edge of the box (0 inside it)."""
        return math.hypot(max(self.left - x, 0.0, x - self.right), max(self.top - y, 0.0, y - self.bottom))


@dataclass(frozen=True)
class Placed:
    """A word's dot and its label's centre, both in pixels of the plot."""

    word: str
    dot: tuple[float, float]
    label: tuple[float, float]
    box: Box
    leader: bool  # the label sits away from its dot: a thin line joins them

    @property
    def leader_end(self) -> tuple[float, float]:
        """Where the line from the dot meets the label's box (it stops there, not under the text)."""
        (x, y), (cx, cy) = self.dot, self.label
        vx, vy = x - cx, y - cy
        half_w, half_h = (self.box.right - self.box.left) / 2, (self.box.bottom - self.box.top) / 2
        share = min(half_w / abs(vx) if vx else math.inf, half_h / abs(vy) if vy else math.inf, 1.0)
        return (cx + vx * share, cy + vy * share)


# Where a label may go, as a direction from its dot: beside it first (right, left), then above and
# below, then the corners. Rings further out are tried when every closer place is taken.
DIRECTIONS = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (1, 1), (-1, -1), (-1, 1))
RINGS = (0, 8, 18, 30, 44, 60)  # extra pixels away from the dot


def place_labels(
    dots: list[tuple[float, float]], words: list[str], *, width: float = MAP_WIDTH, height: float = MAP_HEIGHT,
    font_size: int = MAP_FONT,
) -> list[Placed]:
    """A label for every dot (pixels, y down) where it covers no other label and no dot.

    Greedy, crowded dots first: each label takes the first free place, nearest first. Korean
    labels are wide and words of one kind sit close together (왕, 여왕; 월요일, 화요일), so a label
    beside its dot often collides; it then goes above, below, or further out. A label that ends up
    away from its dot, or nearer another dot than its own, gets a line to its dot. If nothing is
    free, a label takes the place that overlaps least.
    """
    height_px = font_size * 1.25
    dot_boxes = [Box(x - DOT_RADIUS, y - DOT_RADIUS, x + DOT_RADIUS, y + DOT_RADIUS) for x, y in dots]

    def crowding(i: int) -> float:
        x, y = dots[i]
        return sum(1.0 / (1.0 + math.hypot(x - a, y - b)) for j, (a, b) in enumerate(dots) if j != i)

    placed: dict[int, Placed] = {}
    for i in sorted(range(len(dots)), key=crowding, reverse=True):
        x, y = dots[i]
        w = text_width(words[i], font_size)
        best: tuple[float, Placed | None] = (math.inf, None)
        # dots drawn on top of each other (words the model holds almost the same): no place beside
        # "the" dot is unambiguous, so their labels fan out on lines of their own
        stacked = any(math.hypot(x - a, y - b) < 2 * DOT_RADIUS + 2 for j, (a, b) in enumerate(dots) if j != i)
        for ring in RINGS[1:] if stacked else RINGS:
            for dx, dy in DIRECTIONS:
                # the label's centre, far enough from the dot that the box clears it
                cx = x + dx * (DOT_RADIUS + LABEL_GAP + ring + w / 2)
                cy = y + dy * (DOT_RADIUS + LABEL_GAP + ring + height_px / 2)
                box = Box(cx - w / 2, cy - height_px / 2, cx + w / 2, cy + height_px / 2)
                # a line joins label and dot when the label is away from it, or nearer another dot
                own = box.distance(x, y)
                leader = ring > 0 or any(box.distance(a, b) < own for j, (a, b) in enumerate(dots) if j != i)
                candidate = Placed(words[i], (x, y), (cx, cy), box, leader=leader)
                clash = sum(_overlap_area(box, other.box, LABEL_GAP) for other in placed.values())
                clash += sum(_overlap_area(box, d, 0) for j, d in enumerate(dot_boxes) if j != i)
                if not box.inside(width, height):
                    clash += w * height_px  # off the plot: as bad as a full overlap
                if clash < best[0]:
                    best = (clash, candidate)
                if clash == 0:
                    break
            if best[0] == 0:
                break
        placed[i] = best[1]
    return [placed[i] for i in range(len(dots))]


def _overlap_area(a: Box, b: Box, gap: float) -> float:
    w = min(a.right + gap, b.right) - max(a.left, b.left - gap)
    h = min(a.bottom + gap, b.bottom) - max(a.top, b.top - gap)
    return max(w, 0.0) * max(h, 0.0)


@dataclass(frozen=True)
class MapScale:
    """Data units to plot pixels, the same number of pixels per unit on both axes (a distance on the
    map means the same in every direction), the words centred, a margin left for labels."""

    x_domain: tuple[float, float]
    y_domain: tuple[float, float]
    per_unit: float  # pixels per data unit

    def pixels(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.x_domain[0]) * self.per_unit, (self.y_domain[1] - y) * self.per_unit)

    def data(self, px: float, py: float) -> tuple[float, float]:
        return (self.x_domain[0] + px / self.per_unit, self.y_domain[1] - py / self.per_unit)


def map_scale(xs: list[float], ys: list[float], width: float = MAP_WIDTH, height: float = MAP_HEIGHT) -> MapScale:
    x_span = max(max(xs) - min(xs), 1e-9)
    y_span = max(max(ys) - min(ys), 1e-9)
    per_unit = min(width / (x_span * (1 + 2 * MAP_MARGIN)), height / (y_span * (1 + 2 * MAP_MARGIN)))
    x_mid, y_mid = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half_w, half_h = width / per_unit / 2, height / per_unit / 2
    return MapScale((x_mid - half_w, x_mid + half_w), (y_mid - half_h, y_mid + half_h), per_unit)


def word_map_labels(found: WordMap) -> tuple[MapScale, list[Placed]]:
    """The map's scale and where each word's label goes (pixels), for the chart and for tests."""
    scale = map_scale([p.x for p in found.points], [p.y for p in found.points])
    dots = [scale.pixels(p.x, p.y) for p in found.points]
    return scale, place_labels(dots, [p.word for p in found.points])


def word_map_chart(found: WordMap) -> alt.Chart:
    """Each word as a dot with its label; the axes are the two directions of greatest spread."""
    scale, placed = word_map_labels(found)
    values = []
    for p in placed:
        (x, y), (lx, ly), (ex, ey) = (scale.data(*point) for point in (p.dot, p.label, p.leader_end))
        values.append({"word": p.word, "x": x, "y": y, "lx": lx, "ly": ly, "ex": ex, "ey": ey, "leader": p.leader})
    x_scale = alt.Scale(domain=list(scale.x_domain), nice=False, zero=False)
    y_scale = alt.Scale(domain=list(scale.y_domain), nice=False, zero=False)
    hidden = dict(title=None, axis=alt.Axis(labels=False, ticks=False))
    base = alt.Chart(alt.Data(values=values))
    dots = base.mark_circle(size=80, opacity=1).encode(
        x=alt.X("x:Q", scale=x_scale, **hidden), y=alt.Y("y:Q", scale=y_scale, **hidden),
        tooltip=[alt.Tooltip("word:N", title=None)],
    )
    leaders = base.transform_filter("datum.leader").mark_rule(color="#9aa0a6", strokeWidth=1).encode(
        x=alt.X("x:Q", scale=x_scale, **hidden), y=alt.Y("y:Q", scale=y_scale, **hidden), x2="ex:Q", y2="ey:Q",
    )
    # labels are centred on the place computed for them (Vega cannot take an alignment per label)
    names = base.mark_text(align="center", baseline="middle", fontSize=MAP_FONT).encode(
        x=alt.X("lx:Q", scale=x_scale, **hidden), y=alt.Y("ly:Q", scale=y_scale, **hidden), text="word:N",
    )
    return (leaders + dots + names).properties(width=MAP_WIDTH, height=MAP_HEIGHT, autosize=PAD)
