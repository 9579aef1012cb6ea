"""A few checks against the real default model (prepared by `make prepare`), sharing one engine."""
from __future__ import annotations

import dataclasses
import threading

import pytest

from tutor.config import load_settings
from tutor.llm import engine_status

pytestmark = pytest.mark.real_model


@pytest.fixture
def engine(real_engine):
    return real_engine


@pytest.fixture(scope="module")
def pytorch_engine():
    """The PyTorch engine ("mixed") on the same model: what runs where llama.cpp is not installed."""
    from tutor.llm.catalog import resolve_source
    from tutor.llm.loading import open_engine

    settings = dataclasses.replace(load_settings(), model_compute="mixed")
    return open_engine(resolve_source(settings.model), settings)


def test_the_default_engine_computes_with_llama_cpp(engine):
    # `make test` installs llama.cpp, so model_compute = "auto" must pick it (a silent fallback to
    # PyTorch would make every answer ~4x slower)
    from tutor.llm.backends.llamacpp import LlamaCppBackend

    assert isinstance(engine.backend, LlamaCppBackend) and engine.runtime == "llama.cpp"


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


@pytest.mark.parametrize("which", ["llama.cpp", "pytorch mixed"])
def test_engine_probabilities_match_the_prepared_weights_computed_plainly(request, which):
    # The lab shows these numbers as "the real model's": they must be the prepared weights' own
    # distribution, not a faster approximation (dynamic int8 once made " table" beat " couch").
    # llama.cpp computes on the GGUF's 5-bit weights themselves; the reference is their bf16 copy.
    engine = request.getfixturevalue("engine" if which == "llama.cpp" else "pytorch_engine")
    import torch
    from transformers import AutoModelForCausalLM

    from tutor.llm.backends.llamacpp import READER_MIN_TOKENS
    from tutor.llm.prepare import prepared_path

    settings = load_settings()
    reference = AutoModelForCausalLM.from_pretrained(
        prepared_path(settings.cache_dir, engine.name), dtype=torch.bfloat16, local_files_only=True
    ).eval()
    long_text = (  # 19 tokens: llama.cpp reads it with the float16 reader (shorter texts: the writer)
        "Large language models are trained on huge amounts of text. During pre-training they learn to predict the"
    )
    assert engine.count_tokens(long_text) >= READER_MIN_TOKENS
    for text in ("The cat sat on the", "대한민국의 수도는", "def fibonacci(n):", long_text):
        ids = engine.tokenizer(text, return_tensors="pt").input_ids
        with torch.no_grad():
            want = torch.log_softmax(reference(ids).logits[0, -1, : engine.vocab_size].float(), dim=0)
        # twice: read fresh, and as a one-token step after the text minus its last token (the
        # lab's path; in PyTorch it multiplies in bf16 and refines the best scores)
        engine.forget_cache()
        fresh = engine.next_token_logits(text)
        engine.forget_cache()
        engine.next_token_logits(engine._decode(engine._encode(text)[:-1]))
        step = engine.next_token_logits(text)
        for got in (fresh, step):
            got = torch.log_softmax(got, dim=0)
            kl = float((want.exp() * (want - got)).sum())
            assert kl < 0.01, (text, kl)
            assert int(want.argmax()) == int(got.argmax()), text
