"""Progress speed: 10,000 events written one by one and read back; the Progress page with a year of data.

Prints one JSON object. Goals (issue 9): p95 write <= 5 ms; Progress page render <= 300 ms with a
year of events. Baselines measured in the same run, on the same disk, make the figures comparable
across machines: a bare sqlite3 INSERT + COMMIT with the same durability settings, and the same
page for a learner with no events.

The same writes, read-back and summaries run on PostgreSQL too (keys starting `postgres_`), in the
same run: on LLM_TUTOR_TEST_PG_URL's server if set, else on a throwaway local cluster with the
server's default durability (fsync on, synchronous_commit on), as a deployment would have it. Its
baseline is a bare psycopg INSERT + COMMIT on the same server.

    .venv/bin/python bench/bench_progress.py [--events 10000] [--renders 7] [--no-postgres]
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tutor.i18n import t  # noqa: E402
from tutor.lessons import course  # noqa: E402
from tutor.progress import Event, ProgressStore, open_progress_store, open_store  # noqa: E402

T = TypeVar("T")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def sample_events(count: int, start: float, span_s: float) -> list[Event]:
    """A realistic mix of events spread evenly over `span_s` seconds."""
    lessons = [lesson for lesson in course().in_language("en") if lesson.quiz] or []
    events = []
    for i in range(count):
        at = start + span_s * i / count
        lesson = lessons[i % len(lessons)] if lessons else None
        kind = ("quiz_answer", "quiz_answer", "quiz_answer", "lesson_read", "tutor_question", "practice_passed")[i % 6]
        if kind == "quiz_answer":
            question = lesson.quiz[i % len(lesson.quiz)] if lesson else None
            events.append(Event(kind, at, lesson=lesson.id if lesson else "l", item=question.id if question else "q1",
                                correct=i % 3 != 0))
        elif kind == "lesson_read":
            events.append(Event(kind, at, lesson=lesson.id if lesson else "l"))
        elif kind == "practice_passed":
            events.append(Event(kind, at, item=f"exercise-{i % 12}"))
        else:
            events.append(Event(kind, at, lesson=lesson.id if lesson else None))
    return events


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """What `action` returned, and the seconds it took."""
    t0 = time.perf_counter()
    result = action()
    return result, time.perf_counter() - t0


def write_times(store: ProgressStore, key: str, events: list[Event]) -> list[float]:
    """Seconds per record() of each event, one transaction each (as the app writes)."""
    return [timed(lambda event=event: store.record(key, event))[1] for event in events]


def bench_store(store: ProgressStore, count: int) -> tuple[dict, list[Event]]:
    """Write `count` events one by one, read them back, summarise; then a year of events.

    Figures in ms, and the events written (the baseline writes the same ones)."""
    learner, _ = store.sign_in("Bench")
    events = sample_events(count, time.time() - 86_400, 86_000)
    write_s = write_times(store, learner.key, events)
    back, read_s = timed(lambda: store.events(learner.key))
    summary_s = timed(lambda: store.summary(learner.key))[1]

    # The Progress page's query: a year of a busy learner's events, summarised from scratch (the
    # first view after a change) and again unchanged (the cached summary, after its change check).
    busy, _ = store.sign_in("A year of learning")
    store.record_many(busy.key, sample_events(30 * 365, time.time() - 365 * 86_400, 365 * 86_400 - 3600))
    summary, year_s = timed(lambda: store.summary(busy.key))
    year_cached_s = timed(lambda: store.summary(busy.key))[1]
    # Restoring that year from its export file (Progress -> Import) after a reset.
    exported = store.export_json(busy.key)
    store.reset(busy.key)
    import_year_s = timed(lambda: store.import_json(exported, into_key=busy.key))[1]
    p95 = percentile(write_s, 95)
    return {
        "events": count,
        "read_back_equal": back == events,
        "write_ms_p50": ms(percentile(write_s, 50)),
        "write_ms_p95": ms(p95),
        "write_ms_p99": ms(percentile(write_s, 99)),
        "write_ms_max": ms(max(write_s)),
        "write_p95_goal_ms": 5.0,
        "write_p95_ok": p95 <= 0.005,
        "read_all_ms": ms(read_s),
        "summary_ms": ms(summary_s),
        "summary_year_events": summary.total_events,
        "summary_year_ms": ms(year_s),
        "summary_year_cached_ms": ms(year_cached_s),
        "import_year_ms": ms(import_year_s),
    }, events


def bare_write_p95(begin, insert, commit, events: list[Event]) -> float:
    """p95 seconds of the cheapest transaction a database does here: BEGIN, one INSERT, COMMIT."""
    def write(event: Event) -> None:
        begin()
        insert((event.kind, event.at, event.lesson, event.item, event.correct))
        commit()

    return percentile([timed(lambda event=event: write(event))[1] for event in events[:2000]], 95)


def bench_writes(folder: Path, count: int) -> dict:
    store = open_store(folder / "store")
    figures, events = bench_store(store, count)
    store.close()

    # Baseline: the cheapest write SQLite can do here with the store's settings (WAL, synchronous
    # NORMAL), without our checks, learner lookup or index.
    conn = sqlite3.connect(folder / "baseline.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE e (kind TEXT, at REAL, lesson TEXT, item TEXT, correct INTEGER)")
    base = bare_write_p95(lambda: conn.execute("BEGIN IMMEDIATE"),
                          lambda row: conn.execute("INSERT INTO e VALUES (?, ?, ?, ?, ?)", row),
                          lambda: conn.execute("COMMIT"), events)
    conn.close()
    return {
        **figures,
        "baseline_bare_sqlite_write_ms_p95": ms(base),
        "write_p95_ratio_to_baseline": round(figures["write_ms_p95"] / ms(base), 2),
    }


def bench_postgres_writes(count: int) -> dict:
    """The same figures on PostgreSQL, keys prefixed `postgres_`."""
    import psycopg

    from tests.pg_cluster import PostgresMissing, throwaway_database

    try:
        with throwaway_database(fast=False) as url:
            store = open_progress_store(url, "")
            figures, events = bench_store(store, count)
            store.close()
            # The same writes with synchronous_commit=off, set by the operator in the URL: like
            # SQLite's synchronous=NORMAL, a crash of the machine may lose the last moments of
            # commits but never corrupts the database.
            joiner = "&" if "?" in url else "?"
            relaxed = open_progress_store(f"{url}{joiner}options=-c%20synchronous_commit%3Doff", "")
            relaxed_s = write_times(relaxed, relaxed.sign_in("Relaxed")[0].key, events)
            relaxed.close()
            with psycopg.connect(url, autocommit=True) as conn:
                version = conn.execute("SHOW server_version").fetchone()[0]
                conn.execute("CREATE TABLE e (kind TEXT, at DOUBLE PRECISION, lesson TEXT, item TEXT, correct BOOLEAN)")
                base = bare_write_p95(lambda: conn.execute("BEGIN"),
                                      lambda row: conn.execute("INSERT INTO e VALUES (%s, %s, %s, %s, %s)", row),
                                      lambda: conn.execute("COMMIT"), events)
    except PostgresMissing as err:
        return {"postgres_skipped": str(err)}
    out = {f"postgres_{key}": value for key, value in figures.items()}
    out.update({
        "postgres_server_version": version,
        "postgres_synchronous_commit_off_write_ms_p50": ms(percentile(relaxed_s, 50)),
        "postgres_synchronous_commit_off_write_ms_p95": ms(percentile(relaxed_s, 95)),
        "baseline_bare_postgres_write_ms_p95": ms(base),
        "postgres_write_p95_ratio_to_baseline": round(figures["write_ms_p95"] / ms(base), 2),
    })
    return out


def render_times(data_dir: Path, key: str, renders: int, *, change_first: bool) -> list[float]:
    """Seconds per run of the Progress page script (through the router, so links resolve).

    With `change_first`, another connection records an event before each run, so the page cannot
    reuse the cached summary (the case right after answering a quiz)."""
    from streamlit.testing.v1 import AppTest

    os.environ["LLM_TUTOR_DATA_DIR"] = str(data_dir)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.query_params["learner"] = key
    at.run()  # the router registers the pages (and warms imports and caches)
    at.switch_page("pages/progress.py").run()  # warm-up of the page itself; not counted
    times = []
    writer = open_store(data_dir)
    for _ in range(renders):
        if change_first:
            writer.record(key, Event.now("tutor_question"))
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise SystemExit(f"the Progress page failed: {at.exception}")
    writer.close()
    if at.title[0].value != t("progress.title", "en"):
        raise SystemExit("the bench did not render the Progress page")
    return times


def bench_page(folder: Path, renders: int) -> dict:
    data_dir = folder / "page"
    store = open_store(data_dir)
    busy, _ = store.sign_in("A year of learning")
    year = sample_events(30 * 365, time.time() - 365 * 86_400, 365 * 86_400 - 3600)
    store.record_many(busy.key, year)
    store.record(busy.key, Event.now("placement", item="skipped"))
    empty, _ = store.sign_in("Just arrived")
    store.record(empty.key, Event.now("placement", item="skipped"))
    store.close()
    baseline = render_times(data_dir, empty.key, renders, change_first=True)
    loaded = render_times(data_dir, busy.key, renders, change_first=True)
    unchanged = render_times(data_dir, busy.key, renders, change_first=False)
    median = statistics.median(loaded)
    return {
        "page_events": len(year) + 1,
        "page_render_ms_median": ms(median),
        "page_render_ms_max": ms(max(loaded)),
        "page_rerender_unchanged_ms_median": ms(statistics.median(unchanged)),
        "page_render_goal_ms": 300.0,
        "page_render_ok": median <= 0.300,
        "baseline_empty_page_render_ms_median": ms(statistics.median(baseline)),
        "page_render_ratio_to_empty": round(median / statistics.median(baseline), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--renders", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-progress-") as tmp:
        result = {"bench": "progress", **bench_writes(Path(tmp), args.events), **bench_page(Path(tmp), args.renders)}
    if not args.no_postgres:
        result.update(bench_postgres_writes(args.events))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
