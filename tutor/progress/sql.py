"""The SQL progress store that SQLite and PostgreSQL both build on (no driver imported here).

`SQLProgressStore` holds everything a store does — sign-in, events, summaries, export / import,
migrations, transactions — written once, in SQL that SQLite and PostgreSQL both run. A backend
supplies only what differs between the two (the "dialect hooks" below): how to get a connection,
how to begin a transaction, its schema steps, and how its errors are named. The backends are
sqlite.py (a file on this computer) and postgres.py (a server a class shares); store.py picks one
from the settings.

What every backend gets from here:
- Every write is one explicit transaction, rolled back on any error, so a batch of events is
  stored completely or not at all.
- Every SQL statement takes its values as parameters (never formatted into the SQL text).
- The schema has a version table; migrations[i] moves a database from version i to i + 1, so a
  database written by any earlier release is upgraded in place on open.
Any failure of the database itself is raised as ProgressUnavailable (named by the backend's
`_unavailable`), which the UI shows as "progress is not being saved" while the app goes on.
"""
from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import MappingProxyType
from typing import Any, Protocol

from tutor.progress.base import (
    Event,
    ImportRejected,
    Learner,
    ProgressUnavailable,
    QuizScore,
    Summary,
    UnknownLearner,
)
from tutor.progress.names import clean_display_name, name_match_key
from tutor.progress.transfer import build_export, check_event, parse_export

# A day is counted in quarter hours first, then each quarter hour is put on the app's local
# calendar day in Python. Every time zone's offset and every summer-time switch falls on a
# quarter hour (India +5:30, Nepal +5:45, ...), so no quarter hour straddles a local midnight, and
# both databases count days exactly as this process's clock does (a PostgreSQL server may sit in
# another time zone than the app).
QUARTER_HOUR_S = 900


