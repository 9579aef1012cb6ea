"""Progress in an SQLite file on this computer (standard library sqlite3), built on sql.py.

Everything a store does is the shared logic in sql.py (`SQLProgressStore`); this module says how
SQLite does it: its schema steps, its connection, its transactions and how its errors are named.

Why the SQLite store is safe:
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

import sqlite3
import threading
import time
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tutor.progress.base import ProgressUnavailable
from tutor.progress.sql import Connection, SQLProgressStore

DB_FILE_NAME = "progress.sqlite3"

# MIGRATIONS[i] takes the schema from version i to i + 1. Never edit a released step; append.
# postgres.py has the same steps in PostgreSQL's types; both lists always have the same length
# (tests/test_progress_modules.py checks it).
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
    # 1 -> 2: PostgreSQL lets several learners have one name (see SQLProgressStore.shared). On this
    # computer a name stays one learner, so SQLite has nothing to change.
    (),
    # 2 -> 3: an SQLite file can be shared too (the progress_shared setting: the app served to
    # others), so SQLite lets two learners have one name as well. Where a name is the learner,
    # sign_in and import_json keep it to one learner themselves, inside their write transaction.
    # SQLite cannot drop a column's UNIQUE, so both tables are rebuilt, ids kept: events are copied
    # and dropped first, because dropping `learners` while events point at it would cascade-delete
    # them. Renaming learners_v3 rewrites the events' REFERENCES to `learners`.
    (
        "CREATE TABLE learners_v3 ("
        " id INTEGER PRIMARY KEY,"
        " key TEXT NOT NULL UNIQUE,"
        " name TEXT NOT NULL,"
        " name_key TEXT NOT NULL,"  # casefolded name, no longer unique
        " created_at REAL NOT NULL)",
        "INSERT INTO learners_v3 (id, key, name, name_key, created_at)"
        " SELECT id, key, name, name_key, created_at FROM learners",
        "CREATE TABLE events_v3 ("
        " id INTEGER PRIMARY KEY,"
        " learner_id INTEGER NOT NULL REFERENCES learners_v3(id) ON DELETE CASCADE,"
        " kind TEXT NOT NULL,"
        " at REAL NOT NULL,"
        " lesson TEXT,"
        " item TEXT,"
        " correct INTEGER)",
        "INSERT INTO events_v3 (id, learner_id, kind, at, lesson, item, correct)"
        " SELECT id, learner_id, kind, at, lesson, item, correct FROM events",
        "DROP TABLE events",
        "DROP TABLE learners",
        "ALTER TABLE learners_v3 RENAME TO learners",
        "ALTER TABLE events_v3 RENAME TO events",
        "CREATE INDEX events_by_learner_kind ON events (learner_id, kind, at)",
        "CREATE INDEX learners_by_name_key ON learners (name_key)",  # a name typed again, found fast
    ),
)


def _sqlite_unavailable(err: BaseException) -> ProgressUnavailable:
    """Name what went wrong with an SQLite file in one of a few words the UI can explain."""
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


def _switch_to_wal(conn: sqlite3.Connection, busy_timeout_s: float) -> str:
    """Put the file in WAL mode; the journal mode it ends up in.

    Switching a new file to WAL needs the file to itself for a moment, and SQLite reports "database
    is locked" at once, without its busy timeout, when another app process opens the same new file
    in that moment (4 apps starting together failed about 1 time in 30). So wait here instead, up
    to the same timeout. The mode is stored in the file: whoever switches first, the others find
    WAL already set."""
    deadline = time.monotonic() + busy_timeout_s
    pause_s = 0.005
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as err:
            if _sqlite_unavailable(err).code != "locked" or time.monotonic() + pause_s > deadline:
                raise
        time.sleep(pause_s)
        pause_s = min(pause_s * 2, 0.1)


class SQLiteProgressStore(SQLProgressStore):
    """The ProgressStore for one SQLite file; one instance can be shared by many threads."""

    MIGRATIONS = MIGRATIONS
    db_errors = (sqlite3.Error,)
    quarter_hour_sql = "CAST(at / 900 AS INTEGER)"  # `at` is positive: CAST truncates = floor
    version_table_sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_s: float = 3.0,
        migrations: Sequence[Sequence[str]] = MIGRATIONS,
        shared: bool = False,
    ) -> None:
        super().__init__(migrations)
        self.path = Path(path)
        # False: a file on this computer, a name typed again is the same learner. True: the app is
        # served to others (progress_shared), a name is a label as on PostgreSQL.
        self.shared = shared
        # One connection behind a lock: sqlite3 connections are not safe to use from two threads
        # at once, and Streamlit runs each browser session in its own thread. SQLite lets one
        # writer in at a time anyway, so a pool would not write faster.
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as err:
            raise _sqlite_unavailable(err) from err
        try:
            mode = _switch_to_wal(self._conn, busy_timeout_s)
            if str(mode).lower() != "wal":
                raise ProgressUnavailable("unavailable", f"journal mode is {mode}, not WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as err:
            self._conn.close()
            raise _sqlite_unavailable(err) from err
        except ProgressUnavailable:
            self._conn.close()
            raise

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        with self._lock:
            yield self._conn

    def _begin_sql(self, write: bool) -> str:
        # IMMEDIATE takes the write lock at once, so two writers queue instead of failing later.
        return "BEGIN IMMEDIATE" if write else "BEGIN"

    def _unavailable(self, err: BaseException) -> ProgressUnavailable:
        return _sqlite_unavailable(err)

    def _change_stamp(self, conn: Connection, key: str) -> Hashable:
        # PRAGMA data_version changes when another connection commits; `_commits` counts our own.
        return (int(conn.execute("PRAGMA data_version").fetchone()[0]), self._commits)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_store(data_dir: str | Path, **options: Any) -> SQLiteProgressStore:
    """The SQLite progress store in `data_dir` (created if missing)."""
    return SQLiteProgressStore(Path(data_dir) / DB_FILE_NAME, **options)
