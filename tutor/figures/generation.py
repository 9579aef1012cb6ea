"""Figures for lessons 9-15: generating text, GPT, training phases, grounding, prompting, scale.

Every label comes from content/ui/figures_generation.toml, so each figure draws in the lesson's
language. Numbers shown as illustrations (the attention weights) are made up on purpose and the
figure says so; numbers shown as facts (parameter counts) are only ones their makers published.
"""

from __future__ import annotations

import altair as alt

from tutor.figures import Figure, dot_quote, figure
from tutor.i18n import t, t_list

_NS = "figures_generation"

_GRAPH_STYLE = [
    '  graph [fontname="sans-serif", rankdir=LR, nodesep=0.4, ranksep=0.5];',
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="sans-serif"];',
    '  edge [fontname="sans-serif", fontsize=11];',
]


def _label(key: str, lang: str, **fmt: object) -> str:
    """One label of this module's figures."""
    return t(f"{_NS}.{key}", lang, **fmt)


@figure("generation-loop")
def generation_loop(lang: str) -> Figure:
    """Predict, pick, append, repeat: the loop every text generator runs."""
    lab = {k: _label(f"loop.{k}", lang) for k in ("text", "model", "probs", "pick", "append", "again")}
    dot = [
        "digraph G {",
        *_GRAPH_STYLE,
        f'  text [label={dot_quote(lab["text"])}, fillcolor="#fff4cc"];',
        f'  model [label={dot_quote(lab["model"])}, fillcolor="#d3e0f3"];',
        f"  probs [label={dot_quote(lab['probs'])}];",
        f'  pick [label={dot_quote(lab["pick"])}, fillcolor="#e3f1e0"];',
        f"  append [label={dot_quote(lab['append'])}];",
        "  text -> model -> probs -> pick -> append;",
        # The arrow back is what makes it a loop: the new token becomes part of the next input.
        f"  append -> text [label={dot_quote(lab['again'])}, style=dashed, constraint=false];",
        "}",
    ]
    return Figure("graphviz", "\n".join(dot), _label("loop.caption", lang))


@figure("gpt-letters")
def gpt_letters(lang: str) -> Figure:
    """G, P and T spelled out, one row per letter."""
    cols = [_label(f"gpt.col_{k}", lang) for k in ("letter", "word", "meaning")]
    rows = []
    for letter in ("g", "p", "t"):
        values = [letter.upper(), _label(f"gpt.{letter}_word", lang), _label(f"gpt.{letter}_meaning", lang)]
        rows.append(dict(zip(cols, values, strict=True)))
    return Figure("table", rows, _label("gpt.caption", lang))


# Made-up attention weights for one sentence, chosen to show the idea: each word may look only at
# itself and the words before it (that is how GPT-style models read), and a word leans most on the
# earlier word that matters for it ("it" -> "cat"; in Korean, where the subject is left out,
# "높았거든요" -> "상자": what was too high must be inferred). Row i lists how strongly word i looks at
# words 0..i; the numbers are scaled so each row adds up to 1. Lesson 10 shows this only as a stand-in
# for the real model's attention on the "inside" page.
_ATTENTION_RAW = {
    "en": [
        [1.0],
        [0.3, 1.0],
        [0.2, 1.0, 0.6],
        [0.1, 0.5, 0.6, 0.8],
        [0.1, 2.4, 0.2, 0.3, 0.4],
        [0.1, 0.4, 0.2, 0.2, 1.2, 0.6],
        [0.1, 1.4, 0.6, 0.3, 1.0, 0.6, 0.5],
    ],
    "ko": [
        [1.0],
        [0.5, 1.0],
        [0.3, 1.2, 0.6],
        [0.8, 0.5, 0.6, 0.7],
        [0.4, 0.2, 0.2, 1.2, 0.6],
        [0.3, 0.2, 0.1, 0.3, 0.4, 0.7],
        [0.4, 2.2, 0.3, 0.6, 0.3, 0.9, 0.5],
    ],
}


def attention_rows(lang: str) -> list[dict[str, object]]:
    """The illustrative weights as rows (reader word, looked-at word, weight), each row summing to 1."""
    words = t_list(f"{_NS}.attention.words", lang)
    raw = _ATTENTION_RAW[lang if lang in _ATTENTION_RAW else "en"]
    rows = []
    for i, weights in enumerate(raw):
        total = sum(weights)
        for j, w in enumerate(weights):
            rows.append({"reader": words[i], "looked_at": words[j], "weight": round(w / total, 2)})
    return rows


@figure("attention-weights")
def attention_weights(lang: str) -> Figure:
    """A heatmap of made-up attention weights over a short sentence (an illustration, not a model)."""
    words = t_list(f"{_NS}.attention.words", lang)
    base = alt.Chart(alt.Data(values=attention_rows(lang)))
    x = alt.X("looked_at:N", sort=words, title=_label("attention.x_title", lang), axis=alt.Axis(labelAngle=0))
    y = alt.Y("reader:N", sort=words, title=_label("attention.y_title", lang))
    cells = base.mark_rect().encode(
        x=x,
        y=y,
        color=alt.Color(
            "weight:Q",
            title=_label("attention.color_title", lang),
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
        ),
        tooltip=[
            alt.Tooltip("reader:N", title=_label("attention.y_title", lang)),
            alt.Tooltip("looked_at:N", title=_label("attention.x_title", lang)),
            alt.Tooltip("weight:Q", title=_label("attention.color_title", lang), format=".2f"),
        ],
    )
    numbers = base.mark_text(fontSize=11).encode(
        x=x,
        y=y,
        text=alt.Text("weight:Q", format=".2f"),
        color=alt.condition("datum.weight > 0.5", alt.value("white"), alt.value("black")),
    )
    chart = (cells + numbers).properties(
        title=_label("attention.title", lang), width=alt.Step(58), height=alt.Step(30)
    )
    return Figure("altair", chart, _label("attention.caption", lang))


