"""`python -m tutor attention | lens | neighbours --json` print the promised shapes (tiny model)."""
from __future__ import annotations

import json

import pytest

import tutor.__main__ as cli
from tests.llm_tiny import tiny_model, tiny_tokenizer
from tutor.config import Settings
from tutor.inside import model as inside_model
from tutor.llm.backends.pytorch import pytorch_engine
from tutor.llm.base import EngineError

TEXT = "The cat sat on the mat."


@pytest.fixture(scope="module")
def inside():
    tokenizer = tiny_tokenizer()
    return inside_model.from_parts(tiny_model(len(tokenizer)), tokenizer, name="tiny")


@pytest.fixture
def with_inside(inside, monkeypatch):
    monkeypatch.setattr(inside_model, "load_inside_model", lambda *args, **kwargs: inside)
    return inside


def run_json(capsys, *argv: str):
    assert cli.main([*argv, "--json"]) == cli.EXIT_OK
    return json.loads(capsys.readouterr().out)


def test_attention_json_has_tokens_layer_head_and_causal_rows_that_sum_to_one(with_inside, capsys):
    report = run_json(capsys, "attention", TEXT, "--layer", "1", "--head", "2")
    assert set(report) == {"tokens", "layer", "head", "weights"}
    assert report["layer"] == 1 and report["head"] == 2
    assert len(report["weights"]) == len(report["tokens"])
    for i, row in enumerate(report["weights"]):
        assert len(row) == len(report["tokens"])
        assert sum(row) == pytest.approx(1.0, abs=1e-4)
        assert all(w == 0 for w in row[i + 1:])


def test_attention_without_head_is_the_average_over_heads_of_the_last_layer(with_inside, capsys):
    report = run_json(capsys, "attention", TEXT)
    assert report["head"] is None and report["layer"] == with_inside.layer_count
    heads = [run_json(capsys, "attention", TEXT, "--head", str(h))["weights"] for h in range(1, with_inside.head_count + 1)]
    for i, row in enumerate(report["weights"]):
        for j, weight in enumerate(row):
            assert weight == pytest.approx(sum(h[i][j] for h in heads) / len(heads), abs=1e-5)


def test_lens_json_has_one_entry_per_layer_and_its_last_top_token_is_next_tokens(with_inside, capsys, monkeypatch):
    rows = run_json(capsys, "lens", TEXT, "--top-k", "3")
    assert [row["layer"] for row in rows] == list(range(with_inside.layer_count + 1))
    assert all(len(row["top"]) == 3 and set(row["top"][0]) == {"token", "prob"} for row in rows)
    engine = pytorch_engine(with_inside.model, with_inside.tokenizer, name="tiny")
    from tutor.llm import loading

    monkeypatch.setattr(loading, "load_engine", lambda *args, **kwargs: engine)
    next_token = run_json(capsys, "next-token", TEXT, "--top-k", "1")
    assert rows[-1]["top"][0]["token"] == next_token[0]["token"]


def test_neighbours_json_lists_token_and_similarity_starting_with_the_word(with_inside, capsys):
    word = next(w for w in ("The", "cat", "the") if len(with_inside.tokenizer.encode(w, add_special_tokens=False)) == 1)
    rows = run_json(capsys, "neighbours", word, "--top-k", "5")
    assert len(rows) == 5 and all(set(row) == {"token", "similarity"} for row in rows)
    assert rows[0]["token"] == word and rows[0]["similarity"] == pytest.approx(1.0, abs=1e-5)


def test_an_empty_or_too_long_text_exits_with_the_bad_input_code_and_a_message(with_inside, capsys):
    assert cli.main(["attention", "", "--json"]) == cli.EXIT_BAD_CONFIG
    assert "refused" in capsys.readouterr().err
    assert cli.main(["lens", "cat " * 100, "--json"]) == cli.EXIT_BAD_CONFIG
    assert "too_long" in capsys.readouterr().err


def test_a_layer_out_of_range_exits_with_the_bad_input_code(with_inside, capsys):
    assert cli.main(["attention", TEXT, "--layer", "99", "--json"]) == cli.EXIT_BAD_CONFIG
    assert "between 1 and" in capsys.readouterr().err


def test_with_a_model_server_the_commands_say_they_need_the_local_model(monkeypatch, capsys):
    monkeypatch.setattr(inside_model, "load_settings", lambda: Settings(backend="openai"))
    assert cli.main(["neighbours", "cat", "--json"]) == cli.EXIT_BAD_CONFIG
    assert "needs the model on this computer" in capsys.readouterr().err
    with pytest.raises(EngineError):
        inside_model.load_inside_model(settings=Settings(backend="openai"))
