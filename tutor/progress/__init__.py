"""Learner progress: quizzes answered, lessons read, practice passed — saved durably on this machine.

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
from tutor.progress.store import SQLiteProgressStore, open_progress_store, open_store

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
    "open_progress_store",
    "open_store",
]
