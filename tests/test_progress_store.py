"""The progress store: every record kind, concurrency, crashes, migrations, export / import, failures.

Every test that takes `backend` or `store` runs three times: on SQLite as on one computer, on SQLite
served to others (progress_shared: names are labels), and on PostgreSQL (a throwaway server, see
tests/pg_cluster.py; skipped with the reason when none can be had). Tests about files (corrupt,
read-only, an empty file) are SQLite's alone; tests about a server (down, bad URL) are PostgreSQL's.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.pg_cluster import Cluster, PostgresMissing, new_schema_url, shared_database, throwaway_cluster
from tutor.config import load_settings
from tutor.progress import (
    Event,
    ImportRejected,
    NameRejected,
    ProgressStore,
    ProgressUnavailable,
    SQLiteProgressStore,
    UnknownLearner,
    is_shared_database,
    open_progress_store,
    open_store,
    transfer,
)
from tutor.progress.names import MAX_NAME_CHARS, clean_display_name
from tutor.progress.sqlite import DB_FILE_NAME, MIGRATIONS

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_767_225_600.0  # 2026-01-01, a fixed time so tests do not depend on the clock


def every_kind() -> list[Event]:
    """One event of every kind, with every field each kind uses."""
    return [
        Event("lesson_read", T0 + 1, lesson="where-llms-fit"),
        Event("quiz_answer", T0 + 2, lesson="where-llms-fit", item="q1", correct=False),
        Event("quiz_answer", T0 + 3, lesson="where-llms-fit", item="q1", correct=True),
        Event("quiz_answer", T0 + 4, lesson="where-llms-fit", item="q2", correct=False),
        Event("practice_passed", T0 + 5, item="prompt-role"),
        Event("practice_passed", T0 + 6, lesson="prompting", item="prompt-format"),
        Event("tutor_question", T0 + 7, lesson="where-llms-fit", item="deep-learning"),
        Event("tutor_question", T0 + 8),
        Event("placement", T0 + 9, item="known", lesson="where-llms-fit"),
        Event("placement", T0 + 10, item="start", lesson="ml-finds-patterns"),
    ]


# --- the two backends ----------------------------------------------------------------------------


class SQLiteBackend:
    """Places are folders; a store is the SQLite file in one, used on this computer."""

    name = "sqlite"
    migrations = MIGRATIONS
    shared = False  # the progress_shared setting this backend's stores are opened with
    is_file = True

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.opened: list[ProgressStore] = []  # closed when the test ends

    def place(self, name: str = "main") -> str:
        return str(self.tmp_path / name)

    def settings(self, place: str) -> tuple[str, str]:
        """(progress_db_url, data_dir) that choose this place."""
        return "", place

    def open(self, place: str, **options) -> ProgressStore:
        self.opened.append(open_store(place, shared=self.shared, **options))
        return self.opened[-1]

    def query(self, place: str, sql: str) -> list[tuple]:
        """Run SQL straight on the database, outside the store (committed)."""
        with closing(sqlite3.connect(Path(place) / DB_FILE_NAME)) as conn, conn:
            return conn.execute(sql).fetchall()

    def columns(self, place: str, table: str) -> list[str]:
        return [row[1] for row in self.query(place, f"PRAGMA table_info({table})")]

    def tables(self, place: str) -> set[str]:
        return {row[0] for row in self.query(place, "SELECT name FROM sqlite_master WHERE type = 'table'")}

    @contextmanager
    def writes_blocked(self, place: str) -> Iterator[None]:
        """Another connection holds the write lock for the duration of the block."""
        blocker = sqlite3.connect(Path(place) / DB_FILE_NAME, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()


class SharedSQLiteBackend(SQLiteBackend):
    """The SQLite file of an app served to others (progress_shared): names are labels there."""

    name = "sqlite_shared"
    shared = True


class PostgresBackend(SQLiteBackend):
    """Places are schemas of the run's throwaway database; a store is one schema's tables."""

    name = "postgres"
    shared = True  # always, whatever progress_shared says
    is_file = False

    def __init__(self, database_url: str) -> None:
        from tutor.progress.postgres import MIGRATIONS as PG_MIGRATIONS

        self.database_url = database_url
        self.migrations = PG_MIGRATIONS
        self._places: dict[str, str] = {}
        self.opened = []

    def place(self, name: str = "main") -> str:
        if name not in self._places:
            self._places[name] = new_schema_url(self.database_url)
        return self._places[name]

    def settings(self, place: str) -> tuple[str, str]:
        return place, str(ROOT / "no-such-folder")  # the folder must not be used

    def open(self, place: str, **options) -> ProgressStore:
        self.opened.append(open_progress_store(place, ROOT / "no-such-folder", **options))
        return self.opened[-1]

    def query(self, place: str, sql: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(place, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def columns(self, place: str, table: str) -> list[str]:
        return [row[0] for row in self.query(
            place, "SELECT column_name FROM information_schema.columns"
                   f" WHERE table_schema = current_schema() AND table_name = '{table}'")]

    def tables(self, place: str) -> set[str]:
        return {row[0] for row in self.query(
            place, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}

    @contextmanager
    def writes_blocked(self, place: str) -> Iterator[None]:
        import psycopg

        with psycopg.connect(place) as blocker:  # one transaction, rolled back when the block ends
            blocker.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            yield
            blocker.rollback()


@pytest.fixture
def pg_database() -> str:
    """The test run's throwaway PostgreSQL database (skips the postgres tests without one)."""
    try:
        return shared_database()
    except PostgresMissing as err:
        pytest.skip(f"PostgreSQL tests skipped: {err}")


