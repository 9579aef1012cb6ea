"""Prompting: the article's tips as live before/after experiments, and practice with feedback.

State (all non-widget keys, so a rerun or a page switch loses nothing):
- prompt_tip_results: {tip id: {"before": [run records], "after": [run records]}} - the last run of
  each tip card, kept even when stopped half-way;
- prompt_exercise:    the id of the chosen exercise;
- prompt_attempts:    {exercise id: attempt} (tutor.prompting.practice.new_attempt): the prompt being
  written, hints unlocked, model answer shown, every run with its verdict;
- prompt_pending:     what a Run button asked for ("tip:<id>" or "exercise"), set by its callback and
  taken by the page body, so the click survives a rerun that happens before the page draws.

No @st.fragment here on purpose: the Stop button must interrupt a model that is streaming, and a
full rerun does that reliably; drawing this page without a model call is cheap.
"""
import threading
from contextlib import closing

import streamlit as st

from tutor.config import load_settings
from tutor.i18n import t
from tutor.llm.base import EngineError
from tutor.prompting.exercises import Exercise, Tip, TipPrompt, load_content
from tutor.prompting.practice import (
    HINT_COUNT,
    finish_run,
    grade,
    hints_already_done,
    input_problem,
    judge_demo,
    new_attempt,
    recorded,
    reveal_next_hint,
    start_run,
    stream_prompt,
)
from tutor.prompting.rubric import CHECKS, explain, review_prompt
from tutor.prompting.rules import RuleResult, explain_rule
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
tip_results: dict = st.session_state.setdefault(TIP_RESULTS_KEY, {})
attempts: dict = st.session_state.setdefault(ATTEMPTS_KEY, {})


def request(what: str) -> None:
    """Button callback: remember the click until the page body takes it."""
    st.session_state[PENDING_KEY] = what


def take_request(what: str) -> bool:
    """True once for a pending click on `what`."""
    if st.session_state.get(PENDING_KEY) == what:
        st.session_state[PENDING_KEY] = None
        return True
    return False


def attempt_for(exercise_id: str) -> dict:
    if exercise_id not in attempts:
        attempts[exercise_id] = new_attempt()
    return attempts[exercise_id]


# --- Tips ----------------------------------------------------------------------------------------


def mode_caption(side: TipPrompt) -> str:
    key = "prompting.tips.completion_mode" if side.kind == "completion" else "prompting.tips.chat_mode"
    text = t(key, lang, temperature=f"{side.temperature:g}")
    return text + (t("prompting.tips.runs_mode", lang, runs=side.runs) if side.runs > 1 else "")


def show_output(record: dict) -> None:
    """One finished (or stopped) run: its text, and a note when it did not finish."""
    st.markdown(record.get("text", "").strip() or t("prompting.tips.empty_output", lang))
    if record.get("error"):
        st.caption(t("prompting.tips.failed", lang))
    elif not record.get("done"):
        st.caption(t("prompting.tips.stopped", lang))


def stream_side(engine, side: TipPrompt, records: list[dict]) -> bool:
    """Run one side of a tip card (1-3 times), streaming into the current column; False on failure."""
    for n in range(side.runs):
        record: dict = {}
        records.append(record)
        if side.runs > 1:
            st.caption(t("prompting.tips.run_label", lang, n=n + 1))
        stop = threading.Event()
        try:
            stream = stream_prompt(
                engine,
                side.prompt,
                kind=side.kind,
                temperature=side.temperature,
                max_new_tokens=side.max_new_tokens,
                stop=stop,
                timeout_s=settings.generation_timeout_s,
            )
            with closing(recorded(wait_for_turn(stream, lang), record, stop)) as pieces:
                st.write_stream(pieces)
        except EngineError as err:
            record["error"] = err.code
            st.error(error_text(err, lang), icon=":material/error:")
            return False
    return True


