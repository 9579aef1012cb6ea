"""What the Prompting page keeps between reruns (tutor.prompting.session): the pending click, the
attempt at an exercise with its runs and hints, and that all of it is plain, picklable data."""
import pickle

from tutor.prompting.exercises import load_content
from tutor.prompting.practice import grade
from tutor.prompting.session import Attempt, Output, PendingClick, Run, TipResult, attempt_for


def test_a_pending_click_is_taken_once_and_only_by_the_button_that_made_it():
    pending = PendingClick()
    assert not pending.take("tip:grounding")
    pending.request("tip:grounding")
    assert not pending.take("exercise:three-bullets")  # another card does not take it
    assert pending.take("tip:grounding")
    assert not pending.take("tip:grounding")  # used up: the next rerun does not run the model again


def test_a_later_click_replaces_an_earlier_one_not_yet_taken():
    pending = PendingClick()
    pending.request("tip:grounding")
    pending.request("exercise:three-bullets")
    assert not pending.take("tip:grounding") and pending.take("exercise:three-bullets")


def test_a_stopped_run_is_filed_but_never_passes():
    exercise = load_content("en").exercise("three-bullets")
    attempt = Attempt()
    run = attempt.start_run("three bullets please")
    run.text = "- a\n- b\n- c"  # a full-looking answer that arrived before Stop
    attempt.finish_run(run, grade(run.text, exercise))
    assert attempt.runs == [run]
    assert run.stopped and not run.passed and not attempt.passed


def test_a_finished_run_is_graded_on_its_output_and_a_pass_sticks():
    exercise = load_content("en").exercise("three-bullets")
    attempt = Attempt()
    good = attempt.start_run("p1")
    good.text, good.done = "- a\n- b\n- c", True
    attempt.finish_run(good, grade(good.text, exercise))
    bad = attempt.start_run("p2")
    bad.text, bad.done = "PASS", True
    attempt.finish_run(bad, grade(bad.text, exercise))
    assert good.passed and not bad.passed
    assert attempt.passed  # passing once is remembered
    assert bad.results[0].passed is False


def test_hints_unlock_one_at_a_time_and_stop_at_three():
    attempt = Attempt()
    assert [attempt.reveal_next_hint() for _ in range(5)] == [1, 2, 3, 3, 3]



def test_the_last_run_is_shown_and_the_earlier_ones_are_the_history():
    attempt = Attempt()
    assert attempt.last_run is None and attempt.earlier_runs == []
    first, second, third = (attempt.start_run(p) for p in ("p1", "p2", "p3"))
    assert attempt.last_run is third
    assert attempt.earlier_runs == [first, second]


def test_a_run_the_model_failed_on_is_unfiled():
    attempt = Attempt()
    kept = attempt.start_run("p1")
    failed = attempt.start_run("p2")
    attempt.drop_run(failed)
    assert attempt.runs == [kept] and attempt.last_run is kept


def test_the_prompt_box_answer_and_hints_change_only_their_own_part_of_the_attempt():
    attempt = Attempt()
    attempt.type_text("Explain sleep.")
    assert attempt.text == "Explain sleep."
    attempt.type_text(None)  # a cleared widget
    assert attempt.text == ""
    attempt.show_answer()
    attempt.use_answer("The model answer.")
    assert (attempt.answer_shown, attempt.text, attempt.hints, attempt.runs) == (True, "The model answer.", 0, [])


def test_each_exercise_has_its_own_attempt_made_once():
    attempts: dict[str, Attempt] = {}
    first = attempt_for(attempts, "three-bullets")
    first.type_text("mine")
    assert attempt_for(attempts, "three-bullets") is first
    assert attempt_for(attempts, "json-contact").text == ""
    assert set(attempts) == {"three-bullets", "json-contact"}


def test_outputs_tip_results_and_graded_attempts_survive_pickling():
    exercise = load_content("en").exercise("three-bullets")
    attempt = Attempt(text="three bullets")
    run = attempt.start_run(attempt.text)
    run.text, run.done = "- a\n- b\n- c", True
    attempt.finish_run(run, grade(run.text, exercise))
    state = {"attempt": attempt, "tip": TipResult(before=[Output("x", done=True)], after=[Output(error="timeout")]),
             "pending": PendingClick("tip:grounding")}
    assert pickle.loads(pickle.dumps(state)) == state
    assert isinstance(pickle.loads(pickle.dumps(run)), Run)
