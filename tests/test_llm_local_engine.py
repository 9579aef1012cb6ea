"""LocalEngine's own part, the same whatever computes: which remembered text a new one continues
(the prefix cache), what it forgets when its backend is full, what it does when a pass fails, and
what it declares. A scripted backend stands in for PyTorch and llama.cpp: it records every pass."""
from __future__ import annotations

import pytest
import torch

from tests.llm_tiny import tiny_tokenizer
from tutor.llm.backends import Backend, ModelState
from tutor.llm.base import EngineError, QueueStatus, TextStream
from tutor.llm.local import LocalEngine, common_prefix


class ScriptedBackend(Backend):
    """Scores that depend only on the tokens read; `memory` is a copy of the tokens it holds, so a
    test sees that a branch kept exactly the shared start."""

    runtime = "scripted"
    context_window = 256

    def __init__(self, vocab_size: int, *, tokens: int = 10_000, texts: int | None = None) -> None:
        self.vocab_size = vocab_size
        self.remembered_tokens = tokens
        self.remembered_texts = texts
        self.fed: list[int] = []  # tokens per pass
        self.released: list[list[int]] = []  # the tokens of every text given back
        self.fail_next = False

    def new_state(self) -> ModelState:
        return ModelState(memory=[])

    def branch(self, source: ModelState, keep: int) -> ModelState:
        return ModelState(ids=source.ids[:keep], memory=source.memory[:keep])

    def feed(self, state: ModelState, tokens: list[int]) -> None:
        self.fed.append(len(tokens))
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the model broke mid-pass")
        state.memory = state.memory + tokens
        state.ids.extend(tokens)
        state.logits = scores_after(state.ids, self.vocab_size)

    def release(self, state: ModelState) -> None:
        self.released.append(list(state.ids))
        state.memory = None

    def close(self) -> None:
        pass


def scores_after(ids: list[int], vocab_size: int) -> torch.Tensor:
    """What a fresh read of `ids` would give: the reference for any reuse."""
    generator = torch.Generator().manual_seed(hash(tuple(ids)) % 2**31)
    return torch.randn(vocab_size, generator=generator)


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


def engine_on(tokenizer, **limits) -> LocalEngine:
    backend = ScriptedBackend(len(tokenizer), **limits)
    return LocalEngine(backend, tokenizer, name="scripted", eos_ids=set())


def ids_of(engine: LocalEngine, text: str) -> list[int]:
    return engine._encode(text)


def test_a_text_that_branches_off_a_remembered_one_reads_only_its_new_end_and_keeps_the_old(tokenizer):
    engine = engine_on(tokenizer)
    first, second = "The cat sat on the mat.", "The cat sat on the log."
    engine.next_token_logits(first)
    shared = common_prefix(ids_of(engine, first), ids_of(engine, second))
    assert 0 < shared < len(ids_of(engine, first))
    engine.backend.fed.clear()
    got = engine.next_token_logits(second)
    assert engine.backend.fed == [len(ids_of(engine, second)) - shared]
    assert torch.equal(got, scores_after(ids_of(engine, second), engine.vocab_size))
    assert all(state.memory == state.ids for state in engine._prefixes.entries)  # the branch kept the shared start
    engine.backend.fed.clear()
    assert torch.equal(engine.next_token_logits(first), scores_after(ids_of(engine, first), engine.vocab_size))
    assert engine.backend.fed == []  # the first text is still remembered


def test_one_more_token_reads_one_token_and_grows_the_same_text(tokenizer):
    engine = engine_on(tokenizer)
    text = "The cat sat on the"
    ids = ids_of(engine, text)
    engine.next_token_logits(engine._decode(ids[:-1]))
    engine.backend.fed.clear()
    engine.next_token_logits(text)
    assert engine.backend.fed == [1] and len(engine._prefixes.entries) == 1


def test_when_the_backend_holds_no_more_texts_the_least_recently_used_is_forgotten_and_given_back(tokenizer):
    engine = engine_on(tokenizer, texts=2)
    a, b, c = "one two three", "alpha beta gamma", "고양이가 매트 위에"
    for text in (a, b, a, c):  # `a` is used again, so `b` is the least recently used when `c` comes
        engine.next_token_logits(text)
    assert engine.backend.released == [ids_of(engine, b)]
    assert [state.ids for state in engine._prefixes.entries] == [ids_of(engine, c), ids_of(engine, a)]


