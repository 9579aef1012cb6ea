"""The songs experiment: seeded data, the separating line, curved boundaries, validation of edits."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tutor.classify import songs


def test_song_data_is_reproducible_from_its_seed():
    pd.testing.assert_frame_equal(songs.make_songs(seed=3), songs.make_songs(seed=3))
    assert not songs.make_songs(seed=3).equals(songs.make_songs(seed=4))


def test_default_songs_are_twenty_with_ten_of_each_genre():
    table = songs.make_songs()
    assert len(table) == 20
    assert table["genre"].value_counts().to_dict() == {"reggaeton": 10, "rnb": 10}


def test_reggaeton_songs_are_faster_and_livelier_than_rnb():
    means = songs.make_songs(n=400).groupby("genre")[["tempo", "energy"]].mean()
    assert means.loc["reggaeton", "tempo"] > means.loc["rnb", "tempo"]
    assert means.loc["reggaeton", "energy"] > means.loc["rnb", "energy"]


def test_logistic_line_separates_the_default_songs():
    fit, _, _ = songs.train_songs(songs.make_songs(), "logistic", test_share=0)
    assert fit.train_accuracy == 1.0


def test_logistic_line_gives_rnb_at_least_95_percent_for_slow_calm_song():
    fit, _, _ = songs.train_songs(songs.make_songs(), "logistic", test_share=0)
    prediction = songs.predict_song(fit.model, 70, 0.2)
    assert prediction.genre == "rnb"
    assert prediction.probabilities["rnb"] >= 0.95
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)


def test_confidence_is_the_logistic_function_of_distance_from_the_line():
    fit, _, _ = songs.train_songs(songs.make_songs(), "logistic", test_share=0)
    slope = float(np.linalg.norm(fit.model[-1].coef_[0]))
    confidences = []
    for tempo, energy in [(88, 0.55), (80, 0.45), (70, 0.2), (60, 0.05)]:
        prediction = songs.predict_song(fit.model, tempo, energy)
        best = max(prediction.probabilities.values())
        assert best == pytest.approx(1 / (1 + np.exp(-slope * abs(prediction.distance))))
        confidences.append((abs(prediction.distance), best))
    confidences.sort()
    assert [c for _, c in confidences] == sorted(c for _, c in confidences)


def test_line_points_lie_where_the_model_is_undecided():
    table = songs.make_songs()
    fit, _, _ = songs.train_songs(table, "logistic", test_share=0)
    line = songs.line_points(fit.model, (60, 120), steps=5)
    for tempo, energy in line.itertuples(index=False):
        assert songs.predict_song(fit.model, tempo, energy).probabilities["rnb"] == pytest.approx(0.5, abs=1e-6)


def test_only_a_two_genre_line_has_a_distance():
    table = songs.make_songs()
    tree, _, _ = songs.train_songs(table, "tree", test_share=0)
    assert songs.predict_song(tree.model, 70, 0.2).distance is None
    three, _, _ = songs.train_songs(songs.add_third_genre(table), "logistic", test_share=0)
    assert songs.predict_song(three.model, 70, 0.2).distance is None
    assert songs.line_points(three.model, (60, 120)) is None


def test_boundary_grid_has_one_answer_per_cell():
    fit, _, _ = songs.train_songs(songs.make_songs(), "logistic", test_share=0)
    grid = songs.boundary_grid(fit.model, (50, 150), (0, 1), steps=30)
    assert grid.tempo.shape == (30,) and grid.energy.shape == (30,)
    assert grid.genre.shape == (30, 30) and grid.confidence.shape == (30, 30)
    assert set(np.unique(grid.genre)) == {"reggaeton", "rnb"}
    assert grid.confidence.min() >= 0.5 and grid.confidence.max() <= 1.0
    rows = grid.rows()
    assert len(rows) == 900 and list(rows.columns) == ["tempo", "energy", "genre", "confidence"]
    # Low and calm is R&B, fast and intense is reggaeton.
    assert grid.genre[0, 0] == "rnb" and grid.genre[-1, -1] == "reggaeton"


@pytest.mark.parametrize("kind,params", [("knn", None), ("svm", None), ("mlp", None), ("tree", {"depth": 6})])
def test_non_linear_models_beat_the_line_on_curved_songs(kind, params):
    table = songs.curved_songs()
    line, _, _ = songs.train_songs(table, "logistic", test_share=0.3)
    curved, _, _ = songs.train_songs(table, kind, params, test_share=0.3)
    assert curved.test_accuracy > line.test_accuracy
    assert curved.train_accuracy > line.train_accuracy


def test_deep_tree_on_noisy_songs_does_better_on_training_than_test_songs():
    noisy = songs.add_noise(songs.add_more_songs(songs.make_songs(), 60), seed=1)
    fit, _, _ = songs.train_songs(noisy, "tree", {"depth": 12}, test_share=0.3)
    assert fit.train_accuracy == 1.0
    assert fit.test_accuracy < fit.train_accuracy


@pytest.mark.parametrize("kind", songs.MODEL_KINDS)
def test_every_model_trains_on_three_genres_with_probabilities_summing_to_one(kind):
    table = songs.add_third_genre(songs.make_songs())
    assert set(table["genre"]) == {"reggaeton", "rnb", "kpop"}
    fit, _, _ = songs.train_songs(table, kind, test_share=0.3)
    prediction = songs.predict_song(fit.model, 130, 0.6)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
    assert set(prediction.probabilities) == {"reggaeton", "rnb", "kpop"}


def test_split_holds_back_the_asked_share_with_both_genres_in_training():
    train, test = songs.split_songs(songs.make_songs(), 0.3)
    assert (len(train), len(test)) == (14, 6)
    assert set(train["genre"]) == set(test["genre"]) == {"reggaeton", "rnb"}


def test_split_holds_nothing_back_when_there_are_too_few_songs():
    tiny = songs.make_songs(n=4)
    train, test = songs.split_songs(tiny, 0.5)
    assert len(train) == 4 and len(test) == 0
    fit, _, _ = songs.train_songs(tiny, "knn", {"k": 15}, test_share=0.5)
    assert fit.test_accuracy is None


def test_noise_is_seeded_and_relabels_some_songs():
    table = songs.make_songs()
    assert songs.add_noise(table, seed=2).equals(songs.add_noise(table, seed=2))
    assert (songs.add_noise(table, seed=2)["genre"] != table["genre"]).sum() >= 1


def test_energy_regression_line_rises_with_tempo():
    fit, _, _ = songs.train_energy(songs.make_songs(), "logistic", test_share=0.3)
    assert songs.predict_energy(fit.model, 110) > songs.predict_energy(fit.model, 65)
    assert fit.test_error is not None and 0 <= fit.train_error < 0.3
    assert fit.curve_tempo.shape == fit.curve_energy.shape


# --- validation of an edited table -------------------------------------------------------------

def _codes(table) -> list[str]:
    clean, problems = songs.validate_songs(table)
    assert (clean is None) == bool(problems)
    return [p.code for p in problems]


def test_validate_accepts_the_default_table_and_numbers_typed_as_text():
    table = songs.make_songs().astype({"tempo": object})
    table.at[0, "tempo"] = " 98 "
    clean, problems = songs.validate_songs(table)
    assert problems == [] and clean["tempo"].iloc[0] == 98.0 and clean["tempo"].dtype == float


def test_validate_names_the_row_and_column_of_an_empty_cell():
    table = songs.make_songs()
    table.at[2, "energy"] = np.nan
    _, problems = songs.validate_songs(table)
    assert [(p.code, p.row, p.column) for p in problems] == [("empty_cell", 3, "energy")]


def test_validate_refuses_text_in_a_number_column():
    table = songs.make_songs().astype({"tempo": object})
    table.at[4, "tempo"] = "fast"
    _, problems = songs.validate_songs(table)
    assert [(p.code, p.row, p.value) for p in problems] == [("not_a_number", 5, "fast")]


@pytest.mark.parametrize("value", [float("inf"), -5.0, 1.5])
def test_validate_refuses_energy_out_of_range(value):
    table = songs.make_songs()
    table.at[0, "energy"] = value
    assert _codes(table) == ["not_a_number" if np.isinf(value) else "out_of_range"]


def test_validate_refuses_a_single_class():
    table = songs.make_songs()
    table["genre"] = "rnb"
    assert _codes(table) == ["one_genre"]


def test_validate_refuses_one_row():
    assert _codes(songs.make_songs().head(1)) == ["too_few_songs"]


def test_validate_refuses_a_genre_with_a_single_song():
    table = songs.make_songs()
    table.loc[table["genre"] == "reggaeton", "genre"] = ["reggaeton"] + ["rnb"] * 9
    assert _codes(table) == ["genre_too_small"]


def test_validate_refuses_unknown_genres_missing_columns_and_huge_tables():
    table = songs.make_songs()
    table.at[1, "genre"] = "jazz"
    assert _codes(table) == ["unknown_genre"]
    assert _codes(songs.make_songs().drop(columns="energy")) == ["missing_column"]
    assert _codes(songs.make_songs(n=songs.MAX_SONGS + 2)) == ["too_many_rows"]


def test_a_row_just_added_and_still_empty_is_left_out_not_scolded():
    table = pd.concat([songs.make_songs(), pd.DataFrame([{"tempo": None, "energy": None, "genre": None}])],
                      ignore_index=True)
    clean, problems = songs.validate_songs(table)
    assert problems == [] and len(clean) == len(table) - 1
    assert songs.blank_rows(table) == [len(table)]
    assert songs.blank_rows(songs.make_songs()) == []


# --- The data-set buttons and the overfitting rule (moved out of pages/classifiers.py) ----------


def test_each_data_set_button_makes_its_table_from_the_last_good_one():
    table = songs.make_songs()
    more = songs.change_songs("more", table, seed=8)
    assert len(more) == 40 and more.iloc[:20].equals(table)  # the learner's songs first, then 20 new ones
    third = songs.change_songs("third", table, seed=8)
    assert third["genre"].value_counts()["kpop"] == 10 and len(third) == 30
    noisy = songs.change_songs("noise", table, seed=8)
    assert len(noisy) == 20 and not noisy.equals(table)
    curved = songs.change_songs("curved", table, seed=8)
    assert len(curved) == 60 and set(curved["genre"]) == set(songs.GENRES)
    pd.testing.assert_frame_equal(songs.change_songs("reset", curved, seed=99), songs.make_songs())


def test_pressing_a_data_set_button_again_with_the_next_seed_gives_new_songs():
    table = songs.make_songs()
    assert not songs.change_songs("more", table, 8).equals(songs.change_songs("more", table, 9))
    pd.testing.assert_frame_equal(songs.change_songs("noise", table, 8), songs.change_songs("noise", table, 8))


def test_every_button_the_page_draws_is_an_action_and_an_unknown_one_is_refused():
    table = songs.make_songs()
    for action in songs.DATA_ACTIONS:
        assert set(songs.change_songs(action, table, 8).columns) == set(songs.COLUMNS)
    with pytest.raises(ValueError):
        songs.change_songs("shuffle", table, 8)


def _fit(train: float, test: float | None, kind: str = "tree") -> songs.SongFit:
    return songs.SongFit(kind, {}, None, songs.GENRES, train, test, 20, 0 if test is None else 6)


@pytest.mark.parametrize(
    "train,test,gap",
    [(1.0, 0.85, 0.15), (1.0, 0.5, 0.5), (1.0, 0.86, None), (0.9, 0.95, None), (1.0, None, None)],
)
def test_overfitting_means_training_accuracy_beats_test_accuracy_by_15_points(train, test, gap):
    found = songs.overfitting_gap(_fit(train, test))
    assert found == (None if gap is None else pytest.approx(gap))


def test_deep_tree_on_noisy_songs_is_called_overfitting():
    table = songs.change_songs("noise", songs.change_songs("more", songs.make_songs(), 7), 8)
    fit, _, _ = songs.train_songs(table, "tree", {"depth": 12}, test_share=0.3)
    assert songs.overfitting_gap(fit) is not None


def test_the_side_of_the_line_is_the_second_genre_for_a_positive_distance():
    assert songs.side_of_line(("reggaeton", "rnb"), 0.4) == "rnb"
    assert songs.side_of_line(("reggaeton", "rnb"), -0.4) == "reggaeton"
    fit, _, _ = songs.train_songs(songs.make_songs(), "logistic", test_share=0)
    prediction = songs.predict_song(fit.model, 70, 0.2)
    assert songs.side_of_line(fit.genres, prediction.distance) == prediction.genre


def test_the_confidence_curve_runs_from_the_line_to_three_units_away_and_only_for_a_line():
    fit, _, _ = songs.train_songs(songs.make_songs(), "logistic", test_share=0)
    distances, confidence = songs.confidence_curve(fit.model)
    assert distances[0] == 0 and distances[-1] == 3 and len(distances) == 61
    assert confidence[0] == pytest.approx(0.5) and list(confidence) == sorted(confidence)
    tree, _, _ = songs.train_songs(songs.make_songs(), "tree", test_share=0)
    assert songs.confidence_curve(tree.model) is None
