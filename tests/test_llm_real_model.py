"""A few checks against the real default model (prepared by `make prepare`), sharing one engine."""
from __future__ import annotations

import threading

import pytest

from tutor.config import load_settings
from tutor.llm import engine_status, load_engine

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def engine():
    settings = load_settings()
    state, detail = engine_status(settings=settings)
    if state == "missing":
        pytest.fail(f"the default model is not installed: {detail}")
    return load_engine(settings=settings)  # prepares first if needed (slow once)


def test_real_model_loads_offline_and_reports_its_shape(engine, monkeypatch):
    assert engine.name == load_settings().model
    assert engine.vocab_size > 30_000 and engine.context_window >= 2048
    assert engine_status(settings=load_settings())[0] == "ready"


def test_the_cat_sat_on_the_puts_mat_in_the_top_ten(engine):
    dist = engine.next_token_distribution("The cat sat on the", temperature=1.0, top_k=10)
    tokens = [choice.token for choice in dist.choices]
    assert " mat" in tokens, tokens
    assert 0.0 < dist.rest_raw_prob < 1.0


def test_chat_answer_streams_in_pieces_and_stops(engine):
    messages = [{"role": "user", "content": "In one short sentence: what is a token in a language model?"}]
    stream = engine.stream_chat(messages, max_new_tokens=48, temperature=0.0)
    pieces = list(stream)
    assert len(pieces) > 3 and "token" in "".join(pieces).lower()
    assert stream.stop_reason in {"eos", "length"}


def test_stop_event_ends_a_real_answer_early(engine):
    stop = threading.Event()
    stream = engine.stream_chat([{"role": "user", "content": "Count from 1 to 100."}], max_new_tokens=200, stop=stop)
    pieces = []
    for piece in stream:
        pieces.append(piece)
        if len(pieces) == 3:
            stop.set()
    assert stream.stop_reason == "stopped" and len(pieces) <= 6


def test_korean_text_splits_into_readable_pieces(engine):
    text = "언어 모델은 다음 토큰을 예측합니다"
    pieces = engine.tokenize(text)
    assert "".join(p.text for p in pieces) == text
    assert all("\ufffd" not in p.text for p in pieces)
