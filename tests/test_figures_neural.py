"""The figures of tutor/figures/neural.py build in both languages and show the right numbers."""
from __future__ import annotations

import itertools
import re

import pytest

from tutor.figures import build
from tutor.figures.neural import (
    NETWORK_LAYERS,
    image_input_count,
    parameter_count,
    training_pairs,
)
from tutor.i18n import t, t_list

LANGS = ("en", "ko")
NEURAL_FIGURES = ("image-shape", "neural-network", "next-token-bars", "training-pairs")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NEURAL_FIGURES)
def test_each_neural_figure_builds_with_a_caption_in_both_languages(name: str, lang: str) -> None:
    fig = build(name, lang)
    assert fig.kind in {"graphviz", "altair", "table"}
    assert fig.caption and "{" not in fig.caption


def test_small_lesson_photo_is_150528_numbers() -> None:
    assert image_input_count(224, 224, 3) == 150_528
    assert image_input_count(2, 3, 1) == 6


def test_image_with_no_pixels_is_refused() -> None:
    with pytest.raises(ValueError):
        image_input_count(0, 224, 3)


@pytest.mark.parametrize("lang", LANGS)
def test_image_shape_table_lists_the_lesson_photo_as_150528(lang: str) -> None:
    rows = build("image-shape", lang).spec
    cells = [str(v) for row in rows for v in row.values()]
    assert "150,528" in cells
    assert "224 × 224 × 3" in cells


def test_parameter_count_adds_one_weight_per_connection_and_one_bias_per_unit() -> None:
    # 2 inputs -> 1 output: two weights and one bias.
    assert parameter_count([2, 1]) == 3
    # 3 -> 4 -> 4 -> 2: (12 + 4) + (16 + 4) + (8 + 2)
    assert parameter_count((3, 4, 4, 2)) == 46


def test_parameter_count_refuses_a_network_without_two_layers() -> None:
    with pytest.raises(ValueError):
        parameter_count([5])


@pytest.mark.parametrize("lang", LANGS)
def test_network_diagram_draws_every_unit_and_connection(lang: str) -> None:
    dot = build("neural-network", lang).spec
    units = sum(NETWORK_LAYERS)
    connections = sum(a * b for a, b in itertools.pairwise(NETWORK_LAYERS))
    assert len(re.findall(r"^\s*n\d+_\d+ \[", dot, flags=re.MULTILINE)) == units
    visible_edges = [line for line in dot.splitlines() if "->" in line and "invis" not in line]
    assert len(visible_edges) == connections
    for label in t_list("figures_neural.network.inputs", lang) + t_list("figures_neural.network.outputs", lang):
        assert label in dot


@pytest.mark.parametrize("lang", LANGS)
def test_network_caption_states_units_and_parameters_computed_from_the_layers(lang: str) -> None:
    caption = build("neural-network", lang).caption
    assert str(parameter_count(NETWORK_LAYERS)) in caption
    assert str(sum(NETWORK_LAYERS[1:])) in caption


@pytest.mark.parametrize("lang", LANGS)
def test_next_token_bars_show_five_tokens_whose_probabilities_leave_room_for_the_rest(lang: str) -> None:
    spec = build("next-token-bars", lang).spec.to_dict()
    values = spec["data"]["values"]
    assert [v["token"] for v in values] == t_list("figures_neural.bars.tokens", lang)
    probs = [v["p"] for v in values]
    assert probs == sorted(probs, reverse=True)
    assert 0 < sum(probs) < 1


def test_training_pairs_of_an_n_word_sentence_are_n_minus_1_growing_contexts() -> None:
    pairs = training_pairs("the cat sat on the mat")
    assert len(pairs) == 5
    assert pairs[0] == ("the", "cat")
    assert pairs[-1] == ("the cat sat on the", "mat")
    # Each context is the previous context plus the previous label.
    for (ctx, word), (next_ctx, _) in itertools.pairwise(pairs):
        assert next_ctx == f"{ctx} {word}"


def test_training_pairs_of_one_word_or_nothing_are_empty() -> None:
    assert training_pairs("hello") == []
    assert training_pairs("   ") == []


@pytest.mark.parametrize("lang", LANGS)
def test_training_pairs_table_has_one_row_per_word_after_the_first(lang: str) -> None:
    sentence = t("figures_neural.pairs.sentence", lang)
    rows = build("training-pairs", lang).spec
    assert len(rows) == len(sentence.split()) - 1
    assert list(rows[-1].values())[-1] == sentence.split()[-1]
