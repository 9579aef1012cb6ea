"""Export and import: one learner's progress as a JSON file, and the strict check of such a file.

The file looks like this (the same for every store, so a file from the laptop imports into the
classroom server):

    {"format": "llm-tutor-progress", "version": 1, "exported_at": 1767225600.0,
     "learner": {"key": "Xb3...", "name": "Mina", "created_at": 1767000000.0},
     "events": [{"kind": "quiz_answer", "at": 1767100000.0, "lesson": "where-llms-fit",
                 "item": "q1", "correct": true}, ...]}

An import file comes from outside, so nothing in it is trusted: every key, type, size and value is
checked before anything is written, and the first problem is reported with where it is.
"""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass

from tutor.progress.base import EVENT_KINDS, PLACEMENT_ITEMS, Event, ImportRejected, Learner, NameRejected
from tutor.progress.names import clean_display_name

FORMAT = "llm-tutor-progress"
FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 8 * 1024 * 1024  # a very busy year is about 2 MB
MAX_IMPORT_EVENTS = 100_000
EARLIEST = 1_577_836_800.0  # 2020-01-01: older timestamps cannot come from this app

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")
_TOP_KEYS = {"format", "version", "exported_at", "learner", "events"}
_LEARNER_KEYS = {"key", "name", "created_at"}
_EVENT_KEYS = {"kind", "at", "lesson", "item", "correct"}


@dataclass(frozen=True)
class ExportFile:
    """A checked import file."""

    learner: Learner
    events: tuple[Event, ...]


def event_as_dict(event: Event) -> dict:
    """An event as it is written in a file (empty fields left out)."""
    out: dict[str, object] = {"kind": event.kind, "at": event.at}
    for name in ("lesson", "item", "correct"):
        value = getattr(event, name)
        if value is not None:
            out[name] = value
    return out


def build_export(learner: Learner, events: list[Event], *, now: float | None = None) -> str:
    """The JSON text of an export file."""
    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": time.time() if now is None else now,
        "learner": {"key": learner.key, "name": learner.name, "created_at": learner.created_at},
        "events": [event_as_dict(e) for e in events],
    }
    return json.dumps(doc, ensure_ascii=False)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ImportRejected("not_json", "a key appears twice in one object")
    return dict(pairs)


def _no_constants(name: str) -> object:
    raise ImportRejected("not_json", f"{name} is not a number")


def _is_number(value: object) -> bool:
    # bool is an int in Python; `true` is not a time.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _time(value: object, where: str, now: float) -> float:
    if not _is_number(value):
        raise ImportRejected("bad_event" if where.startswith("events") else "wrong_format",
                             f"{where} must be a number of seconds")
    if not EARLIEST <= float(value) <= now + 86_400:
        raise ImportRejected("bad_event" if where.startswith("events") else "wrong_format",
                             f"{where} is not a plausible time")
    return float(value)


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        raise ImportRejected("bad_event", f"{where} must be a short identifier")
    return value


def _exact_keys(obj: object, required: set[str], allowed: set[str], where: str, code: str) -> dict:
    if not isinstance(obj, dict):
        raise ImportRejected(code, f"{where} must be an object")
    unknown = set(obj) - allowed
    if unknown:
        raise ImportRejected(code, f"{where} has unknown keys {sorted(unknown)[:3]}")
    missing = required - set(obj)
    if missing:
        raise ImportRejected(code, f"{where} lacks {sorted(missing)}")
    return obj


def _event(obj: object, where: str, now: float) -> Event:
    data = _exact_keys(obj, {"kind", "at"}, _EVENT_KEYS, where, "bad_event")
    kind = data["kind"]
    if kind not in EVENT_KINDS:
        raise ImportRejected("bad_event", f"{where}.kind must be one of {list(EVENT_KINDS)}")
    at = _time(data["at"], f"{where}.at", now)
    lesson = data.get("lesson")
    item = data.get("item")
    correct = data.get("correct")
    if lesson is not None:
        lesson = _identifier(lesson, f"{where}.lesson")
    if item is not None:
        item = _identifier(item, f"{where}.item")
    if correct is not None and not isinstance(correct, bool):
        raise ImportRejected("bad_event", f"{where}.correct must be true or false")
    event = Event(kind=kind, at=at, lesson=lesson, item=item, correct=correct)
    check_event(event, where)
    return event


def check_event(event: Event, where: str = "event") -> None:
    """The rules each kind of event follows (also applied to events the app itself records)."""
    kind = event.kind
    if kind not in EVENT_KINDS:
        raise ImportRejected("bad_event", f"{where}: unknown kind {kind!r}")
    if kind in ("lesson_read", "quiz_answer") and event.lesson is None:
        raise ImportRejected("bad_event", f"{where}: {kind} needs a lesson")
    if kind == "quiz_answer" and (event.item is None or event.correct is None):
        raise ImportRejected("bad_event", f"{where}: quiz_answer needs item and correct")
    if kind != "quiz_answer" and event.correct is not None:
        raise ImportRejected("bad_event", f"{where}: only quiz_answer has correct")
    if kind == "practice_passed" and event.item is None:
        raise ImportRejected("bad_event", f"{where}: practice_passed needs item")
    if kind == "placement":
        if event.item not in PLACEMENT_ITEMS:
            raise ImportRejected("bad_event", f"{where}: placement item must be one of {list(PLACEMENT_ITEMS)}")
        if (event.item != "skipped") != (event.lesson is not None):
            raise ImportRejected("bad_event", f"{where}: placement {event.item} lesson mismatch")


def parse_export(raw: bytes | str, *, now: float | None = None) -> ExportFile:
    """Check an import file completely; raise ImportRejected naming the first problem."""
    now = time.time() if now is None else now
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)
    if size > MAX_IMPORT_BYTES:
        raise ImportRejected("too_large", f"{size} bytes; at most {MAX_IMPORT_BYTES}")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRejected("not_json", "the file is not UTF-8 text") from None
    try:
        doc = json.loads(raw, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except ImportRejected:
        raise
    except RecursionError:
        raise ImportRejected("not_json", "nested too deeply") from None
    except (ValueError, TypeError) as err:
        raise ImportRejected("not_json", str(err)[:120]) from None

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportRejected("wrong_format", f"not an {FORMAT} file")
    _exact_keys(doc, _TOP_KEYS, _TOP_KEYS, "the file", "wrong_format")
    version = doc["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version != FORMAT_VERSION:
        raise ImportRejected("wrong_version", f"version {version!r}; this app reads {FORMAT_VERSION}")
    _time(doc["exported_at"], "exported_at", now)

    person = _exact_keys(doc["learner"], _LEARNER_KEYS, _LEARNER_KEYS, "learner", "wrong_format")
    key = person["key"]
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ImportRejected("wrong_format", "learner.key is not a learner key")
    try:
        name = clean_display_name(person["name"])
    except NameRejected as err:
        raise ImportRejected("wrong_format", f"learner.name is {err.code}") from None
    learner = Learner(key=key, name=name, created_at=_time(person["created_at"], "learner.created_at", now))

    events = doc["events"]
    if not isinstance(events, list):
        raise ImportRejected("wrong_format", "events must be a list")
    if len(events) > MAX_IMPORT_EVENTS:
        raise ImportRejected("too_many", f"{len(events)} events; at most {MAX_IMPORT_EVENTS}")
    return ExportFile(learner=learner, events=tuple(_event(e, f"events[{i}]", now) for i, e in enumerate(events)))
