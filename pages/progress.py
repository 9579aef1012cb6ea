"""Progress: what the learner has done, what comes next, quizzes, the placement check, their data."""
import datetime as dt
import functools

import streamlit as st

from tutor.i18n import t, t_first
from tutor.lessons import course
from tutor.progress import Event, ImportRejected, ProgressUnavailable, UnknownLearner
from tutor.progress.chart import activity_chart_spec
from tutor.progress.placement import next_up, pick_questions, recommend
from tutor.progress.transfer import MAX_IMPORT_BYTES
from tutor.text import escape_markdown
from tutor.ui.lang import current_lang, uploader_words
from tutor.ui.pages import lesson_link
from tutor.ui.progress import (
    come_back_form,
    current_learner,
    learner_summary,
    name_form,
    private_link,
    private_link_panel,
    progress_on_server,
    progress_store,
    quiz_seed,
    render_quiz,
    saving_error,
    saving_off_text,
    shown_order,
    sign_in_as,
    stored_text,
)

MESSAGE_KEY = "prog_message"  # (kind, text): the outcome of an import / reset, shown once
IMPORT_MB = MAX_IMPORT_BYTES // (1024 * 1024)  # the uploader refuses bigger files before we read them
PLACEMENT_RESULT_KEY = "prog_placement_result"
RESET_CONFIRM_KEY = "prog_reset_confirm"
PLACEMENT_OPEN_KEY = "prog_placement_open"  # the learner asked to take the check again

lang = current_lang()
lessons = course().in_language(lang)
titles = {lesson.id: f"{lesson.order}. {lesson.title}" for lesson in lessons}
st.title(t("progress.title", lang))

if saving_error():
    st.warning(saving_off_text(saving_error(), lang), icon=":material/cloud_off:")
message = st.session_state.pop(MESSAGE_KEY, None)
if message:
    getattr(st, message[0])(message[1])


def import_rejected_text(err: ImportRejected) -> str:
    """Why an import file was refused, in the learner's language, with where in the file."""
    reason = t_first([f"progress.import_errors.{err.code}", "progress.import_errors.wrong_format"], lang)
    return reason + ("\n\n" + t("progress.import_errors.detail", lang, detail=err.detail) if err.detail else "")


def import_file(file_key: str, into_key: str | None) -> None:
    """Validate and merge the uploaded file; the outcome is shown as a message."""
    uploaded = st.session_state.get(file_key)
    if uploaded is None:
        st.session_state[MESSAGE_KEY] = ("info", t("progress.page.import_pick", lang))
        return
    store = progress_store()
    if store is None:
        return
    if uploaded.size > MAX_IMPORT_BYTES:
        st.session_state[MESSAGE_KEY] = ("error", t("progress.import_errors.too_large", lang))
        return
    try:
        learner, added = store.import_json(uploaded.getvalue(), into_key=into_key)
    except ImportRejected as err:
        st.session_state[MESSAGE_KEY] = ("error", import_rejected_text(err))
        return
    except (ProgressUnavailable, UnknownLearner) as err:
        code = getattr(err, "code", "unavailable")
        st.session_state[MESSAGE_KEY] = ("error", saving_off_text(code, lang))
        return
    if into_key is None:
        sign_in_as(learner)
    text = t("progress.page.import_ok", lang, count=added) if added else t("progress.page.import_none", lang)
    st.session_state[MESSAGE_KEY] = ("success", text)


# --- nobody signed in: choose a name (or restore a file) ---------------------------------------

learner = current_learner()
if learner is None:
    st.info(stored_text("no_learner", lang), icon=":material/person:")
    name_form(lang, "page")
    if progress_on_server():
        come_back_form(lang)
    with st.expander(t("progress.page.restore_label", lang)):
        uploader_words("prog_restore_file", lang, t("common.uploader.limits", lang, mb=IMPORT_MB, types="JSON"))
        st.file_uploader(t("progress.page.import_label", lang), type=["json"], key="prog_restore_file",
                         max_upload_size=IMPORT_MB)
        st.button(t("progress.page.restore_button", lang), key="prog_restore", on_click=import_file,
                  args=("prog_restore_file", None))
    st.stop()

private_link_panel(learner, lang, "page")
summary = learner_summary(learner)

# --- the placement check: offered until taken or skipped ----------------------------------------


