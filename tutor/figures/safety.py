"""Figures for lesson 16: a tool call turn by turn, the agent loop, and an image cut into patches.

Labels come from content/ui/figures_safety.toml. The trace is built from data here (the tool, its
arguments and its result), so the JSON the "model" writes, the JSON the "app" returns and the
answer that quotes it cannot drift apart; the patch numbers are computed, not typed.
"""

from __future__ import annotations

import json

from tutor.figures import Figure, dot_quote, figure
from tutor.i18n import t

_NS = "figures_safety"

_GRAPH_STYLE = [
    '  graph [fontname="sans-serif", nodesep=0.35, ranksep=0.4];',
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="sans-serif"];',
    '  edge [fontname="sans-serif", fontsize=11];',
]

# The made-up tool of the trace and what "running" it returned. Rain chance is a share (0-1), as a
# weather API would send it; the answer turns it into a percentage, the way a model would.
TRACE_TOOL = "get_weather"
TRACE_RESULT = {"rain_chance": 0.8, "temp_c": 14}

# Sizes of the patch figure: a 224-pixel square photo in 16-pixel patches, as in the original
# Vision Transformer and many image encoders since (some use 14-pixel patches).
IMAGE_SIZE = 224
PATCH_SIZE = 16
CHANNELS = 3


def _label(key: str, lang: str, **fmt: object) -> str:
    """One label of this module's figures."""
    return t(f"{_NS}.{key}", lang, **fmt)


def _json(value: object) -> str:
    """JSON as a model or an app would write it; Korean stays readable instead of \\uXXXX escapes."""
    return json.dumps(value, ensure_ascii=False)


def trace_messages(lang: str) -> list[dict[str, str]]:
    """The worked tool call as chat messages: system, user, assistant call, tool result, answer.

    Each message has the chat template's `role`, its `content`, and `by`: who wrote it. Only the
    two assistant turns come from the model; the tool turn is what the app got by running the tool.
    """
    city = _label("trace.city", lang)
    call = {"name": TRACE_TOOL, "arguments": {"city": city}}
    result = {"city": city, **TRACE_RESULT}
    percent = round(TRACE_RESULT["rain_chance"] * 100)
    return [
        {"role": "system", "content": _label("trace.system", lang, tool=TRACE_TOOL), "by": _label("trace.by_system", lang)},
        {"role": "user", "content": _label("trace.user", lang, city=city), "by": _label("trace.by_user", lang)},
        {"role": "assistant", "content": _json(call), "by": _label("trace.by_call", lang)},
        {"role": "tool", "content": _json(result), "by": _label("trace.by_tool", lang, tool=TRACE_TOOL)},
        {
            "role": "assistant",
            "content": _label("trace.answer", lang, city=city, percent=percent, temp=TRACE_RESULT["temp_c"]),
            "by": _label("trace.by_answer", lang),
        },
    ]


@figure("tool-call-trace")
def tool_call_trace(lang: str) -> Figure:
    """The worked tool call as a table, one row per message of the conversation."""
    cols = [_label(f"trace.col_{k}", lang) for k in ("step", "role", "text", "by")]
    rows = [
        dict(zip(cols, [str(i), m["role"], m["content"], m["by"]], strict=True))
        for i, m in enumerate(trace_messages(lang), start=1)
    ]
    return Figure("table", rows, _label("trace.caption", lang))


@figure("agent-loop")
def agent_loop(lang: str) -> Figure:
    """Plan, call, run, read, decide: the loop an agent runs, with a person's check before risky acts."""
    keys = ("goal", "plan", "call", "run", "read", "decide", "answer", "more", "done", "approve")
    lab = {k: _label(f"agent.{k}", lang) for k in keys}
    model, app = "#d3e0f3", "#e3f1e0"  # the model's steps and the app's, coloured as in the trace
    dot = [
        "digraph G {",
        *_GRAPH_STYLE,
        # Top to bottom: the loop reads like a list of steps, and it stays narrow on a phone.
        "  rankdir=TB;",
        f'  goal [label={dot_quote(lab["goal"])}, fillcolor="#fff4cc"];',
        f'  plan [label={dot_quote(lab["plan"])}, fillcolor="{model}"];',
        f'  call [label={dot_quote(lab["call"])}, fillcolor="{model}"];',
        f'  run [label={dot_quote(lab["run"])}, fillcolor="{app}"];',
        f'  read [label={dot_quote(lab["read"])}, fillcolor="{model}"];',
        f"  decide [label={dot_quote(lab['decide'])}, shape=diamond, style=filled];",
        f'  answer [label={dot_quote(lab["answer"])}, fillcolor="#fff4cc"];',
        "  goal -> plan -> call;",
        # The person's check sits on the one arrow where the model's text turns into an action.
        f'  call -> run [label={dot_quote(lab["approve"])}, fontcolor="#a33b20", color="#a33b20", penwidth=1.6];',
        "  run -> read -> decide;",
        # The arrow back is what makes it an agent: every result feeds the next plan.
        f"  decide:e -> plan:e [label={dot_quote(lab['more'])}, style=dashed, constraint=false];",
        f"  decide -> answer [label={dot_quote(lab['done'])}];",
        "}",
    ]
    return Figure("graphviz", "\n".join(dot), _label("agent.caption", lang))


def patch_counts(image_size: int, patch_size: int, channels: int) -> tuple[int, int, int]:
    """(patches per side, patches in all, numbers per patch) for a square image cut into square patches."""
    if image_size <= 0 or patch_size <= 0 or channels <= 0:
        raise ValueError("sizes must be positive")
    if image_size % patch_size:
        raise ValueError(f"{image_size} pixels do not split into {patch_size}-pixel patches")
    side = image_size // patch_size
    return side, side * side, patch_size * patch_size * channels


@figure("image-patches")
def image_patches(lang: str) -> Figure:
    """A photo becomes patches, each patch one vector; image and text tokens share one context."""
    side, count, numbers = patch_counts(IMAGE_SIZE, PATCH_SIZE, CHANNELS)
    sizes = {"size": IMAGE_SIZE, "patch": PATCH_SIZE, "channels": CHANNELS, "side": side, "count": count}
    lab = {
        "photo": _label("patches.photo", lang, **sizes),
        "cut": _label("patches.cut", lang, **sizes),
        "numbers": _label("patches.numbers", lang, numbers=numbers, **sizes),
        "encoder": _label("patches.encoder", lang),
        "vectors": _label("patches.vectors", lang, **sizes),
        "text": _label("patches.text", lang),
        "context": _label("patches.context", lang),
        "model": _label("patches.model", lang),
    }
    dot = [
        "digraph G {",
        *_GRAPH_STYLE,
        "  rankdir=TB;",
        f'  photo [label={dot_quote(lab["photo"])}, fillcolor="#fff4cc"];',
        f"  cut [label={dot_quote(lab['cut'])}, shape=box3d];",
        f"  numbers [label={dot_quote(lab['numbers'])}];",
        f'  encoder [label={dot_quote(lab["encoder"])}, fillcolor="#d3e0f3"];',
        f"  vectors [label={dot_quote(lab['vectors'])}];",
        f'  text [label={dot_quote(lab["text"])}, fillcolor="#fff4cc"];',
        f'  context [label={dot_quote(lab["context"])}, shape=note, fillcolor="#e3f1e0"];',
        f'  model [label={dot_quote(lab["model"])}, fillcolor="#d3e0f3"];',
        "  photo -> cut -> numbers -> encoder -> vectors -> context;",
        "  text -> context;",
        "  context -> model;",
        "}",
    ]
    return Figure("graphviz", "\n".join(dot), _label("patches.caption", lang))
