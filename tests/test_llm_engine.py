"""The transformers engine, checked on a tiny random Qwen2 model built offline in the test."""
from __future__ import annotations

import threading
import time

import pytest
import torch

from tests.llm_tiny import stall_on_pass, tiny_engine
from tutor.llm import sampling
from tutor.llm.base import Engine, EngineError

TEXT = "The cat sat on the"


@pytest.fixture(scope="module")
def engine():
    return tiny_engine()


@pytest.fixture
def no_eos(engine):
    """Let the random model run to max_new_tokens instead of stopping on a random end token."""
    saved = engine._eos_ids
    engine._eos_ids = set()
    yield engine
    engine._eos_ids = saved


def reference_logits(engine, ids: list[int]) -> torch.Tensor:
    """Plain forward pass with no cache: the ground truth for the last position's logits."""
    with torch.inference_mode():
        out = engine.backend.model(input_ids=torch.tensor([ids]))
    return out.logits[0, -1, : engine.vocab_size].float()


def test_engine_satisfies_the_engine_protocol(engine):
    assert isinstance(engine, Engine)
    assert engine.vocab_size == len(engine.tokenizer)  # padding rows of the embedding are not offered


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_shown_probabilities_equal_softmax_of_logits_over_temperature(engine, temperature):
    dist = engine.next_token_distribution(TEXT, temperature=temperature, top_k=0, show=25)
    logits = reference_logits(engine, engine._encode(TEXT))
    expected = torch.softmax(logits / temperature, dim=0)
    raw = torch.softmax(logits, dim=0)
    assert len(dist.choices) == 25
    for choice in dist.choices:
        assert choice.prob == pytest.approx(float(expected[choice.id]), abs=1e-5)
        assert choice.raw_prob == pytest.approx(float(raw[choice.id]), abs=1e-5)
        assert choice.kept
    # listed most likely first, and the rest adds up to one
    raws = [c.raw_prob for c in dist.choices]
    assert raws == sorted(raws, reverse=True)
    assert dist.rest_raw_prob + sum(raws) == pytest.approx(1.0, abs=1e-5)
    assert dist.context_tokens == len(engine._encode(TEXT)) and dist.vocab_size == engine.vocab_size


def test_top_k_in_the_distribution_keeps_exactly_k_and_zeroes_the_rest(engine):
    dist = engine.next_token_distribution(TEXT, temperature=1.0, top_k=4, show=10)
    kept = [c for c in dist.choices if c.kept]
    assert len(kept) == 4 and kept == dist.choices[:4]
    assert all(c.prob == 0.0 for c in dist.choices[4:])
    assert sum(c.prob for c in kept) == pytest.approx(1.0, abs=1e-5)


def test_temperature_zero_distribution_puts_everything_on_the_argmax(engine):
    dist = engine.next_token_distribution(TEXT, temperature=0.0, top_k=5)
    best = int(torch.argmax(reference_logits(engine, engine._encode(TEXT))))
    assert dist.choices[0].id == best and dist.choices[0].prob == 1.0
    assert [c.kept for c in dist.choices] == [True, False, False, False, False]


def test_greedy_generation_equals_argmax_at_every_step(no_eos):
    engine = no_eos
    ids = engine._encode(TEXT)
    expected: list[int] = []
    for _ in range(12):
        expected.append(int(torch.argmax(reference_logits(engine, ids + expected))))
    text = "".join(engine.stream_completion(TEXT, max_new_tokens=12, temperature=0.0))
    assert text == engine.tokenizer.decode(expected, skip_special_tokens=True).replace("\ufffd", "")


def test_seeded_sampling_is_repeatable(no_eos):
    first = "".join(no_eos.stream_completion(TEXT, max_new_tokens=10, temperature=1.0, seed=3))
    again = "".join(no_eos.stream_completion(TEXT, max_new_tokens=10, temperature=1.0, seed=3))
    assert first == again