def save_placement(questions: list, answers: list) -> None:
    result = recommend(lessons, questions, answers)
    events = [Event.now("placement", item="known", lesson=lesson_id) for lesson_id in result.known]
    if result.start:
        events.append(Event.now("placement", item="start", lesson=result.start))
    store = progress_store()
    if store is not None:
        try:
            store.record_many(learner.key, events)
        except ProgressUnavailable as err:
            st.session_state["prog_saving_error"] = err.code
    st.session_state[PLACEMENT_RESULT_KEY] = result
    st.session_state[PLACEMENT_OPEN_KEY] = False


def skip_placement() -> None:
    store = progress_store()
    if store is not None:
        try:
            store.record(learner.key, Event.now("placement", item="skipped"))
        except ProgressUnavailable as err:
            st.session_state["prog_saving_error"] = err.code
    st.session_state[PLACEMENT_OPEN_KEY] = False


def placement_check() -> None:
    questions = pick_questions(lessons)
    with st.container(border=True):
        st.subheader(t("progress.placement.title", lang), anchor=False)
        if not questions:
            st.caption(t("progress.placement.no_questions", lang))
            return
        st.write(t("progress.placement.intro", lang, count=len(questions)))
        st.button(t("progress.placement.skip", lang), key="prog_place_skip", on_click=skip_placement)
        with st.form("prog_placement_form"):
            for i, pq in enumerate(questions):
                st.radio(
                    f"{i + 1}. {pq.question.question}",
                    options=shown_order(pq.question, pq.lesson_id, quiz_seed(learner)),
                    format_func=pq.question.choices.__getitem__,
                    index=None,
                    key=f"prog_place_{i}",
                )
            submitted = st.form_submit_button(t("progress.placement.submit", lang), key="prog_place_submit",
                                              type="primary")
    if submitted:
        save_placement(questions, [st.session_state.get(f"prog_place_{i}") for i in range(len(questions))])
        st.rerun()


def placement_result() -> None:
    result = st.session_state.get(PLACEMENT_RESULT_KEY)
    if result is None:
        return
    with st.container(border=True):
        st.subheader(t("progress.placement.title", lang), anchor=False)
        st.write(t("progress.placement.result", lang, correct=result.correct, asked=result.asked))
        if result.known:
            st.write(t("progress.placement.known_list", lang,
                       lessons=", ".join(titles.get(x, x) for x in result.known)))
        else:
            st.write(t("progress.placement.none_known", lang))
        if result.start:
            lesson_link(result.start, lang, label=t("progress.placement.start_at", lang,
                                                    title=titles.get(result.start, result.start)))
        else:
            st.write(t("progress.placement.all_known", lang))


# --- what the learner has done: the figures first, then the placement check, then the details ---

if summary is not None:
    lesson_ids = {lesson.id for lesson in lessons}
    quiz_total = sum(len(lesson.quiz) for lesson in lessons)
    quiz_right = sum(summary.quiz_right(lesson.id, {q.id for q in lesson.quiz}) for lesson in lessons)
    cols = st.columns(4)
    cols[0].metric(t("progress.page.lessons_read", lang), f"{len(summary.lessons_read & lesson_ids)} / {len(lessons)}")
    cols[1].metric(t("progress.page.quiz_score", lang), f"{quiz_right} / {quiz_total}")
    cols[2].metric(t("progress.page.practice_passed", lang), len(summary.practice_passed))
    cols[3].metric(t("progress.page.tutor_questions", lang), summary.tutor_questions)

    following = next_up(lessons, summary)
    if following is not None:
        lesson_link(following.id, lang, label=t("progress.page.next_up", lang, title=titles[following.id]))
    elif lessons:
        st.success(t("progress.page.all_done", lang), icon=":material/celebration:")

if summary is not None and (summary.placement is None or st.session_state.get(PLACEMENT_OPEN_KEY)):
    placement_check()
placement_result()