@pytest.fixture(params=["sqlite", "sqlite_shared", "postgres"])
def backend(request, tmp_path) -> Iterator[SQLiteBackend]:
    if request.param == "postgres":
        chosen = PostgresBackend(request.getfixturevalue("pg_database"))
    else:
        chosen = (SharedSQLiteBackend if request.param == "sqlite_shared" else SQLiteBackend)(tmp_path)
    yield chosen
    for store in chosen.opened:
        store.close()  # a second close() is harmless


@pytest.fixture
def store(backend) -> ProgressStore:
    return backend.open(backend.place())


def test_every_record_kind_round_trips_and_is_summarised(store):
    mina, created = store.sign_in("Mina")
    assert created
    store.record_many(mina.key, every_kind())
    assert store.events(mina.key) == every_kind()
    summary = store.summary(mina.key)
    assert summary.lessons_read == {"where-llms-fit"}
    score = summary.quiz["where-llms-fit"]
    assert (score.correct, score.answered, score.attempts) == (1, 2, 3)  # q1 fixed on retry, q2 still wrong
    assert summary.practice_passed == {"prompt-role", "prompt-format"}
    assert summary.tutor_questions == 2
    assert summary.known_lessons == {"where-llms-fit"}
    assert (summary.placement, summary.placement_start) == ("done", "ml-finds-patterns")
    assert summary.total_events == len(every_kind()) == sum(n for _, n in summary.per_day)


def test_learners_do_not_see_each_others_progress(store):
    mina, _ = store.sign_in("Mina")
    jun, _ = store.sign_in("Jun")
    store.record(mina.key, Event("lesson_read", T0, lesson="where-llms-fit"))
    assert store.events(jun.key) == []
    assert store.summary(jun.key).lessons_read == frozenset()
    assert store.learner(mina.key) == mina


# On this computer a name is the learner; on a shared server (or an app served to others) it is
# only a label.
NAME_FINDS_THE_LEARNER = {"sqlite": True, "sqlite_shared": False, "postgres": False}


def test_where_progress_is_stored_follows_the_database_url_and_the_shared_setting(backend):
    url, data = backend.settings(backend.place())
    store = backend.open(backend.place())
    assert is_shared_database(url, backend.shared) is store.shared is (not NAME_FINDS_THE_LEARNER[backend.name])
    chosen = open_progress_store(url, data, shared=backend.shared)
    backend.opened.append(chosen)
    assert isinstance(chosen, type(store)) and chosen.shared is store.shared


def test_a_name_typed_again_is_the_same_learner_on_this_computer_and_a_new_one_on_a_server(backend, store):
    mina, _ = store.sign_in("Mina")
    store.record(mina.key, Event("lesson_read", T0, lesson="where-llms-fit"))
    again, created = store.sign_in("  mina ")
    if NAME_FINDS_THE_LEARNER[backend.name]:
        assert (again, created) == (mina, False)
    else:
        assert created and again.key != mina.key and again.name == "mina"
        # The second "Mina" sees none of the first one's progress, and writes none into it.
        assert store.events(again.key) == [] and store.summary(again.key).lessons_read == frozenset()
        store.record(again.key, Event("tutor_question", T0 + 1))
        assert store.events(mina.key) == [Event("lesson_read", T0, lesson="where-llms-fit")]
        assert store.sign_in("Mina")[0].key not in {mina.key, again.key}  # a third time: a third learner
    assert store.learner(mina.key) == mina  # the key always brings the first learner back
    assert store.summary(mina.key).lessons_read == {"where-llms-fit"}


def test_events_per_day_count_each_local_calendar_day(store):
    mina, _ = store.sign_in("Mina")
    day = 86_400
    store.record_many(mina.key, [Event("tutor_question", T0 + 12 * 3600 + d * day) for d in (0, 0, 1, 3, 3, 3)])
    assert [n for _, n in store.summary(mina.key).per_day] == [2, 1, 3]
    days = [d for d, _ in store.summary(mina.key).per_day]
    assert (days[1] - days[0]).days == 1 and (days[2] - days[1]).days == 2


def test_a_cached_summary_follows_changes_from_this_and_other_connections(backend):
    first, second = backend.open(backend.place()), backend.open(backend.place())
    mina, _ = first.sign_in("Mina")
    assert first.summary(mina.key).tutor_questions == 0
    second.record(mina.key, Event("tutor_question", T0))  # e.g. another process
    assert first.summary(mina.key).tutor_questions == 1
    first.record(mina.key, Event("tutor_question", T0 + 1))
    assert first.summary(mina.key).tutor_questions == 2
    second.reset(mina.key)
    assert first.summary(mina.key).tutor_questions == 0
    assert first.summary(mina.key) is first.summary(mina.key)  # unchanged data: the cached summary


def test_reset_deletes_the_learners_events_only(store):
    mina, _ = store.sign_in("Mina")
    jun, _ = store.sign_in("Jun")
    store.record_many(mina.key, every_kind())
    store.record_many(jun.key, every_kind())
    store.reset(mina.key)
    assert store.events(mina.key) == [] and store.learner(mina.key) == mina
    assert store.events(jun.key) == every_kind()


def test_unknown_learner_key_is_refused(store):
    with pytest.raises(UnknownLearner):
        store.record("no-such-learner", Event("lesson_read", T0, lesson="x"))
    assert store.learner("no-such-learner") is None