def test_kv_reuse_after_one_more_token_feeds_one_token_and_matches_a_fresh_forward(engine):
    ids = engine._encode(TEXT)
    extended_text = TEXT + engine._decode([ids[-1]])  # grows the text by exactly one token
    assert engine._encode(extended_text) == ids + [ids[-1]]
    seen: list[int] = []
    handle = engine.backend.model.register_forward_pre_hook(
        lambda module, args, kwargs: seen.append(kwargs["input_ids"].shape[1]), with_kwargs=True
    )
    try:
        engine.next_token_distribution(TEXT)
        seen.clear()
        dist = engine.next_token_distribution(extended_text, top_k=0, show=5)
    finally:
        handle.remove()
    assert seen == [1]  # only the new token went through the model
    fresh = torch.softmax(reference_logits(engine, ids + [ids[-1]]), dim=0)
    for choice in dist.choices:
        assert choice.raw_prob == pytest.approx(float(fresh[choice.id]), abs=1e-5)


def test_editing_the_text_backwards_recomputes_correctly(engine):
    engine.next_token_distribution(TEXT + " mat and the dog")
    dist = engine.next_token_distribution(TEXT, top_k=0, show=5)
    fresh = torch.softmax(reference_logits(engine, engine._encode(TEXT)), dim=0)
    for choice in dist.choices:
        assert choice.raw_prob == pytest.approx(float(fresh[choice.id]), abs=1e-5)


def _tokens_read(engine):
    """Record how many tokens each forward pass of the model reads."""
    seen: list[int] = []
    handle = engine.backend.model.register_forward_pre_hook(
        lambda module, args, kwargs: seen.append(kwargs["input_ids"].shape[1]), with_kwargs=True
    )
    return seen, handle


def test_a_chat_that_starts_like_the_last_one_reads_only_what_is_new(no_eos):
    engine = no_eos
    engine.forget_cache()
    system = {"role": "system", "content": "You are a tutor. Notes: tokens are pieces of text. " * 3}
    first = [system, {"role": "user", "content": "What is a token?"}]
    second = [system, {"role": "user", "content": "Why do models use tokens?"}]
    shared = _common(engine._encode(engine.apply_chat_template(first)),
                     engine._encode(engine.apply_chat_template(second)))
    assert shared > 20
    "".join(engine.stream_chat(first, max_new_tokens=3))
    seen, handle = _tokens_read(engine)
    try:
        answer = "".join(engine.stream_chat(second, max_new_tokens=3))
    finally:
        handle.remove()
    whole = len(engine._encode(engine.apply_chat_template(second)))
    assert seen[0] == whole - shared  # the shared system prompt was not read again
    # and the answer is the one a fresh engine gives (greedy): reuse changes speed, not words
    engine.forget_cache()
    assert "".join(engine.stream_chat(second, max_new_tokens=3)) == answer


def test_an_answer_stays_cached_so_continuing_it_reads_only_the_new_text(no_eos):
    engine = no_eos
    engine.forget_cache()
    answer = "".join(engine.stream_completion(TEXT, max_new_tokens=4))
    seen, handle = _tokens_read(engine)
    try:
        dist = engine.next_token_distribution(TEXT + answer, top_k=0, show=5)
    finally:
        handle.remove()
    ids = engine._encode(TEXT + answer)
    assert seen and seen[0] <= 2  # the prompt and the answer's tokens were already in the cache
    fresh = torch.softmax(reference_logits(engine, ids), dim=0)
    for choice in dist.choices:
        assert choice.raw_prob == pytest.approx(float(fresh[choice.id]), abs=1e-5)


def test_the_prefix_cache_forgets_the_oldest_texts_beyond_its_token_budget(engine):
    engine.forget_cache()
    saved = engine._prefixes.max_tokens
    engine._prefixes.max_tokens = 12
    try:
        for text in ("one two three four five", "six seven eight nine ten", "alpha beta gamma delta"):
            engine.next_token_distribution(text)
        kept = engine._prefixes.entries
        assert sum(len(e.ids) for e in kept) <= 12 or len(kept) == 1
        assert kept[0].ids == engine._encode("alpha beta gamma delta")  # the newest is always kept
    finally:
        engine._prefixes.max_tokens = saved
        engine.forget_cache()


