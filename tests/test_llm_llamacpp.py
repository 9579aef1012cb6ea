"""The llama.cpp engine, on the tiny random Qwen2 model written as a float32 GGUF in the test.

The PyTorch engine on the same weights is the reference: both must give the same scores (llama.cpp
keeps keys/values in float16, hence the small tolerance), whatever the prefix cache reuses.
"""
from __future__ import annotations

import threading

import pytest
import torch

from tests.llm_tiny import tiny_model, tiny_tokenizer, write_tiny_gguf
from tutor.llm.backends.llamacpp import READER_MIN_TOKENS, SLOTS, llama_cpp_engine, make_reader_gguf
from tutor.llm.backends.pytorch import pytorch_engine
from tutor.llm.base import Engine, EngineError
from tutor.llm.local import common_prefix

TEXT = "The cat sat on the"
TOLERANCE = 0.01  # largest logit difference allowed (float16 keys/values in llama.cpp)


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory):
    tokenizer = tiny_tokenizer()
    model = tiny_model(len(tokenizer))
    path = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    write_tiny_gguf(model, tokenizer, path)
    return path, model, tokenizer


@pytest.fixture(scope="module", params=["writer alone", "with a reader"])
def pair(request, tiny_gguf):
    """(llama.cpp engine, PyTorch engine) over the same tiny weights. "with a reader": prompts of
    READER_MIN_TOKENS or more go through a second llama.cpp model (here the same file), whose keys
    and values are handed to the writer."""
    path, model, tokenizer = tiny_gguf
    reader = path if request.param == "with a reader" else None
    llama = llama_cpp_engine(path, tokenizer, name="tiny", reader_gguf=reader)
    yield llama, pytorch_engine(model, tokenizer, name="tiny")
    llama.close()


@pytest.fixture
def engine(pair):
    llama = pair[0]
    llama.forget_cache()
    return llama


@pytest.fixture
def no_eos(engine):
    saved, engine._eos_ids = engine._eos_ids, set()
    yield engine
    engine._eos_ids = saved


def reference(pair, text: str) -> torch.Tensor:
    torch_engine = pair[1]
    torch_engine.forget_cache()
    return torch_engine.next_token_logits(text)


def fed(engine):
    """Record how many tokens each pass of the engine's llama.cpp backend reads."""
    seen: list[int] = []
    original = engine.backend.feed

    def recording(state, tokens):
        seen.append(len(tokens))
        return original(state, tokens)

    engine.backend.feed = recording
    return seen


@pytest.fixture
def recorder(engine):
    seen = fed(engine)
    yield seen
    del engine.backend.feed


def assert_close(got: torch.Tensor, want: torch.Tensor) -> None:
    assert got.shape == want.shape
    assert float((got - want).abs().max()) < TOLERANCE
    assert int(got.argmax()) == int(want.argmax())


def test_llama_cpp_engine_satisfies_the_engine_protocol(engine):
    assert isinstance(engine, Engine)
    assert engine.vocab_size == len(engine.tokenizer)  # padding rows are not offered
    assert engine.context_window == 256  # the GGUF's trained context


@pytest.mark.parametrize("text", [TEXT, "안녕하세요. 언어 모델은", "The dog sat on the log. " * 6])
def test_scores_equal_the_pytorch_engine_on_the_same_weights(pair, engine, text):
    assert_close(engine.next_token_logits(text), reference(pair, text))


def test_shown_probabilities_equal_softmax_of_the_scores_over_temperature(engine):
    logits = engine.next_token_logits(TEXT)
    dist = engine.next_token_distribution(TEXT, temperature=0.7, top_k=0, show=20)
    expected = torch.softmax(logits / 0.7, dim=0)
    for choice in dist.choices:
        assert choice.prob == pytest.approx(float(expected[choice.id]), abs=1e-5)


def test_one_more_token_feeds_one_token_and_matches_a_fresh_read(pair, engine, recorder):
    ids = engine._encode(TEXT)
    grown = TEXT + engine._decode([ids[-1]])
    engine.next_token_distribution(TEXT)
    recorder.clear()
    got = engine.next_token_logits(grown)
    assert recorder == [1]
    assert_close(got, reference(pair, grown))


def test_asking_again_for_the_same_text_reads_nothing(engine, recorder):
    first = engine.next_token_logits(TEXT)
    recorder.clear()
    assert torch.equal(engine.next_token_logits(TEXT), first) and recorder == []