def test_sql_in_names_and_ids_is_stored_as_text_not_run(store):
    name = "Robert'); DROP TABLE events;--"
    bobby, _ = store.sign_in(name)
    store.record(bobby.key, Event("practice_passed", T0, item="x');DELETE-FROM-events"))
    assert store.learner(bobby.key).name == name
    assert store.events(bobby.key)[0].item == "x');DELETE-FROM-events"


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("  Mina  ", "Mina"),
        ("김 민아", "김 민아"),
        ("<b>Mina</b>", "Mina"),
        ("<script>alert(1)</script>Jun", "alert(1) Jun"),
        ("Mi\x00na\x1b[31m", "Mina[31m"),
        ("Mina\u202egnp.exe", "Minagnp.exe"),  # a right-to-left override would disguise the name
        ("Mi\tna\nKim", "Mi na Kim"),
        ("a < b", "a b"),
    ],
)
def test_display_names_are_cleaned(raw, cleaned):
    assert clean_display_name(raw) == cleaned


@pytest.mark.parametrize(
    "raw, code",
    [("", "empty"), ("   ", "empty"), ("<p></p>", "empty"), ("\x00\x01\u200b", "empty"), (None, "empty"),
     ("x" * (MAX_NAME_CHARS + 1), "too_long"), ("y" * 1_000_000, "too_long")],
)
def test_bad_display_names_are_refused_and_nothing_is_stored(backend, store, raw, code):
    with pytest.raises(NameRejected) as err:
        store.sign_in(raw)
    assert err.value.code == code
    assert backend.query(backend.place(), "SELECT COUNT(*) FROM learners") == [(0,)]


def test_a_failing_batch_is_rolled_back_completely(store):
    mina, _ = store.sign_in("Mina")
    store.record(mina.key, Event("lesson_read", T0, lesson="a"))
    batch = [Event("lesson_read", T0 + 1, lesson="b"), Event("quiz_answer", T0 + 2, lesson="b")]  # no item
    with pytest.raises(ValueError):
        store.record_many(mina.key, batch)
    assert store.events(mina.key) == [Event("lesson_read", T0, lesson="a")]


# --- concurrency -------------------------------------------------------------------------------