class Connection(Protocol):
    """What the shared logic needs of a connection: execute(sql with ? placeholders, params)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ...) -> Any: ...

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> Any: ...


class SQLProgressStore:
    """The ProgressStore logic shared by every SQL backend; a subclass provides the dialect hooks."""

    # --- dialect hooks (set or overridden by each backend) -------------------------------------
    # Who uses the database, and so what a display name means (see sign_in):
    # False: a file on this computer, used by a few people who share it; typing a name again
    #        finds that learner again.
    # True:  a server that a whole class (or anyone who can reach the app) shares: PostgreSQL
    #        always, SQLite when the app is served to others (the progress_shared setting). A name
    #        is only a label: typing "Mina" must not open another Mina's progress, so every
    #        sign-in starts a new learner, who comes back only with their key (the private link).
    shared: bool = False
    # Errors of the database driver: turned into ProgressUnavailable by `_unavailable`.
    db_errors: tuple[type[BaseException], ...] = ()
    # Appended to the SELECT of a learner whose events are about to be merged, so two replicas
    # importing at once take turns (SQLite's BEGIN IMMEDIATE already lets one writer in at a time).
    lock_learner_row: str = ""
    # The number of the quarter hour an event's `at` falls in (see QUARTER_HOUR_S).
    quarter_hour_sql: str = ""
    # One row when the schema_version table exists, none otherwise.
    version_table_sql: str = ""

    def _connection(self) -> AbstractContextManager[Connection]:
        """A connection for one transaction (held by this thread until the block ends)."""
        raise NotImplementedError

    def _begin_sql(self, write: bool) -> str:
        """The statement that starts a read or a write transaction."""
        raise NotImplementedError

    def _unavailable(self, err: BaseException) -> ProgressUnavailable:
        """Name what went wrong with the database in one of the words the UI explains."""
        raise NotImplementedError

    def _lock_for_migration(self, conn: Connection) -> None:
        """Make a second app starting at the same moment wait until the first has migrated."""

    def _change_stamp(self, conn: Connection, key: str) -> Hashable:
        """A value that differs whenever the learner's events may have changed (for the cache)."""
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------------

    def __init__(self, migrations: Sequence[Sequence[str]]) -> None:
        self._migrations = migrations
        # Summaries are cached per learner and reused until `_change_stamp` says the data changed.
        self._summaries: dict[str, tuple[Hashable, Summary]] = {}
        # `_commits` counts this store's own write transactions (part of SQLite's change stamp).
        self._commits = 0

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._connection() as conn:
            try:
                conn.execute(self._begin_sql(write))
            except self.db_errors as err:
                raise self._unavailable(err) from err
            try:
                yield conn
                conn.execute("COMMIT")
                if write:
                    self._commits += 1
            except BaseException as err:
                try:
                    conn.execute("ROLLBACK")
                except self.db_errors:
                    pass  # the transaction (or the connection) is already gone; nothing was committed
                if isinstance(err, self.db_errors):
                    raise self._unavailable(err) from err
                raise

    def schema_version(self) -> int:
        """The version of the schema in the database (len(migrations) after opening)."""
        with self._transaction(write=False) as conn:
            return self._version(conn)

    def _version(self, conn: Connection) -> int:
        if not conn.execute(self.version_table_sql).fetchone():
            return 0
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        """Bring the database up to the newest schema, all steps in one transaction."""
        with self._transaction(write=True) as conn:
            self._lock_for_migration(conn)
            version = self._version(conn)
            if version > len(self._migrations):
                raise ProgressUnavailable("too_new", f"schema version {version} is from a newer app")
            if version == len(self._migrations):
                return
            if version == 0:
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            for step in self._migrations[version:]:
                for statement in step:
                    conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = ?", (len(self._migrations),))

    # --- learners -----------------------------------------------------------------------------

    def sign_in(self, name: str) -> tuple[Learner, bool]:
        """A learner for this display name; (learner, created).

        On this computer (`shared` False) the learner already using the name, else a new one. On
        a shared server always a new learner: a name is a label there, not a way in.
        Raises NameRejected for an empty or too long name."""
        clean = clean_display_name(name)
        with self._transaction(write=True) as conn:
            # Not shared means SQLite, whose write transaction (BEGIN IMMEDIATE) lets one app
            # process in at a time: no other process can add this name between look-up and insert.
            existing = None if self.shared else self._learner_named(conn, clean)
            if existing:
                return existing, False
            learner = Learner(key=secrets.token_urlsafe(12), name=clean, created_at=time.time())
            if self._insert_learner(conn, learner) is None:  # only the random key can clash
                raise ProgressUnavailable("unavailable", "a new learner key collided; try again")
            return learner, True

    @staticmethod
    def _learner_named(conn: Connection, clean_name: str) -> Learner | None:
        # Oldest first: a file that was once shared (progress_shared) may hold two Minas; on this
        # computer the name then finds the first one who took it.
        row = conn.execute(
            "SELECT key, name, created_at FROM learners WHERE name_key = ? ORDER BY created_at, id LIMIT 1",
            (name_match_key(clean_name),),
        ).fetchone()
        return Learner(*row) if row else None

    @staticmethod
    def _insert_learner(conn: Connection, learner: Learner) -> int | None:
        """The new learner's row id, or None when the key is already taken."""
        # ON CONFLICT DO NOTHING instead of an error: a key taken by a concurrent restore of the
        # same file is not a failure, and in PostgreSQL an error would abort the whole transaction.
        row = conn.execute(
            "INSERT INTO learners (key, name, name_key, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING id",
            (learner.key, learner.name, name_match_key(learner.name), learner.created_at),
        ).fetchone()
        return None if row is None else int(row[0])

    def learner(self, key: str) -> Learner | None:
        """The learner with this key, or None."""
        if not isinstance(key, str):
            return None
        with self._transaction(write=False) as conn:
            row = conn.execute("SELECT key, name, created_at FROM learners WHERE key = ?", (key,)).fetchone()
        return Learner(*row) if row else None

    @staticmethod
    def _learner_id(conn: Connection, key: str) -> int:
        row = conn.execute("SELECT id FROM learners WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise UnknownLearner(key)
        return int(row[0])

    # --- events -------------------------------------------------------------------------------

    def record(self, key: str, event: Event) -> None:
        """Add one event for the learner (one transaction)."""
        self.record_many(key, (event,))

    def record_many(self, key: str, events: Iterable[Event]) -> None:
        """Add several events in one transaction: all of them, or none if anything fails."""
        with self._transaction(write=True) as conn:
            learner_id = self._learner_id(conn, key)
            for event in events:
                check_event(event)
                self._insert_event(conn, learner_id, event)

    _INSERT_EVENT = "INSERT INTO events (learner_id, kind, at, lesson, item, correct) VALUES (?, ?, ?, ?, ?, ?)"

    @staticmethod
    def _event_row(learner_id: int, event: Event) -> tuple:
        # `correct` goes in as a bool: SQLite stores it as 0/1, PostgreSQL as a BOOLEAN.
        return (learner_id, event.kind, float(event.at), event.lesson, event.item,
                None if event.correct is None else bool(event.correct))

    def _insert_event(self, conn: Connection, learner_id: int, event: Event) -> None:
        conn.execute(self._INSERT_EVENT, self._event_row(learner_id, event))

    @staticmethod
    def _events(conn: Connection, learner_id: int) -> list[Event]:
        rows = conn.execute(
            "SELECT kind, at, lesson, item, correct FROM events WHERE learner_id = ? ORDER BY at, id",
            (learner_id,),
        ).fetchall()
        return [
            Event(kind, at, lesson, item, None if correct is None else bool(correct))
            for kind, at, lesson, item, correct in rows
        ]

    def events(self, key: str) -> list[Event]:
        """Every event of the learner, oldest first."""
        with self._transaction(write=False) as conn:
            return self._events(conn, self._learner_id(conn, key))

    def summary(self, key: str) -> Summary:
        """What the learner has done; one consistent snapshot of the database.

        Shared between sessions when nothing changed in between: do not modify it."""
        with self._transaction(write=False) as conn:
            stamp = self._change_stamp(conn, key)
            cached = self._summaries.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            summary = self._compute_summary(conn, key)
            if len(self._summaries) > 256:
                self._summaries.clear()
            self._summaries[key] = (stamp, summary)
            return summary

    def _compute_summary(self, conn: Connection, key: str) -> Summary:
        learner_id = self._learner_id(conn, key)

        def rows(sql: str) -> list[tuple]:
            return conn.execute(sql, (learner_id,)).fetchall()

        lessons_read = rows("SELECT DISTINCT lesson FROM events WHERE learner_id = ? AND kind = 'lesson_read'")
        practice = rows("SELECT DISTINCT item FROM events WHERE learner_id = ? AND kind = 'practice_passed'")
        tutor_questions = rows("SELECT COUNT(*) FROM events WHERE learner_id = ? AND kind = 'tutor_question'")
        quiz_rows = rows(
            "SELECT lesson, item, correct FROM events WHERE learner_id = ? AND kind = 'quiz_answer' ORDER BY at, id"
        )
        placement_rows = rows(
            "SELECT item, lesson FROM events WHERE learner_id = ? AND kind = 'placement' ORDER BY at, id"
        )
        quarters = rows(
            f"SELECT {self.quarter_hour_sql} AS quarter, COUNT(*) FROM events WHERE learner_id = ? GROUP BY quarter"
        )
        # The local calendar day of each quarter hour (summer time included): see QUARTER_HOUR_S.
        per_day: dict[dt.date, int] = {}
        for quarter, count in quarters:
            day = dt.date.fromtimestamp(int(quarter) * QUARTER_HOUR_S)
            per_day[day] = per_day.get(day, 0) + int(count)

        # The latest answer to each question counts; every answer counts as an attempt.
        latest: dict[str, dict[str, bool]] = {}
        attempts: dict[str, int] = {}
        for lesson, item, correct in quiz_rows:
            latest.setdefault(lesson, {})[item] = bool(correct)
            attempts[lesson] = attempts.get(lesson, 0) + 1
        starts = [lesson for item, lesson in placement_rows if item == "start"]
        placement = None
        if placement_rows:
            placement = "skipped" if placement_rows[-1][0] == "skipped" else "done"
        return Summary(
            lessons_read=frozenset(row[0] for row in lessons_read),
            # Read-only views: a cached summary is shared by every session of this process.
            quiz=MappingProxyType({
                lesson: QuizScore(latest=MappingProxyType(answers), attempts=attempts[lesson])
                for lesson, answers in latest.items()
            }),
            practice_passed=frozenset(row[0] for row in practice),
            tutor_questions=int(tutor_questions[0][0]),
            known_lessons=frozenset(lesson for item, lesson in placement_rows if item == "known"),
            placement=placement,
            placement_start=starts[-1] if starts else None,
            per_day=tuple(sorted(per_day.items())),
            total_events=sum(per_day.values()),
        )

    def reset(self, key: str) -> None:
        """Delete every event of the learner; the learner (name and key) stays."""
        with self._transaction(write=True) as conn:
            conn.execute("DELETE FROM events WHERE learner_id = ?", (self._learner_id(conn, key),))

    # --- export / import ----------------------------------------------------------------------

    def export_json(self, key: str) -> str:
        """The learner and all their events as JSON text (see transfer.py)."""
        with self._transaction(write=False) as conn:
            learner_id = self._learner_id(conn, key)
            row = conn.execute("SELECT key, name, created_at FROM learners WHERE id = ?", (learner_id,)).fetchone()
            events = self._events(conn, learner_id)
        return build_export(Learner(*row), events)

    def import_json(self, raw: bytes | str, *, into_key: str | None) -> tuple[Learner, int]:
        """Merge an exported file into a learner's progress; (learner, events added).

        With `into_key`, the file must belong to that learner. With None, the file's learner is
        restored (created here if new). Events already present are not added twice, so importing
        the same file again changes nothing. Raises ImportRejected, changing nothing."""
        doc = parse_export(raw)
        if into_key is not None and doc.learner.key != into_key:
            raise ImportRejected("other_learner")  # no detail: there is no place in the file to point at
        with self._transaction(write=True) as conn:
            row = self._learner_row_locked(conn, doc.learner.key)
            if row is None:
                if into_key is not None:
                    raise UnknownLearner(into_key)
                if not self.shared and self._learner_named(conn, doc.learner.name) is not None:
                    # Where the name is the learner, a file must not take over someone else's name.
                    raise ImportRejected("name_taken")
                learner_id = self._insert_learner(conn, doc.learner)
                if learner_id is None:
                    # Another replica restored this very file a moment ago: merge into what it created.
                    row = self._learner_row_locked(conn, doc.learner.key)
                    if row is None:
                        raise ProgressUnavailable("unavailable", "the learner's key is taken; try again")
            if row is None:
                learner, have = doc.learner, set()
            else:
                learner_id, learner = int(row[0]), Learner(*row[1:])
                have = {self._identity(e) for e in self._events(conn, learner_id)}
            new_rows = []
            for event in doc.events:
                identity = self._identity(event)
                if identity not in have:
                    new_rows.append(self._event_row(learner_id, event))
                    have.add(identity)
            # One batch: a year of events is one round trip's worth of work for PostgreSQL (psycopg
            # pipelines executemany) instead of 11,000 round trips.
            if new_rows:
                conn.executemany(self._INSERT_EVENT, new_rows)
        return learner, len(new_rows)

    def _learner_row_locked(self, conn: Connection, key: str) -> tuple | None:
        return conn.execute(
            "SELECT id, key, name, created_at FROM learners WHERE key = ?" + self.lock_learner_row, (key,)
        ).fetchone()

    @staticmethod
    def _identity(event: Event) -> tuple:
        return (event.kind, float(event.at), event.lesson, event.item, event.correct)

    def close(self) -> None:
        raise NotImplementedError

