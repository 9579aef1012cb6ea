"""Where each page lives and how to link to it: one table for the router and every link."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from tutor.i18n import t


@dataclass(frozen=True)
class PageInfo:
    id: str
    path: str
    icon: str
    group: str  # "learn" | "try" | "practice"


PAGES: tuple[PageInfo, ...] = (
    PageInfo("lessons", "pages/lessons.py", ":material/menu_book:", "learn"),
    PageInfo("glossary", "pages/glossary.py", ":material/dictionary:", "learn"),
    PageInfo("tutor", "pages/tutor_chat.py", ":material/forum:", "learn"),
    PageInfo("lab", "pages/next_token_lab.py", ":material/science:", "try"),
    PageInfo("classifiers", "pages/classifiers.py", ":material/scatter_plot:", "try"),
    PageInfo("inside", "pages/inside_model.py", ":material/visibility:", "try"),
    PageInfo("prompting", "pages/prompting.py", ":material/edit_note:", "practice"),
    PageInfo("progress", "pages/progress.py", ":material/trending_up:", "practice"),
)
BY_ID = {p.id: p for p in PAGES}

# The browser tab's icon. An emoji, because Streamlit draws an emoji favicon as an inline SVG in the
# page itself, while a ":material/...:" favicon is fetched from fonts.gstatic.com: offline (the way
# this app is meant to run) the tab had no icon and the browser kept asking the internet.
APP_ICON = "🎓"


def page_title(page_id: str, lang: str) -> str:
    return t(f"common.pages.{page_id}", lang)


def page_link(page_id: str, lang: str, *, label: str | None = None, **query: str) -> None:
    """A link to one of our pages, labelled in the learner's language."""
    info = BY_ID[page_id]
    st.page_link(
        info.path,
        label=label or page_title(page_id, lang),
        icon=info.icon,
        query_params=query or None,
    )


def lesson_link(lesson_id: str, lang: str, *, label: str, section: str | None = None) -> None:
    """A link that opens the Lessons page at a lesson (and a section of it)."""
    query = {"lesson": lesson_id}
    if section:
        query["section"] = section
    page_link("lessons", lang, label=label, **query)