def run_tip(tip: Tip, columns) -> None:
    """Stream the before prompt into the left column, then the after prompt into the right one."""
    engine = get_engine(lang)
    if engine is None:
        return
    result = {"before": [], "after": []}
    tip_results[tip.id] = result  # filed first, so a Stop keeps what arrived
    slot = st.empty()
    slot.button(t("prompting.tips.stop", lang), key=f"prompt_tip_stop_{tip.id}", icon=":material/stop_circle:")
    for column, name in zip(columns, ("before", "after"), strict=False):
        with column:
            if not stream_side(engine, getattr(tip, name), result[name]):
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
                st.caption(mode_caption(side))
                st.code(side.prompt, language=None, wrap_lines=True)
        saved = tip_results.get(tip.id)
        st.button(
            t("prompting.tips.rerun" if saved else "prompting.tips.run", lang),
            key=f"prompt_tip_run_{tip.id}",
            icon=":material/play_arrow:",
            on_click=request,
            args=(f"tip:{tip.id}",),
        )
        output_columns = st.columns(2)
        if take_request(f"tip:{tip.id}"):
            run_tip(tip, output_columns)
        elif saved:
            for column, name in zip(output_columns, ("before", "after"), strict=False):
                with column:
                    for n, record in enumerate(saved[name]):
                        if len(saved[name]) > 1:
                            st.caption(t("prompting.tips.run_label", lang, n=n + 1))
                        show_output(record)
        demo_verdict_ui(tip)
        with st.expander(t("prompting.tips.note_title", lang), icon=":material/info:"):
            st.markdown(tip.note)
        lesson_link(
            tip.lesson,
            lang,
            label=t("prompting.tips.lesson", lang, title=t(f"prompting.tips.lessons.{tip.lesson}", lang)),
            section=tip.lesson_section or None,
        )


def demo_verdict_ui(tip: Tip) -> None:
    """Did the demo work this time? Checked on the live output; a failure is shown openly, with
    what a bigger model does and why this small one fails: that is the lesson of the card."""
    verdict = judge_demo(tip, tip_results.get(tip.id) or {})
    if verdict is None:
        return
    if verdict.worked:
        st.success(t("prompting.tips.demo_worked", lang), icon=":material/check_circle:")
        return
    side_names = {"before": tip.before.label, "after": tip.after.label}
    lines = [f"- *{side_names[side]}*: {explain_rule(result, lang)}" for side, result in verdict.failed]
    reasons = "\n".join(dict.fromkeys(lines))  # the same failure in several runs: said once
    st.warning(
        f"**{t('prompting.tips.demo_failed', lang)}**\n\n{reasons}\n\n{tip.if_it_fails}",
        icon=":material/school:",
    )


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
    numbered = {e.id: (n, e) for n, e in enumerate(content.exercises, start=1)}

    def label(exercise_id: str) -> str:
        n, e = numbered[exercise_id]
        level = t(f"prompting.practice.level_{e.level}", lang)
        return t("prompting.practice.option", lang, n=n, title=e.title, level=level)

    st.selectbox(
        t("prompting.practice.choose", lang),
        ids,
        format_func=label,
        **remembered(EXERCISE_KEY, EXERCISE_WIDGET),
    )
    return content.exercise(st.session_state[EXERCISE_KEY])


def prompt_box(exercise: Exercise, attempt: dict) -> str:
    """The learner's prompt; every change is copied into the attempt at once."""
    st.session_state[TEXT_WIDGET] = attempt["text"]

    def keep() -> None:
        value = st.session_state[TEXT_WIDGET]
        attempt_for(exercise.id)["text"] = value if isinstance(value, str) else ""

    st.text_area(
        t("prompting.practice.prompt_label", lang),
        key=TEXT_WIDGET,
        height=180,
        placeholder=t("prompting.practice.prompt_placeholder", lang),
        help=t("prompting.practice.prompt_help", lang),
        on_change=keep,
    )
    text = attempt["text"]
    st.caption(
        t("prompting.practice.chars", lang, length=len(text), limit=settings.max_message_chars)
        + " · "
        + t(f"prompting.practice.mode_{exercise.kind}", lang)
    )
    return text


