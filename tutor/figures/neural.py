"""Figures for the lessons on images, neural networks, next-token prediction and training data.

Each figure is built from a small pure function (how many numbers an image is, how many
parameters a network has, how a sentence becomes training pairs), so the picture and the
lesson's numbers come from the same computation.
"""
from __future__ import annotations

import itertools

import altair as alt

from tutor.figures import Figure, dot_quote, figure
from tutor.i18n import t, t_list

# Layer sizes of the small network in the `neural-network` figure: 3 inputs, two hidden
# layers of 4 units, 2 outputs. Small enough to draw every connection.
NETWORK_LAYERS: tuple[int, ...] = (3, 4, 4, 2)

# Images in the `image-shape` table: (label key, height, width, colour channels).
IMAGE_SIZES: tuple[tuple[str, int, int, int], ...] = (
    ("icon", 32, 32, 3),
    ("article", 224, 224, 3),
    ("phone", 3024, 4032, 3),
)


# How many numbers a computer stores for an image: one per pixel per colour channel.
def image_input_count(height: int, width: int, channels: int = 3) -> int:
    """Height × width × channels; 224 × 224 × 3 gives 150,528."""
    if min(height, width, channels) < 1:
        raise ValueError("an image needs at least one pixel and one channel")
    return height * width * channels


# Parameters of a fully connected network: each unit has one weight per input plus a bias.
def parameter_count(layer_sizes: tuple[int, ...] | list[int]) -> int:
    """Weights and biases of a dense network with these layer sizes (inputs first)."""
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("a network needs at least an input and an output layer, each with a unit")
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


# Self-supervision in one function: every word after the first is the label for the words before it.
def training_pairs(sentence: str) -> list[tuple[str, str]]:
    """(context, next word) pairs from one sentence; an n-word sentence gives n - 1 pairs."""
    words = sentence.split()
    return [(" ".join(words[:i]), words[i]) for i in range(1, len(words))]


@figure("image-shape")
def image_shape(lang: str) -> Figure:
    """A table: how many numbers an image becomes, for three image sizes."""
    head = {k: t(f"figures_neural.image.{k}", lang) for k in ("image", "size", "numbers")}
    rows = [
        {
            head["image"]: t(f"figures_neural.image.{key}", lang),
            head["size"]: f"{h} × {w} × {c}",
            head["numbers"]: f"{image_input_count(h, w, c):,}",
        }
        for key, h, w, c in IMAGE_SIZES
    ]
    return Figure("table", rows, t("figures_neural.image.caption", lang))


@figure("neural-network")
def neural_network(lang: str) -> Figure:
    """A tiny dense network drawn left to right: inputs, two hidden layers, outputs."""
    inputs = t_list("figures_neural.network.inputs", lang)
    outputs = t_list("figures_neural.network.outputs", lang)
    layer_titles = [t(f"figures_neural.network.{k}", lang) for k in ("input", "hidden1", "hidden2", "output")]
    sizes = NETWORK_LAYERS
    dot = [
        "digraph G {",
        '  graph [rankdir=LR, splines=line, nodesep=0.25, ranksep=1.1, fontname="sans-serif"];',
        '  node [shape=circle, style=filled, fixedsize=true, width=0.45, label="", fontname="sans-serif"];',
        '  edge [color="#9aa7b8", arrowsize=0.4];',
    ]
    colours = ("#d3e0f3", "#fff4cc", "#fff4cc", "#d7f0d8")
    for layer, size in enumerate(sizes):
        dot.append(f"  subgraph cluster_{layer} {{")
        dot.append(f'    label={dot_quote(layer_titles[layer])}; color="#ffffff"; fontsize=12;')
        for unit in range(size):
            attrs = f'fillcolor="{colours[layer]}"'
            # Inputs and outputs get names (wide boxes); hidden units stay anonymous circles.
            if layer == 0:
                attrs += f", shape=box, fixedsize=false, label={dot_quote(inputs[unit])}"
            elif layer == len(sizes) - 1:
                attrs += f", shape=box, fixedsize=false, label={dot_quote(outputs[unit])}"
            dot.append(f"    n{layer}_{unit} [{attrs}];")
        dot.append("  }")
    for layer in range(len(sizes) - 1):
        for a in range(sizes[layer]):
            for b in range(sizes[layer + 1]):
                dot.append(f"  n{layer}_{a} -> n{layer + 1}_{b};")
    dot.append("}")
    caption = t(
        "figures_neural.network.caption",
        lang,
        units=sum(sizes[1:]),
        params=parameter_count(sizes),
    )
    return Figure("graphviz", "\n".join(dot), caption)


@figure("next-token-bars")
def next_token_bars(lang: str) -> Figure:
    """An illustrative next-token distribution for a short prompt (not a real model's output)."""
    tokens = t_list("figures_neural.bars.tokens", lang)
    # Hand-picked shares for the illustration; they sum to less than 1 because every other
    # token in the vocabulary shares the rest.
    shares = [0.42, 0.21, 0.11, 0.07, 0.04]
    rows = [{"token": tok, "p": p} for tok, p in zip(tokens, shares, strict=True)]
    axis_token = t("figures_neural.bars.axis_token", lang)
    axis_p = t("figures_neural.bars.axis_p", lang)
    chart = (
        alt.Chart(alt.Data(values=rows), title=t("figures_neural.bars.title", lang))
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("p:Q", title=axis_p, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 0.5])),
            y=alt.Y("token:N", title=axis_token, sort="-x"),
            tooltip=[alt.Tooltip("token:N", title=axis_token), alt.Tooltip("p:Q", title=axis_p, format=".0%")],
        )
        .properties(height=180)
    )
    return Figure("altair", chart, t("figures_neural.bars.caption", lang))


@figure("training-pairs")
def training_pairs_table(lang: str) -> Figure:
    """A table: one sentence turned into (context → next word) training examples."""
    sentence = t("figures_neural.pairs.sentence", lang)
    context = t("figures_neural.pairs.context", lang)
    target = t("figures_neural.pairs.target", lang)
    rows = [{"#": i, context: ctx, target: word} for i, (ctx, word) in enumerate(training_pairs(sentence), 1)]
    return Figure("table", rows, t("figures_neural.pairs.caption", lang, sentence=sentence))