def test_two_writer_threads_with_their_own_connections_lose_nothing(backend):
    first, second = backend.open(backend.place()), backend.open(backend.place())
    mina, _ = first.sign_in("Mina")
    per_writer = 150

    def write(store: ProgressStore, tag: str) -> None:
        for i in range(per_writer):
            store.record(mina.key, Event("practice_passed", T0 + i, item=f"{tag}-{i}"))

    threads = [threading.Thread(target=write, args=(s, tag)) for s, tag in ((first, "a"), (second, "b"),
                                                                               (first, "c"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    items = {e.item for e in second.events(mina.key)}
    assert items == {f"{tag}-{i}" for tag in "abc" for i in range(per_writer)}
    first.close()
    second.close()


def test_replicas_writing_at_once_for_shared_and_own_learners_lose_nothing_and_duplicate_no_one(backend):
    """Like a classroom: four app replicas (own stores) write at once for one learner they all
    serve (Mina, by her key), and each signs in the same new name "Jun" and its own learner at the
    same moment. On this computer the four "Jun"s are one learner; on a server, four."""
    place = backend.place()
    mina, _ = backend.open(place).sign_in("Mina")
    replicas, per_learner = 4, 30
    start = threading.Barrier(replicas, timeout=60)  # a replica that fails breaks it: no hang
    failures: list[BaseException] = []
    juns: list[str] = []
    owns: dict[int, str] = {}

    def replica(n: int) -> None:
        store = None
        try:
            store = backend.open(place, busy_timeout_s=30)
            start.wait()
            jun, _ = store.sign_in("Jun")
            own, _ = store.sign_in(f"Student {n}")
            juns.append(jun.key)
            owns[n] = own.key
            for i in range(per_learner):
                store.record(mina.key, Event("practice_passed", T0 + i, item=f"r{n}-{i}"))
                store.record(jun.key, Event("practice_passed", T0 + i, item=f"j{n}-{i}"))
                store.record_many(own.key, [Event("tutor_question", T0 + i), Event("lesson_read", T0 + i, lesson="a")])
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            failures.append(err)
            start.abort()
        finally:
            if store is not None:
                store.close()

    threads = [threading.Thread(target=replica, args=(n,)) for n in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    one_jun = NAME_FINDS_THE_LEARNER[backend.name]
    assert len(set(juns)) == (1 if one_jun else replicas)
    learners = 1 + replicas + len(set(juns))  # Mina, the students, the Juns
    assert backend.query(place, "SELECT COUNT(*) FROM learners") == [(learners,)]
    check = backend.open(place)
    items = [e.item for e in check.events(mina.key)]
    assert sorted(items) == sorted(f"r{n}-{i}" for n in range(replicas) for i in range(per_learner))
    jun_items = sorted(e.item for key in set(juns) for e in check.events(key))
    assert jun_items == sorted(f"j{n}-{i}" for n in range(replicas) for i in range(per_learner))
    if not one_jun:  # each Jun has exactly the events of the replica that created them
        assert all(len({e.item[:2] for e in check.events(key)}) == 1 for key in juns)
    for n in range(replicas):
        summary = check.summary(owns[n])
        assert (summary.tutor_questions, summary.total_events) == (per_learner, 2 * per_learner)


def test_the_same_file_imported_by_several_replicas_at_once_is_added_once(backend):
    here = backend.open(backend.place("laptop"))
    mina, _ = here.sign_in("Mina")
    here.record_many(mina.key, every_kind()[:3])
    early = here.export_json(mina.key)
    here.record_many(mina.key, every_kind()[3:] * 20)  # later events, each one twenty-fold
    full = here.export_json(mina.key)
    place = backend.place("classroom")
    stores = [backend.open(place, busy_timeout_s=30) for _ in range(3)]
    assert stores[0].import_json(early, into_key=None) == (mina, 3)  # Mina already has some progress here
    start = threading.Barrier(len(stores), timeout=60)
    added: list[int] = []
    failures: list[BaseException] = []

    def merge(store: ProgressStore) -> None:
        start.wait()
        try:
            added.append(store.import_json(full, into_key=mina.key)[1])
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            failures.append(err)

    threads = [threading.Thread(target=merge, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    # Identical events count once, as on one machine: one import adds the rest, the others nothing.
    assert sorted(added) == [0, 0, len(every_kind()) - 3]
    assert stores[0].events(mina.key) == every_kind()
    assert backend.query(place, "SELECT COUNT(*) FROM learners") == [(1,)]


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from tutor.progress import Event, open_progress_store
    store = open_progress_store({url!r}, {data!r}, busy_timeout_s=30)
    for i in range({count}):
        store.record({key!r}, Event("practice_passed", {t0} + i, item="{tag}-%d" % i))
    """
)


def test_two_writer_processes_lose_nothing(backend, store):
    url, data = backend.settings(backend.place())
    mina, _ = store.sign_in("Mina")
    count = 150
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), url=url, data=data, count=count,
                                                              key=mina.key, t0=T0, tag=tag)])
        for tag in ("p1", "p2")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    items = [e.item for e in store.events(mina.key)]
    assert len(items) == 2 * count
    assert set(items) == {f"{tag}-{i}" for tag in ("p1", "p2") for i in range(count)}


CRASHER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from tutor.progress import Event, open_progress_store
    store = open_progress_store({url!r}, {data!r})
    store.record({key!r}, Event("lesson_read", {t0}, lesson="committed"))

    def events_then_crash():
        yield Event("lesson_read", {t0} + 1, lesson="lost-1")
        yield Event("lesson_read", {t0} + 2, lesson="lost-2")
        os._exit(7)  # the process dies inside the open transaction

    store.record_many({key!r}, events_then_crash())
    """
)


def test_a_crash_mid_transaction_leaves_the_last_committed_state(backend):
    place = backend.place()
    url, data = backend.settings(place)
    store = backend.open(place)
    mina, _ = store.sign_in("Mina")
    store.record(mina.key, Event("lesson_read", T0 - 1, lesson="before"))
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHER.format(root=str(ROOT), url=url, data=data, key=mina.key, t0=T0)],
        timeout=60,
    )
    assert crashed.returncode == 7
    store.close()
    reopened = backend.open(place)
    assert [e.lesson for e in reopened.events(mina.key)] == ["before", "committed"]
    if backend.is_file:  # PostgreSQL checks its own pages; SQLite's file is ours to check
        assert backend.query(place, "PRAGMA integrity_check") == [("ok",)]
    reopened.record(mina.key, Event("lesson_read", T0 + 3, lesson="after"))  # still writable
    assert len(reopened.events(mina.key)) == 3


# --- schema and migrations ---------------------------------------------------------------------


def test_a_new_database_is_migrated_to_the_current_schema_once(backend):
    place = backend.place()
    store = backend.open(place)
    assert store.schema_version() == len(backend.migrations) == len(MIGRATIONS)
    assert {"schema_version", "learners", "events"} <= backend.tables(place)
    mina, _ = store.sign_in("Mina")
    store.record(mina.key, Event("lesson_read", T0, lesson="a"))
    store.close()
    assert backend.open(place).events(mina.key) == [Event("lesson_read", T0, lesson="a")]  # reopen: no re-migration
    assert backend.query(place, "SELECT version FROM schema_version") == [(len(MIGRATIONS),)]


def test_an_empty_sqlite_file_is_migrated_to_the_current_schema_in_wal_mode(tmp_path):
    (tmp_path / DB_FILE_NAME).write_bytes(b"")  # an empty file, as a failed first start may leave
    store = open_store(tmp_path)
    assert store.schema_version() == len(MIGRATIONS)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"schema_version", "learners", "events"} <= tables
    mina, _ = store.sign_in("Mina")
    store.record(mina.key, Event("lesson_read", T0, lesson="a"))
    store.close()
    assert open_store(tmp_path).events(mina.key) == [Event("lesson_read", T0, lesson="a")]  # reopen: no re-migration


def test_a_new_file_another_app_is_writing_to_waits_for_it_instead_of_saying_locked(tmp_path):
    """Switching a new file to WAL got "database is locked" at once, without the busy timeout,
    when another app held a write on it; four apps starting together failed 1 time in 30."""
    other_app = sqlite3.connect(tmp_path / DB_FILE_NAME, isolation_level=None, check_same_thread=False)
    other_app.execute("BEGIN IMMEDIATE")
    other_app.execute("CREATE TABLE other (x)")
    finishes = threading.Timer(0.3, lambda: other_app.execute("COMMIT"))
    finishes.start()
    try:
        store = open_store(tmp_path, busy_timeout_s=10)
    finally:
        finishes.join()
        other_app.close()
    assert store.schema_version() == len(MIGRATIONS)
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_a_new_file_held_longer_than_the_busy_timeout_gives_the_locked_error(tmp_path):
    other_app = sqlite3.connect(tmp_path / DB_FILE_NAME, isolation_level=None)
    other_app.execute("BEGIN IMMEDIATE")
    other_app.execute("CREATE TABLE other (x)")
    started = time.monotonic()
    with pytest.raises(ProgressUnavailable) as err:
        open_store(tmp_path, busy_timeout_s=0.3)
    assert err.value.code == "locked" and time.monotonic() - started >= 0.25
    other_app.execute("COMMIT")
    other_app.close()


def test_a_later_migration_upgrades_an_older_schema_and_keeps_its_data(backend):
    place = backend.place()
    first = backend.open(place)
    mina, _ = first.sign_in("Mina")
    first.record_many(mina.key, every_kind())
    first.close()
    later = tuple(backend.migrations) + (("ALTER TABLE learners ADD COLUMN avatar TEXT",
                                          "UPDATE learners SET avatar = 'default'"),)
    upgraded = backend.open(place, migrations=later)
    assert upgraded.schema_version() == len(MIGRATIONS) + 1
    assert upgraded.events(mina.key) == every_kind()
    assert backend.query(place, "SELECT avatar FROM learners") == [("default",)]
    upgraded.close()
    assert backend.open(place, migrations=later).schema_version() == len(MIGRATIONS) + 1  # idempotent


def test_a_first_release_database_is_upgraded_with_its_learners_and_progress(backend):
    """Version 1 kept names unique everywhere; version 2 lets a server have two learners called Mina."""
    place = backend.place()
    first = backend.open(place, migrations=backend.migrations[:1])
    mina, _ = first.sign_in("Mina")
    first.record_many(mina.key, every_kind())
    first.close()
    upgraded = backend.open(place)
    assert upgraded.schema_version() == len(MIGRATIONS) >= 2
    assert upgraded.learner(mina.key) == mina and upgraded.events(mina.key) == every_kind()
    again, created = upgraded.sign_in("Mina")
    assert (again == mina) is NAME_FINDS_THE_LEARNER[backend.name] is (not created)
    assert upgraded.events(mina.key) == every_kind()


@pytest.mark.parametrize("shared", [False, True], ids=["on this computer", "served to others"])
def test_a_version_2_sqlite_file_loses_its_unique_names_and_keeps_every_learner_event_and_link(tmp_path, shared):
    """Version 3 rebuilds both SQLite tables (SQLite cannot drop a UNIQUE): nothing may be lost,
    and events must still belong to, and be deleted with, their learner."""
    old = open_store(tmp_path, migrations=MIGRATIONS[:2])
    mina, _ = old.sign_in("Mina")
    jun, _ = old.sign_in("Jun")
    old.record_many(mina.key, every_kind())
    old.record(jun.key, Event("tutor_question", T0))
    old.close()
    path = tmp_path / DB_FILE_NAME
    with closing(sqlite3.connect(path)) as conn:
        learners_before = conn.execute("SELECT * FROM learners ORDER BY id").fetchall()
        events_before = conn.execute("SELECT * FROM events ORDER BY id").fetchall()

    upgraded = open_store(tmp_path, shared=shared)
    assert upgraded.schema_version() == len(MIGRATIONS) == 3
    assert upgraded.events(mina.key) == every_kind()
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT * FROM learners ORDER BY id").fetchall() == learners_before  # ids kept
        assert conn.execute("SELECT * FROM events ORDER BY id").fetchall() == events_before
        links = conn.execute("PRAGMA foreign_key_list(events)").fetchall()
        assert [(row[2], row[3], row[4], row[6]) for row in links] == [("learners", "learner_id", "id", "CASCADE")]
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"events_by_learner_kind", "learners_by_name_key"} <= indexes
        unique = [[col[2] for col in conn.execute(f"PRAGMA index_info('{row[1]}')")]
                  for row in conn.execute("PRAGMA index_list(learners)") if row[2]]
        assert unique == [["key"]]  # the name is no longer unique; the key still is
    again, created = upgraded.sign_in("mina")
    assert (again == mina) is (not shared) is (not created)
    assert upgraded.events(mina.key) == every_kind()  # a second Mina (served to others) took nothing
    upgraded.close()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DELETE FROM learners WHERE key = ?", (jun.key,))
    assert open_store(tmp_path).events(mina.key) == every_kind()
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == len(every_kind())  # Jun's went with him


def test_a_file_once_served_to_others_finds_the_first_learner_of_a_name_on_this_computer(tmp_path):
    served = open_store(tmp_path, shared=True)
    first, _ = served.sign_in("Mina")
    second, _ = served.sign_in("mina")
    assert first.key != second.key
    served.close()
    here = open_store(tmp_path)
    assert here.sign_in("MINA") == (first, False)
    doc = json.loads(here.export_json(second.key))
    doc["learner"]["key"] = "Zz" * 8  # a third Mina's file cannot take the name here
    with pytest.raises(ImportRejected) as err:
        here.import_json(json.dumps(doc), into_key=None)
    assert err.value.code == "name_taken"
    here.close()


def test_a_failing_migration_changes_nothing(backend):
    place = backend.place()
    backend.open(place).close()
    broken = tuple(backend.migrations) + (("ALTER TABLE learners ADD COLUMN avatar TEXT", "THIS IS NOT SQL"),)
    with pytest.raises(ProgressUnavailable):
        backend.open(place, migrations=broken)
    assert "avatar" not in backend.columns(place, "learners")
    assert "name" in backend.columns(place, "learners")
    assert backend.open(place).schema_version() == len(MIGRATIONS)


def test_replicas_starting_at_once_on_an_empty_database_migrate_it_once(backend):
    place = backend.place()
    later = tuple(backend.migrations) + (("ALTER TABLE learners ADD COLUMN avatar TEXT",),)
    opened: list[ProgressStore] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4, timeout=60)

    def start_replica() -> None:
        start.wait()
        try:
            opened.append(backend.open(place, migrations=later, busy_timeout_s=30))
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            failures.append(err)

    replicas = [threading.Thread(target=start_replica) for _ in range(4)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join(timeout=120)
    assert failures == [] and len(opened) == 4
    assert backend.query(place, "SELECT version FROM schema_version") == [(len(MIGRATIONS) + 1,)]
    assert backend.columns(place, "learners").count("avatar") == 1
    for store in opened:
        store.close()


def test_a_database_from_a_newer_app_is_refused_as_too_new(backend):
    place = backend.place()
    backend.open(place).close()
    backend.query(place, "UPDATE schema_version SET version = 99")
    with pytest.raises(ProgressUnavailable) as err:
        backend.open(place)
    assert err.value.code == "too_new"


# --- export and import -------------------------------------------------------------------------


def test_export_then_import_on_another_machine_gives_equal_progress(backend):
    here = backend.open(backend.place("laptop"))
    mina, _ = here.sign_in("김민아")
    here.record_many(mina.key, every_kind())
    exported = here.export_json(mina.key)

    there = backend.open(backend.place("classroom"))
    restored, added = there.import_json(exported, into_key=None)
    assert restored == mina and added == len(every_kind())
    assert there.events(mina.key) == here.events(mina.key)
    assert there.summary(mina.key) == here.summary(mina.key)
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k != "exported_at"}  # noqa: E731
    assert strip(there.export_json(mina.key)) == strip(exported)
    # Importing the same file again adds nothing.
    assert there.import_json(exported.encode("utf-8"), into_key=mina.key) == (mina, 0)
    assert len(there.events(mina.key)) == len(every_kind())


