"""Glossary: every term of the course, alphabetically, with a search box and links to the lessons."""

import streamlit as st

from tutor.glossary import MAX_QUERY_CHARS, GlossaryError, Term, clean_query, glossary, index_letter, search
from tutor.i18n import t
from tutor.lessons import course
from tutor.ui.lang import current_lang
from tutor.ui.pages import lesson_link

QUERY_KEY = "glossary_query"  # non-widget copy of the search box: survives page switches
WIDGET_KEY = "_glossary_query_widget"

lang = current_lang()
st.session_state.setdefault(QUERY_KEY, "")


def _remember_query() -> None:
    st.session_state[QUERY_KEY] = st.session_state[WIDGET_KEY]


def term_ui(term: Term, lang: str) -> None:
    """One entry: the term, its definition, and a link to the section that explains it."""
    st.markdown(f"**{term.term}**  \n{term.definition}")
    lesson = course().get(lang, term.lesson)
    section = lesson.section(term.section) if lesson else None
    if lesson and section:
        label = t("glossary.see_lesson", lang, lesson=lesson.title, section=section.title)
        lesson_link(term.lesson, lang, label=label, section=term.section)
    else:
        st.caption(t("glossary.no_lesson", lang))


@st.fragment
def glossary_ui(terms: tuple[Term, ...], lang: str) -> None:
    """Search box and the matching terms, grouped under their first letter."""
    st.session_state[WIDGET_KEY] = st.session_state[QUERY_KEY]
    raw = st.text_input(
        t("glossary.search_label", lang),
        key=WIDGET_KEY,
        placeholder=t("glossary.search_placeholder", lang),
        on_change=_remember_query,
        icon=":material/search:",
    )
    query = clean_query(raw)
    if len(query) > MAX_QUERY_CHARS:
        st.warning(t("glossary.too_long", lang, limit=MAX_QUERY_CHARS), icon=":material/warning:")
        query = ""
    shown = search(terms, query)
    st.caption(t("glossary.count", lang, shown=len(shown), total=len(terms)))
    if not shown:
        st.info(t("glossary.no_match", lang, query=query), icon=":material/search_off:")
    heading = None
    for term in shown:
        # Headings only for the plain alphabetical list; search results are ordered by relevance.
        if not query and index_letter(term) != heading:
            heading = index_letter(term)
            st.subheader(heading, anchor=False, divider="gray")
        with st.container(border=True):
            term_ui(term, lang)


st.title(t("glossary.title", lang))
st.write(t("glossary.intro", lang))
try:
    terms = glossary(lang)
except GlossaryError as err:
    st.error(t("glossary.load_error", lang), icon=":material/error:")
    st.caption(str(err))
else:
    if terms:
        glossary_ui(terms, lang)
    else:
        st.info(t("glossary.empty", lang))