if summary is not None:
    st.subheader(t("progress.page.chart_title", lang), anchor=False)
    year_ago = dt.date.today() - dt.timedelta(days=365)
    days = [{"day": day.isoformat(), "count": count} for day, count in summary.per_day if day >= year_ago]
    if days:
        spec = dict(activity_chart_spec(lang))  # a copy: the cached spec is shared
        spec["data"] = {"values": days}
        st.vega_lite_chart(spec=spec, width="stretch")
    else:
        st.caption(t("progress.page.chart_empty", lang))

    st.subheader(t("progress.page.table_title", lang), anchor=False)
    rows = []
    for lesson in lessons:
        right = summary.quiz_right(lesson.id, {q.id for q in lesson.quiz})
        rows.append({
            t("progress.page.col_lesson", lang): titles[lesson.id],
            t("progress.page.col_read", lang): "✓" if lesson.id in summary.lessons_read else "",
            t("progress.page.col_known", lang): "✓" if lesson.id in summary.known_lessons else "",
            t("progress.page.col_quiz", lang): f"{right} / {len(lesson.quiz)}" if lesson.quiz else "–",
        })
    st.dataframe(rows, hide_index=True, width="stretch")
    if summary.placement is not None:
        st.button(t("progress.placement.retake", lang), key="prog_place_again", type="tertiary",
                  on_click=lambda: st.session_state.update({PLACEMENT_OPEN_KEY: True, PLACEMENT_RESULT_KEY: None}))

# --- quizzes for every lesson -----------------------------------------------------------------

quizzed = [lesson for lesson in lessons if lesson.quiz]
if quizzed:
    st.subheader(t("progress.page.quizzes_title", lang), anchor=False)
    ids = [lesson.id for lesson in quizzed]
    remembered = st.session_state.setdefault("prog_quiz_lesson_choice", ids[0])
    st.session_state["prog_quiz_lesson"] = remembered if remembered in ids else ids[0]
    chosen = st.selectbox(
        t("progress.page.quiz_choose", lang), ids, format_func=titles.__getitem__, key="prog_quiz_lesson",
        on_change=lambda: st.session_state.update(prog_quiz_lesson_choice=st.session_state["prog_quiz_lesson"]),
    )
    render_quiz(next(x for x in quizzed if x.id == chosen), lang, prefix="prog_pq")

# --- the learner's data: export, import, reset -------------------------------------------------


def export_text(key: str) -> str:
    # Called when the button is clicked (outside the script run): no session state here.
    store = progress_store()
    return store.export_json(key) if store is not None else "{}"


def reset_progress() -> None:
    store = progress_store()
    if store is None:
        return
    try:
        store.reset(learner.key)
    except ProgressUnavailable as err:
        st.session_state[MESSAGE_KEY] = ("error", saving_off_text(err.code, lang))
        return
    st.session_state[RESET_CONFIRM_KEY] = False
    st.session_state["prog_quiz"] = {}
    st.session_state[PLACEMENT_RESULT_KEY] = None
    st.session_state[MESSAGE_KEY] = ("success", t("progress.page.reset_done", lang))


st.subheader(t("progress.page.data_title", lang), anchor=False)
st.download_button(
    t("progress.page.export", lang),
    data=functools.partial(export_text, learner.key),
    file_name=f"llm-tutor-progress-{learner.key}.json",
    mime="application/json",
    key="prog_export",
    on_click="ignore",
    help=stored_text("export_help", lang),
    icon=":material/download:",
)
uploader_words("prog_import_file", lang, t("common.uploader.limits", lang, mb=IMPORT_MB, types="JSON"))
st.file_uploader(t("progress.page.import_label", lang), type=["json"], key="prog_import_file",
                 max_upload_size=IMPORT_MB)
st.button(t("progress.page.import_button", lang), key="prog_import", on_click=import_file,
          args=("prog_import_file", learner.key), icon=":material/upload:")

if not st.session_state.get(RESET_CONFIRM_KEY):
    st.button(t("progress.page.reset", lang), key="prog_reset", icon=":material/delete:",
              on_click=lambda: st.session_state.update({RESET_CONFIRM_KEY: True}))
else:
    st.warning(t("progress.page.reset_confirm", lang, name=escape_markdown(learner.name)), icon=":material/warning:")
    yes, no = st.columns(2)
    yes.button(t("progress.page.reset_yes", lang), key="prog_reset_yes", type="primary", on_click=reset_progress)
    no.button(t("progress.page.reset_no", lang), key="prog_reset_no",
              on_click=lambda: st.session_state.update({RESET_CONFIRM_KEY: False}))

if progress_on_server():
    st.markdown(f"**{t('progress.private_link.title', lang)}**")
    st.code(private_link(learner.key, lang), language=None, wrap_lines=True)
st.caption(stored_text("remember", lang))