def test_import_merges_new_events_into_existing_progress(store):
    mina, _ = store.sign_in("Mina")
    store.record_many(mina.key, every_kind()[:4])
    doc = json.loads(store.export_json(mina.key))
    doc["events"] += [transfer.event_as_dict(e) for e in every_kind()[4:]]
    assert store.import_json(json.dumps(doc), into_key=mina.key)[1] == len(every_kind()) - 4
    assert store.events(mina.key) == every_kind()


def _valid_doc(store) -> tuple[dict, str]:
    mina, _ = store.sign_in("Mina")
    store.record_many(mina.key, every_kind())
    return json.loads(store.export_json(mina.key)), mina.key


def _event(doc: dict, **changes) -> dict:
    doc["events"][1].update(changes)
    return doc


def _deep(n: int) -> str:
    return "[" * n + "]" * n


HOSTILE = {
    "not JSON": lambda doc: b"\x89PNG\r\n\x1a\n not json",
    "not UTF-8": lambda doc: "{}".encode("utf-16"),
    "truncated": lambda doc: json.dumps(doc)[:-20],
    "a list, not an object": lambda doc: json.dumps([doc]),
    "another format": lambda doc: json.dumps({**doc, "format": "other-app"}),
    "unknown version": lambda doc: json.dumps({**doc, "version": 2}),
    "version as bool": lambda doc: json.dumps({**doc, "version": True}),
    "extra top-level key": lambda doc: json.dumps({**doc, "learners": []}),
    "events not a list": lambda doc: json.dumps({**doc, "events": {"0": {}}}),
    "time as text": lambda doc: json.dumps(_event(doc, at="yesterday")),
    "time as bool": lambda doc: json.dumps(_event(doc, at=True)),
    "time in the future": lambda doc: json.dumps(_event(doc, at=time.time() + 10 * 86_400)),
    "time before the app existed": lambda doc: json.dumps(_event(doc, at=0)),
    "NaN time": lambda doc: json.dumps(doc).replace(f'"at": {doc["events"][1]["at"]}', '"at": NaN', 1),
    "correct as text": lambda doc: json.dumps(_event(doc, correct="yes")),
    "correct as number": lambda doc: json.dumps(_event(doc, correct=1)),
    "unknown kind": lambda doc: json.dumps(_event(doc, kind="admin")),
    "lesson as number": lambda doc: json.dumps(_event(doc, lesson=7)),
    "SQL in an id": lambda doc: json.dumps(_event(doc, lesson="x'); DROP TABLE events;--")),
    "huge id": lambda doc: json.dumps(_event(doc, item="q" * 10_000)),
    "other learner's id in an event": lambda doc: json.dumps(_event(doc, learner_id=1)),
    "quiz answer without result": lambda doc: json.dumps({**doc, "events": [{"kind": "quiz_answer", "at": T0,
                                                                              "lesson": "a", "item": "q1"}]}),
    "placement with an unknown item": lambda doc: json.dumps(_event(doc, kind="placement", item="admin",
                                                                    correct=None)),
    "duplicate keys": lambda doc: '{"format": "llm-tutor-progress", "format": "x"}',
    "deeply nested": lambda doc: '{"format": "llm-tutor-progress", "version": 1, "events": ' + _deep(100_000) + "}",
    "huge file": lambda doc: json.dumps({**doc, "padding": "x" * (transfer.MAX_IMPORT_BYTES + 1)}),
    "learner name only HTML": lambda doc: json.dumps({**doc, "learner": {**doc["learner"], "name": "<p></p>"}}),
    "learner key with SQL": lambda doc: json.dumps({**doc, "learner": {**doc["learner"], "key": "x' OR 1=1 --"}}),
}


