"""Which progress store the settings choose: the SQLite file, or a PostgreSQL server.

The one module that knows both backends. It sits above them (sqlite.py and postgres.py build on
sql.py and never import this module), and it imports postgres.py only when a PostgreSQL URL is
given: psycopg is an optional dependency, and a laptop that never uses PostgreSQL never loads it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tutor.progress.base import ProgressStore, ProgressUnavailable
from tutor.progress.sqlite import open_store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_shared_database(db_url: str, shared: bool = False) -> bool:
    """Whether the settings give progress to people who do not share one computer (True: the
    store's `shared` rules apply): a database server (progress_db_url set), or the SQLite file of
    an app served to others (`shared`, the progress_shared setting). False: the SQLite file of an
    app on this computer, where a name typed again is the same learner.

    The UI asks this (not an open store) so it can say where progress goes even when the database
    cannot be reached."""
    return bool(shared) or bool((db_url or "").strip())


def open_progress_store(db_url: str, data_dir: str | Path, *, shared: bool = False, **options: Any) -> ProgressStore:
    """The store the settings choose: SQLite in `data_dir` when `db_url` is empty, else the
    PostgreSQL database `db_url` names (postgresql://user:password@host:port/database).

    `shared` (the progress_shared setting) makes names labels in SQLite too; in PostgreSQL they
    always are. Raises ProgressUnavailable("bad_url") for any other kind of URL."""
    url = (db_url or "").strip()
    if not url:
        return open_store(data_dir, shared=shared, **options)
    if url.startswith(POSTGRES_SCHEMES):
        # Imported here so a laptop that never uses PostgreSQL never loads its driver.
        from tutor.progress.postgres import PostgresProgressStore

        return PostgresProgressStore(url, **options)
    # The URL itself is not repeated in the message: it may hold a password.
    raise ProgressUnavailable("bad_url", "progress_db_url must be empty or start with postgresql://")