def test_texts_beyond_the_backends_tokens_are_forgotten_oldest_first_and_the_newest_always_stays(tokenizer):
    engine = engine_on(tokenizer, tokens=12)
    texts = ["one two three four five", "six seven eight nine ten", "The cat sat on the mat and the dog sat on the log"]
    for text in texts:
        engine.next_token_logits(text)
    kept = engine._prefixes.entries
    assert [state.ids for state in kept] == [ids_of(engine, texts[-1])]  # longer than 12 tokens alone: kept
    assert engine.backend.released == [ids_of(engine, texts[0]), ids_of(engine, texts[1])]


def test_a_pass_that_fails_forgets_its_text_gives_it_back_and_is_a_named_error(tokenizer):
    engine = engine_on(tokenizer)
    engine.next_token_logits("The cat sat on the")
    engine.backend.fail_next = True
    with pytest.raises(EngineError) as err:
        engine.next_token_logits("The cat sat on the mat")  # would grow the remembered text in place
    assert err.value.code == "generation_failed"
    assert engine._prefixes.entries == [] and engine.backend.released == [ids_of(engine, "The cat sat on the")]
    assert torch.equal(engine.next_token_logits("The cat"), scores_after(ids_of(engine, "The cat"), engine.vocab_size))


def test_an_answer_stays_remembered_with_every_token_that_was_fed_back(tokenizer):
    engine = engine_on(tokenizer)
    prompt = ids_of(engine, "The cat sat on the")
    stream = engine.stream_completion("The cat sat on the", max_new_tokens=5, temperature=0.0)
    "".join(stream)
    assert stream.stop_reason == "length"
    assert engine.backend.fed == [len(prompt), 1, 1, 1, 1]  # the 5th token is never read back
    (state,) = engine._prefixes.entries
    assert state.ids[: len(prompt)] == prompt and len(state.ids) == len(prompt) + 4 and state.memory == state.ids


def test_forgetting_the_cache_gives_every_remembered_text_back(tokenizer):
    engine = engine_on(tokenizer)
    for text in ("one two", "alpha beta"):
        engine.next_token_logits(text)
    engine.forget_cache()
    assert engine._prefixes.entries == [] and sorted(engine.backend.released) == sorted(
        [ids_of(engine, "one two"), ids_of(engine, "alpha beta")]
    )


def test_the_engine_declares_what_computes_and_what_a_request_arriving_now_would_face(tokenizer):
    engine = engine_on(tokenizer)
    assert engine.runtime == "scripted"
    assert engine.queue_outlook() == QueueStatus(ahead=0, estimate_s=0.0)
    holder = engine.lock.acquire(kind="answer")
    try:
        assert engine.queue_outlook().ahead == 1
        stream = engine.stream_completion("The cat", max_new_tokens=2)
        assert isinstance(stream, TextStream) and stream.queue_status().ahead == 1
    finally:
        engine.lock.leave(holder)
    "".join(stream)
    assert stream.stop_reason == "length" and stream.queue_status() is None


def test_a_model_server_declares_it_computes_unseen_and_keeps_no_line_we_can_see():
    from tutor.llm.openai_compatible import OpenAICompatibleEngine, ServerConfig, ServerStream, TextTokenizer

    server = OpenAICompatibleEngine(
        ServerConfig(base_url="http://127.0.0.1:9/v1", model="m"), tokenizer=TextTokenizer(encode=list, decode=str)
    )
    assert server.runtime == "" and server.queue_outlook() is None
    stream = ServerStream(piece for piece in ["a", "b"])
    assert isinstance(stream, TextStream) and stream.queue_status() is None
    assert next(stream) == "a"
    stream.close()
    assert list(stream) == []


def test_close_stream_lets_go_of_engine_streams_and_generators_and_leaves_other_iterators_alone():
    from tests.fakes import FakeStream
    from tutor.llm.base import close_stream

    stream = FakeStream(iter(["a", "b"]), [])
    close_stream(stream)
    assert stream.closed
    pieces = (piece for piece in ["a", "b"])
    close_stream(pieces)
    assert list(pieces) == []  # a closed generator yields nothing more
    plain = iter(["a", "b"])
    close_stream(plain)  # nothing to let go of, and no error
    assert list(plain) == ["a", "b"]
