"""Lessons: the course overview, or one lesson with previous / next.

Deep links: ?lesson=<id>&section=<anchor> (a URL #anchor also works once the page has drawn).
The learner's place is kept in session state, so switching pages or language keeps it.
"""
import streamlit as st

from tutor.i18n import t
from tutor.lessons import course
from tutor.ui.lang import current_lang
from tutor.ui.lessons import render_lesson
from tutor.ui.progress import finished_button, render_quiz

PLACE_KEY = "lessons_place"  # {"lesson": id or None, "section": anchor or None}

lang = current_lang()
lessons = course().in_language(lang)
if course().errors:
    with st.expander(t("common.content_errors", lang), icon=":material/warning:"):
        for error in course().errors:
            st.text(error)

place = st.session_state.setdefault(PLACE_KEY, {"lesson": None, "section": None})
# A link (?lesson=...) wins over the remembered place.
if "lesson" in st.query_params:
    place = {"lesson": st.query_params["lesson"], "section": st.query_params.get("section")}
    st.session_state[PLACE_KEY] = place


def open_lesson(lesson_id: str | None, section: str | None = None) -> None:
    st.session_state[PLACE_KEY] = {"lesson": lesson_id, "section": section}
    st.query_params.clear()
    if lesson_id:
        st.query_params["lesson"] = lesson_id


current = course().get(lang, place["lesson"]) if place["lesson"] else None
if place["lesson"] and current is None:
    st.warning(t("lessons.unknown", lang, lesson=place["lesson"]), icon=":material/search_off:")

if current is None:
    st.title(t("lessons.overview_title", lang))
    st.write(t("lessons.overview_intro", lang))
    for lesson in lessons:
        with st.container(border=True):
            st.subheader(f"{lesson.order}. {lesson.title}", anchor=False)
            st.write(lesson.summary)
            st.button(
                t("lessons.open", lang),
                key=f"lessons_open_{lesson.id}",
                on_click=open_lesson,
                args=(lesson.id,),
            )
else:
    st.query_params["lesson"] = current.id  # so a reload or a shared URL opens the same lesson
    st.button(t("lessons.all_lessons", lang), icon=":material/arrow_back:", on_click=open_lesson, args=(None,))
    render_lesson(current, lang, focus_section=place.get("section"))
    render_quiz(current, lang)  # answering the quiz also counts the lesson as read
    finished_button(current, lang)
    previous, following = course().neighbours(lang, current.id)
    left, right = st.columns(2)
    if previous:
        left.button(
            t("lessons.previous", lang, title=previous.title),
            icon=":material/arrow_back:",
            on_click=open_lesson,
            args=(previous.id,),
            key="lessons_prev",
        )
    if following:
        right.button(
            t("lessons.next", lang, title=following.title),
            icon=":material/arrow_forward:",
            on_click=open_lesson,
            args=(following.id,),
            key="lessons_next",
        )
