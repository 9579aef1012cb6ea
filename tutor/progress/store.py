"""Progress in SQLite (standard library sqlite3): durable, one file, safe with several writers.

Why it is safe:
- WAL mode: readers never block the writer, and a crash can only lose an *uncommitted*
  transaction; the last committed state is always what the next start-up sees.
- synchronous=NORMAL (the setting SQLite recommends with WAL): a commit is in the WAL file before
  record() returns, so a crash of the app never loses it; after a power cut or OS crash the file is
  still consistent, though the last second or so of commits may be missing. FULL would fsync on
  every commit, which on a busy laptop disk costs 5-15 ms per quiz answer instead of ~0.1 ms.
- Every write is one explicit transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error,
  so a batch of events is stored completely or not at all.
- Every SQL statement takes its values as parameters (never formatted into the SQL text).
- The schema has a version table; MIGRATIONS[i] moves a database from version i to i + 1, so a
  file written by any earlier release is upgraded in place on open.
Any failure of the database itself (locked, read-only, corrupt, from a newer app) is raised as
ProgressUnavailable, which the UI shows as "progress is not being saved" while the app goes on.
"""
from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType

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

DB_FILE_NAME = "progress.sqlite3"

# MIGRATIONS[i] takes the schema from version i to i + 1. Never edit a released step; append.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1: the first release.
    (
        "CREATE TABLE learners ("
        " id INTEGER PRIMARY KEY,"
        " key TEXT NOT NULL UNIQUE,"  # random handle used in links and export files
        " name TEXT NOT NULL,"  # cleaned display name, as shown
        " name_key TEXT NOT NULL UNIQUE,"  # casefolded name: 'Mina' and 'mina' are one learner
        " created_at REAL NOT NULL)",
        "CREATE TABLE events ("
        " id INTEGER PRIMARY KEY,"
        " learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,"
        " kind TEXT NOT NULL,"
        " at REAL NOT NULL,"
        " lesson TEXT,"
        " item TEXT,"
        " correct INTEGER)",
        "CREATE INDEX events_by_learner_kind ON events (learner_id, kind, at)",
    ),
)


def _unavailable(err: BaseException) -> ProgressUnavailable:
    """Name what went wrong with the database in one of a few words the UI can explain."""
    code = getattr(err, "sqlite_errorname", "") or ""
    text = str(err).lower()
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        kind = "locked"
    elif code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")) or "readonly" in text:
        kind = "read_only"
    elif code.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in text or "malformed" in text:
        kind = "corrupt"
    elif isinstance(err, PermissionError):
        kind = "read_only"
    else:
        kind = "unavailable"
    return ProgressUnavailable(kind, str(err))


