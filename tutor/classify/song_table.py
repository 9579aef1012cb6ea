"""The editable song table's life in a session: what the editor starts from, what the learner has
typed, and the last table that made sense (the one the model trains on).

The Classifiers page passes st.session_state in; any mapping will do, so this is tested with a
dict. The keys (a page switch drops an editor's own state, so the learner's rows live here):

- clf_songs_base:    the rows a fresh editor starts from;
- clf_songs_edited:  the learner's latest rows, valid or not (a fresh editor starts from them);
- clf_songs_good:    the last rows that passed validation: the model trains on these, so a typo
                     never blanks the chart;
- clf_songs_version: part of the editor's key. A data-set button moves it on, so the new rows
                     appear in a fresh editor instead of the old edits being replayed onto them;
- clf_songs_seed:    the seed of the next data-set button, so pressing one twice gives new songs.
"""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pandas as pd

from tutor.classify import songs

State = MutableMapping[str, Any]


def start(state: State) -> None:
    """The first visit: the 20 starting songs, in a first editor."""
    state.setdefault("clf_songs_base", songs.make_songs().to_dict("records"))
    state.setdefault("clf_songs_edited", state["clf_songs_base"])
    state.setdefault("clf_songs_version", 0)
    state.setdefault("clf_songs_seed", songs.DEFAULT_SEED)
    state.setdefault("clf_songs_good", state["clf_songs_base"])


def press(state: State, action: str) -> None:
    """A data-set button (songs.DATA_ACTIONS): new rows made from the last table that made sense,
    shown in a fresh editor; the next press uses the next seed."""
    table = songs.change_songs(action, pd.DataFrame(state["clf_songs_good"]), state["clf_songs_seed"])
    state["clf_songs_base"] = table.to_dict("records")
    state["clf_songs_edited"] = table.to_dict("records")
    state["clf_songs_version"] += 1
    state["clf_songs_seed"] += 1


def open_editor(state: State) -> tuple[str, pd.DataFrame]:
    """The editor's key and the rows it starts from.

    An editor whose key is not in `state` is drawn for the first time, or again after a page
    switch dropped its state: it starts from the learner's latest rows, so no edit is lost.
    """
    key = f"clf_editor_{state['clf_songs_version']}"
    if key not in state:
        state["clf_songs_base"] = state["clf_songs_edited"]
    return key, pd.DataFrame(state["clf_songs_base"], columns=list(songs.COLUMNS))


def accept(state: State, edited: pd.DataFrame) -> tuple[pd.DataFrame, list[songs.TableProblem]]:
    """Keep what the learner typed; return (the table to train on, what to fix in the typed one).

    A valid table becomes the last good one; an invalid one leaves the last good table in use and
    says what is wrong with the typed one.
    """
    state["clf_songs_edited"] = pd.DataFrame(edited).to_dict("records")
    clean, problems = songs.validate_songs(edited)
    if clean is None:
        return pd.DataFrame(state["clf_songs_good"]), problems
    state["clf_songs_good"] = clean.to_dict("records")
    return clean, []
