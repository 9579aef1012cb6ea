"""Draw a lesson figure (see tutor.figures) with the matching Streamlit element."""
from __future__ import annotations

import logging

import streamlit as st

from tutor import figures
from tutor.i18n import t
from tutor.text import escape_markdown

log = logging.getLogger(__name__)


def render_figure(name: str, lang: str) -> None:
    """Draw figure `name`; a missing or failing figure becomes a short notice, not a traceback."""
    try:
        fig = figures.build(name, lang)
    except KeyError:
        st.info(t("common.figure_missing", lang, name=name), icon=":material/image_not_supported:")
        return
    except Exception:  # a figure bug must not take the lesson down with it
        log.exception("figure %s failed", name)
        st.warning(t("common.figure_failed", lang, name=name), icon=":material/warning:")
        return
    if fig.kind == "graphviz":
        st.graphviz_chart(fig.spec)
    elif fig.kind == "altair":
        st.altair_chart(fig.spec, width="stretch")
    elif fig.kind == "table":
        # A static table wraps long cells (st.dataframe cut "for every token it weighs which other
        # parts c..." in lesson 10); its cells are Markdown, so each is escaped to read as written.
        st.table([{escape_markdown(str(k)): escape_markdown(str(v)) for k, v in row.items()} for row in fig.spec],
                 hide_index=True)
    else:
        st.warning(t("common.figure_failed", lang, name=name))
        return
    if fig.caption:
        st.caption(fig.caption)
