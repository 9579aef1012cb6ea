"""Lesson 16's figures build in both languages and tell one consistent story: the tool call the
model writes names a tool the system message offers, the app's result answers that call, and the
final answer quotes the result; the patch figure's numbers follow from the image and patch sizes."""

from __future__ import annotations

import json
import re

import pytest

from tutor.figures import build
from tutor.figures.safety import (
    CHANNELS,
    IMAGE_SIZE,
    PATCH_SIZE,
    TRACE_RESULT,
    TRACE_TOOL,
    patch_counts,
    trace_messages,
)

NAMES = ("tool-call-trace", "agent-loop", "image-patches")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _all_text(fig) -> str:
    """Everything a figure would show, flattened to one string."""
    spec = json.dumps(fig.spec, ensure_ascii=False) if fig.kind == "table" else str(fig.spec)
    return spec + "\n" + fig.caption


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_figure_builds_with_a_caption_and_no_missing_label(name: str, lang: str) -> None:
    fig = build(name, lang)
    assert fig.kind in {"graphviz", "table"}
    text = _all_text(fig)
    assert fig.caption and "figures_safety." not in text, "a label key is missing"
    assert not re.search(r"\{[a-z_]+\}", text), "a placeholder was left unfilled"


@pytest.mark.parametrize("name", NAMES)
def test_korean_figure_is_labelled_in_korean_and_english_one_is_not(name: str) -> None:
    assert HANGUL.search(_all_text(build(name, "ko")))
    assert not HANGUL.search(_all_text(build(name, "en")))


@pytest.mark.parametrize("name", ["agent-loop", "image-patches"])
def test_graphviz_figures_are_balanced_dot_digraphs(name: str) -> None:
    dot = build(name, "en").spec
    assert dot.startswith("digraph") and dot.count("{") == dot.count("}")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_trace_runs_in_chat_order_and_only_assistant_turns_come_from_the_model(lang: str) -> None:
    messages = trace_messages(lang)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "assistant"]
    # The result turn is the app's, not the model's: that is the point of the figure.
    assert messages[3]["by"] != messages[2]["by"] and messages[3]["by"] != messages[4]["by"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_models_tool_call_is_json_naming_an_offered_tool_with_the_users_city(lang: str) -> None:
    system, user, call, _, _ = trace_messages(lang)
    parsed = json.loads(call["content"])
    assert set(parsed) == {"name", "arguments"}
    assert parsed["name"] == TRACE_TOOL and TRACE_TOOL in system["content"]
    assert parsed["arguments"]["city"] in user["content"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_final_answer_states_what_the_tool_returned(lang: str) -> None:
    _, _, call, tool, answer = trace_messages(lang)
    result = json.loads(tool["content"])
    assert result["city"] == json.loads(call["content"])["arguments"]["city"]
    assert f"{round(result['rain_chance'] * 100)}%" in answer["content"]
    assert str(result["temp_c"]) in answer["content"] and result["city"] in answer["content"]
    assert result["rain_chance"] == TRACE_RESULT["rain_chance"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_trace_table_has_one_row_per_message_numbered_from_one(lang: str) -> None:
    rows = build("tool-call-trace", lang).spec
    assert len(rows) == len(trace_messages(lang))
    first_column = [next(iter(row.values())) for row in rows]
    assert first_column == [str(i) for i in range(1, len(rows) + 1)]


def test_patch_counts_follow_from_the_sizes() -> None:
    assert patch_counts(224, 16, 3) == (14, 196, 768)
    assert patch_counts(336, 14, 3) == (24, 576, 588)
    assert patch_counts(IMAGE_SIZE, PATCH_SIZE, CHANNELS)[1] == (IMAGE_SIZE // PATCH_SIZE) ** 2


@pytest.mark.parametrize("sizes", [(224, 15, 3), (0, 16, 3), (224, -16, 3), (224, 16, 0)])
def test_patch_counts_refuse_sizes_that_do_not_split_evenly(sizes: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        patch_counts(*sizes)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_patch_figure_shows_the_computed_numbers(lang: str) -> None:
    side, count, numbers = patch_counts(IMAGE_SIZE, PATCH_SIZE, CHANNELS)
    dot = build("image-patches", lang).spec
    assert f"{side} × {side} = {count}" in dot and str(numbers) in dot