# Why each file is refused: the UI explains the code to the learner.
HOSTILE_CODE = {
    "not JSON": "not_json", "not UTF-8": "not_json", "truncated": "not_json", "NaN time": "not_json",
    "duplicate keys": "not_json", "deeply nested": "not_json", "huge file": "too_large",
    "a list, not an object": "wrong_format", "another format": "wrong_format",
    "extra top-level key": "wrong_format", "events not a list": "wrong_format",
    "learner name only HTML": "wrong_format", "learner key with SQL": "wrong_format",
    "unknown version": "wrong_version", "version as bool": "wrong_version",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_malformed_and_hostile_import_files_are_rejected_with_nothing_changed(backend, store, case):
    doc, key = _valid_doc(store)
    before = (store.export_json(key), store.summary(key))
    payload = HOSTILE[case](json.loads(json.dumps(doc)))
    for into in (key, None):
        with pytest.raises(ImportRejected) as err:
            store.import_json(payload, into_key=into)
        assert err.value.code == HOSTILE_CODE.get(case, "bad_event"), err.value
    after = (store.export_json(key), store.summary(key))
    assert json.loads(after[0])["events"] == json.loads(before[0])["events"] and after[1] == before[1]
    assert backend.query(backend.place(), "SELECT COUNT(*) FROM learners") == [(1,)]


def test_too_many_events_are_rejected_with_nothing_changed(store, monkeypatch):
    doc, key = _valid_doc(store)
    monkeypatch.setattr(transfer, "MAX_IMPORT_EVENTS", 5)
    with pytest.raises(ImportRejected) as err:
        store.import_json(json.dumps(doc), into_key=key)
    assert err.value.code == "too_many"


def test_another_learners_file_is_rejected_with_nothing_changed(store):
    doc, mina_key = _valid_doc(store)
    jun, _ = store.sign_in("Jun")
    with pytest.raises(ImportRejected) as err:
        store.import_json(json.dumps(doc), into_key=jun.key)
    assert err.value.code == "other_learner"
    assert store.events(jun.key) == []


def test_a_restored_file_with_an_existing_name_never_reaches_that_learners_progress(backend, store):
    doc, _ = _valid_doc(store)
    jun, _ = store.sign_in("Jun")
    doc["learner"]["key"] = "Zz" * 8  # a new key, but the name of a learner already here
    doc["learner"]["name"] = "JUN"
    if NAME_FINDS_THE_LEARNER[backend.name]:
        # On this computer the name is the learner: the file cannot take it over.
        with pytest.raises(ImportRejected) as err:
            store.import_json(json.dumps(doc), into_key=None)
        assert err.value.code == "name_taken"
        assert store.learner("Zz" * 8) is None
    else:
        # On a server a name is a label: the file becomes its own learner, found by its key.
        restored, added = store.import_json(json.dumps(doc), into_key=None)
        assert (restored.key, restored.name, added) == ("Zz" * 8, "JUN", len(doc["events"]))
        assert store.summary(restored.key).total_events == len(doc["events"])
    assert store.events(jun.key) == []
    assert store.learner(jun.key) == jun


# --- a database that cannot be used ------------------------------------------------------------


def test_a_locked_database_gives_the_locked_error(backend):
    place = backend.place()
    store = backend.open(place, busy_timeout_s=0.1)
    mina, _ = store.sign_in("Mina")
    with backend.writes_blocked(place):
        with pytest.raises(ProgressUnavailable) as err:
            store.record(mina.key, Event("lesson_read", T0, lesson="a"))
        assert err.value.code == "locked"
    store.record(mina.key, Event("lesson_read", T0, lesson="a"))  # works again once released
    assert len(store.events(mina.key)) == 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"this is not an SQLite database at all " * 200),
        lambda path: path.write_bytes(path.read_bytes()[:100] + b"\xff" * (path.stat().st_size - 100)),
    ],
    ids=["garbage file", "pages overwritten"],
)
def test_a_corrupt_database_gives_the_corrupt_error(tmp_path, damage):
    store = open_store(tmp_path)
    mina, _ = store.sign_in("Mina")
    store.record_many(mina.key, every_kind())
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(store.path) + suffix).unlink(missing_ok=True)
    damage(store.path)
    with pytest.raises(ProgressUnavailable) as err:
        store = open_store(tmp_path)
        store.summary(mina.key)
    assert err.value.code == "corrupt"


