"""The Classifiers page's editable song table: data-set buttons above a Streamlit data editor.

Streamlit-bound because the editor is, with its two quirks: its state is dropped on a page switch,
and new rows (a button) need a fresh editor. What to show and what to keep is decided in
tutor.classify.song_table (plain functions over session state, tested without Streamlit); this
module only draws.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from tutor.classify import song_table, songs
from tutor.classify.charts import genre_name
from tutor.i18n import t


def _tr(key: str, lang: str) -> str:
    return t(f"classifiers.songs.{key}", lang)


def song_editor_ui(lang: str) -> pd.DataFrame:
    """The data-set buttons and the editable table; returns what the learner has typed (possibly
    not valid: tutor.classify.song_table.accept checks it)."""
    with st.container(horizontal=True):  # the buttons wrap onto a second line when space is short
        for name in songs.DATA_ACTIONS:  # noise, more songs, a third genre, curved data, start over
            st.button(_tr(f"data.{name}", lang), help=_tr(f"data.{name}_help", lang), key=f"clf_btn_{name}",
                      on_click=song_table.press, args=(st.session_state, name))
    key, base = song_table.open_editor(st.session_state)
    edited = st.data_editor(
        base,
        key=key,
        num_rows="dynamic",
        # No index column: a row added with "+" has no index yet and would show "None" there.
        hide_index=True,
        height=280,
        column_config={
            "tempo": st.column_config.NumberColumn(_tr("table.tempo", lang), help=_tr("table.tempo_help", lang),
                                                   min_value=songs.TEMPO_LIMITS[0], max_value=songs.TEMPO_LIMITS[1],
                                                   step=1, format="%d"),
            "energy": st.column_config.NumberColumn(_tr("table.energy", lang), help=_tr("table.energy_help", lang),
                                                    min_value=0.0, max_value=1.0, step=0.01, format="%.2f"),
            "genre": st.column_config.SelectboxColumn(_tr("table.genre", lang), options=list(songs.ALL_GENRES),
                                                      format_func=lambda g: genre_name(g, lang)),
        },
    )
    return pd.DataFrame(edited)
