"""Learner progress: quizzes answered, lessons read, practice passed — saved durably, in a file on
this computer or in a database server a class shares.

base.py      what progress is made of, the ProgressStore interface, the error types
names.py     display names, cleaned
transfer.py  the export file format and its strict check
sql.py       the SQL store both databases build on (sign-in, events, summaries, migrations)
sqlite.py    the SQLite store (a file on this computer), built on sql.py
postgres.py  the PostgreSQL store (several app replicas, one database), built on sql.py
store.py     which store the settings choose: open_progress_store (imports postgres.py only when asked)
placement.py the placement check and "next up"
"""
from tutor.progress.base import (
    EVENT_KINDS,
    Event,
    ImportRejected,
    Learner,
    NameRejected,
    ProgressStore,
    ProgressUnavailable,
    QuizScore,
    Summary,
    UnknownLearner,
)
from tutor.progress.sqlite import SQLiteProgressStore, open_store
from tutor.progress.store import is_shared_database, open_progress_store

__all__ = [
    "EVENT_KINDS",
    "Event",
    "ImportRejected",
    "Learner",
    "NameRejected",
    "ProgressStore",
    "ProgressUnavailable",
    "QuizScore",
    "SQLiteProgressStore",
    "Summary",
    "UnknownLearner",
    "is_shared_database",
    "open_progress_store",
    "open_store",
]
