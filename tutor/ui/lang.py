"""The learner's language: chosen in the sidebar, defaulting to the browser's locale.

The choice is also kept in the URL (`?lang=ko`), so a reload, a bookmark or the private link the
Progress page recommends opens in the language the learner chose, not the one they first arrived in.
"""
from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

from tutor.i18n import LANGUAGE_NAMES, LANGUAGES, normalize_language, t
from tutor.ui.state import remembered

LANG_KEY = "lang"  # non-widget key: survives page switches
LANG_PARAM = "lang"  # the URL query parameter that carries the language


def _browser_language() -> str:
    try:
        return normalize_language(st.context.locale)
    except Exception:  # no browser context (bare script, some test runners)
        return normalize_language(None)


ROUTER = Path(__file__).resolve().parent.parent.parent / "streamlit_app.py"


def _ensure_router() -> None:
    """Make sure this page runs inside the router (streamlit_app.py), not on its own.

    Streamlit still has its legacy multipage mode for apps with a `pages/` folder: until some
    session has called st.navigation, the first visitor to a page URL such as /progress gets that
    page run alone, without our sidebar (AppTest starts every run that way). Every page asks for
    the language first, so this is where a page notices it. It then runs the router in its place,
    in this same run, so nothing the learner just sent (a chat message, a click) is dropped.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(ROUTER), run_name="__main__")
        st.stop()


def current_lang() -> str:
    """'ko' or 'en'. A `?lang=` query parameter wins on first load, then the sidebar choice."""
    _ensure_router()
    if LANG_KEY not in st.session_state:
        from_url = st.query_params.get(LANG_PARAM)
        st.session_state[LANG_KEY] = (
            normalize_language(from_url) if from_url in LANGUAGES else _browser_language()
        )
    return st.session_state[LANG_KEY]


def language_switch() -> str:
    """Sidebar radio for 한국어 / English; returns the chosen language."""
    lang = current_lang()
    # The widget's own key is dropped when a page does not draw it, so it is kept in LANG_KEY.
    st.sidebar.radio(
        t("common.language", lang),
        options=list(LANGUAGES),
        format_func=LANGUAGE_NAMES.__getitem__,
        horizontal=True,
        **remembered(LANG_KEY, "_lang_widget"),
    )
    lang = st.session_state[LANG_KEY]
    keep_in_url(lang)
    return lang


def keep_in_url(lang: str) -> None:
    """Write the language into the URL on every run: a page switch or a page that rewrites its own
    query parameters (a lesson link) would otherwise drop it, and a reload would fall back to the
    language the learner first arrived in."""
    if st.query_params.get(LANG_PARAM) != lang:
        st.query_params[LANG_PARAM] = lang


def uploader_words(key: str, lang: str, limits: str) -> None:
    """Write a file uploader's own button and limits line in the learner's language.

    Streamlit 1.67 draws them in English ("Upload", "5MB per file • PNG, JPG") and has no
    parameter for them (streamlit/streamlit#13500 asks for one), so in Korean a little CSS hides
    its words and shows ours in their place, scoped to this uploader (`key`). Screen readers still
    read Streamlit's English words there; everything around the uploader is labelled in Korean.
    """
    if lang == "en":
        return
    button = t("common.uploader.button", lang).replace('"', "").replace("\\", "")
    limits = limits.replace('"', "").replace("\\", "")
    zone = f'.st-key-{key} [data-testid="stFileUploaderDropzone"]'
    st.html(
        "<style>"
        f'{zone} button [data-testid="stMarkdownContainer"] p {{font-size: 0}}'
        f'{zone} button [data-testid="stMarkdownContainer"] p::after {{content: "{button}"; font-size: 0.875rem}}'
        f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] span {{font-size: 0}}'
        f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] span::after'
        f' {{content: "{limits}"; font-size: 0.875rem}}'
        "</style>"
    )
