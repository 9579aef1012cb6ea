"""The glossary: short definitions of the course's terms, each pointing at the lesson section that
explains it.

Terms live in `content/<lang>/glossary.toml` as `[[term]]` tables with `id` (the same in every
language), `term`, `definition`, `lesson` (a lesson id) and `section` (an anchor in that lesson).
"""

from __future__ import annotations

import functools
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from tutor.lessons import CONTENT_DIR, Course

FIELDS: tuple[str, ...] = ("id", "term", "definition", "lesson", "section")
MAX_QUERY_CHARS = 100  # a search box, not an essay; longer input is refused politely


class GlossaryError(ValueError):
    """A glossary file that cannot be read; the message names the file and the entry."""


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    definition: str
    lesson: str  # lesson id
    section: str  # section anchor in that lesson


def _sort_key(term: Term) -> str:
    # casefold so "top-k" sorts with "Top-p"; NFC so Hangul typed either way sorts the same.
    return unicodedata.normalize("NFC", term.term).casefold()


def parse_glossary(raw: str, where: str = "<text>") -> tuple[Term, ...]:
    """Read one glossary file's text into terms sorted alphabetically. Raises GlossaryError."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as err:
        raise GlossaryError(f"{where}: not valid TOML: {err}") from err
    entries = data.get("term", [])
    if not isinstance(entries, list):
        raise GlossaryError(f"{where}: terms must be [[term]] tables")
    terms: list[Term] = []
    for i, entry in enumerate(entries, start=1):
        missing = [f for f in FIELDS if not isinstance(entry.get(f), str) or not entry[f].strip()]
        if missing:
            raise GlossaryError(f"{where}: term {i} lacks {', '.join(missing)}")
        terms.append(Term(**{f: entry[f].strip() for f in FIELDS}))
    ids = [t.id for t in terms]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise GlossaryError(f"{where}: duplicate term ids {duplicates}")
    return tuple(sorted(terms, key=_sort_key))


def load_glossary(lang: str, content_dir: Path = CONTENT_DIR) -> tuple[Term, ...]:
    """The glossary of one language, sorted alphabetically; empty if the language has none."""
    path = content_dir / lang / "glossary.toml"
    if not path.is_file():
        return ()
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise GlossaryError(f"{path}: not UTF-8 text: {err}") from err
    return parse_glossary(raw, str(path))


@functools.cache
def glossary(lang: str) -> tuple[Term, ...]:
    """The shipped glossary of one language, read once per process."""
    return load_glossary(lang)


def clean_query(query: object) -> str:
    """A search query made safe to compare: a string, NFC, no control characters, trimmed."""
    if not isinstance(query, str):
        return ""
    text = unicodedata.normalize("NFC", query)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(text.split())


def search(terms: tuple[Term, ...], query: object) -> tuple[Term, ...]:
    """Terms whose name or definition contains every word of the query (case-insensitive).

    Matches on the name come first, so typing "token" lists "Token" before terms that only
    mention tokens in their definition. An empty query returns every term.
    """
    words = clean_query(query).casefold().split()
    if not words:
        return terms
    by_name, by_definition = [], []
    for term in terms:
        name = unicodedata.normalize("NFC", term.term).casefold()
        text = name + " " + unicodedata.normalize("NFC", term.definition).casefold()
        if all(w in name for w in words):
            by_name.append(term)
        elif all(w in text for w in words):
            by_definition.append(term)
    return tuple(by_name + by_definition)


def broken_links(terms: tuple[Term, ...], course: Course, lang: str) -> list[str]:
    """Terms whose lesson or section does not exist in `lang`, as readable messages."""
    problems = []
    for term in terms:
        lesson = course.get(lang, term.lesson)
        if lesson is None:
            problems.append(f"{lang}: '{term.id}' points at missing lesson '{term.lesson}'")
        elif lesson.section(term.section) is None:
            problems.append(f"{lang}: '{term.id}' points at missing section '{term.lesson}#{term.section}'")
    return problems


# Korean dictionaries group words by their first consonant (ㄱ, ㄴ, ㄷ, ...), not by syllable.
_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_CHOSEONG_GROUP = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}


def index_letter(term: Term) -> str:
    """The heading a term is listed under: its first letter ("T"), or first consonant ("ㅌ")."""
    first = unicodedata.normalize("NFC", term.term)[:1]
    if "가" <= first <= "힣":
        consonant = _CHOSEONG[(ord(first) - ord("가")) // 588]  # 588 syllables share one initial
        return _CHOSEONG_GROUP.get(consonant, consonant)
    return first.upper() if first.isalpha() else "#"
