"""content/starters.toml: three starter questions per lesson and language, each tied to a section
of that lesson that exists, phrased as short questions in the right language, parallel across
languages (the same lessons and sections in English and Korean)."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from tutor.i18n import LANGUAGES
from tutor.lessons import course

STARTERS_FILE = Path(__file__).resolve().parent.parent / "content" / "starters.toml"
PER_LESSON = 3
MAX_CHARS = 80
HANGUL = re.compile(r"[\uac00-\ud7a3]")
STARTERS = tomllib.loads(STARTERS_FILE.read_text(encoding="utf-8"))


def _starters(lang: str) -> list[dict[str, str]]:
    return STARTERS.get(lang, [])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_has_exactly_a_lesson_a_section_and_a_question(lang: str) -> None:
    for entry in _starters(lang):
        assert set(entry) == {"lesson", "section", "question"}, entry
        assert all(isinstance(v, str) and v.strip() for v in entry.values()), entry


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_lesson_has_three_starters_and_no_unknown_lesson_has_any(lang: str) -> None:
    lesson_ids = [lesson.id for lesson in course().in_language(lang)]
    counts = Counter(entry["lesson"] for entry in _starters(lang))
    assert {lesson_id: counts[lesson_id] for lesson_id in lesson_ids} == dict.fromkeys(lesson_ids, PER_LESSON)
    assert set(counts) <= set(lesson_ids), sorted(set(counts) - set(lesson_ids))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_starter_points_at_a_teaching_section_of_its_lesson(lang: str) -> None:
    for entry in _starters(lang):
        lesson = course().get(lang, entry["lesson"])
        assert lesson is not None, entry
        assert lesson.section(entry["section"]) is not None, f"{entry['lesson']} has no section {entry['section']!r}"
        # The recap repeats other sections; a starter should lead to the section that teaches.
        assert entry["section"] != "key-ideas", entry


@pytest.mark.parametrize("lang", LANGUAGES)
def test_starters_are_short_questions_and_none_repeats(lang: str) -> None:
    questions = [entry["question"] for entry in _starters(lang)]
    for question in questions:
        assert question.endswith("?"), question
        assert len(question) < MAX_CHARS, (len(question), question)
        assert question == question.strip() and "\n" not in question, question
    assert len(questions) == len(set(questions)), [q for q, n in Counter(questions).items() if n > 1]
    sections = [(entry["lesson"], entry["section"]) for entry in _starters(lang)]
    assert len(sections) == len(set(sections)), "two starters of one lesson lead to the same section"


def test_korean_starters_are_in_korean_and_english_ones_are_not() -> None:
    assert all(HANGUL.search(entry["question"]) for entry in _starters("ko"))
    assert not any(HANGUL.search(entry["question"]) for entry in _starters("en"))


def test_both_languages_offer_the_same_lessons_and_sections_in_the_same_order() -> None:
    def tied(lang: str) -> list[tuple[str, str]]:
        return [(entry["lesson"], entry["section"]) for entry in _starters(lang)]

    assert tied("en") == tied("ko")