def feedback_ui(exercise: Exercise, prompt: str) -> None:
    """The rubric's verdict on every check: needed ones first, each with its reason and fix."""
    st.markdown(f"**{t('prompting.practice.feedback', lang)}**")
    if not prompt.strip():
        st.caption(t("prompting.practice.feedback_empty", lang))
        return
    results = {r.check: r for r in review_prompt(prompt, exercise.passages)}
    needed = [c for c in CHECKS if c in exercise.needs]
    others = [c for c in CHECKS if c not in exercise.needs]
    passed = sum(results[c].passed for c in needed)
    st.caption(t("prompting.practice.needed_summary", lang, passed=passed, total=len(needed)))
    for title, checks in (("needed_here", needed), ("other_checks", others)):
        st.markdown(f"*{t(f'prompting.practice.{title}', lang)}*")
        for check in checks:
            result = results[check]
            reason, fix = explain(result, lang)
            icon = ":green[:material/check_circle:]" if result.passed else ":orange[:material/radio_button_unchecked:]"
            line = f"{icon} **{t(f'prompting.rubric.names.{check}', lang)}** — {reason}"
            if fix:
                line += f"  \n→ {fix}"
            st.markdown(line)


def verdict_ui(run: dict) -> None:
    """A graded run: pass / not yet, and each success rule's reason."""
    if run["passed"]:
        st.success(t("prompting.practice.passed", lang), icon=":material/task_alt:")
    else:
        st.warning(t("prompting.practice.not_yet", lang), icon=":material/pending:")
        if run.get("stopped"):
            st.caption(t("prompting.practice.stopped", lang))
    for reason, ok, detail in run["results"]:
        text = explain_rule(RuleResult("", ok, reason, detail), lang)
        st.markdown(f"{':green[:material/check:]' if ok else ':orange[:material/close:]'} {text}")


def run_exercise(exercise: Exercise, attempt: dict, prompt: str) -> None:
    """Validate the prompt, run it on the model, grade the OUTPUT, and file the run."""
    problem = input_problem(prompt, settings.max_message_chars)
    if problem:
        st.warning(t(problem, lang, length=len(prompt), limit=settings.max_message_chars), icon=":material/edit:")
        return
    engine = get_engine(lang)
    if engine is None:
        st.warning(t("prompting.practice.no_model", lang), icon=":material/cloud_off:")
        return
    run = start_run(attempt, prompt)
    stop = threading.Event()
    slot = st.empty()
    slot.button(t("prompting.practice.stop", lang), key="prompt_run_stop", icon=":material/stop_circle:")
    st.markdown(f"**{t('prompting.practice.output', lang)}**")
    try:
        stream = stream_prompt(
            engine,
            prompt,
            kind=exercise.kind,
            temperature=0.0,
            max_new_tokens=exercise.max_new_tokens,
            stop=stop,
            timeout_s=settings.generation_timeout_s,
        )
        with closing(recorded(wait_for_turn(stream, lang), run, stop)) as pieces:
            st.write_stream(pieces)
    except EngineError as err:
        slot.empty()
        attempt["runs"].remove(run)
        st.error(t("prompting.practice.model_failed", lang) + "\n\n" + error_text(err, lang), icon=":material/error:")
        return
    slot.empty()
    finish_run(attempt, run, grade(run["text"], exercise))
    verdict_ui(run)
    if run["passed"]:
        record_event("practice_passed", item=exercise.id)


def last_run_ui(attempt: dict) -> None:
    runs = attempt["runs"]
    if not runs:
        return
    st.markdown(f"**{t('prompting.practice.output', lang)}**")
    st.markdown(runs[-1]["text"].strip() or t("prompting.tips.empty_output", lang))
    verdict_ui(runs[-1])


