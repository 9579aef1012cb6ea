"""Taking turns on the one model: a first-come, first-served line that can say where you stand.

A PyTorch model must not run two forward passes at once, so every request holds the model
alone. With several learners on one machine, requests wait; a plain lock would leave them
staring at a frozen page and would not even keep arrival order. `ModelQueue` is that lock with
tickets: requests are served in the order they arrived, each can ask how many are ahead and
about how long that will take, and a request can leave the line (the learner pressed Stop).

No wait is endless: every wait for a turn has a time limit (`wait_s` unless the caller gives
one) and can be cancelled, so a wedged holder makes the others fail with a message instead of
freezing their pages; `close` sends every waiting request away before the model is freed.

Estimates come from how long recent turns of the same kind took (a running average), minus
what the current turn has already used.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tutor.llm.base import EngineError, QueueStatus

DEFAULT_WAIT_S = 300.0  # longest wait for a turn when the caller names none: a long answer ahead, twice
_SMOOTHING = 0.3  # weight of the newest turn in the running average of turn lengths
_FIRST_GUESS_S = {"answer": 20.0, "step": 0.3}  # before any turn of that kind was measured


@dataclass
class _Ticket:
    number: int
    kind: str
    started: float | None = None  # when its turn began (None while waiting)


class ModelQueue:
    """A fair lock for the model: `with queue:` or `acquire(...)`/`release()`, plus status."""

    def __init__(self, wait_s: float = DEFAULT_WAIT_S) -> None:
        self._cond = threading.Condition()
        self._numbers = itertools.count()
        self._line: list[_Ticket] = []  # in arrival order; the first one holds the model
        self.average_s = dict(_FIRST_GUESS_S)
        self.wait_s = wait_s  # the time limit of a wait that names none
        self._closed = False  # set by close(): no more turns

    # ---- taking a turn ---------------------------------------------------------------------------

    def join(self, kind: str = "step") -> _Ticket:
        """Get in line now (so the status is known at once); `wait_turn` later."""
        with self._cond:
            ticket = _Ticket(next(self._numbers), kind)
            self._line.append(ticket)
            return ticket

    def wait_turn(
        self, ticket: _Ticket, *, timeout: float | None = None, cancelled: Callable[[], bool] | None = None
    ) -> bool:
        """Block until `ticket` is first in line; False (and out of the line) after `timeout` seconds
        (None: `wait_s`), when `cancelled()` turns true, or when the line is closed."""
        deadline = time.monotonic() + (self.wait_s if timeout is None else timeout)
        with self._cond:
            while self._line[0] is not ticket or self._closed:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed or (cancelled is not None and cancelled()):
                    self._line.remove(ticket)
                    self._cond.notify_all()
                    return False
                # wake now and then to notice a cancel; a release or a close wakes us at once
                self._cond.wait(min(0.1, left))
            ticket.started = time.monotonic()
            return True

    @contextmanager
    def turn(
        self, kind: str = "step", *, timeout: float | None = None, cancelled: Callable[[], bool] | None = None
    ) -> Iterator[_Ticket]:
        """Hold the model for a `with` block. Raises EngineError "timeout" when the turn does not
        come within `timeout` seconds (None: `wait_s`), "cancelled" when `cancelled()` turns true
        or the line is closed while waiting."""
        ticket = self.acquire(timeout, kind, cancelled)
        if ticket is None:
            raise self.refusal(cancelled)
        try:
            yield ticket
        finally:
            self.leave(ticket)

    def refusal(self, cancelled: Callable[[], bool] | None = None) -> EngineError:
        """Why a wait for a turn gave up: "cancelled" (by the caller, or the line closed) or "timeout"."""
        if self._closed or (cancelled is not None and cancelled()):
            return EngineError("cancelled", "The request was cancelled while it waited for the model.")
        return EngineError("timeout", "The model is busy with another answer.", hint="Try again soon.")

    def close(self, timeout: float | None = None) -> bool:
        """Close the line: every request waiting now or later gives up ("cancelled"); then wait up
        to `timeout` seconds (None: `wait_s`) for the running one to finish. True once no one
        holds the model, so it may be freed; False if the holder is still running."""
        deadline = time.monotonic() + (self.wait_s if timeout is None else timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            while self._line:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(0.1, left))
            return True

    @property
    def closed(self) -> bool:
        return self._closed

    def leave(self, ticket: _Ticket) -> None:
        """End `ticket`'s turn (or give up its place) and let the next request in."""
        with self._cond:
            if ticket in self._line:
                if ticket.started is not None:
                    used = time.monotonic() - ticket.started
                    old = self.average_s.get(ticket.kind, used)
                    self.average_s[ticket.kind] = (1 - _SMOOTHING) * old + _SMOOTHING * used
                self._line.remove(ticket)
            self._cond.notify_all()

    # ---- the lock interface the engine's short calls use ------------------------------------------

    def acquire(
        self, timeout: float | None = None, kind: str = "step", cancelled: Callable[[], bool] | None = None
    ) -> _Ticket | None:
        """Wait for a turn (at most `timeout` s, None: `wait_s`); the ticket, or None on timeout or cancel."""
        ticket = self.join(kind)
        return ticket if self.wait_turn(ticket, timeout=timeout, cancelled=cancelled) else None

    def release(self) -> None:
        with self._cond:
            running = self._line[0] if self._line and self._line[0].started is not None else None
        if running is not None:
            self.leave(running)

    def __enter__(self) -> ModelQueue:
        """`with queue:` waits at most `wait_s`, then raises EngineError "timeout" (see `turn`)."""
        if self.acquire() is None:
            raise self.refusal()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # ---- where things stand ----------------------------------------------------------------------

    def status(self, ticket: _Ticket) -> QueueStatus | None:
        """How many are ahead of `ticket` and roughly how long until its turn; None once it runs."""
        with self._cond:
            if ticket not in self._line or ticket.started is not None:
                return None
            return self._facing(self._line[: self._line.index(ticket)])

    def outlook(self) -> QueueStatus:
        """What a request arriving now would face: how many are ahead, roughly how long."""
        with self._cond:
            return self._facing(list(self._line))

    def _facing(self, ahead: list[_Ticket]) -> QueueStatus:
        """The wait behind `ahead`: each one's usual turn length, minus what a running one has used."""
        now = time.monotonic()
        estimate = 0.0
        for other in ahead:
            expected = self.average_s.get(other.kind, 0.0)
            used = now - other.started if other.started is not None else 0.0
            estimate += max(expected - used, 0.0)
        return QueueStatus(ahead=len(ahead), estimate_s=estimate)

    @property
    def waiting(self) -> int:
        """Requests in line that have not started yet."""
        with self._cond:
            return sum(1 for ticket in self._line if ticket.started is None)

    def locked(self) -> bool:
        with self._cond:
            return bool(self._line) and self._line[0].started is not None
