"""Widgets that keep a learner's value across page switches (tutor/ui/state.py)."""
from __future__ import annotations

import streamlit as st

from tutor.ui import state


def test_remembered_refreshes_the_widget_from_its_lasting_copy_and_writes_back_on_change(monkeypatch):
    session: dict = {"lab_top_k": 7}
    monkeypatch.setattr(st, "session_state", session)
    kwargs = state.remembered("lab_top_k")
    assert kwargs["key"] == "_lab_top_k_w" and session["_lab_top_k_w"] == 7
    session["_lab_top_k_w"] = 3  # the learner moves the slider
    kwargs["on_change"](*kwargs["args"])
    assert session["lab_top_k"] == 3


