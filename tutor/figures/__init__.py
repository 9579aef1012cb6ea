"""Named figures that lessons embed with a `[[figure:NAME]]` line.

A figure function takes the lesson's language and returns a `Figure`: data only, no Streamlit.
tutor.ui.figures draws it (Graphviz DOT via st.graphviz_chart, an Altair chart, or a table).
Register a figure with the `@figure("name")` decorator in a module of this package and import
that module at the bottom of this file.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FigureFn = Callable[[str], "Figure"]


@dataclass(frozen=True)
class Figure:
    kind: str  # "graphviz" (spec: DOT text) | "altair" (spec: alt.Chart) | "table" (spec: list of dict rows)
    spec: Any
    caption: str = ""


REGISTRY: dict[str, FigureFn] = {}


def figure(name: str) -> Callable[[FigureFn], FigureFn]:
    """Register `fn` as the figure called `name`."""

    def register(fn: FigureFn) -> FigureFn:
        if name in REGISTRY:
            raise ValueError(f"figure '{name}' is registered twice")
        REGISTRY[name] = fn
        return fn

    return register


def build(name: str, lang: str) -> Figure:
    """Build a registered figure; KeyError if there is no such figure."""
    return REGISTRY[name](lang)


def dot_quote(text: str) -> str:
    """Quote a label for Graphviz DOT (handles quotes, backslashes and newlines)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# Figure modules register themselves on import.
from tutor.figures import basics, classify, generation, neural, safety  # noqa: E402,F401
