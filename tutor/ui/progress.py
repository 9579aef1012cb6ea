"""Progress in the UI: who is learning, quizzes at the end of lessons, and saving what they do.

The learner is remembered in the URL (?learner=<key>) so a reload or a bookmark finds them again;
profile_sidebar() puts it back into the URL on every page. The store is opened once per process
and data folder. When the database cannot be used, every function here keeps the app working and
the sidebar says "progress is not being saved".

For other pages: `record_event("tutor_question", lesson="...")` or
`record_event("practice_passed", item="exercise-id")` — a no-op when nobody is signed in or saving
is off.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from tutor.config import load_settings
from tutor.i18n import t
from tutor.lessons import Lesson, QuizQuestion
from tutor.progress import (
    Event,
    Learner,
    NameRejected,
    ProgressStore,
    ProgressUnavailable,
    Summary,
    UnknownLearner,
    open_progress_store,
)
from tutor.progress.transfer import KEY_PATTERN
from tutor.ui.pages import lesson_link

LEARNER_PARAM = "learner"  # the URL query parameter that remembers the learner
LEARNER_KEY = "prog_learner"  # session: the signed-in Learner
ERROR_KEY = "prog_saving_error"  # session: code of the last database failure, or None
QUIZ_KEY = "prog_quiz"  # session: {lesson id: {question id: {"choice": int, "correct": bool}}}
ATTEMPT_KEY = "prog_quiz_attempt"  # session: {"lesson/question": n}; a retry gets a fresh radio
NOTICE_KEY = "prog_notice"  # session: (kind, text) shown once in the sidebar

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _store_for(db_url: str, data_dir: str) -> ProgressStore:
    # Not cached when it raises, so a fixed folder, file or server works again on the next rerun.
    return open_progress_store(db_url, data_dir)


def _note_failure(err: ProgressUnavailable) -> None:
    st.session_state[ERROR_KEY] = err.code


def progress_store() -> ProgressStore | None:
    """The store the settings choose (SQLite in the data folder, or PostgreSQL), or None when it
    cannot be opened."""
    settings = load_settings()
    try:
        return _store_for(settings.progress_db_url, settings.data_dir)
    except ProgressUnavailable as err:
        _note_failure(err)
        return None


def _safely(action: Callable[[ProgressStore], T], fallback: T) -> T:
    """Run one store operation; on a database failure remember why and return `fallback`."""
    store = progress_store()
    if store is None:
        return fallback
    try:
        result = action(store)
    except ProgressUnavailable as err:
        _note_failure(err)
        return fallback
    st.session_state[ERROR_KEY] = None
    return result


def saving_error() -> str | None:
    """The code of the last database failure in this session (None when saving works)."""
    return st.session_state.get(ERROR_KEY)


def saving_off_text(code: str, lang: str) -> str:
    text = t(f"progress.saving_off.{code}", lang)
    return t("progress.saving_off.unavailable", lang) if text.startswith("progress.") else text


def escape_markdown(text: str) -> str:
    """A learner's name shown inside Markdown as typed (no links, emphasis, emoji codes, maths)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|$:~<>])", r"\\\1", text)


# --- who is learning -------------------------------------------------------------------------


def _adopt(learner: Learner) -> None:
    st.session_state[LEARNER_KEY] = learner
    st.query_params[LEARNER_PARAM] = learner.key


def current_learner() -> Learner | None:
    """The signed-in learner: from the URL on a fresh visit, else from this session."""
    in_session: Learner | None = st.session_state.get(LEARNER_KEY)
    wanted = st.query_params.get(LEARNER_PARAM)
    if wanted and not (isinstance(wanted, str) and KEY_PATTERN.match(wanted)):
        wanted = None
    if in_session is not None and (not wanted or wanted == in_session.key):
        if st.query_params.get(LEARNER_PARAM) != in_session.key:
            st.query_params[LEARNER_PARAM] = in_session.key
        return in_session
    if not wanted:
        if LEARNER_PARAM in st.query_params:
            del st.query_params[LEARNER_PARAM]
        return None
    lookup_failed = object()
    found = _safely(lambda store: store.learner(wanted), lookup_failed)
    if found is lookup_failed:
        return in_session  # the database is down: keep whoever was signed in
    if found is None:
        # A stale or mistyped link: say so once and start fresh.
        del st.query_params[LEARNER_PARAM]
        st.session_state[NOTICE_KEY] = ("warning", "progress.profile.unknown_link")
        return in_session
    _adopt(found)
    _forget_session_answers()
    return found


def _forget_session_answers() -> None:
    st.session_state[QUIZ_KEY] = {}
    st.session_state[ATTEMPT_KEY] = {}