def _open_as_unprivileged_user(data_dir: Path) -> str:
    """Try to open and write the store as a user without write permission; the error code or 'ok'.

    As root (who may write anywhere) the attempt runs in a forked child that drops to `nobody`."""

    def attempt() -> str:
        try:
            s = open_store(data_dir)
            s.sign_in("Jun")
            return "ok"
        except ProgressUnavailable as err:
            return err.code

    if os.geteuid() != 0:
        return attempt()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = "child failed"
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            code = attempt()
        finally:
            os.write(write_end, code.encode())
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        return pipe.read()


def test_a_read_only_database_gives_the_read_only_error(tmp_path):
    data_dir = tmp_path / "data"
    store = open_store(data_dir)
    store.sign_in("Mina")
    store.close()
    os.chmod(tmp_path, 0o755)
    for path in data_dir.iterdir():
        path.chmod(0o444)
    data_dir.chmod(0o555)
    try:
        assert _open_as_unprivileged_user(data_dir) == "read_only"
    finally:
        data_dir.chmod(0o755)


def test_a_data_folder_that_cannot_be_created_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ProgressUnavailable) as err:
        open_store(blocker / "data")
    assert err.value.code in {"read_only", "unavailable"}


# --- choosing the backend, and a database server that cannot be used ------------------------------


def test_the_database_url_setting_chooses_the_backend(tmp_path, pg_database):
    settings = load_settings({"LLM_TUTOR_PROGRESS_DB_URL": pg_database, "LLM_TUTOR_DATA_DIR": str(tmp_path)},
                             config_file=str(tmp_path / "none.toml"))
    assert settings.progress_db_url == pg_database
    from tutor.progress.postgres import PostgresProgressStore

    store = open_progress_store(settings.progress_db_url, settings.data_dir)
    assert isinstance(store, PostgresProgressStore)
    # the URL holds the password: neither the settings nor the store print it
    from psycopg import conninfo

    password = conninfo.conninfo_to_dict(pg_database).get("password")
    assert "progress_db_url" not in repr(settings) and (not password or password not in repr(vars(store)))
    store.close()
    assert not (tmp_path / DB_FILE_NAME).exists()
    local = load_settings({"LLM_TUTOR_DATA_DIR": str(tmp_path)}, config_file=str(tmp_path / "none.toml"))
    assert local.progress_db_url == ""
    assert isinstance(open_progress_store(local.progress_db_url, local.data_dir), SQLiteProgressStore)
    assert (tmp_path / DB_FILE_NAME).exists()


