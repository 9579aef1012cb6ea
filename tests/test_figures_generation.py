"""The figures of lessons 9-15 build in both languages, with labels in the lesson's language."""

from __future__ import annotations

import json
import re

import pytest

from tutor.figures import build
from tutor.figures.generation import attention_rows, format_parameters

NAMES = (
    "generation-loop",
    "gpt-letters",
    "attention-weights",
    "training-phases",
    "grounded-prompt",
    "prompt-patterns",
    "scale-timeline",
)
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _all_text(fig) -> str:
    """Everything a figure would show, flattened to one string."""
    if fig.kind == "altair":
        spec = json.dumps(fig.spec.to_dict(), ensure_ascii=False)
    elif fig.kind == "table":
        spec = json.dumps(fig.spec, ensure_ascii=False)
    else:
        spec = str(fig.spec)
    return spec + "\n" + fig.caption


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_figure_builds_with_a_caption_in_each_language(name: str, lang: str) -> None:
    fig = build(name, lang)
    assert fig.kind in {"graphviz", "altair", "table"}
    assert fig.caption and "figures_generation." not in _all_text(fig), "a label key is missing"


@pytest.mark.parametrize("name", NAMES)
def test_korean_figure_is_labelled_in_korean_and_english_one_is_not(name: str) -> None:
    assert HANGUL.search(_all_text(build(name, "ko")))
    assert not HANGUL.search(_all_text(build(name, "en")))


@pytest.mark.parametrize("name", ["generation-loop", "training-phases", "grounded-prompt"])
def test_graphviz_figures_are_balanced_dot_digraphs(name: str) -> None:
    dot = build(name, "en").spec
    assert dot.startswith("digraph") and dot.count("{") == dot.count("}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_illustrative_attention_rows_each_sum_to_one_and_never_look_ahead(lang: str) -> None:
    rows = attention_rows(lang)
    words = [r["reader"] for r in rows]
    order = list(dict.fromkeys(words))
    for reader in order:
        mine = [r for r in rows if r["reader"] == reader]
        assert sum(r["weight"] for r in mine) == pytest.approx(1.0, abs=0.03)
        # A GPT-style model reads left to right: a word may only look at itself and earlier words.
        assert all(order.index(r["looked_at"]) <= order.index(reader) for r in mine)


def test_attention_figure_says_it_is_an_illustration() -> None:
    assert "Illustration" in build("attention-weights", "en").spec.to_dict()["title"]
    assert "예시" in build("attention-weights", "ko").spec.to_dict()["title"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_scale_timeline_marks_gpt4_size_as_not_disclosed(lang: str) -> None:
    rows = build("scale-timeline", lang).spec
    gpt4 = next(r for r in rows if "GPT-4" in r.values())
    expected = "not disclosed" if lang == "en" else "공개되지 않음"
    assert expected in gpt4.values()
    assert not any(re.search(r"\d", str(v)) for k, v in gpt4.items() if v not in ("2023", "GPT-4"))


def test_parameter_counts_are_written_the_way_each_language_counts() -> None:
    assert format_parameters(175_000, "en") == "175 billion"
    assert format_parameters(1_500, "en") == "1.5 billion"
    assert format_parameters(117, "en") == "117 million"
    assert format_parameters(175_000, "ko") == "1,750억"
    assert format_parameters(1_500, "ko") == "15억"
    assert format_parameters(117, "ko") == "1억 1,700만"
