"""Taking turns on the one model: a first-come, first-served line that can say where you stand.

A PyTorch model must not run two forward passes at once, so every request holds the model
alone. With several learners on one machine, requests wait; a plain lock would leave them
staring at a frozen page and would not even keep arrival order. `ModelQueue` is that lock with
tickets: requests are served in the order they arrived, each can ask how many are ahead and
about how long that will take, and a request can leave the line (the learner pressed Stop).

Estimates come from how long recent turns of the same kind took (a running average), minus
what the current turn has already used.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tutor.llm.base import QueueStatus

_SMOOTHING = 0.3  # weight of the newest turn in the running average of turn lengths
_FIRST_GUESS_S = {"answer": 20.0, "step": 0.3}  # before any turn of that kind was measured


@dataclass
class _Ticket:
    number: int
    kind: str
    started: float | None = None  # when its turn began (None while waiting)


class ModelQueue:
    """A fair lock for the model: `with queue:` or `acquire(...)`/`release()`, plus status."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._numbers = itertools.count()
        self._line: list[_Ticket] = []  # in arrival order; the first one holds the model
        self.average_s = dict(_FIRST_GUESS_S)

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
        """Block until `ticket` is first in line; False (and out of the line) on timeout or cancel."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._line[0] is not ticket:
                left = None if deadline is None else deadline - time.monotonic()
                if (left is not None and left <= 0) or (cancelled is not None and cancelled()):
                    self._line.remove(ticket)
                    self._cond.notify_all()
                    return False
                # wake now and then to notice a cancel; a release wakes us at once
                self._cond.wait(0.1 if left is None else min(0.1, left))
            ticket.started = time.monotonic()
            return True

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

    def acquire(self, timeout: float | None = None, kind: str = "step") -> _Ticket | None:
        ticket = self.join(kind)
        return ticket if self.wait_turn(ticket, timeout=timeout) else None

    def release(self) -> None:
        with self._cond:
            running = self._line[0] if self._line and self._line[0].started is not None else None
        if running is not None:
            self.leave(running)

    def __enter__(self) -> ModelQueue:
        self.acquire()
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