class SQLiteProgressStore:
    """The ProgressStore for one SQLite file; one instance can be shared by many threads."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_s: float = 3.0,
        migrations: Sequence[Sequence[str]] = MIGRATIONS,
    ) -> None:
        self.path = Path(path)
        self._migrations = migrations
        # One connection behind a lock: sqlite3 connections are not safe to use from two threads
        # at once, and Streamlit runs each browser session in its own thread.
        self._lock = threading.RLock()
        # Summaries are cached per learner and reused until the data changes: `_commits` counts
        # this connection's own commits, PRAGMA data_version changes when another one commits.
        self._commits = 0
        self._summaries: dict[str, tuple[tuple[int, int], Summary]] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as err:
            raise _unavailable(err) from err
        try:
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ProgressUnavailable("unavailable", f"journal mode is {mode}, not WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as err:
            self._conn.close()
            raise _unavailable(err) from err
        except ProgressUnavailable:
            self._conn.close()
            raise

    # --- transactions -------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as err:
                raise _unavailable(err) from err
            try:
                yield self._conn
                self._conn.execute("COMMIT")
                if write:
                    self._commits += 1
            except BaseException as err:
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the transaction is already gone; nothing was committed
                if isinstance(err, sqlite3.Error):
                    raise _unavailable(err) from err
                raise

    def schema_version(self) -> int:
        """The version of the schema in the file (len(MIGRATIONS) after opening)."""
        with self._transaction(write=False) as conn:
            return self._version(conn)

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if not exists:
            return 0
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        """Bring the file up to the newest schema, all steps in one transaction."""
        with self._transaction(write=True) as conn:
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
        """The learner with this display name, created if new; (learner, created).

        Raises NameRejected for an empty or too long name."""
        clean = clean_display_name(name)
        with self._transaction(write=True) as conn:
            row = conn.execute(
                "SELECT key, name, created_at FROM learners WHERE name_key = ?", (name_match_key(clean),)
            ).fetchone()
            if row:
                return Learner(*row), False
            learner = Learner(key=secrets.token_urlsafe(12), name=clean, created_at=time.time())
            self._insert_learner(conn, learner)
            return learner, True

    @staticmethod
    def _insert_learner(conn: sqlite3.Connection, learner: Learner) -> int:
        cursor = conn.execute(
            "INSERT INTO learners (key, name, name_key, created_at) VALUES (?, ?, ?, ?)",
            (learner.key, learner.name, name_match_key(learner.name), learner.created_at),
        )
        return int(cursor.lastrowid)

    def learner(self, key: str) -> Learner | None:
        """The learner with this key, or None."""
        if not isinstance(key, str):
            return None
        with self._transaction(write=False) as conn:
            row = conn.execute("SELECT key, name, created_at FROM learners WHERE key = ?", (key,)).fetchone()
        return Learner(*row) if row else None

    @staticmethod
    def _learner_id(conn: sqlite3.Connection, key: str) -> int:
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

    @staticmethod
    def _insert_event(conn: sqlite3.Connection, learner_id: int, event: Event) -> None:
        conn.execute(
            "INSERT INTO events (learner_id, kind, at, lesson, item, correct) VALUES (?, ?, ?, ?, ?, ?)",
            (
                learner_id,
                event.kind,
                float(event.at),
                event.lesson,
                event.item,
                None if event.correct is None else int(event.correct),
            ),
        )

    @staticmethod
    def _events(conn: sqlite3.Connection, learner_id: int) -> list[Event]:
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
            stamp = (int(conn.execute("PRAGMA data_version").fetchone()[0]), self._commits)
            cached = self._summaries.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            summary = self._compute_summary(conn, key)
            if len(self._summaries) > 256:
                self._summaries.clear()
            self._summaries[key] = (stamp, summary)
            return summary

    def _compute_summary(self, conn: sqlite3.Connection, key: str) -> Summary:
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
        # 'localtime': a day is the learner's calendar day, summer time included.
        per_day = rows(
            "SELECT date(at, 'unixepoch', 'localtime') AS day, COUNT(*) FROM events"
            " WHERE learner_id = ? GROUP BY day ORDER BY day"
        )

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
            per_day=tuple((dt.date.fromisoformat(day), int(count)) for day, count in per_day),
            total_events=sum(int(count) for _, count in per_day),
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
        restored (created on this machine if new). Events already present are not added twice, so
        importing the same file again changes nothing. Raises ImportRejected, changing nothing."""
        doc = parse_export(raw)
        if into_key is not None and doc.learner.key != into_key:
            raise ImportRejected("other_learner", "the file belongs to another learner")
        with self._transaction(write=True) as conn:
            row = conn.execute("SELECT id, key, name, created_at FROM learners WHERE key = ?",
                               (doc.learner.key,)).fetchone()
            if row is None:
                if into_key is not None:
                    raise UnknownLearner(into_key)
                taken = conn.execute(
                    "SELECT 1 FROM learners WHERE name_key = ?", (name_match_key(doc.learner.name),)
                ).fetchone()
                if taken:
                    raise ImportRejected("name_taken", "another learner here already has this name")
                learner = doc.learner
                learner_id = self._insert_learner(conn, learner)
                have: set[tuple] = set()
            else:
                learner_id, learner = int(row[0]), Learner(*row[1:])
                have = {self._identity(e) for e in self._events(conn, learner_id)}
            added = 0
            for event in doc.events:
                identity = self._identity(event)
                if identity not in have:
                    self._insert_event(conn, learner_id, event)
                    have.add(identity)
                    added += 1
        return learner, added

    @staticmethod
    def _identity(event: Event) -> tuple:
        return (event.kind, float(event.at), event.lesson, event.item, event.correct)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_store(data_dir: str | Path, **options: object) -> SQLiteProgressStore:
    """The progress store in `data_dir` (created if missing)."""
    return SQLiteProgressStore(Path(data_dir) / DB_FILE_NAME, **options)  # type: ignore[arg-type]
