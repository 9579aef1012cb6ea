"""Progress in the UI: who is learning, quizzes at the end of lessons, and saving what they do.

The learner is remembered in the URL (?learner=<key>) so a reload or a bookmark finds them again;
profile_sidebar() puts it back into the URL on every page. Where progress is stored changes what a
name means (see ProgressStore.shared): on this computer a name typed again finds the learner again;
on a shared server every name starts a new learner, so right after sign-in the learner is shown
their private link (the URL with their key), the only way back. The store is opened once per process
and data folder. When the database cannot be used, every function here keeps the app working and
the sidebar says "progress is not being saved".

For other pages: `record_event("tutor_question", lesson="...")` or
`record_event("practice_passed", item="exercise-id")` — a no-op when nobody is signed in or saving
is off.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from tutor.config import load_settings
from tutor.i18n import t, t_first
from tutor.lessons import Lesson, QuizQuestion
from tutor.progress import (
    Event,
    Learner,
    NameRejected,
    ProgressStore,
    ProgressUnavailable,
    Summary,
    UnknownLearner,
    is_shared_database,
    open_progress_store,
)
from tutor.progress.transfer import KEY_PATTERN
from tutor.quiz import choice_order
from tutor.text import escape_markdown
from tutor.ui.lang import LANG_PARAM
from tutor.ui.pages import lesson_link

LEARNER_PARAM = "learner"  # the URL query parameter that remembers the learner
LEARNER_KEY = "prog_learner"  # session: the signed-in Learner
ERROR_KEY = "prog_saving_error"  # session: code of the last database failure, or None
QUIZ_KEY = "prog_quiz"  # session: {lesson id: {question id: {"choice": int, "correct": bool}}}
ATTEMPT_KEY = "prog_quiz_attempt"  # session: {"lesson/question": n}; a retry gets a fresh radio
QUIZ_SEED_KEY = "prog_quiz_seed"  # session: the choice-order seed while nobody is signed in
NOTICE_KEY = "prog_notice"  # session: (kind, text) shown once in the sidebar
SHOW_LINK_KEY = "prog_show_link"  # session: True from a sign-in on a server until "I have saved my link"
COME_BACK_ERROR_KEY = "prog_come_back_error"  # session: the pasted link was not found

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _store_for(db_url: str, data_dir: str, shared: bool) -> ProgressStore:
    # Not cached when it raises, so a fixed folder, file or server works again on the next rerun.
    return open_progress_store(db_url, data_dir, shared=shared)


def _note_failure(err: ProgressUnavailable) -> None:
    st.session_state[ERROR_KEY] = err.code


def progress_store() -> ProgressStore | None:
    """The store the settings choose (SQLite in the data folder, or PostgreSQL), or None when it
    cannot be opened."""
    settings = load_settings()
    try:
        return _store_for(settings.progress_db_url, settings.data_dir, settings.progress_shared)
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


def progress_on_server() -> bool:
    """True when progress is kept on a server many people use (progress_db_url is set, or the
    app is served to others with progress_shared), False when it is in the file on this computer.
    Known even when the database is down."""
    settings = load_settings()
    return is_shared_database(settings.progress_db_url, settings.progress_shared)


def _stored_key(name: str) -> str:
    return f"progress.stored.{'server' if progress_on_server() else 'this_computer'}.{name}"


def stored_text(name: str, lang: str) -> str:
    """A sentence that depends on where progress is stored: progress.stored.<place>.<name>."""
    return t(_stored_key(name), lang)


def saving_off_text(code: str, lang: str) -> str:
    """Why progress is not being saved: said for a file or for a server where the two differ."""
    return t_first([_stored_key(f"saving_off.{code}"), f"progress.saving_off.{code}", "progress.saving_off.unavailable"], lang)


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
        st.session_state[NOTICE_KEY] = ("warning", _stored_key("unknown_link"))
        return in_session
    _adopt(found)
    _forget_session_answers()
    return found


def _forget_session_answers() -> None:
    st.session_state[QUIZ_KEY] = {}
    st.session_state[ATTEMPT_KEY] = {}


def sign_in_as(learner: Learner) -> None:
    """Sign this tab in as a learner who just typed a name or restored a file. On a server, their
    private link is shown until they say it is saved: without it they cannot come back."""
    _adopt(learner)
    _forget_session_answers()
    st.session_state[SHOW_LINK_KEY] = progress_on_server()


def sign_out() -> None:
    """Forget the learner in this browser tab (their progress stays saved)."""
    st.session_state[LEARNER_KEY] = None
    st.session_state[SHOW_LINK_KEY] = False
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
    sign_in_as(learner)
    st.session_state[NOTICE_KEY] = ("success", "progress.profile.welcome_new" if created else
                                    "progress.profile.welcome_back")


def name_form(lang: str, where: str) -> None:
    """A name box and a Start button; `where` keeps the sidebar's and the page's widgets apart."""
    st.text_input(
        t("progress.profile.name_label", lang),
        key=f"prog_name_{where}",
        help=stored_text("name_help", lang),
        placeholder="Mina / 민아",
    )
    # Said where the name is typed, not only in its tooltip: on one laptop the name opens the progress.
    st.caption(stored_text("name_note", lang))
    st.button(t("progress.profile.start", lang), key=f"prog_start_{where}", on_click=_on_sign_in, args=(where,))
    error = st.session_state.get(f"prog_name_error_{where}")
    if error:
        st.error(t(f"progress.profile.name_errors.{error}", lang), icon=":material/error:")


def private_link(key: str, lang: str | None = None) -> str:
    """The link that brings a learner back: this page's address (as the browser sees it, so it
    works behind a proxy) with ?learner=<key>, and the language they chose (?lang=), so the link
    opens in that language."""
    language = f"{LANG_PARAM}={lang}&" if lang else ""
    return f"{st.context.url or ''}?{language}{LEARNER_PARAM}={key}"


def private_link_box(learner: Learner, lang: str) -> None:
    """The learner's private link in a code block (which has a copy button), and why to keep it."""
    st.markdown(t("progress.private_link.keep", lang))
    st.code(private_link(learner.key, lang), language=None, wrap_lines=True)
    st.caption(t("progress.private_link.secret", lang))


