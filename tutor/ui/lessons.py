"""Drawing a lesson: sections with stable anchors, figures, "try it" links, previous / next."""
from __future__ import annotations

import json

import streamlit as st
import streamlit.components.v1 as components

from tutor.i18n import t
from tutor.lessons import Block, Lesson, Section, try_target
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
            try_link(block.value, lang)


def try_link(value: str, lang: str) -> None:
    """A "try it" link; "inside/map" opens the page at that view (the page reads ?view=)."""
    page_id, view = try_target(value)
    if page_id not in BY_ID:
        return
    if view is None:
        page_link(page_id, lang, label=t("lessons.try_it", lang, page=page_title(page_id, lang)))
    else:
        # a page's view names live with the page's own strings: content/ui/<page id>.toml, [views]
        label = t("lessons.try_it_view", lang, page=page_title(page_id, lang), view=t(f"{page_id}.views.{view}", lang))
        page_link(page_id, lang, label=label, view=view)


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


def js_string(text: str) -> str:
    """`text` as a JavaScript string literal that is safe inside an HTML <script> element.

    json.dumps alone leaves "</script>" as it is, and the HTML parser ends the script there, before
    JavaScript ever sees the string; "<!--" changes how the parser reads the rest. Writing <, > and
    & as \\u escapes keeps the same string for JavaScript and leaves the HTML parser nothing to see
    (json.dumps already escapes U+2028 and U+2029, which old JavaScript refuses in strings).
    """
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def scroll_script(anchor: str) -> str:
    """The script that scrolls the page to the heading `anchor` once Streamlit has drawn it."""
    return (
        "<script>"
        "const target = " + js_string(anchor) + ";"
        "let tries = 0;"
        "const timer = setInterval(() => {"
        "  const el = window.parent.document.getElementById(target);"
        "  if (el) { el.scrollIntoView({behavior: 'smooth', block: 'start'}); clearInterval(timer); }"
        "  if (++tries > 40) clearInterval(timer);"
        "}, 100);"
        "</script>"
    )


def scroll_to(anchor: str) -> None:
    """Scroll the page to a section heading once it is drawn (Streamlit draws after load)."""
    components.html(scroll_script(anchor), height=0)


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
