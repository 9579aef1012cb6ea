"""Prompting: the article's tips as live before/after experiments, and practice with feedback.

State, all non-widget keys so a rerun or a page switch loses nothing (the dataclasses of
tutor.prompting.session say what each holds): prompt_tip_results {tip id: TipResult}, the last run
of each tip card; prompt_exercise, the chosen exercise's id; prompt_attempts {exercise id: Attempt};
prompt_pending, the PendingClick of a Run button.

No @st.fragment here on purpose: the Stop button must interrupt a model that is streaming, and a
full rerun does that reliably; drawing this page without a model call is cheap.
"""
import threading
from contextlib import closing

import streamlit as st

from tutor.config import load_settings
from tutor.i18n import t
from tutor.llm.base import Engine, EngineError
from tutor.prompting import practice, wording
from tutor.prompting.exercises import Exercise, Tip, TipPrompt, load_content
from tutor.prompting.session import HINT_COUNT, Attempt, Output, PendingClick, Run, TipResult, attempt_for
from tutor.ui.lang import current_lang
from tutor.ui.model import error_text, get_engine, wait_for_turn
from tutor.ui.pages import lesson_link
from tutor.ui.progress import record_event
from tutor.ui.state import remembered

PENDING_KEY = "prompt_pending"
TIP_RESULTS_KEY = "prompt_tip_results"
EXERCISE_KEY = "prompt_exercise"
ATTEMPTS_KEY = "prompt_attempts"
EXERCISE_WIDGET = "_prompt_exercise_widget"
TEXT_WIDGET = "_prompt_text_widget"

lang = current_lang()
settings = load_settings()
content = load_content(lang)
tip_results: dict[str, TipResult] = st.session_state.setdefault(TIP_RESULTS_KEY, {})
attempts: dict[str, Attempt] = st.session_state.setdefault(ATTEMPTS_KEY, {})
pending: PendingClick = st.session_state.setdefault(PENDING_KEY, PendingClick())


def stream_ui(engine: Engine, prompt: str, record: practice.Recording, *, kind: str, temperature: float,
              max_new_tokens: int) -> None:
    """Stream one answer into the page as it comes (after its place in line), saved in `record`;
    a Stop or a page switch ends the model at once. Raises EngineError."""
    stop = threading.Event()
    stream = practice.stream_prompt(engine, prompt, kind=kind, temperature=temperature,
                                    max_new_tokens=max_new_tokens, stop=stop, timeout_s=settings.generation_timeout_s)
    with closing(practice.recorded(wait_for_turn(stream, lang), record, stop)) as pieces:
        st.write_stream(pieces)


# --- Tips ----------------------------------------------------------------------------------------


def show_output(output: Output) -> None:
    """One finished (or stopped) run: its text, and a note when it did not finish."""
    st.markdown(wording.answer_text(output.text, lang))
    if note := wording.output_note(output, lang):
        st.caption(note)


def stream_side(engine: Engine, side: TipPrompt, outputs: list[Output]) -> bool:
    """Run one side of a tip card (1-3 times), streaming into the current column; False on failure."""
    for n in range(side.runs):
        output = Output()
        outputs.append(output)
        if side.runs > 1:
            st.caption(t("prompting.tips.run_label", lang, n=n + 1))
        try:
            stream_ui(engine, side.prompt, output, kind=side.kind, temperature=side.temperature,
                      max_new_tokens=side.max_new_tokens)
        except EngineError as err:
            output.error = err.code
            st.error(error_text(err, lang), icon=":material/error:")
            return False
    return True


def run_tip(tip: Tip, columns) -> None:
    """Stream the before prompt into the left column, then the after prompt into the right one."""
    engine = get_engine(lang)
    if engine is None:
        return
    result = tip_results[tip.id] = TipResult()  # filed first, so a Stop keeps what arrived
    slot = st.empty()
    slot.button(t("prompting.tips.stop", lang), key=f"prompt_tip_stop_{tip.id}", icon=":material/stop_circle:")
    for column, side, outputs in zip(columns, (tip.before, tip.after), (result.before, result.after), strict=False):
        with column:
            if not stream_side(engine, side, outputs):
                break
    slot.empty()


