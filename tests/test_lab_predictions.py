"""tutor.lab.predictions: what the model is asked about, and each answer asked once per text."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.fakes import FakeEngine
from tutor.lab import context, predictions, reshaping
from tutor.llm.base import NextTokenDistribution, TokenChoice


def asks(engine: FakeEngine, kind: str = "next") -> list[str]:
    return [c["text"] for c in engine.calls if c["kind"] == kind]


def test_a_remembered_answer_is_asked_once_and_the_oldest_is_forgotten_beyond_the_size():
    memo: dict = {}
    asked = []

    def ask(key):
        return lambda: asked.append(key) or key.upper()

    assert predictions.remember(memo, "a", ask("a"), size=2) == "A"
    assert predictions.remember(memo, "a", ask("a"), size=2) == "A" and asked == ["a"]
    predictions.remember(memo, "b", ask("b"), size=2)
    predictions.remember(memo, "c", ask("c"), size=2)
    assert list(memo) == ["b", "c"], "'a' was the oldest"


def test_a_failed_ask_is_not_remembered():
    memo: dict = {}

    def fails():
        raise RuntimeError("the model failed")

    with pytest.raises(RuntimeError):
        predictions.remember(memo, "a", fails)
    assert memo == {}


def test_the_distribution_is_the_raw_pool_asked_once_per_text():
    engine = FakeEngine()
    asked = predictions.Predictions(engine)
    dist, fitted = asked.distribution("The cat sat on the")
    assert fitted == context.FittedText("The cat sat on the", False, 4, 4)
    assert asked.distribution("The cat sat on the")[0] is dist and asked.candidates("The cat sat on the") is dist
    (call,) = engine.calls
    assert (call["temperature"], call["top_k"], call["top_p"]) == (1.0, reshaping.POOL_SIZE, 1.0)


def test_each_learner_and_each_model_has_its_own_answers():
    engine, other = FakeEngine(), FakeEngine()
    other.name = "other-model"
    memo: dict = {}
    predictions.Predictions(engine, distributions=memo).distribution("Hi")
    predictions.Predictions(other, distributions=memo).distribution("Hi")
    assert set(memo) == {("fake-model", "Hi"), ("other-model", "Hi")}
    predictions.Predictions(engine).distribution("Hi")  # a second learner: a memo of its own
    assert len(asks(engine)) == 2


def test_with_no_text_the_model_reads_the_start_of_a_chat_reply():
    engine = FakeEngine()
    _, fitted = predictions.Predictions(engine).distribution("  ")
    template = engine.apply_chat_template(context.start_of_message_messages())
    assert fitted == context.FittedText(template, False, 0, 0)
    assert asks(engine) == [template]


def test_a_long_text_is_cut_to_the_lab_context_before_the_model_reads_it():
    engine = FakeEngine()
    _, fitted = predictions.Predictions(engine).distribution("word " * 5000)
    assert fitted.cut and engine.count_tokens(asks(engine)[0]) <= context.LAB_MAX_CONTEXT


def test_the_wait_is_shown_only_around_a_call_that_asks_the_model():
    engine, waits = FakeEngine(), []

    @contextmanager
    def waiting():
        waits.append(len(engine.calls))  # entered before the model is asked
        yield

    asked = predictions.Predictions(engine, waiting=waiting)
    asked.distribution("Hi")
    asked.distribution("Hi")
    assert waits == [0] and len(engine.calls) == 1


def piece_favourite() -> reshaping.Reshaped:
    dist = NextTokenDistribution([TokenChoice(" <0xEB><0xA8>", 1, 0.4, 0.4, True), TokenChoice("서", 2, 0.1, 0.1, True)],
                                 0.0, 0.5, 10, 2)
    return reshaping.reshape(dist, temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0)


def test_a_favourite_piece_is_finished_by_the_models_greedy_continuation_of_the_same_text():
    engine = FakeEngine(reply=" 먹고 싶어요")
    asked = predictions.Predictions(engine)
    assert asked.finished_favourite("오늘 점심으로", piece_favourite()) == " 먹"
    assert asked.finished_favourite("오늘 점심으로", piece_favourite()) == " 먹"
    completions = [c for c in engine.calls if c["kind"] == "completion"]
    assert len(completions) == 1 and completions[0]["temperature"] == 0.0
    assert completions[0]["text"] == asks(engine)[0], "from the text the probabilities came from"


def test_a_whole_favourite_or_no_text_asks_nothing_to_finish():
    engine = FakeEngine()
    asked = predictions.Predictions(engine)
    whole = reshaping.reshape(engine.next_token_distribution("x", top_k=5), temperature=1.0, top_k=5, top_p=1.0)
    assert asked.finished_favourite("The cat", whole) is None
    assert asked.finished_favourite(" ", piece_favourite()) is None
    assert not asks(engine, "completion")
