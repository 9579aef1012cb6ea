"""Progress in PostgreSQL, for a classroom: several app replicas share one database.

Everything a store does is the shared logic in sql.py (`SQLProgressStore`); this module only
says how PostgreSQL differs from SQLite (sqlite.py):
- Types: BIGINT identity keys, DOUBLE PRECISION times (REAL would be 4 bytes and round the
  seconds), BOOLEAN answers. The migration steps match SQLite's one for one.
- Connections: a small pool (psycopg_pool) per app process. Streamlit serves every browser session
  in its own thread; with one shared connection they would queue behind each other's network round
  trips, while SQLite's single writer gains nothing from more. The pool bounds how many of the
  server's connections a replica may hold, checks a connection before lending it (a restarted
  server costs no failed quiz answer), and reconnects by itself.
- Learners: the database is shared, so names are not unique and every sign-in is a new learner
  (`shared = True`; why in sql.py). A learner comes back only with their key.
- Concurrency: writes run in READ COMMITTED; a new learner is inserted with ON CONFLICT DO NOTHING
  (two replicas restoring one exported file at once end with one learner), an import locks the learner
  row (FOR UPDATE) so two imports of one file cannot add its events twice, and reads run in one
  REPEATABLE READ READ ONLY snapshot, like SQLite's read transaction.
- Migrations hold a transaction-level advisory lock, so when two replicas start on an empty
  database one migrates and the other waits, then finds the schema current. DDL is transactional
  in PostgreSQL, so a failing step leaves the previous version intact, as in SQLite.
Failures are ProgressUnavailable: "unreachable" (server down or not answering), "bad_url" (wrong
URL, unknown database, login refused), "locked" (waited too long for a lock), "read_only",
"corrupt", "too_new", or "unavailable".
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from tutor.progress.base import ProgressUnavailable
from tutor.progress.sql import Connection, SQLProgressStore

# The same steps as sqlite.MIGRATIONS, in PostgreSQL's types, so every schema version exists for both
# databases (tests/test_progress_modules.py checks the lengths). Never edit a released step; append.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1: the first release.
    (
        "CREATE TABLE learners ("
        " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " key TEXT NOT NULL UNIQUE,"
        " name TEXT NOT NULL,"
        " name_key TEXT NOT NULL UNIQUE,"
        " created_at DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE events ("
        " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " learner_id BIGINT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,"
        " kind TEXT NOT NULL,"
        " at DOUBLE PRECISION NOT NULL,"
        " lesson TEXT,"
        " item TEXT,"
        " correct BOOLEAN)",
        "CREATE INDEX events_by_learner_kind ON events (learner_id, kind, at)",
    ),
    # 1 -> 2: names are labels on a shared server, not identities (see SQLProgressStore.shared):
    # two learners may both be "Mina". (PostgreSQL named the column's UNIQUE constraint.)
    ("ALTER TABLE learners DROP CONSTRAINT learners_name_key_key",),
    # 2 -> 3: SQLite drops its UNIQUE name too (an SQLite file can be shared: progress_shared);
    # PostgreSQL did that in 1 -> 2.
    (),
)

# Any fixed number works; it only has to be the same in every replica (and unlikely elsewhere).
MIGRATION_LOCK_ID = 0x6C6C6D5475746F72  # "llmTutor"

# SQLSTATE classes and codes -> the words the UI explains.
_BAD_URL = ("28", "3D")  # invalid authorization, invalid catalog (no such database)
_UNREACHABLE = ("08", "57P")  # connection exception, operator intervention (shutdown, restarting)
_LOCKED = ("55P03", "40P01", "40001")  # lock_not_available, deadlock, serialization failure
_READ_ONLY = ("25006", "42501")  # read-only transaction (a standby), insufficient privilege
_CORRUPT = ("XX001", "XX002")  # data corrupted, index corrupted


def _postgres_unavailable(err: BaseException) -> ProgressUnavailable:
    """Name what went wrong with the PostgreSQL server in one of the words the UI explains."""
    state = getattr(err, "sqlstate", None) or ""
    if isinstance(err, PoolTimeout):
        kind = "unreachable"
    elif state.startswith(_BAD_URL):
        kind = "bad_url"
    elif state.startswith(_UNREACHABLE):
        kind = "unreachable"
    elif state.startswith(_LOCKED):
        kind = "locked"
    elif state.startswith(_READ_ONLY):
        kind = "read_only"
    elif state.startswith(_CORRUPT):
        kind = "corrupt"
    elif isinstance(err, psycopg.OperationalError) and not state:
        # No SQLSTATE: the client could not connect or lost the connection (refused, timed out,
        # server closed it). The server's own refusals (password, database) and libpq's check of
        # the URL's values carry no SQLSTATE either on connect, so look at the message for those.
        text = str(err).lower()
        login = ("password authentication failed", "does not exist", "no pg_hba.conf entry", "role ",
                 "invalid", "connection option")
        kind = "bad_url" if any(word in text for word in login) else "unreachable"
    else:
        kind = "unavailable"
    return ProgressUnavailable(kind, str(err).strip()[:300])


class _QmarkConnection:
    """A psycopg connection that takes the shared SQL's `?` placeholders (psycopg wants %s)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> psycopg.Cursor:
        # The shared SQL never contains a literal % or ?, so the swap cannot change its meaning.
        return self._conn.execute(sql.replace("?", "%s"), parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), seq_of_parameters)


