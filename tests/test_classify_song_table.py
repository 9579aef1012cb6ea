"""The song table's life in a session (tutor.classify.song_table), on a dict standing in for
st.session_state: the editor's rows, the learner's edits, the last good table, the buttons."""
from __future__ import annotations

import pandas as pd

from tutor.classify import song_table, songs


def _started() -> dict:
    state: dict = {}
    song_table.start(state)
    return state


def test_a_first_visit_starts_with_the_twenty_songs_in_editor_zero():
    state = _started()
    assert state["clf_songs_good"] == songs.make_songs().to_dict("records")
    key, rows = song_table.open_editor(state)
    assert key == "clf_editor_0"
    pd.testing.assert_frame_equal(rows, songs.make_songs())
    song_table.start(state)  # every later run: nothing is reset
    assert state["clf_songs_version"] == 0


def test_a_valid_edit_becomes_the_table_the_model_trains_on():
    state = _started()
    edited = songs.make_songs()
    edited.loc[2, "energy"] = 0.3
    table, problems = song_table.accept(state, edited)
    assert problems == [] and table.loc[2, "energy"] == 0.3
    assert state["clf_songs_good"][2]["energy"] == 0.3


def test_an_invalid_edit_is_kept_but_the_model_keeps_the_last_good_table():
    state = _started()
    edited = songs.make_songs()
    edited.loc[2, "energy"] = None
    table, problems = song_table.accept(state, edited)
    assert [p.code for p in problems] == ["empty_cell"]
    pd.testing.assert_frame_equal(table, songs.make_songs())
    assert pd.isna(state["clf_songs_edited"][2]["energy"])  # the learner's typing is not thrown away


def test_an_editor_drawn_again_after_a_page_switch_starts_from_the_latest_edits():
    state = _started()
    edited = songs.make_songs().iloc[:10]
    song_table.accept(state, edited)
    _, rows = song_table.open_editor(state)  # the editor's own state was dropped: not in `state`
    assert len(rows) == 10
    state["clf_editor_0"] = {"edited_rows": {}}  # an editor still on screen keeps its own base
    state["clf_songs_edited"] = songs.make_songs().iloc[:5].to_dict("records")
    assert len(song_table.open_editor(state)[1]) == 10


def test_a_button_puts_new_rows_in_a_fresh_editor_and_moves_the_seed_on():
    state = _started()
    song_table.press(state, "more")
    key, rows = song_table.open_editor(state)
    assert key == "clf_editor_1" and len(rows) == 40
    assert state["clf_songs_edited"] == state["clf_songs_base"] == rows.to_dict("records")
    assert state["clf_songs_good"] == songs.make_songs().to_dict("records")  # valid once the page accepts it
    song_table.press(state, "more")
    assert state["clf_songs_seed"] == songs.DEFAULT_SEED + 2
    assert len(state["clf_songs_base"]) == 40  # made from the last GOOD table (still the 20), not the 40


def test_a_button_builds_on_the_last_good_table_not_on_a_broken_edit():
    state = _started()
    broken = songs.make_songs()
    broken.loc[0, "genre"] = "polka"
    song_table.accept(state, broken)
    song_table.press(state, "third")
    assert "polka" not in {row["genre"] for row in state["clf_songs_base"]}
    assert len(state["clf_songs_base"]) == 30
