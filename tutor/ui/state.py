"""Keeping what a learner chose when a widget disappears.

Streamlit drops a widget's key from session state when a page stops drawing it (a page switch),
so each such value lives under a plain key and the widget under a second key that mirrors it:
`keep_widget` before drawing the widget, `copy_back` as its on_change.
"""
from __future__ import annotations

import streamlit as st


def keep_widget(value_key: str, widget_key: str) -> None:
    """Refresh a widget's value from its lasting copy (call just before drawing the widget)."""
    st.session_state[widget_key] = st.session_state[value_key]


def copy_back(value_key: str, widget_key: str) -> None:
    """on_change: store the widget's new value where it survives a page switch."""
    st.session_state[value_key] = st.session_state[widget_key]


def remembered(value_key: str, widget_key: str | None = None) -> dict:
    """The keyword arguments that make a widget keep its value across page switches, with the
    lasting copy refreshed first (call it as the widget is drawn):

        st.slider(label, 0, 10, **remembered("lab_top_k"))

    The widget lives under `widget_key` (default "_<value_key>_w") and writes back on change."""
    widget_key = widget_key or f"_{value_key}_w"
    keep_widget(value_key, widget_key)
    return {"key": widget_key, "on_change": copy_back, "args": (value_key, widget_key)}
