"""Figures for the opening lesson: where LLMs fit."""
from __future__ import annotations

from tutor.figures import Figure, dot_quote, figure
from tutor.i18n import t


@figure("nested-layers")
def nested_layers(lang: str) -> Figure:
    """AI ⊃ machine learning ⊃ deep learning ⊃ LLMs, drawn as nested boxes."""
    names = [t(f"figures.nested.{k}", lang) for k in ("ai", "ml", "dl", "llm")]
    # Graphviz clusters nest like the fields do; the innermost holds a single node.
    dot = [
        "digraph G {",
        '  graph [fontname="sans-serif", fontsize=16, style="rounded,filled", labeljust=l, margin=0.1];',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="sans-serif", fontsize=16, margin="0.3,0.15"];',
        f'  subgraph cluster_ai {{ label={dot_quote(names[0])}; fillcolor="#e8eef8"; margin=16;',
        f'    subgraph cluster_ml {{ label={dot_quote(names[1])}; fillcolor="#d3e0f3"; margin=16;',
        f'      subgraph cluster_dl {{ label={dot_quote(names[2])}; fillcolor="#b8cdec"; margin=16;',
        f'        llm [label={dot_quote(names[3])}, fillcolor="#fff4cc"];',
        "      }",
        "    }",
        "  }",
        "}",
    ]
    return Figure("graphviz", "\n".join(dot), t("figures.nested.caption", lang))