class PostgresProgressStore(SQLProgressStore):
    """The ProgressStore on a PostgreSQL database; one instance per app process, shared by threads."""

    MIGRATIONS = MIGRATIONS
    shared = True  # a server for a class: a name starts a new learner, the key brings one back
    db_errors = (psycopg.Error, PoolTimeout)
    lock_learner_row = " FOR UPDATE"
    quarter_hour_sql = "floor(at / 900)::bigint"  # a plain ::bigint would round, not floor
    version_table_sql = (
        "SELECT 1 FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_name = 'schema_version'"
    )

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_s: float = 3.0,
        connect_timeout_s: float = 5.0,
        pool_size: int = 4,
        migrations: Sequence[Sequence[str]] = MIGRATIONS,
    ) -> None:
        super().__init__(migrations)
        # The URL may hold the database password: the store keeps no copy of it (its pool needs it
        # to reconnect, and keeps it out of its repr), so a logged or printed store shows none.
        try:
            given = conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as err:
            # The driver's message does not repeat the URL (which may hold a password).
            raise ProgressUnavailable("bad_url", str(err).strip()[:300]) from None
        # lock_timeout is PostgreSQL's busy timeout: how long a statement waits for a lock
        # before it fails (as "locked") instead of hanging a learner's page. Added to the URL's
        # own server options (e.g. a search_path), which a plain keyword would replace.
        lock_timeout = f"-c lock_timeout={max(1, round(busy_timeout_s * 1000))}ms"
        options = {
            "autocommit": True,  # transactions are opened and closed explicitly (_begin_sql)
            "connect_timeout": max(1, round(connect_timeout_s)),
            "options": f"{given.get('options') or ''} {lock_timeout}".strip(),
        }
        # First one plain connection, so a wrong URL or a server that is down is reported with the
        # server's own reason (a pool would only say it timed out); it runs the migrations too.
        self._first: psycopg.Connection | None = None
        try:
            with psycopg.connect(url, **options) as first:  # type: ignore[arg-type]
                self._first = first
                self._migrate()
        except psycopg.Error as err:
            raise _postgres_unavailable(err) from err
        finally:
            self._first = None
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs=options,
            timeout=connect_timeout_s,  # how long a session waits for a free (or new) connection
            check=ConnectionPool.check_connection,
            open=False,
            name="llm-tutor-progress",
        )
        self._pool.open(wait=False)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        if self._first is not None:  # during __init__: the migration's own connection
            yield _QmarkConnection(self._first)
            return
        try:
            conn = self._pool.getconn()  # checked first (see `check` above)
        except (psycopg.Error, PoolTimeout) as err:
            raise _postgres_unavailable(err) from err
        try:
            yield _QmarkConnection(conn)
        finally:
            self._pool.putconn(conn)  # a broken connection is dropped and replaced by the pool

    def _begin_sql(self, write: bool) -> str:
        # Reads see one snapshot (like SQLite's read transaction); writes see each other's commits
        # statement by statement, which is what ON CONFLICT and FOR UPDATE above rely on.
        return "BEGIN ISOLATION LEVEL READ COMMITTED" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def _unavailable(self, err: BaseException) -> ProgressUnavailable:
        return _postgres_unavailable(err)

    def _lock_for_migration(self, conn: Connection) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_ID,))

    def _change_stamp(self, conn: Connection, key: str) -> Hashable:
        # Other replicas write too, so ask the data itself. Events are only ever added (with
        # growing ids) or all deleted by reset(), so (how many, highest id) changes with every
        # change of a learner's events.
        return tuple(conn.execute(
            "SELECT COUNT(e.id), MAX(e.id) FROM learners l LEFT JOIN events e ON e.learner_id = l.id"
            " WHERE l.key = ?",
            (key,),
        ).fetchone())

    def close(self) -> None:
        self._pool.close()