def _common(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_stop_event_ends_generation_within_a_few_tokens(no_eos):
    engine = no_eos
    steps: list[float] = []
    handle = engine.backend.model.register_forward_hook(lambda *args: steps.append(time.monotonic()))
    stop = threading.Event()
    stream = engine.stream_completion(TEXT, max_new_tokens=200, temperature=1.0, stop=stop, seed=0)
    try:
        for _ in stream:
            if len(steps) >= 5 and not stop.is_set():
                stop.set()
                at_stop = len(steps)
    finally:
        handle.remove()
    assert stream.stop_reason == "stopped"
    assert len(steps) - at_stop <= 3
    assert len(steps) < 50


def test_abandoned_stream_releases_the_model(no_eos):
    engine = no_eos
    stream = engine.stream_completion(TEXT, max_new_tokens=200, temperature=1.0)
    next(stream)
    del stream  # the consumer went away (e.g. a Streamlit rerun)
    assert engine.lock.acquire(timeout=10), "the worker kept the model locked"
    engine.lock.release()


def test_max_new_tokens_bounds_the_answer(no_eos):
    calls: list[int] = []
    handle = no_eos.backend.model.register_forward_hook(lambda *args: calls.append(1))
    try:
        stream = no_eos.stream_completion(TEXT, max_new_tokens=7, temperature=1.0, seed=1)
        "".join(stream)
    finally:
        handle.remove()
    assert stream.stop_reason == "length"
    assert len(calls) == 7  # one pass over the prompt gives token 1, then one pass per further token


def test_timeout_before_any_token_is_a_named_error(engine):
    with pytest.raises(EngineError) as err:
        "".join(engine.stream_completion(TEXT * 20, max_new_tokens=50, timeout_s=0.001))
    assert err.value.code == "timeout"


def test_lock_serialises_concurrent_calls(no_eos):
    engine = no_eos
    active, most = [0], [0]
    guard = threading.Lock()

    def enter(*args, **kwargs):
        with guard:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.002)  # widen the window in which an unsafe overlap would show

    def leave(*args, **kwargs):
        with guard:
            active[0] -= 1

    hooks = [engine.backend.model.register_forward_pre_hook(enter), engine.backend.model.register_forward_hook(leave)]
    results: dict[str, object] = {}

    def chat(key):
        results[key] = "".join(engine.stream_chat([{"role": "user", "content": "hi " + key}], max_new_tokens=15))

    def probe(key):
        results[key] = engine.next_token_distribution(f"{TEXT} {key}")

    threads = [threading.Thread(target=chat, args=("a",)), threading.Thread(target=chat, args=("b",))]
    threads += [threading.Thread(target=probe, args=(k,)) for k in ("c", "d")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for hook in hooks:
            hook.remove()
    assert set(results) == {"a", "b", "c", "d"}
    assert most[0] == 1


def test_korean_pieces_are_readable_and_cover_every_id(engine):
    text = "안녕하세요, 고양이가 cat 위에 뷁!"
    pieces = engine.tokenize(text)
    assert all("\ufffd" not in piece.text for piece in pieces)
    assert "".join(piece.text for piece in pieces) == text
    assert [i for piece in pieces for i in piece.ids] == engine._encode(text)
    assert any(len(piece.ids) > 1 for piece in pieces), "the tiny tokenizer should split some syllables"
    assert engine.count_tokens(text) == sum(len(piece.ids) for piece in pieces)


def test_byte_tokens_are_labelled_by_their_bytes(engine):
    byte_only = next(i for i in range(engine.vocab_size) if engine._decode([i]) == "\ufffd")
    label = engine.token_label(byte_only)
    assert label.startswith("<0x") and "\ufffd" not in label


def test_chat_template_is_shown_exactly_and_answers_stream(engine):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is a token?"}]
    prompt = engine.apply_chat_template(messages)
    assert prompt.endswith("<|im_start|>assistant\n") and "What is a token?" in prompt
    stream = engine.stream_chat(messages, max_new_tokens=5, temperature=0.0)
    assert isinstance("".join(stream), str) and stream.stop_reason in {"eos", "length"}


def test_too_long_chat_drops_the_oldest_turns_first(engine):
    old = [{"role": "user", "content": "old " * 300}, {"role": "assistant", "content": "ok"}]
    messages = [{"role": "system", "content": "sys"}] + old + [{"role": "user", "content": "newest question"}]
    ids = engine._chat_ids(messages, limit=100)
    text = engine._decode(ids)
    assert len(ids) <= 100 and "newest question" in text and "sys" in text and "old old" not in text


def test_very_long_text_is_truncated_to_the_context_window(engine):
    dist = engine.next_token_distribution("cat " * 400)
    assert dist.truncated and dist.context_tokens == engine.context_window - 1


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.next_token_distribution(""),
        lambda e: e.next_token_distribution(None),
        lambda e: e.stream_chat([]),
        lambda e: e.stream_chat([{"role": "wizard", "content": "hi"}]),
        lambda e: e.stream_chat([{"role": "user", "content": 3}]),
        lambda e: e.stream_completion(TEXT, temperature=-1),
        lambda e: e.stream_completion(TEXT, top_p=1.5),
        lambda e: e.stream_completion(TEXT, max_new_tokens=0),
        lambda e: e.tokenize(b"bytes"),
    ],
)
def test_bad_input_is_a_named_error_not_a_crash(engine, call):
    with pytest.raises(EngineError) as err:
        call(engine)
    assert err.value.code == "bad_input"


