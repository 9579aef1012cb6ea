"""Learner progress: quizzes answered, lessons read, practice passed — saved durably, in a file on
this computer or in a database server a class shares.

base.py      what progress is made of, the ProgressStore interface, the error types
names.py     display names, cleaned
transfer.py  the export file format and its strict check
store.py     the logic every SQL store shares, the SQLite store, and open_progress_store
postgres.py  the PostgreSQL store (several app replicas, one database)
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
from tutor.progress.store import SQLiteProgressStore, is_shared_database, open_progress_store, open_store

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