def private_link_panel(learner: Learner, lang: str, where: str) -> None:
    """On a server, right after sign-in: the private link, boxed, until "I have saved my link"."""
    if not (st.session_state.get(SHOW_LINK_KEY) and progress_on_server()):
        return
    with st.container(border=True):
        st.markdown(f"**{t('progress.private_link.title', lang)}**")
        private_link_box(learner, lang)
        st.button(t("progress.private_link.saved", lang), key=f"prog_link_saved_{where}", icon=":material/check:",
                  on_click=lambda: st.session_state.update({SHOW_LINK_KEY: False}))


def _learner_key_in(text: object) -> str | None:
    """The learner key in a pasted private link (or a bare key), or None."""
    if not isinstance(text, str) or len(text) > 2000:
        return None
    text = text.strip()
    found = re.search(rf"[?&]{LEARNER_PARAM}=([^&#\s]+)", text)
    key = found.group(1) if found else text
    return key if KEY_PATTERN.match(key) else None


def _on_come_back() -> None:
    key = _learner_key_in(st.session_state.get("prog_come_back_link"))
    found = None if key is None else _safely(lambda store: store.learner(key), None)
    if found is None:
        st.session_state[COME_BACK_ERROR_KEY] = saving_error() is None  # a down database says so itself
        return
    st.session_state[COME_BACK_ERROR_KEY] = False
    _adopt(found)
    _forget_session_answers()
    st.session_state[NOTICE_KEY] = ("success", "progress.profile.welcome_back")


def come_back_form(lang: str) -> None:
    """On a server: paste a private link to come back (a bookmark is the usual way; this is for a
    link kept in a note or sent to oneself)."""
    st.text_input(t("progress.private_link.come_back_label", lang), key="prog_come_back_link",
                  placeholder="https://…?learner=…")
    st.button(t("progress.private_link.come_back_button", lang), key="prog_come_back", on_click=_on_come_back,
              icon=":material/login:")
    if st.session_state.get(COME_BACK_ERROR_KEY):
        st.error(t("progress.private_link.come_back_not_found", lang), icon=":material/error:")


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
            on_server = progress_on_server()
            if on_server and st.session_state.get(SHOW_LINK_KEY):
                private_link_panel(learner, lang, "sidebar")
            elif on_server:
                with st.expander(t("progress.private_link.title", lang), icon=":material/key:"):
                    private_link_box(learner, lang)
            st.button(t("progress.profile.switch", lang), key="prog_switch", on_click=sign_out,
                      type="tertiary", icon=":material/switch_account:",
                      help=t("progress.private_link.switch_help", lang) if on_server else None)
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


def quiz_seed(learner: Learner | None) -> str:
    """The seed that orders quiz choices on screen (see tutor.quiz.choice_order). A signed-in
    learner's key, so they see the same order on every visit and device; otherwise a random seed
    kept for this browser session, so reruns and page switches keep the order too."""
    if learner is not None:
        return learner.key
    return st.session_state.setdefault(QUIZ_SEED_KEY, secrets.token_hex(8))


def shown_order(question: QuizQuestion, lesson_id: str, seed: str) -> list[int]:
    """The question's choices (their indices in the lesson file) in the order they are drawn. The
    radio's values stay file indices, so what is checked and stored is the choice, never its place."""
    return list(choice_order(len(question.choices), seed, lesson_id, question.id))


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
              saved: dict[str, bool], seed: str) -> None:
    answers = st.session_state.setdefault(QUIZ_KEY, {}).setdefault(lesson.id, {})
    attempt = st.session_state.setdefault(ATTEMPT_KEY, {}).get(f"{lesson.id}/{question.id}", 0)
    base = f"{prefix}_{lesson.id}_{question.id}"
    radio_key = f"{base}_{attempt}"
    result = answers.get(question.id)
    order = shown_order(question, lesson.id, seed)
    with st.container(border=True):
        st.radio(
            f"{number}. {question.question}",
            options=order,
            format_func=question.choices.__getitem__,
            index=None if result is None else order.index(result["choice"]),
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
    seed = quiz_seed(learner)
    for number, question in enumerate(lesson.quiz, start=1):
        _question(lesson, question, number, lang, prefix, saved, seed)
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