def sign_out() -> None:
    """Forget the learner in this browser tab (their progress stays saved)."""
    st.session_state[LEARNER_KEY] = None
    if LEARNER_PARAM in st.query_params:
        del st.query_params[LEARNER_PARAM]
    _forget_session_answers()


def _on_sign_in(where: str) -> None:
    name = st.session_state.get(f"prog_name_{where}", "")
    error_key = f"prog_name_error_{where}"
    store = progress_store()
    if store is None:
        return
    try:
        learner, created = store.sign_in(name)
    except NameRejected as err:
        st.session_state[error_key] = err.code
        return
    except ProgressUnavailable as err:
        _note_failure(err)
        return
    st.session_state[error_key] = None
    st.session_state[ERROR_KEY] = None
    _adopt(learner)
    _forget_session_answers()
    st.session_state[NOTICE_KEY] = ("success", "progress.profile.welcome_new" if created else
                                    "progress.profile.welcome_back")


def name_form(lang: str, where: str) -> None:
    """A name box and a Start button; `where` keeps the sidebar's and the page's widgets apart."""
    st.text_input(
        t("progress.profile.name_label", lang),
        key=f"prog_name_{where}",
        help=t("progress.profile.name_help", lang),
        placeholder="Mina / 민아",
    )
    st.button(t("progress.profile.start", lang), key=f"prog_start_{where}", on_click=_on_sign_in, args=(where,))
    error = st.session_state.get(f"prog_name_error_{where}")
    if error:
        st.error(t(f"progress.profile.name_errors.{error}", lang), icon=":material/error:")


def profile_sidebar(lang: str) -> Learner | None:
    """The sidebar block on every page: who is learning (or a name box), and whether saving works."""
    learner = current_learner()
    with st.sidebar:
        st.divider()
        notice = st.session_state.pop(NOTICE_KEY, None)
        if learner is not None:
            st.markdown(t("progress.profile.signed_in", lang, name=escape_markdown(learner.name)))
            if notice:
                getattr(st, notice[0])(t(notice[1], lang, name=escape_markdown(learner.name)))
            st.button(t("progress.profile.switch", lang), key="prog_switch", on_click=sign_out,
                      type="tertiary", icon=":material/switch_account:")
        else:
            st.markdown(f"**{t('progress.profile.heading', lang)}**")
            if notice:
                getattr(st, notice[0])(t(notice[1], lang, name=""))
            name_form(lang, "sidebar")
        error = saving_error()
        if error:
            st.warning(saving_off_text(error, lang), icon=":material/cloud_off:")
    return learner


# --- recording -------------------------------------------------------------------------------


def record_event(kind: str, *, lesson: str | None = None, item: str | None = None,
                 correct: bool | None = None) -> bool:
    """Save one thing the learner did; True when saved. Silently does nothing when no learner is
    signed in or the database cannot be used (the sidebar then says progress is not saved)."""
    learner = current_learner()
    if learner is None:
        return False
    event = Event.now(kind, lesson=lesson, item=item, correct=correct)

    def save(store: ProgressStore) -> bool:
        try:
            store.record(learner.key, event)
        except UnknownLearner:
            sign_out()
            return False
        return True

    return _safely(save, False)


def learner_summary(learner: Learner | None) -> Summary | None:
    """The learner's summary, or None when nobody is signed in or the database is down."""
    if learner is None:
        return None

    def read(store: ProgressStore) -> Summary | None:
        try:
            return store.summary(learner.key)
        except UnknownLearner:
            return None

    return _safely(read, None)


def mark_read(lesson: Lesson) -> bool:
    """Count the lesson as read (once); True when it is now recorded as read."""
    learner = current_learner()
    if learner is None:
        return False
    summary = learner_summary(learner)
    if summary is not None and lesson.id in summary.lessons_read:
        return True
    return record_event("lesson_read", lesson=lesson.id)


def finished_button(lesson: Lesson, lang: str) -> None:
    """At the end of a lesson: "I've finished this lesson", or that it is already counted."""
    learner = current_learner()
    if learner is None:
        st.caption(t("progress.finish.hint", lang))
        return
    summary = learner_summary(learner)
    if summary is not None and lesson.id in summary.lessons_read:
        st.success(t("progress.finish.done", lang), icon=":material/task_alt:")
        return
    st.button(t("progress.finish.button", lang), key=f"prog_finished_{lesson.id}", on_click=mark_read,
              args=(lesson,), icon=":material/task_alt:", type="primary")


# --- quizzes ---------------------------------------------------------------------------------