def test_the_database_url_can_be_set_in_the_config_file(tmp_path):
    config = tmp_path / "llm_tutor.toml"
    config.write_text('progress_db_url = "postgresql://tutor@db.example:5432/progress"\n', encoding="utf-8")
    assert load_settings({}, config_file=str(config)).progress_db_url == "postgresql://tutor@db.example:5432/progress"


@pytest.mark.parametrize(
    "raw, shared",
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False), ("off", False), ("", False)],
)
def test_the_progress_shared_setting_reads_true_and_false_words_from_the_environment(tmp_path, raw, shared):
    settings = load_settings({"LLM_TUTOR_PROGRESS_SHARED": raw}, config_file=str(tmp_path / "none.toml"))
    assert settings.progress_shared is shared


def test_the_progress_shared_setting_can_be_set_in_the_config_file_and_refuses_other_words(tmp_path):
    config = tmp_path / "llm_tutor.toml"
    config.write_text("progress_shared = true\n", encoding="utf-8")
    assert load_settings({}, config_file=str(config)).progress_shared is True
    assert load_settings({}, config_file=str(tmp_path / "none.toml")).progress_shared is False  # the default
    with pytest.raises(ValueError, match="progress_shared"):
        load_settings({"LLM_TUTOR_PROGRESS_SHARED": "maybe"}, config_file=str(config))


def test_the_progress_shared_setting_makes_names_labels_in_sqlite(tmp_path):
    settings = load_settings({"LLM_TUTOR_PROGRESS_SHARED": "1", "LLM_TUTOR_DATA_DIR": str(tmp_path)},
                             config_file=str(tmp_path / "none.toml"))
    store = open_progress_store(settings.progress_db_url, settings.data_dir, shared=settings.progress_shared)
    assert isinstance(store, SQLiteProgressStore) and store.shared
    assert is_shared_database(settings.progress_db_url, settings.progress_shared)
    assert store.sign_in("Mina")[0].key != store.sign_in("Mina")[0].key
    store.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.mark.parametrize(
    "url, code",
    [
        ("mysql://tutor@127.0.0.1/progress", "bad_url"),
        ("sqlite:///tmp/progress.sqlite3", "bad_url"),
        ("postgresql://tutor@127.0.0.1:notaport/progress", "bad_url"),
        ("postgresql://tutor:secret@127.0.0.1:{closed}/progress", "unreachable"),
    ],
    ids=["another database", "sqlite url", "port not a number", "server down"],
)
def test_a_bad_database_url_or_a_server_that_is_down_gives_a_clear_error(tmp_path, url, code):
    started = time.perf_counter()
    with pytest.raises(ProgressUnavailable) as err:
        open_progress_store(url.format(closed=_closed_port()), tmp_path, connect_timeout_s=2)
    assert err.value.code == code, err.value
    assert "secret" not in str(err.value)  # the password is never repeated
    assert time.perf_counter() - started < 10
    assert not (tmp_path / DB_FILE_NAME).exists()  # no silent fall-back to a local file


def test_an_unknown_database_or_user_on_a_running_server_is_a_bad_url(pg_database):
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(pg_database)
    server = f"127.0.0.1:{info['port']}"
    for url in (f"postgresql://postgres@{server}/no_such_database",
                f"postgresql://no_such_user@{server}/{info['dbname']}"):
        with pytest.raises(ProgressUnavailable) as err:
            open_progress_store(url, ROOT / "no-such-folder", connect_timeout_s=2)
        assert err.value.code == "bad_url", err.value


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of this test's own, to stop and start."""
    try:
        with throwaway_cluster() as cluster:
            yield cluster
    except PostgresMissing as err:
        pytest.skip(f"PostgreSQL tests skipped: {err}")


def test_a_server_restart_makes_saving_pause_and_then_resume_by_itself(tmp_path, own_cluster):
    store = open_progress_store(own_cluster.url, tmp_path, connect_timeout_s=1)
    mina, _ = store.sign_in("Mina")
    store.record(mina.key, Event("lesson_read", T0, lesson="before"))
    assert own_cluster.stop()
    with pytest.raises(ProgressUnavailable) as err:
        store.record(mina.key, Event("lesson_read", T0 + 1, lesson="while-down"))
    assert err.value.code == "unreachable", err.value
    assert own_cluster.start()
    store.record(mina.key, Event("lesson_read", T0 + 2, lesson="after"))  # the same store, no reopening
    assert [e.lesson for e in store.events(mina.key)] == ["before", "after"]
    store.close()


def test_quiz_right_counts_only_the_questions_the_lesson_still_has():
    from tutor.progress.base import QuizScore, Summary

    summary = Summary(quiz={"l1": QuizScore(latest={"q1": True, "q2": False, "gone": True}, attempts=4)})
    assert summary.quiz_right("l1", {"q1", "q2"}) == 1
    assert summary.quiz_right("l1", {"q1", "q2", "gone"}) == 2
    assert summary.quiz_right("never-opened", {"q1"}) == 0


def test_the_activity_chart_is_built_once_per_language_and_dates_follow_the_language():
    from tutor.i18n import t
    from tutor.progress.chart import activity_chart_spec

    assert activity_chart_spec("ko") is activity_chart_spec("ko")
    for lang in ("en", "ko"):
        assert activity_chart_spec(lang)["encoding"]["x"]["axis"]["format"] == t("progress.page.chart_date_format", lang)