def test_odd_unicode_tokenizes_and_round_trips(engine):
    text = "e\u0301 \u200b 🙂 \U0001f468\u200d\U0001f469 \ufffd"
    pieces = engine.tokenize(text)
    assert "".join(p.text for p in pieces) == text


def test_generation_failure_becomes_generation_failed(engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(engine.backend, "model", type("Broken", (), {"__call__": broken, "config": engine.backend.model.config})())
    with pytest.raises(EngineError) as err:
        "".join(engine.stream_completion(TEXT, max_new_tokens=3))
    assert err.value.code == "generation_failed"
    assert engine.lock.acquire(timeout=5)
    engine.lock.release()


def test_sampling_helpers_are_the_ones_the_engine_uses(no_eos):
    # the lab shows sampling.* step by step; the engine must pick tokens with exactly those functions
    logits = no_eos.next_token_logits(TEXT)
    expected = sampling.pick_next_token(logits, temperature=0.0)
    first = no_eos.stream_completion(TEXT, max_new_tokens=1, temperature=0.0)
    assert "".join(first) == no_eos._decode([expected]).replace("\ufffd", "")


def test_load_engine_loads_a_local_model_folder_with_progress(tmp_path):
    from tests.llm_tiny import tiny_model, tiny_tokenizer
    from tutor.config import Settings
    from tutor.llm import engine_status, load_engine

    tokenizer = tiny_tokenizer()
    folder = tmp_path / "my-model"
    tiny_model(len(tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    settings = Settings(model=str(folder), cache_dir=str(tmp_path / "cache"), max_new_tokens=20)
    assert engine_status(settings=settings) == ("ready", str(folder))
    seen: list[tuple[float, str]] = []
    loaded = load_engine(settings=settings, progress=lambda f, stage: seen.append((f, stage)))
    assert [stage for _, stage in seen] == ["load", "warmup", "done"] and seen[-1][0] == 1.0
    assert loaded.name == "local-my-model" and loaded.max_new_tokens_cap == 20
    assert loaded.next_token_distribution("The cat", top_k=3).choices


@pytest.fixture
def prepared_tiny(tmp_path):
    """A tiny model saved in bf16, as `python -m tutor prepare` saves the real one."""
    from tests.llm_tiny import tiny_model, tiny_tokenizer

    tokenizer = tiny_tokenizer()
    folder = tmp_path / "prepared"
    tiny_model(len(tokenizer)).to(torch.bfloat16).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_fp32_compute_matches_the_saved_bf16_weights_and_bad_modes_are_refused(prepared_tiny):
    from tutor.llm.backends.pytorch import load_pytorch_engine

    exact = load_pytorch_engine(prepared_tiny, name="tiny", compute="bf16")
    fp32 = load_pytorch_engine(prepared_tiny, name="tiny", compute="fp32")
    assert next(fp32.backend.model.parameters()).dtype == torch.float32
    want = torch.softmax(exact.next_token_logits(TEXT), dim=0)
    got = torch.softmax(fp32.next_token_logits(TEXT), dim=0)
    assert (want - got).abs().max() < 0.02
    for bad in ("fp64", "int8"):
        with pytest.raises(EngineError) as err:
            load_pytorch_engine(prepared_tiny, name="tiny", compute=bad)
        assert err.value.code == "bad_config"


def test_mixed_compute_keeps_bf16_weights_and_gives_fp32_probabilities(prepared_tiny):
    from tutor.llm.backends.pytorch import load_pytorch_engine
    from tutor.llm.compute import REFINED_CANDIDATES, Bf16Linear, RefinedOutputLayer

    fp32 = load_pytorch_engine(prepared_tiny, name="tiny", compute="fp32")
    mixed = load_pytorch_engine(prepared_tiny, name="tiny", compute="mixed")
    linears = [m for m in mixed.backend.model.modules() if isinstance(m, Bf16Linear)]
    assert linears and all(m.weight.dtype == torch.bfloat16 for m in linears)
    assert isinstance(mixed.backend.model.get_output_embeddings(), RefinedOutputLayer)
    ids = fp32._encode(TEXT)
    grown_text = TEXT + fp32._decode([ids[-1]])
    want = reference_logits(fp32, ids + [ids[-1]])
    # a fresh read (fp32 products) and a one-token step (bf16 products, refined scores)
    fresh = mixed.next_token_logits(grown_text)
    mixed.forget_cache()
    mixed.next_token_logits(TEXT)
    step = mixed.next_token_logits(grown_text)
    top = want.topk(REFINED_CANDIDATES // 2).indices  # well inside what the output layer recomputes
    assert torch.allclose(fresh[top], want[top], atol=1e-4)  # fp32 all the way: exact
    assert torch.allclose(step[top], want[top], atol=0.02)  # bf16 rounding inside the body only
    for got in (fresh, step):
        assert (torch.softmax(got, 0) - torch.softmax(want, 0)).abs().max() < 0.01


def test_the_output_layer_recomputes_its_best_scores_exactly():
    from tutor.llm.compute import REFINED_CANDIDATES, RefinedOutputLayer

    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 500, bias=False)
    linear.weight.data = (linear.weight.data * 40).to(torch.bfloat16).float()  # bf16 weights, big scores
    layer = RefinedOutputLayer(linear)
    hidden = torch.randn(1, 1, 64)
    exact = linear(hidden)[0, 0]
    got = layer(hidden)[0, 0]
    best = exact.topk(REFINED_CANDIDATES // 2).indices
    assert torch.allclose(got[best], exact[best], atol=1e-4)
    assert (got - exact).abs().max() > 1e-3  # the rest really is approximate (bf16)
    # many rows at once (reading a prompt) are computed exactly throughout
    many = torch.randn(1, 10, 64)
    assert torch.allclose(layer(many), linear(many), atol=1e-3)


def test_a_stop_set_before_the_model_is_free_writes_nothing(engine):
    stop = threading.Event()
    stop.set()
    stream = engine.stream_completion(TEXT, max_new_tokens=50, stop=stop)
    assert list(stream) == [] and stream.stop_reason == "stopped"


def test_an_answer_cut_by_the_time_limit_keeps_its_pieces_and_ends_with_a_timeout_error(no_eos):
    # pass 1 reads the prompt, pass 2 feeds back the first token, pass 3 (slow) the second: the time
    # limit passes with two tokens written
    handle = stall_on_pass(no_eos, 3, 1.5)
    pieces: list[str] = []
    try:
        stream = no_eos.stream_completion(TEXT, max_new_tokens=50, temperature=0.0, timeout_s=1.0)
        with pytest.raises(EngineError) as err:
            for piece in stream:
                pieces.append(piece)
    finally:
        handle.remove()
    assert err.value.code == "timeout" and "kept" in err.value.message
    assert stream.stop_reason == "timeout"
    assert "".join(pieces), "what arrived before the time limit reached the reader"


def test_a_stream_read_in_a_with_block_lets_go_of_the_model_on_leaving_it(no_eos):
    with no_eos.stream_completion(TEXT, max_new_tokens=200, temperature=1.0, seed=0) as stream:
        next(stream)
    # `stream` is still referenced: only the explicit close can have freed the model
    assert not no_eos.lock.locked() and stream.worker is not None and not stream.worker.is_alive()