def tip_card(tip: Tip) -> None:
    with st.container(border=True):
        st.subheader(tip.title)
        st.markdown(tip.idea)
        prompt_columns = st.columns(2)
        for column, side in zip(prompt_columns, (tip.before, tip.after), strict=False):
            with column:
                st.markdown(f"**{side.label}**")
                st.caption(wording.mode_caption(side, lang))
                st.code(side.prompt, language=None, wrap_lines=True)
        saved = tip_results.get(tip.id)
        st.button(t("prompting.tips.rerun" if saved else "prompting.tips.run", lang), key=f"prompt_tip_run_{tip.id}",
                  icon=":material/play_arrow:", on_click=pending.request, args=(f"tip:{tip.id}",))
        output_columns = st.columns(2)
        if pending.take(f"tip:{tip.id}"):
            run_tip(tip, output_columns)
        elif saved:
            for column, outputs in zip(output_columns, (saved.before, saved.after), strict=False):
                with column:
                    for n, output in enumerate(outputs):
                        if len(outputs) > 1:
                            st.caption(t("prompting.tips.run_label", lang, n=n + 1))
                        show_output(output)
        demo_verdict_ui(tip)
        with st.expander(t("prompting.tips.note_title", lang), icon=":material/info:"):
            st.markdown(tip.note)
        lesson_link(tip.lesson, lang, label=wording.lesson_label(tip, lang), section=tip.lesson_section or None)


def demo_verdict_ui(tip: Tip) -> None:
    """Did the demo work this time? Checked on the live output; a failure is shown openly, with
    what a bigger model does and why this small one fails: that is the lesson of the card."""
    verdict = practice.judge_demo(tip, tip_results.get(tip.id))
    if verdict is None:
        return
    if verdict.worked:
        st.success(t("prompting.tips.demo_worked", lang), icon=":material/check_circle:")
    else:
        st.warning(wording.demo_failure(tip, verdict, lang), icon=":material/school:")


def tips_tab() -> None:
    st.caption(t("prompting.tips.intro", lang))
    for tip in content.tips:
        tip_card(tip)


# --- Practice ------------------------------------------------------------------------------------


def choose_exercise() -> Exercise:
    """The exercise picker; the choice lives in a non-widget key so it survives page switches."""
    ids = [e.id for e in content.exercises]
    if st.session_state.get(EXERCISE_KEY) not in ids:
        st.session_state[EXERCISE_KEY] = ids[0]
    options = {e.id: wording.exercise_option(n, e, lang) for n, e in enumerate(content.exercises, start=1)}
    st.selectbox(t("prompting.practice.choose", lang), ids, format_func=options.__getitem__,
                 **remembered(EXERCISE_KEY, EXERCISE_WIDGET))
    return content.exercise(st.session_state[EXERCISE_KEY])


def prompt_box(exercise: Exercise, attempt: Attempt) -> str:
    """The learner's prompt; every change is copied into the attempt at once."""
    st.session_state[TEXT_WIDGET] = attempt.text
    st.text_area(t("prompting.practice.prompt_label", lang), key=TEXT_WIDGET, height=180,
                 placeholder=t("prompting.practice.prompt_placeholder", lang),
                 help=t("prompting.practice.prompt_help", lang),
                 on_change=lambda: attempt.type_text(st.session_state[TEXT_WIDGET]))
    st.caption(wording.prompt_caption(attempt.text, settings.max_message_chars, exercise, lang))
    return attempt.text


def feedback_ui(exercise: Exercise, prompt: str) -> None:
    """The rubric's verdict on every check: needed ones first, each with its reason and fix."""
    st.markdown(f"**{t('prompting.practice.feedback', lang)}**")
    feedback = practice.rubric_feedback(prompt, exercise)
    if feedback is None:
        st.caption(t("prompting.practice.feedback_empty", lang))
        return
    st.caption(wording.needed_summary(feedback, lang))
    for title, results in (("needed_here", feedback.needed), ("other_checks", feedback.others)):
        st.markdown(f"*{t(f'prompting.practice.{title}', lang)}*")
        for result in results:
            st.markdown(wording.check_line(result, lang))


def verdict_ui(run: Run) -> None:
    """A graded run: pass / not yet, and each success rule's reason."""
    if run.passed:
        st.success(wording.verdict(True, lang), icon=":material/task_alt:")
    else:
        st.warning(wording.verdict(False, lang), icon=":material/pending:")
        if run.stopped:
            st.caption(t("prompting.practice.stopped", lang))
    for result in run.results:
        st.markdown(wording.rule_line(result, lang))


