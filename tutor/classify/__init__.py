"""Three small machine-learning experiments from the course's first lessons, as plain functions.

- songs: 20 songs measured by tempo and energy, a line (or a curve) that separates two genres.
- pixels: an image is a grid of numbers; a classifier trained on raw pixels.
- sentiment: a bag-of-words model that scores a sentence word by word, and where that fails.
- song_table: the editable song table's life in a session (the last table that made sense).
- wording: the sentences the page shows about their results (table problems, accuracies, scores).

Everything here is pure, seeded and free of Streamlit; pages/classifiers.py draws the results.
"""
from __future__ import annotations

# The Classifiers page has one panel per experiment; `?panel=<id>` opens one directly.
PANELS: tuple[str, ...] = ("songs", "pixels", "sentiment")

# The lesson each panel belongs to (lesson ids from content/<lang>/NN-<id>.md).
PANEL_LESSONS: dict[str, tuple[str, ...]] = {
    "songs": ("ml-finds-patterns", "beyond-straight-lines"),
    "pixels": ("images-are-numbers",),
    "sentiment": ("text-and-meaning",),
}


def linked_panel(link: str | None) -> str:
    """The panel a `?panel=` link opens: the one it names, or the first for a missing or unknown name."""
    return link if link in PANELS else PANELS[0]
