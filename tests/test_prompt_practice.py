"""The practice logic behind the page: input checks, streaming records, Stop, grading, hints."""
import threading

import pytest

from tests.fakes import FakeEngine
from tutor.prompting.exercises import load_content
from tutor.prompting.practice import (
    finish_run,
    grade,
    input_problem,
    new_attempt,
    recorded,
    reveal_next_hint,
    start_run,
    stream_prompt,
)


@pytest.mark.parametrize(
    "prompt, problem",
    [
        ("", "prompting.practice.empty"),
        (" \n\t ", "prompting.practice.empty"),
        ("\u200b\ufeff", "prompting.practice.empty"),
        (None, "prompting.practice.empty"),
        (["a list"], "prompting.practice.empty"),
        ("x" * 2001, "prompting.practice.too_long"),
        ("x" * 2000, None),
        ("Translate 안녕 🙂", None),
    ],
)
def test_input_problem_names_empty_and_too_long_prompts(prompt, problem):
    assert input_problem(prompt, 2000) == problem


def test_recorded_keeps_every_piece_and_marks_a_finished_answer():
    record: dict = {}
    stop = threading.Event()
    assert "".join(recorded(iter(["a", "b", "c"]), record, stop)) == "abc"
    assert record == {"text": "abc", "done": True}


def test_stopping_early_keeps_what_arrived_and_tells_the_engine_to_stop():
    record: dict = {}
    stop = threading.Event()
    stream = recorded(iter(["first ", "second ", "third"]), record, stop)
    assert next(stream) == "first "
    stream.close()  # what happens when the page stops reading (Stop button, page switch)
    assert stop.is_set()
    assert record == {"text": "first ", "done": False}


def test_stopping_early_closes_the_engines_stream_itself():
    from tests.fakes import FakeStream

    stream = FakeStream(iter(["first ", "second "]), [])
    pieces = recorded(stream, {}, threading.Event())
    next(pieces)
    pieces.close()
    assert stream.closed, "the model is let go at once, not when the stream is garbage-collected"


def test_an_answer_cut_by_the_local_time_limit_is_not_done():
    from tests.llm_tiny import stall_on_pass, tiny_engine
    from tutor.llm.base import EngineError

    engine = tiny_engine()
    engine._eos_ids = set()
    handle = stall_on_pass(engine, 3, 1.5)  # the time limit passes with two tokens written
    record: dict = {}
    try:
        stream = stream_prompt(engine, "The cat sat", kind="completion", max_new_tokens=50, timeout_s=1.0)
        with pytest.raises(EngineError) as err:
            "".join(recorded(stream, record, threading.Event()))
    finally:
        handle.remove()
    assert err.value.code == "timeout"
    assert record["text"] and record["done"] is False  # kept, and never graded as a whole answer


def test_stream_prompt_sends_chat_messages_or_raw_text():
    engine = FakeEngine(reply="ok")
    "".join(stream_prompt(engine, "Hi", kind="chat", temperature=0.0))
    "".join(stream_prompt(engine, "Hi", kind="completion", temperature=1.2))
    chat, completion = engine.calls
    assert (chat["kind"], chat["messages"], chat["temperature"]) == ("chat", [{"role": "user", "content": "Hi"}], 0.0)
    assert (completion["kind"], completion["text"], completion["temperature"]) == ("completion", "Hi", 1.2)


def test_a_stopped_run_is_filed_but_never_passes():
    exercise = load_content("en").exercise("three-bullets")
    attempt = new_attempt()
    run = start_run(attempt, "three bullets please")
    run["text"] = "- a\n- b\n- c"  # a full-looking answer that arrived before Stop
    finish_run(attempt, run, grade(run["text"], exercise))
    assert attempt["runs"] == [run]
    assert run["stopped"] and not run["passed"] and not attempt["passed"]


def test_a_finished_run_is_graded_on_its_output_and_a_pass_sticks():
    exercise = load_content("en").exercise("three-bullets")
    attempt = new_attempt()
    good = start_run(attempt, "p1")
    good.update(text="- a\n- b\n- c", done=True)
    finish_run(attempt, good, grade(good["text"], exercise))
    bad = start_run(attempt, "p2")
    bad.update(text="PASS", done=True)
    finish_run(attempt, bad, grade(bad["text"], exercise))
    assert good["passed"] and not bad["passed"]
    assert attempt["passed"]  # passing once is remembered
    assert bad["results"][0][1] is False


def test_hints_unlock_one_at_a_time_and_stop_at_three():
    attempt = new_attempt()
    assert [reveal_next_hint(attempt) for _ in range(5)] == [1, 2, 3, 3, 3]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_paste_it_hint_says_done_once_the_review_is_in_the_prompt(lang):
    from tutor.prompting.practice import hints_already_done

    exercise = load_content(lang).exercise("one-word-sentiment")
    review = exercise.passages[0]
    assert hints_already_done(exercise, f"{review}\n\npositive or negative?")[0] is True
    assert hints_already_done(exercise, "positive or negative?")[0] is False
    assert hints_already_done(exercise, "") == (False, False, False)


def test_judge_demo_waits_for_finished_runs_and_names_each_failed_rule():
    from tutor.prompting.practice import judge_demo

    tip = next(x for x in load_content("en").tips if x.id == "grounding")
    assert judge_demo(tip, {}) is None
    assert judge_demo(tip, {"after": [{"text": "Room 214", "done": False}]}) is None  # stopped: proves nothing
    worked = judge_demo(tip, {"after": [{"text": "In Room 214 of the library.", "done": True}]})
    assert worked.worked and worked.failed == []
    failed = judge_demo(tip, {"after": [{"text": "Bring a chess clock.", "done": True}]})
    assert not failed.worked and [side for side, _ in failed.failed] == ["after"]
    no_rules = next(x for x in load_content("en").tips if x.id == "zero-shot")
    assert judge_demo(no_rules, {"after": [{"text": "x", "done": True}]}) is None