def run_exercise(exercise: Exercise, attempt: Attempt, prompt: str) -> None:
    """Validate the prompt, run it on the model, grade the OUTPUT, and file the run."""
    problem = practice.input_problem(prompt, settings.max_message_chars)
    if problem:
        st.warning(t(problem, lang, length=len(prompt), limit=settings.max_message_chars), icon=":material/edit:")
        return
    engine = get_engine(lang)
    if engine is None:
        st.warning(t("prompting.practice.no_model", lang), icon=":material/cloud_off:")
        return
    run = attempt.start_run(prompt)
    slot = st.empty()
    slot.button(t("prompting.practice.stop", lang), key="prompt_run_stop", icon=":material/stop_circle:")
    st.markdown(f"**{t('prompting.practice.output', lang)}**")
    try:
        stream_ui(engine, prompt, run, kind=exercise.kind, temperature=0.0, max_new_tokens=exercise.max_new_tokens)
    except EngineError as err:
        slot.empty()
        attempt.drop_run(run)
        st.error(t("prompting.practice.model_failed", lang) + "\n\n" + error_text(err, lang), icon=":material/error:")
        return
    slot.empty()
    attempt.finish_run(run, practice.grade(run.text, exercise))
    verdict_ui(run)
    if run.passed:
        record_event("practice_passed", item=exercise.id)


def last_run_ui(attempt: Attempt) -> None:
    if (run := attempt.last_run) is None:
        return
    st.markdown(f"**{t('prompting.practice.output', lang)}**")
    st.markdown(wording.answer_text(run.text, lang))
    verdict_ui(run)


def history_ui(attempt: Attempt) -> None:
    if not attempt.runs:
        return
    st.caption(wording.runs_so_far(attempt, lang))
    if attempt.earlier_runs:
        with st.expander(t("prompting.practice.history", lang)):
            for n, run in enumerate(attempt.earlier_runs, start=1):
                st.markdown(f"**{wording.history_title(n, run, lang)}**")
                st.code(run.prompt, language=None, wrap_lines=True)
                st.text(run.text)


def hints_ui(exercise: Exercise, attempt: Attempt) -> None:
    """Hints unlock one at a time, in order; the model answer only when asked for. A hint about
    something the prompt already does says so, instead of asking for it again."""
    st.markdown(f"**{t('prompting.practice.hints', lang)}**")
    done = practice.hints_already_done(exercise, attempt.text)
    for n in range(attempt.hints):
        text = wording.hint_text(n + 1, exercise.hints[n], done[n], lang)
        if done[n]:
            st.success(text, icon=":material/check_circle:")
        else:
            st.info(text, icon=":material/lightbulb:")
    if attempt.hints < HINT_COUNT:
        st.button(t("prompting.practice.show_hint", lang, n=attempt.hints + 1), key=f"prompt_hint_{exercise.id}",
                  on_click=attempt.reveal_next_hint)
    else:
        st.caption(t("prompting.practice.all_hints", lang))
    if not attempt.answer_shown:
        st.caption(t("prompting.practice.answer_note", lang))
        st.button(t("prompting.practice.show_answer", lang), key=f"prompt_answer_{exercise.id}",
                  on_click=attempt.show_answer)
        return
    st.markdown(f"**{t('prompting.practice.answer', lang)}**")
    st.code(exercise.model_answer, language=None, wrap_lines=True)
    st.button(t("prompting.practice.use_answer", lang), key=f"prompt_use_answer_{exercise.id}",
              on_click=attempt.use_answer, args=(exercise.model_answer,))


def practice_tab() -> None:
    exercise = choose_exercise()
    attempt = attempt_for(attempts, exercise.id)
    st.markdown(f"**{t('prompting.practice.task', lang)}**")
    st.markdown(exercise.task)
    st.markdown(f"**{t('prompting.practice.needs', lang)}:** {exercise.needs_text}")
    left, right = st.columns([3, 2])
    with left:
        prompt = prompt_box(exercise, attempt)
        st.button(t("prompting.practice.run", lang), key="prompt_run", type="primary", icon=":material/play_arrow:",
                  help=t("prompting.practice.run_help", lang), on_click=pending.request,
                  args=(f"exercise:{exercise.id}",))
        if pending.take(f"exercise:{exercise.id}"):
            run_exercise(exercise, attempt, prompt)
        else:
            last_run_ui(attempt)
        history_ui(attempt)
    with right:
        feedback_ui(exercise, prompt)
    hints_ui(exercise, attempt)


st.title(t("prompting.title", lang))
st.caption(t("prompting.intro", lang))
tips_area, practice_area = st.tabs([t("prompting.tabs.tips", lang), t("prompting.tabs.practice", lang)])
with tips_area:
    tips_tab()
with practice_area:
    practice_tab()
