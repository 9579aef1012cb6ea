"""The OpenAI-compatible engine against llama.cpp's real server, serving the packaged default GGUF.

Needs `.venv-llama` (make llama-server). The server runs on a free loopback port for this module.
"""
from __future__ import annotations

import os
import time

import pytest
import requests

from tutor.chat.answer import AnswerJob, plan_answer, start_answer
from tutor.config import Settings, load_settings
from tutor.llm import engine_status, load_engine
from tutor.llm.catalog import DEFAULT_MODEL
from tutor.llm.llama_server import LlamaServer, llama_python, served_gguf, start_llama_server
from tutor.llm.openai_compatible import OpenAICompatibleEngine, ServerConfig

pytestmark = pytest.mark.llama_server

# prompts whose next token the model is sure enough about that two numerics agree on the favourite
PROMPTS = ["The cat sat on the", "The capital of France is", "def add(a, b):\n    return a", "1, 2, 3, 4,"]


def launch(tmp_path_factory, name: str) -> LlamaServer:
    if not llama_python().is_file():
        pytest.fail(f"llama.cpp's server is not installed at {llama_python()}: run `make llama-server`")
    gguf = served_gguf(DEFAULT_MODEL, load_settings().cache_dir)
    return start_llama_server(gguf, model_alias=DEFAULT_MODEL, log_path=tmp_path_factory.mktemp(name) / "server.log")


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    server = launch(tmp_path_factory, "llama")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def remote(llama) -> OpenAICompatibleEngine:
    settings = Settings(
        backend="openai",
        openai_base_url=llama.base_url,
        openai_model=DEFAULT_MODEL,
        openai_context_window=2048,
        cache_dir=load_settings().cache_dir,
    )
    assert engine_status(settings=settings)[0] == "ready"
    engine = load_engine(settings=settings)
    assert isinstance(engine, OpenAICompatibleEngine)
    return engine


def test_a_tutor_answer_streams_through_the_llama_server(remote):
    plan = plan_answer("What is a word embedding?", [], "en", remote, max_new_tokens=60)
    assert plan.grounded
    job = start_answer(plan, remote, temperature=0.0, max_new_tokens=60, timeout_s=300)
    assert job.wait(330)
    assert job.error is None, job.error
    assert len(job.raw) > 5  # arrived piece by piece, not in one block
    said = "".join(job.raw)
    assert "embedding" in (plan.quote.text + said).lower(), said
    assert job.text in said or not job.text.strip(), "what is shown is what the model wrote, checked"


def test_the_local_tokenizer_counts_like_the_server(remote, llama):
    text = "임베딩은 단어를 숫자로 바꿉니다. The cat sat on the mat."
    served = requests.post(llama.base_url.removesuffix("/v1") + "/extras/tokenize", json={"input": text}, timeout=30)
    assert remote.tokenizer.chat_template is not None  # the prepared folder's tokenizer is in use
    assert remote.tokenizer.encode(text) == served.json()["tokens"]


def test_lab_top_tokens_sum_to_at_most_one_and_top1_matches_the_local_engine(remote, real_engine):
    for prompt in PROMPTS:
        served = remote.next_token_distribution(prompt, temperature=1.0, top_k=10)
        local = real_engine.next_token_distribution(prompt, temperature=1.0, top_k=10)
        raw = [c.raw_prob for c in served.choices]
        assert len(raw) == 10 and served.alternatives_capped is None
        assert raw == sorted(raw, reverse=True)
        assert 0 < sum(raw) <= 1.0 + 1e-6 and served.rest_raw_prob >= 0
        assert served.choices[0].token == local.choices[0].token, (prompt, served.choices[:3], local.choices[:3])
        assert served.choices[0].id == local.choices[0].id
        # same weights, different arithmetic (llama.cpp's Q4_K kernels vs de-quantized fp32): measured
        # within 0.025 of each other on these prompts
        assert served.choices[0].raw_prob == pytest.approx(local.choices[0].raw_prob, abs=0.05)


def test_killing_the_server_mid_answer_keeps_the_partial_answer_and_says_it_was_cut(tmp_path_factory):
    server = launch(tmp_path_factory, "llama-killed")
    try:
        engine = load_engine(
            settings=Settings(
                backend="openai", openai_base_url=server.base_url, openai_model=DEFAULT_MODEL,
                cache_dir=load_settings().cache_dir,
            )
        )  # fmt: skip
        messages = [{"role": "user", "content": "Write a long story about a cat who learns to read."}]
        plan = plan_answer("What is a token?", [], "en", None, max_new_tokens=50)
        job = AnswerJob(plan=plan, produce=lambda stop: engine.stream_chat(messages, max_new_tokens=300, stop=stop))
        job.start()
        deadline = time.monotonic() + 120
        while len(job.raw) < 5 and time.monotonic() < deadline and not job.done.is_set():
            time.sleep(0.05)
        assert len(job.raw) >= 5 and not job.done.is_set()
        server.kill()
        assert job.wait(30)
        assert job.error is not None and job.error.code == "stream_interrupted", job.error
        assert "cut short" in job.error.message and "".join(job.raw).strip()
    finally:
        server.stop()


def test_the_server_runs_the_pinned_llama_cpp_python(llama):
    import subprocess

    from tutor.llm.llama_server import LLAMA_CPP_PYTHON_VERSION

    code = "import importlib.metadata as m; print(m.version('llama_cpp_python'))"
    installed = subprocess.run([str(llama_python()), "-c", code], capture_output=True, text=True, check=True)
    assert installed.stdout.strip() == LLAMA_CPP_PYTHON_VERSION


def test_without_a_local_tokenizer_korean_text_splits_into_readable_pieces_via_the_server(llama):
    engine = OpenAICompatibleEngine(ServerConfig(base_url=llama.base_url, model=DEFAULT_MODEL))
    text = "임베딩은 쀍 웱"  # the last two syllables are rare: byte tokens that alone are not text
    pieces = engine.tokenize(text)
    assert "".join(p.text for p in pieces) == text
    assert all("\ufffd" not in p.text for p in pieces)
    assert engine.count_tokens(text) == sum(len(p.ids) for p in pieces)
    assert [len(p.ids) for p in pieces if p.text.strip() in ("쀍", "웱")] == [3, 2]


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system), from /proc."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_stop_hangs_up_and_the_server_stops_writing_the_answer(remote, llama):
    import threading

    stop = threading.Event()
    got = []
    messages = [{"role": "user", "content": "Count from 1 to 500, one number per line."}]
    for piece in remote.stream_chat(messages, max_new_tokens=300, stop=stop, timeout_s=300):
        got.append(piece)
        if len(got) == 3:
            stop.set()
    assert len(got) <= 4
    # a server still writing the other ~297 tokens keeps its cores busy (measured: seconds of CPU
    # per second); one that noticed the hang-up sits idle
    time.sleep(1.0)
    before = cpu_seconds(llama.process.pid)
    time.sleep(2.0)
    assert cpu_seconds(llama.process.pid) - before < 0.3


def test_two_learners_asking_at_once_both_get_whole_answers(remote):
    import threading

    results: dict[int, object] = {}

    def ask(n: int) -> None:
        messages = [{"role": "user", "content": f"Say {n} short words about cats."}]
        try:
            results[n] = "".join(remote.stream_chat(messages, max_new_tokens=16, timeout_s=300))
        except Exception as err:  # noqa: BLE001 - recorded for the assertion
            results[n] = err

    threads = [threading.Thread(target=ask, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert all(isinstance(r, str) and r.strip() for r in results.values()) and len(results) == 2, results
