"""Taking turns on the model: first come first served, a place in line, an estimate, leaving."""
from __future__ import annotations

import threading
import time

import pytest

from tests.llm_tiny import tiny_engine
from tutor.llm.base import EngineError
from tutor.llm.queueing import ModelQueue


def test_requests_are_served_in_the_order_they_arrived():
    line = ModelQueue()
    first = line.acquire()
    order: list[int] = []
    tickets = [line.join() for _ in range(4)]

    def take(i: int) -> None:
        assert line.wait_turn(tickets[i], timeout=10)
        order.append(i)
        line.leave(tickets[i])

    threads = [threading.Thread(target=take, args=(i,)) for i in reversed(range(4))]  # started out of order
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    line.leave(first)
    for thread in threads:
        thread.join(timeout=10)
    assert order == [0, 1, 2, 3]


def test_a_waiting_request_knows_its_place_and_a_rough_wait():
    line = ModelQueue()
    line.average_s["answer"] = 10.0
    running = line.join("answer")
    assert line.wait_turn(running, timeout=1)
    second, third = line.join("answer"), line.join("answer")
    assert line.status(second).ahead == 1
    status = line.status(third)
    assert status.ahead == 2
    assert 15.0 < status.estimate_s <= 20.0  # the running one has used a little of its 10 s
    assert line.status(running) is None  # running, not waiting
    assert line.waiting == 2
    line.leave(running)
    assert line.status(third).ahead == 1


def test_a_cancelled_request_leaves_the_line_and_the_next_moves_up():
    line = ModelQueue()
    running = line.acquire()
    leaving, staying = line.join(), line.join()
    stop = threading.Event()
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(line.wait_turn(leaving, cancelled=stop.is_set)))
    waiter.start()
    stop.set()
    waiter.join(timeout=5)
    assert result == [False]
    assert line.status(staying).ahead == 1  # only the running one is ahead now
    line.leave(running)
    assert line.wait_turn(staying, timeout=1)


def test_waiting_too_long_gives_up_its_place():
    line = ModelQueue()
    line.acquire()
    late = line.join()
    assert not line.wait_turn(late, timeout=0.05)
    assert line.waiting == 0


def test_turn_lengths_feed_the_estimate():
    line = ModelQueue()
    before = line.average_s["step"]
    ticket = line.acquire(kind="step")
    time.sleep(0.05)
    line.leave(ticket)
    assert line.average_s["step"] != before


@pytest.fixture
def engine():
    eng = tiny_engine()
    eng._eos_ids = set()  # run to max_new_tokens
    return eng


def test_an_answer_behind_another_shows_its_place_and_can_be_stopped_before_its_turn(engine):
    def slow_down(*args) -> None:  # each forward takes 50 ms, so the first answer is still running
        time.sleep(0.05)

    handle = engine.backend.model.register_forward_pre_hook(slow_down)
    try:
        first = engine.stream_completion("The cat sat", max_new_tokens=20)
        stop = threading.Event()
        second = engine.stream_completion("The dog ran", max_new_tokens=20, stop=stop)
        status = second.queue_status()
        assert status is not None and status.ahead == 1
        stop.set()
        assert list(second) == [] and second.stop_reason == "stopped"
        assert "".join(first)  # the first answer was not disturbed
        assert first.stop_reason == "length"
    finally:
        handle.remove()
    assert engine.lock.waiting == 0 and not engine.lock.locked()


class _RecordingSlot:
    def __init__(self) -> None:
        self.shown: list[str] = []
        self.emptied = False

    def info(self, text: str, **kwargs) -> None:
        self.shown.append(text)

    def empty(self) -> None:
        self.emptied = True


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_waiting_answer_shows_its_place_and_wait_then_clears_it(lang):
    from tests.fakes import FakeStream
    from tutor.i18n import t
    from tutor.llm.base import QueueStatus
    from tutor.ui.model import wait_for_turn

    stream = FakeStream(iter(["Hello"]), [QueueStatus(2, 31.4), QueueStatus(1, 0.2)])
    slot = _RecordingSlot()
    assert wait_for_turn(stream, lang, poll_s=0.0, slot=slot) is stream
    assert slot.shown == [
        t("common.model.queue", lang, ahead=2, seconds=31),
        t("common.model.queue", lang, ahead=1, seconds=1),
    ]
    assert slot.emptied and list(stream) == ["Hello"]


def test_a_stream_from_an_engine_without_a_line_is_passed_straight_through():
    from tutor.llm.openai_compatible import ServerStream
    from tutor.ui.model import wait_for_turn

    pieces = ServerStream(piece for piece in ["a", "b"])  # a model server's stream: its line is not ours to see
    slot = _RecordingSlot()
    assert wait_for_turn(pieces, "en", slot=slot) is pieces and slot.shown == []
    assert list(pieces) == ["a", "b"]