def _on_check(lesson: Lesson, question: QuizQuestion, radio_key: str) -> None:
    choice = st.session_state.get(radio_key)
    flag = f"{radio_key}_need_choice"
    if choice is None:
        st.session_state[flag] = True
        return
    st.session_state[flag] = False
    correct = int(choice) == question.answer
    st.session_state.setdefault(QUIZ_KEY, {}).setdefault(lesson.id, {})[question.id] = {
        "choice": int(choice),
        "correct": correct,
    }
    record_event("quiz_answer", lesson=lesson.id, item=question.id, correct=correct)
    mark_read(lesson)  # reaching a lesson's quiz counts as reading it


def _on_retry(lesson_id: str, question_ids: list[str]) -> None:
    answers = st.session_state.setdefault(QUIZ_KEY, {}).setdefault(lesson_id, {})
    attempts = st.session_state.setdefault(ATTEMPT_KEY, {})
    for qid in question_ids:
        answers.pop(qid, None)
        attempts[f"{lesson_id}/{qid}"] = attempts.get(f"{lesson_id}/{qid}", 0) + 1


def _question(lesson: Lesson, question: QuizQuestion, number: int, lang: str, prefix: str,
              saved: dict[str, bool]) -> None:
    answers = st.session_state.setdefault(QUIZ_KEY, {}).setdefault(lesson.id, {})
    attempt = st.session_state.setdefault(ATTEMPT_KEY, {}).get(f"{lesson.id}/{question.id}", 0)
    base = f"{prefix}_{lesson.id}_{question.id}"
    radio_key = f"{base}_{attempt}"
    result = answers.get(question.id)
    with st.container(border=True):
        st.radio(
            f"{number}. {question.question}",
            options=list(range(len(question.choices))),
            format_func=question.choices.__getitem__,
            index=None if result is None else result["choice"],
            key=radio_key,
            disabled=result is not None,
        )
        if result is None:
            if question.id in saved:
                st.caption(t("progress.quiz.before_right" if saved[question.id] else "progress.quiz.before_wrong",
                             lang))
            st.button(t("progress.quiz.check", lang), key=f"{base}_check", on_click=_on_check,
                      args=(lesson, question, radio_key))
            if st.session_state.get(f"{radio_key}_need_choice"):
                st.info(t("progress.quiz.pick_first", lang))
            return
        if result["correct"]:
            st.success(t("progress.quiz.right", lang, explain=question.explain), icon=":material/check_circle:")
        else:
            st.error(t("progress.quiz.wrong", lang, explain=question.explain), icon=":material/cancel:")
        section = lesson.section(question.section)
        if section is not None:
            lesson_link(lesson.id, lang, label=t("progress.quiz.read_section", lang, section=section.title),
                        section=question.section)
        if not result["correct"]:
            st.button(t("progress.quiz.retry", lang), key=f"{base}_retry", on_click=_on_retry,
                      args=(lesson.id, [question.id]), icon=":material/replay:")


@st.fragment
def _quiz_panel(lesson: Lesson, lang: str, prefix: str) -> None:
    # A fragment: checking an answer reruns only the quiz, not the whole lesson with its figures.
    learner = current_learner()
    summary = learner_summary(learner)
    saved = summary.quiz[lesson.id].latest if summary and lesson.id in summary.quiz else {}
    asked = {q.id for q in lesson.quiz}
    if learner is not None and summary is not None:
        correct = sum(ok for qid, ok in saved.items() if qid in asked)
        st.markdown(f"**{t('progress.quiz.score', lang, correct=correct, total=len(lesson.quiz))}**")
    else:
        answers = st.session_state.get(QUIZ_KEY, {}).get(lesson.id, {})
        correct = sum(a["correct"] for qid, a in answers.items() if qid in asked)
        st.markdown(t("progress.quiz.score_unsaved", lang, correct=correct, total=len(lesson.quiz)))
        if learner is not None and saving_error():
            st.warning(saving_off_text(saving_error(), lang), icon=":material/cloud_off:")
    for number, question in enumerate(lesson.quiz, start=1):
        _question(lesson, question, number, lang, prefix, saved)
    answered = st.session_state.get(QUIZ_KEY, {}).get(lesson.id, {})
    if answered and len(answered) == len(lesson.quiz):
        st.button(t("progress.quiz.retake", lang), key=f"{prefix}_{lesson.id}_retake", on_click=_on_retry,
                  args=(lesson.id, [q.id for q in lesson.quiz]), icon=":material/restart_alt:")


def render_quiz(lesson: Lesson, lang: str, *, prefix: str = "prog_quiz") -> None:
    """The lesson's quiz: answer, right/wrong with the explanation and a link to the section,
    retry; the score is saved for the signed-in learner."""
    st.header(t("progress.quiz.title", lang), anchor="quiz")
    if not lesson.quiz:
        st.caption(t("progress.quiz.no_questions", lang))
        return
    st.caption(t("progress.quiz.intro", lang))
    _quiz_panel(lesson, lang, prefix)