def test_a_text_that_branches_off_a_remembered_one_reads_only_its_new_end_and_keeps_the_old(
    pair, engine, recorder
):
    long_a = TEXT + " mat and the dog sat on the log"
    long_b = TEXT + " log and the cat"
    engine.next_token_logits(long_a)
    shared = common_prefix(engine._encode(long_a), engine._encode(long_b))
    recorder.clear()
    got_b = engine.next_token_logits(long_b)
    assert recorder == [len(engine._encode(long_b)) - shared]
    assert_close(got_b, reference(pair, long_b))
    recorder.clear()
    assert_close(engine.next_token_logits(long_a), reference(pair, long_a))
    assert recorder == []  # the first text is still remembered in its own slot


def test_a_long_addition_to_a_remembered_text_reads_only_the_addition_and_matches_a_fresh_read(
    pair, engine, recorder
):
    longer = TEXT + " mat, and the dog sat on the log by the door."
    added = len(engine._encode(longer)) - len(engine._encode(TEXT))
    assert added >= READER_MIN_TOKENS  # long enough for the reader, when there is one
    engine.next_token_logits(TEXT)
    recorder.clear()
    assert_close(engine.next_token_logits(longer), reference(pair, longer))
    assert recorder == [added]


def test_editing_the_text_backwards_recomputes_correctly(pair, engine):
    engine.next_token_logits(TEXT + " mat and the dog")
    assert_close(engine.next_token_logits(TEXT), reference(pair, TEXT))


def test_more_texts_than_slots_forget_the_least_recently_used(pair, engine, recorder):
    texts = [f"{word} is a word" for word in ("one", "two", "three", "four", "five", "six")][: SLOTS + 2]
    for text in texts:
        engine.next_token_logits(text)
    assert len(engine._prefixes.entries) == SLOTS
    recorder.clear()
    assert_close(engine.next_token_logits(texts[-1]), reference(pair, texts[-1]))
    assert recorder == []  # the newest is remembered
    assert_close(engine.next_token_logits(texts[0]), reference(pair, texts[0]))
    assert recorder and recorder[0] >= 1  # the oldest was forgotten and read again, correctly


def test_running_out_of_cells_forgets_older_texts_and_still_answers(pair, engine):
    saved = engine._prefixes.max_tokens  # the writer's cells
    engine._prefixes.max_tokens = 40
    try:
        for text in ("one two three four five six seven", "alpha beta gamma delta epsilon", TEXT * 2):
            engine.next_token_logits(text)
        assert sum(len(s.ids) for s in engine._prefixes.entries) <= 40
        assert_close(engine.next_token_logits(TEXT * 2), reference(pair, TEXT * 2))
    finally:
        engine._prefixes.max_tokens = saved


def test_greedy_answers_are_the_pytorch_engines_word_for_word(pair, no_eos):
    torch_engine = pair[1]
    saved, torch_engine._eos_ids = torch_engine._eos_ids, set()
    try:
        want = "".join(torch_engine.stream_completion(TEXT, max_new_tokens=12, temperature=0.0))
    finally:
        torch_engine._eos_ids = saved
    assert "".join(no_eos.stream_completion(TEXT, max_new_tokens=12, temperature=0.0)) == want


def test_seeded_sampling_is_repeatable(no_eos):
    first = "".join(no_eos.stream_completion(TEXT, max_new_tokens=10, temperature=1.0, seed=3))
    no_eos.forget_cache()
    assert "".join(no_eos.stream_completion(TEXT, max_new_tokens=10, temperature=1.0, seed=3)) == first


def test_sampled_answers_of_the_random_model_never_show_a_broken_character(no_eos):
    """The UTF-8 guard (tutor.llm.utf8_guard) works on llama.cpp's scores too; left alone, this
    random model breaks a character in most such answers (see test_llm_utf8_guard)."""
    answers = [
        "".join(no_eos.stream_completion("안녕하세요. 고양이", max_new_tokens=24, temperature=1.0, seed=seed))
        for seed in range(8)
    ]
    assert all("\ufffd" not in answer for answer in answers) and sum(map(len, answers)) > 8 * 5, answers