@figure("training-phases")
def training_phases(lang: str) -> Figure:
    """Pre-training, then instruction tuning, then preference tuning, with how much data each uses."""
    phases = ("pre", "sft", "pref")
    results = ("base", "assistant", "aligned")
    # Top to bottom: the boxes carry several lines each and would run off the page side by side.
    dot = ["digraph G {", *_GRAPH_STYLE, "  rankdir=TB;"]
    colours = {"pre": "#d3e0f3", "sft": "#e3f1e0", "pref": "#fde2d6"}
    for phase in phases:
        parts = ("title", "data", "learns")
        label = "\n".join(_label(f"phases.{phase}_{part}", lang) for part in parts)
        dot.append(f'  {phase} [label={dot_quote(label)}, fillcolor="{colours[phase]}"];')
    for result in results:
        dot.append(f"  {result} [label={dot_quote(_label(f'phases.{result}', lang))}, shape=ellipse];")
    dot += ["  pre -> base -> sft -> assistant -> pref -> aligned;", "}"]
    return Figure("graphviz", "\n".join(dot), _label("phases.caption", lang))


@figure("grounded-prompt")
def grounded_prompt(lang: str) -> Figure:
    """Search first, then answer: retrieved passages go into the prompt next to the question."""
    lab = {
        k: _label(f"grounded.{k}", lang)
        for k in ("question", "search", "library", "passages", "prompt", "model", "answer")
    }
    dot = [
        "digraph G {",
        *_GRAPH_STYLE,
        # Top to bottom: seven steps side by side would shrink the text to nothing.
        "  rankdir=TB;",
        f'  question [label={dot_quote(lab["question"])}, fillcolor="#fff4cc"];',
        f"  search [label={dot_quote(lab['search'])}];",
        f'  library [label={dot_quote(lab["library"])}, shape=cylinder, fillcolor="#eeeeee"];',
        f"  passages [label={dot_quote(lab['passages'])}];",
        f'  prompt [label={dot_quote(lab["prompt"])}, shape=note, fillcolor="#d3e0f3"];',
        f"  model [label={dot_quote(lab['model'])}];",
        f'  answer [label={dot_quote(lab["answer"])}, fillcolor="#e3f1e0"];',
        "  question -> search;",
        "  library -> search [style=dashed];",
        "  search -> passages -> prompt;",
        "  question -> prompt;",
        "  prompt -> model -> answer;",
        "}",
    ]
    return Figure("graphviz", "\n".join(dot), _label("grounded.caption", lang))


@figure("prompt-patterns")
def prompt_patterns(lang: str) -> Figure:
    """Zero-shot, few-shot and chain-of-thought side by side."""
    cols = [_label(f"patterns.col_{k}", lang) for k in ("pattern", "give", "example", "helps")]
    rows = []
    for pattern in ("zero", "few", "cot"):
        values = [_label(f"patterns.{pattern}_{k}", lang) for k in ("name", "give", "example", "helps")]
        rows.append(dict(zip(cols, values, strict=True)))
    return Figure("table", rows, _label("patterns.caption", lang))


# Parameter counts as their makers published them. GPT-4's size was never disclosed; the figure
# says so rather than repeating rumours. Mixture-of-experts models list total and active counts.
_SCALE_ROWS: tuple[tuple[str, str, str, int | None, str], ...] = (
    # (year, model, maker, millions of parameters or None if undisclosed, note key)
    ("2018", "GPT", "OpenAI", 117, "first"),
    ("2019", "GPT-2", "OpenAI", 1_500, "gpt2"),
    ("2020", "GPT-3", "OpenAI", 175_000, "gpt3"),
    ("2022", "PaLM", "Google", 540_000, "palm"),
    ("2022", "Chinchilla", "DeepMind", 70_000, "chinchilla"),
    ("2023", "LLaMA", "Meta", 65_000, "llama"),
    ("2023", "GPT-4", "OpenAI", None, "gpt4"),
    ("2024", "Llama 3.1", "Meta", 405_000, "llama31"),
    ("2024", "DeepSeek-V3", "DeepSeek", 671_000, "moe"),
)


def format_parameters(millions: int, lang: str) -> str:
    """A parameter count written the way each language counts: "1.5 billion" / "15억"."""
    if lang == "ko":
        # Korean groups by 10,000: 억 = 100 million, 만 = 10 thousand.
        eok, rest = divmod(millions, 100)
        parts = [f"{eok:,}억"] if eok else []
        if rest:
            parts.append(f"{rest * 100:,}만")
        return " ".join(parts)
    if millions < 1_000:
        return f"{millions} million"
    return f"{millions / 1_000:g} billion"


@figure("scale-timeline")
def scale_timeline(lang: str) -> Figure:
    """Published parameter counts of well-known language models, by year."""
    cols = [_label(f"scale.col_{k}", lang) for k in ("year", "model", "maker", "params", "note")]
    rows = []
    for year, model, maker, millions, note in _SCALE_ROWS:
        shown = _label("scale.not_disclosed", lang) if millions is None else format_parameters(millions, lang)
        rows.append(
            dict(zip(cols, [year, model, maker, shown, _label(f"scale.note_{note}", lang)], strict=True))
        )
    return Figure("table", rows, _label("scale.caption", lang))