def test_a_request_arriving_now_sees_who_is_ahead_without_joining():
    line = ModelQueue()
    assert line.outlook().ahead == 0
    line.average_s["answer"] = 8.0
    running = line.join("answer")
    assert line.wait_turn(running, timeout=1)
    line.join("answer")
    outlook = line.outlook()
    assert outlook.ahead == 2 and 8.0 < outlook.estimate_s <= 16.0
    assert line.waiting == 1  # asking did not leave a ticket behind


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_lab_gets_a_busy_note_only_while_others_use_the_model(engine, lang):
    from tutor.i18n import t
    from tutor.ui.model import busy_note

    assert busy_note(engine, lang) is None
    ticket = engine.lock.acquire(kind="answer")
    try:
        note = busy_note(engine, lang)
        assert note == t("common.model.busy", lang, ahead=1, seconds=round(engine.lock.average_s["answer"]))
    finally:
        engine.lock.leave(ticket)
    assert busy_note(engine, lang) is None


def test_an_engine_whose_line_we_cannot_see_gets_no_busy_note():
    from tutor.llm.openai_compatible import OpenAICompatibleEngine, ServerConfig, TextTokenizer
    from tutor.ui.model import busy_note

    server = OpenAICompatibleEngine(
        ServerConfig(base_url="http://127.0.0.1:9/v1", model="m"), tokenizer=TextTokenizer(encode=list, decode=str)
    )
    assert server.queue_outlook() is None and busy_note(server, "en") is None


# --- no wait without an end (issue 18) ----------------------------------------------------------


def _in_thread(call):
    """Run `call` on a thread; returns (thread, outcome list: the result or the exception raised)."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as err:  # noqa: BLE001 - the test looks at what was raised
            outcome.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_a_with_block_behind_a_wedged_holder_gives_up_after_the_time_limit():
    line = ModelQueue(wait_s=0.2)
    line.acquire()  # a holder that never lets go
    started = time.monotonic()
    with pytest.raises(EngineError) as err:
        with line:
            pass
    assert err.value.code == "timeout" and 0.2 <= time.monotonic() - started < 2.0
    assert line.waiting == 0, "the request that gave up left the line"


def test_a_turn_can_be_cancelled_while_it_waits():
    line = ModelQueue()
    line.acquire()
    stop = threading.Event()

    def wait_for_a_turn():
        with line.turn(cancelled=stop.is_set):
            return "ran"

    thread, outcome = _in_thread(wait_for_a_turn)
    time.sleep(0.05)
    stop.set()
    thread.join(timeout=5)
    assert isinstance(outcome[0], EngineError) and outcome[0].code == "cancelled"
    assert line.waiting == 0


def test_closing_the_line_sends_waiting_requests_away_and_waits_for_the_running_one():
    line = ModelQueue()
    running = line.acquire()
    waiter, outcome = _in_thread(lambda: line.__enter__())
    time.sleep(0.05)
    closer, closed = _in_thread(lambda: line.close(timeout=5))
    waiter.join(timeout=5)
    assert isinstance(outcome[0], EngineError) and outcome[0].code == "cancelled"
    assert closed == [], "close waits while the running request still holds the model"
    line.leave(running)
    closer.join(timeout=5)
    assert closed == [True]
    assert line.acquire(timeout=1) is None, "a closed line gives no more turns"


def test_closing_gives_up_on_a_holder_that_does_not_finish():
    line = ModelQueue()
    line.acquire()
    assert line.close(timeout=0.1) is False


def test_a_lab_step_waiting_for_the_model_can_be_stopped(engine):
    holder = engine.lock.acquire(kind="answer")
    stop = threading.Event()
    try:
        thread, outcome = _in_thread(lambda: engine.next_token_distribution("The cat", stop=stop))
        time.sleep(0.05)
        assert engine.lock.waiting == 1
        stop.set()
        thread.join(timeout=5)
    finally:
        engine.lock.leave(holder)
    assert isinstance(outcome[0], EngineError) and outcome[0].code == "cancelled"
    assert engine.lock.waiting == 0 and not engine.lock.locked()


def test_forgetting_the_cache_behind_a_wedged_holder_times_out(engine):
    holder = engine.lock.acquire(kind="answer")
    engine.lock.wait_s = 0.2
    try:
        with pytest.raises(EngineError) as err:
            engine.forget_cache()
    finally:
        engine.lock.wait_s = 300.0
        engine.lock.leave(holder)
    assert err.value.code == "timeout"


def test_a_worker_that_cannot_start_leaves_no_ticket_in_line(engine, monkeypatch):
    real_start = threading.Thread.start

    def refuse_workers(thread):
        if thread.name.startswith("generate-"):
            raise RuntimeError("can't start new thread")
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", refuse_workers)
    with pytest.raises(EngineError) as err:
        engine.stream_completion("The cat sat", max_new_tokens=3)
    monkeypatch.undo()
    assert err.value.code == "generation_failed"
    assert engine.lock.outlook().ahead == 0, "no ticket was left behind"
    after = engine.stream_completion("The cat sat", max_new_tokens=3, timeout_s=10)
    "".join(after)
    assert after.stop_reason in {"eos", "length"}, "the next answer gets its turn"
