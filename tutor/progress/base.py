"""What progress is made of, and the interface every progress store offers.

A learner is a display name plus a random `key` (kept in the page URL as ?learner=<key>, so a
reload finds the same learner). On a shared server the key is the only way back: a name there is
a label, not an identity (see ProgressStore.shared). Everything a learner does is an `Event`; summaries are computed
from events. The SQLite store (sqlite.py) and the PostgreSQL store for classrooms (postgres.py)
implement `ProgressStore`; nothing above it knows which one it talks to.

Event kinds and the fields each uses:

    lesson_read      lesson                      the learner reached the lesson's end or its quiz
    quiz_answer      lesson, item=question id, correct
    practice_passed  item=exercise id, lesson (optional)
    tutor_question   lesson (optional), item=section anchor (optional)
    placement        item="known" + lesson       the placement check showed the lesson is known
                     item="start" + lesson       where the placement check says to begin
                     item="skipped"              the learner skipped the check
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

EVENT_KINDS: tuple[str, ...] = ("lesson_read", "quiz_answer", "practice_passed", "tutor_question", "placement")
PLACEMENT_ITEMS: tuple[str, ...] = ("known", "start", "skipped")


class ProgressUnavailable(Exception):
    """The progress database cannot be used right now; the app keeps working without saving.

    `code` is one of "locked", "read_only", "corrupt", "too_new", "unavailable", and for a database
    server "unreachable" or "bad_url" — the UI turns it into a sentence in the learner's language.
    """

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class UnknownLearner(LookupError):
    """No learner has this key (a stale or mistyped ?learner= link)."""


class NameRejected(ValueError):
    """A display name that cannot be used; `code` is "empty" or "too_long"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ImportRejected(ValueError):
    """An import file that was refused (nothing was changed). `code` names the kind of problem
    ("too_large", "not_json", "wrong_format", "other_learner", "bad_event", ...); `detail` says
    where in the file."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Learner:
    key: str  # random, URL-safe; the learner's handle in links and export files
    name: str  # cleaned display name (see names.clean_display_name)
    created_at: float  # unix seconds


@dataclass(frozen=True)
class Event:
    kind: str  # one of EVENT_KINDS
    at: float  # unix seconds
    lesson: str | None = None
    item: str | None = None
    correct: bool | None = None

    @classmethod
    def now(cls, kind: str, *, lesson: str | None = None, item: str | None = None,
            correct: bool | None = None) -> Event:
        """An event that happens at this moment."""
        return cls(kind=kind, at=time.time(), lesson=lesson, item=item, correct=correct)


@dataclass(frozen=True)
class QuizScore:
    """One lesson's quiz: the latest answer to each question counts (a retry can fix a mistake)."""

    latest: Mapping[str, bool]  # question id -> was the latest answer right
    attempts: int  # every answer given, right or wrong

    @property
    def answered(self) -> int:
        return len(self.latest)

    @property
    def correct(self) -> int:
        return sum(self.latest.values())

    def right_among(self, question_ids: Collection[str]) -> int:
        """Right latest answers to these questions: one since removed from the lesson no longer counts."""
        return sum(ok for qid, ok in self.latest.items() if qid in question_ids)


@dataclass(frozen=True)
class Summary:
    """Everything the Progress page shows about one learner."""

    lessons_read: frozenset[str] = frozenset()
    quiz: Mapping[str, QuizScore] = field(default_factory=dict)  # lesson id -> score
    practice_passed: frozenset[str] = frozenset()  # exercise ids
    tutor_questions: int = 0
    known_lessons: frozenset[str] = frozenset()  # from the placement check
    placement: str | None = None  # None (not taken), "done" or "skipped"
    placement_start: str | None = None
    per_day: tuple[tuple[dt.date, int], ...] = ()  # events per local calendar day, oldest first
    total_events: int = 0

    def quiz_right(self, lesson_id: str, question_ids: Collection[str]) -> int:
        """Right latest answers in one lesson's quiz, counting only the questions it has now."""
        score = self.quiz.get(lesson_id)
        return score.right_among(question_ids) if score else 0


class ProgressStore(Protocol):
    """Where learners and their events live. Every method is one transaction; every failure of
    the database itself is raised as ProgressUnavailable."""

    # False: the database is on this computer and a name typed again is the same learner.
    # True: a server many people share (PostgreSQL, or SQLite with progress_shared); a name is
    # only a label, so sign_in always starts a new learner, who comes back only with their key
    # (see SQLProgressStore.shared).
    shared: bool

    def sign_in(self, name: str) -> tuple[Learner, bool]:
        """A learner for this display name; (learner, created). Not `shared`: the learner who
        has the name, created if new. `shared`: always a new learner."""
        ...

    def learner(self, key: str) -> Learner | None:
        """The learner with this key, or None."""
        ...

    def record(self, key: str, event: Event) -> None:
        """Add one event for the learner."""
        ...

    def record_many(self, key: str, events: Iterable[Event]) -> None:
        """Add several events at once: all of them or (on any error) none."""
        ...

    def events(self, key: str) -> list[Event]:
        """Every event of the learner, oldest first."""
        ...

    def summary(self, key: str) -> Summary:
        """What the learner has done, computed from their events."""
        ...

    def export_json(self, key: str) -> str:
        """The learner and all their events as a JSON document (see transfer.py)."""
        ...

    def import_json(self, raw: bytes | str, *, into_key: str | None) -> tuple[Learner, int]:
        """Merge an exported file into `into_key`'s progress (or, with None, into the learner the
        file names, created if new). Returns (learner, events added). Raises ImportRejected and
        changes nothing when the file is not valid."""
        ...

    def reset(self, key: str) -> None:
        """Delete every event of the learner (the learner stays)."""
        ...

    def close(self) -> None:
        ...