def history_ui(attempt: dict) -> None:
    runs = attempt["runs"]
    if not runs:
        return
    yes_no = t("prompting.practice.yes" if attempt["passed"] else "prompting.practice.no", lang)
    st.caption(t("prompting.practice.runs_so_far", lang, runs=len(runs), passed=yes_no))
    if len(runs) > 1:
        with st.expander(t("prompting.practice.history", lang)):
            for n, run in enumerate(runs[:-1], start=1):
                verdict = t("prompting.practice.passed" if run["passed"] else "prompting.practice.not_yet", lang)
                st.markdown(f"**{t('prompting.practice.history_item', lang, n=n, verdict=verdict)}**")
                st.code(run["prompt"], language=None, wrap_lines=True)
                st.text(run["text"])


def hints_ui(exercise: Exercise, attempt: dict) -> None:
    """Hints unlock one at a time, in order; the model answer only when asked for. A hint about
    something the prompt already does says so, instead of asking for it again."""
    st.markdown(f"**{t('prompting.practice.hints', lang)}**")
    shown = int(attempt["hints"])
    done = hints_already_done(exercise, attempt["text"])
    for n in range(shown):
        title = t("prompting.practice.hint", lang, n=n + 1)
        if done[n]:
            st.success(f"**{title}** · {t('prompting.practice.hint_done', lang)}  \n{exercise.hints[n]}",
                       icon=":material/check_circle:")
        else:
            st.info(f"**{title}** · {exercise.hints[n]}", icon=":material/lightbulb:")
    if shown < HINT_COUNT:
        st.button(
            t("prompting.practice.show_hint", lang, n=shown + 1),
            key=f"prompt_hint_{exercise.id}",
            on_click=lambda: reveal_next_hint(attempt_for(exercise.id)),
        )
    else:
        st.caption(t("prompting.practice.all_hints", lang))
    if not attempt["answer_shown"]:
        st.caption(t("prompting.practice.answer_note", lang))
        st.button(
            t("prompting.practice.show_answer", lang),
            key=f"prompt_answer_{exercise.id}",
            on_click=lambda: attempt_for(exercise.id).__setitem__("answer_shown", True),
        )
        return
    st.markdown(f"**{t('prompting.practice.answer', lang)}**")
    st.code(exercise.model_answer, language=None, wrap_lines=True)
    st.button(
        t("prompting.practice.use_answer", lang),
        key=f"prompt_use_answer_{exercise.id}",
        on_click=lambda: attempt_for(exercise.id).__setitem__("text", exercise.model_answer),
    )


def practice_tab() -> None:
    exercise = choose_exercise()
    attempt = attempt_for(exercise.id)
    st.markdown(f"**{t('prompting.practice.task', lang)}**")
    st.markdown(exercise.task)
    st.markdown(f"**{t('prompting.practice.needs', lang)}:** {exercise.needs_text}")
    left, right = st.columns([3, 2])
    with left:
        prompt = prompt_box(exercise, attempt)
        st.button(
            t("prompting.practice.run", lang),
            key="prompt_run",
            type="primary",
            icon=":material/play_arrow:",
            help=t("prompting.practice.run_help", lang),
            on_click=request,
            args=(f"exercise:{exercise.id}",),
        )
        if take_request(f"exercise:{exercise.id}"):
            run_exercise(exercise, attempt, prompt)
        else:
            last_run_ui(attempt)
        history_ui(attempt)
    with right:
        feedback_ui(exercise, prompt)
    hints_ui(exercise, attempt)


st.title(t("prompting.title", lang))
st.caption(t("prompting.intro", lang))
tips, practice = st.tabs([t("prompting.tabs.tips", lang), t("prompting.tabs.practice", lang)])
with tips:
    tips_tab()
with practice:
    practice_tab()
