"""The practice logic behind the page: input checks, streaming records, Stop, grading, hints,
the rubric's feedback split, and judging a tip's demo."""
import threading

import pytest

from tests.fakes import FakeEngine
from tutor.prompting.exercises import load_content
from tutor.prompting.practice import input_problem, recorded, stream_prompt
from tutor.prompting.session import Output, TipResult


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
    record = Output()
    stop = threading.Event()
    assert "".join(recorded(iter(["a", "b", "c"]), record, stop)) == "abc"
    assert record == Output(text="abc", done=True)


def test_stopping_early_keeps_what_arrived_and_tells_the_engine_to_stop():
    record = Output()
    stop = threading.Event()
    stream = recorded(iter(["first ", "second ", "third"]), record, stop)
    assert next(stream) == "first "
    stream.close()  # what happens when the page stops reading (Stop button, page switch)
    assert stop.is_set()
    assert record == Output(text="first ", done=False)


def test_stopping_early_closes_the_engines_stream_itself():
    from tests.fakes import FakeStream

    stream = FakeStream(iter(["first ", "second "]), [])
    pieces = recorded(stream, Output(), threading.Event())
    next(pieces)
    pieces.close()
    assert stream.closed, "the model is let go at once, not when the stream is garbage-collected"


def test_an_answer_cut_by_the_local_time_limit_is_not_done():
    from tests.llm_tiny import stall_on_pass, tiny_engine
    from tutor.llm.base import EngineError

    engine = tiny_engine()
    engine._eos_ids = set()
    handle = stall_on_pass(engine, 3, 1.5)  # the time limit passes with two tokens written
    record = Output()
    try:
        stream = stream_prompt(engine, "The cat sat", kind="completion", max_new_tokens=50, timeout_s=1.0)
        with pytest.raises(EngineError) as err:
            "".join(recorded(stream, record, threading.Event()))
    finally:
        handle.remove()
    assert err.value.code == "timeout"
    assert record.text and record.done is False  # kept, and never graded as a whole answer


def test_stream_prompt_sends_chat_messages_or_raw_text():
    engine = FakeEngine(reply="ok")
    "".join(stream_prompt(engine, "Hi", kind="chat", temperature=0.0))
    "".join(stream_prompt(engine, "Hi", kind="completion", temperature=1.2))
    chat, completion = engine.calls
    assert (chat["kind"], chat["messages"], chat["temperature"]) == ("chat", [{"role": "user", "content": "Hi"}], 0.0)
    assert (completion["kind"], completion["text"], completion["temperature"]) == ("completion", "Hi", 1.2)


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
    assert judge_demo(tip, None) is None and judge_demo(tip, TipResult()) is None
    assert judge_demo(tip, TipResult(after=[Output("Room 214", done=False)])) is None  # stopped: proves nothing
    worked = judge_demo(tip, TipResult(after=[Output("In Room 214 of the library.", done=True)]))
    assert worked.worked and worked.failed == []
    failed = judge_demo(tip, TipResult(after=[Output("Bring a chess clock.", done=True)]))
    assert not failed.worked and [side for side, _ in failed.failed] == ["after"]
    no_rules = next(x for x in load_content("en").tips if x.id == "zero-shot")
    assert judge_demo(no_rules, TipResult(after=[Output("x", done=True)])) is None


def test_feedback_puts_the_checks_the_exercise_needs_first_and_counts_the_met_ones():
    from tutor.prompting.practice import rubric_feedback
    from tutor.prompting.rubric import CHECKS

    exercise = load_content("en").exercise("currency-few-shot")
    prompt = "apple: 3 dollars → $3.00\nbread: $2.5 → $2.50\npen: four dollars and 7 cents →"
    feedback = rubric_feedback(prompt, exercise)
    assert [r.check for r in feedback.needed] == [c for c in CHECKS if c in exercise.needs]
    assert [r.check for r in feedback.others] == [c for c in CHECKS if c not in exercise.needs]
    assert feedback.needed_met == sum(r.passed for r in feedback.needed) == 2


def test_feedback_on_a_prompt_that_misses_a_needed_check_counts_it_as_missing():
    from tutor.prompting.practice import rubric_feedback

    exercise = load_content("en").exercise("currency-few-shot")
    feedback = rubric_feedback("Convert pen: four dollars and 7 cents into $X.XX.", exercise)
    assert feedback.needed_met < len(feedback.needed)
    assert not next(r for r in feedback.needed if r.check == "examples").passed


@pytest.mark.parametrize("prompt", ["", "   \n "])
def test_an_empty_prompt_gets_no_feedback_yet(prompt):
    from tutor.prompting.practice import rubric_feedback

    assert rubric_feedback(prompt, load_content("en").exercise("three-bullets")) is None


def test_judge_demo_waits_until_every_run_of_a_side_has_finished_without_error():
    from dataclasses import replace

    from tutor.prompting.practice import judge_demo

    grounding = next(x for x in load_content("en").tips if x.id == "grounding")
    tip = replace(grounding, after=replace(grounding.after, runs=2))
    good = "In Room 214 of the library."
    assert judge_demo(tip, TipResult(after=[Output(good, done=True)])) is None  # one of two runs
    assert judge_demo(tip, TipResult(after=[Output(good, done=True), Output(good, done=False)])) is None
    assert judge_demo(tip, TipResult(after=[Output(good, done=True), Output(good, done=True, error="x")])) is None
    assert judge_demo(tip, TipResult(after=[Output(good, done=True), Output(good, done=True)])).worked