def test_a_follow_up_chat_reads_only_what_is_new_after_the_answer(pair, no_eos):
    engine = no_eos
    first = [{"role": "user", "content": "What is a token?"}]
    answer = "".join(engine.stream_chat(first, max_new_tokens=4))
    follow = first + [{"role": "assistant", "content": answer}, {"role": "user", "content": "And why?"}]
    remembered = list(engine._prefixes.entries[0].ids)  # the question and the answer's tokens
    follow_ids = engine._encode(engine.apply_chat_template(follow))
    shared = common_prefix(remembered, follow_ids)
    assert shared >= len(engine._encode(engine.apply_chat_template(first)))  # at least the question
    seen = fed(engine)
    try:
        "".join(engine.stream_chat(follow, max_new_tokens=1))
    finally:
        del engine.backend.feed
    assert seen[0] == len(follow_ids) - shared


def test_stop_event_ends_generation_within_a_few_tokens(no_eos, recorder):
    stop = threading.Event()
    stream = no_eos.stream_completion(TEXT, max_new_tokens=200, temperature=1.0, stop=stop, seed=0)
    for _ in stream:
        if len(recorder) >= 5 and not stop.is_set():
            stop.set()
            at_stop = len(recorder)
    assert stream.stop_reason == "stopped"
    assert len(recorder) <= at_stop + 2


def test_two_threads_asking_at_once_both_get_their_own_scores(pair, engine):
    texts = [TEXT + " mat", "The dog sat on the log"]
    results: dict[str, torch.Tensor] = {}

    def ask(text: str) -> None:
        for _ in range(5):
            results[text] = engine.next_token_logits(text)

    threads = [threading.Thread(target=ask, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for text in texts:
        assert_close(results[text], reference(pair, text))


def test_a_text_longer_than_the_context_keeps_its_end(pair, engine):
    long = "The cat sat on the mat. " * 80
    dist = engine.next_token_distribution(long, top_k=5)
    assert dist.truncated and dist.context_tokens == engine.context_window - 1


def test_a_missing_gguf_file_is_a_named_error(tmp_path):
    with pytest.raises(EngineError) as err:
        llama_cpp_engine(tmp_path / "absent.gguf", tiny_tokenizer(), name="x")
    assert err.value.code == "model_missing"


def test_a_corrupt_gguf_file_is_a_named_error_not_a_crash(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    with pytest.raises(EngineError) as err:
        llama_cpp_engine(bad, tiny_tokenizer(), name="x")
    assert err.value.code == "model_missing" and "prepare" in err.value.hint
    with pytest.raises(EngineError) as err:
        make_reader_gguf(bad, tmp_path / "reader.gguf")
    assert err.value.code == "model_missing" and not (tmp_path / "reader.gguf").exists()


def test_long_reads_go_through_the_reader_when_there_is_one_and_short_ones_never_do(pair, engine):
    decoded: list[tuple[str, int]] = []
    contexts = [("reader", engine.backend.reader), ("writer", engine.backend.writer)]
    contexts = [(role, context) for role, context in contexts if context is not None]
    for role, context in contexts:
        original = context.decode
        context.decode = lambda tokens, seq, pos, role=role, original=original: (
            decoded.append((role, len(tokens))), original(tokens, seq, pos))[1]
    try:
        long = "The dog sat on the log. " * 6
        engine.next_token_logits(long)
        grown = long + "The"
        engine.next_token_logits(grown)
    finally:
        for _, context in contexts:
            del context.decode
    assert decoded[0][0] == ("reader" if engine.backend.reader else "writer") and decoded[0][1] >= READER_MIN_TOKENS
    assert all(role == "writer" and n < READER_MIN_TOKENS for role, n in decoded[1:])
    assert_close(engine.next_token_logits(grown), reference(pair, grown))


def test_a_reader_is_a_float16_copy_made_once_and_only_for_a_quantized_file(tiny_gguf, tmp_path):
    import ctypes

    import llama_cpp

    f32 = tiny_gguf[0]
    assert make_reader_gguf(f32, tmp_path / "f32-reader.gguf") is None  # already float: no gain
    q8 = tmp_path / "tiny-q8.gguf"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    assert llama_cpp.llama_model_quantize(str(f32).encode(), str(q8).encode(), ctypes.byref(params)) == 0
    reader = make_reader_gguf(q8, tmp_path / "cache" / "tiny.f16.gguf")
    assert reader == tmp_path / "cache" / "tiny.f16.gguf" and reader.is_file()
    assert [p.name for p in reader.parent.iterdir()] == ["tiny.f16.gguf"]  # no partial file left
    stamp = reader.stat().st_mtime_ns
    assert make_reader_gguf(q8, reader) == reader and reader.stat().st_mtime_ns == stamp  # made once

