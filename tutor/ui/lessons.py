"""Drawing a lesson: sections with stable anchors, figures, "try it" links, previous / next."""
from __future__ import annotations

import json

import streamlit as st
import streamlit.components.v1 as components

from tutor.i18n import t
from tutor.lessons import Block, Lesson, Section
from tutor.ui.figures import render_figure
from tutor.ui.pages import BY_ID, page_link, page_title

ASK_PREFILL_KEY = "chat_prefill"  # the tutor chat page reads this and offers it as a question


def _render_blocks(blocks: tuple[Block, ...], lang: str) -> None:
    for block in blocks:
        if block.kind == "markdown":
            st.markdown(block.value)
        elif block.kind == "figure":
            render_figure(block.value, lang)
        elif block.kind == "try":
            page_id = block.value.split("/")[0]
            if page_id in BY_ID:
                page_link(page_id, lang, label=t("lessons.try_it", lang, page=page_title(page_id, lang)))


def _ask_about(lesson: Lesson, section: Section, lang: str) -> None:
    if st.button(
        t("lessons.ask_about", lang),
        key=f"lessons_ask_{lesson.id}_{section.anchor}",
        icon=":material/forum:",
        type="tertiary",
    ):
        st.session_state[ASK_PREFILL_KEY] = {
            "lesson": lesson.id,
            "section": section.anchor,
            "question": t("lessons.ask_template", lang, section=section.title, lesson=lesson.title),
        }
        st.switch_page(BY_ID["tutor"].path)


def scroll_to(anchor: str) -> None:
    """Scroll the page to a section heading once it is drawn (Streamlit draws after load)."""
    components.html(
        "<script>"
        "const target = " + json.dumps(anchor) + ";"
        "let tries = 0;"
        "const timer = setInterval(() => {"
        "  const el = window.parent.document.getElementById(target);"
        "  if (el) { el.scrollIntoView({behavior: 'smooth', block: 'start'}); clearInterval(timer); }"
        "  if (++tries > 40) clearInterval(timer);"
        "}, 100);"
        "</script>",
        height=0,
    )


def render_lesson(lesson: Lesson, lang: str, *, focus_section: str | None = None) -> None:
    """The whole lesson; `focus_section` is framed and scrolled to."""
    st.title(lesson.title)
    st.caption(lesson.summary)
    _render_blocks(lesson.intro, lang)
    for section in lesson.sections:
        box = st.container(border=True) if section.anchor == focus_section else st.container()
        with box:
            st.header(section.title, anchor=section.anchor)
            _render_blocks(section.blocks, lang)
            if section.anchor != "key-ideas":
                _ask_about(lesson, section, lang)
    if focus_section and lesson.section(focus_section):
        scroll_to(focus_section)
