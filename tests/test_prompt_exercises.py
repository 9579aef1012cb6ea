"""Exercise and tip data: both languages load, match each other, and every model answer is a good prompt."""
import tomllib
from pathlib import Path

import pytest

from tutor.i18n import LANGUAGES, t
from tutor.lessons import course
from tutor.prompting.exercises import CONTENT_DIR, ExerciseDataError, load_content, mismatches, parse_content
from tutor.prompting.rubric import review_prompt
from tutor.prompting.rules import rule_problems

TIP_IDS = ["grounding", "zero-shot", "few-shot", "chain-of-thought", "temperature", "completion-vs-chat"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_at_least_twelve_exercises_and_every_tip_load_in_each_language(lang):
    content = load_content(lang)
    assert len(content.exercises) >= 12
    assert [tip.id for tip in content.tips] == TIP_IDS


def test_both_languages_have_the_same_ids_levels_and_needs():
    assert mismatches() == []
    en, ko = load_content("en"), load_content("ko")
    assert [e.id for e in en.exercises] == [e.id for e in ko.exercises]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_exercises_go_from_easy_to_hard_and_cover_every_level(lang):
    levels = [e.level for e in load_content(lang).exercises]
    assert levels == sorted(levels)
    assert set(levels) == {1, 2, 3}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_model_answer_passes_the_rubric_checks_its_exercise_needs(lang):
    for exercise in load_content(lang).exercises:
        results = {r.check: r.passed for r in review_prompt(exercise.model_answer)}
        failing = [check for check in exercise.needs if not results[check]]
        assert not failing, f"{lang}/{exercise.id}: model answer fails {failing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_exercise_has_three_distinct_hints_and_valid_rules(lang):
    for exercise in load_content(lang).exercises:
        assert len(set(exercise.hints)) == 3, exercise.id
        assert exercise.model_answer not in exercise.hints
        for rule in exercise.rules:
            assert rule_problems(rule) == [], (exercise.id, rule)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_tip_links_to_an_existing_lesson_section_and_has_a_measured_note(lang):
    lessons = {lesson.id: lesson for lesson in course().in_language(lang)}
    for tip in load_content(lang).tips:
        assert tip.lesson in lessons, tip.lesson
        anchors = [section.anchor for section in lessons[tip.lesson].sections]
        assert tip.lesson_section in anchors, (tip.id, tip.lesson_section)
        assert t(f"prompting.tips.lessons.{tip.lesson}", lang) != f"prompting.tips.lessons.{tip.lesson}"
        assert "TODO" not in tip.note
        assert tip.before.prompt != tip.after.prompt or tip.before != tip.after


def test_the_tips_show_what_the_article_describes():
    tips = {tip.id: tip for tip in load_content("en").tips}
    assert tips["completion-vs-chat"].before.kind == "completion" and tips["completion-vs-chat"].after.kind == "chat"
    assert tips["completion-vs-chat"].before.prompt == "What is your first name?"
    assert tips["temperature"].before.runs == tips["temperature"].after.runs == 3
    assert tips["temperature"].before.prompt == tips["temperature"].after.prompt
    assert tips["temperature"].before.temperature < tips["temperature"].after.temperature
    assert "step by step" in tips["chain-of-thought"].after.prompt
    assert "Messi" in tips["chain-of-thought"].before.prompt
    assert review_prompt(tips["few-shot"].after.prompt)[2].passed  # consistent examples, open slot
    assert not review_prompt(tips["few-shot"].before.prompt)[2].passed
    assert review_prompt(tips["grounding"].after.prompt)[0].passed
    assert not review_prompt(tips["grounding"].before.prompt)[0].passed


def _data(lang: str) -> dict:
    return tomllib.loads((CONTENT_DIR / f"{lang}.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda d: d["exercises"][0].__setitem__("hints", ["only one"]), "three non-empty"),
        (lambda d: d["exercises"][0].__setitem__("level", 7), "level"),
        (lambda d: d["exercises"][0].__setitem__("needs", ["magic"]), "needs"),
        (lambda d: d["exercises"][0].__setitem__("rules", [{"kind": "vibes"}]), "unknown rule kind"),
        (lambda d: d["exercises"].reverse(), "easy to hard"),
        (lambda d: d["exercises"].append(dict(d["exercises"][-1])), "duplicate"),
        (lambda d: d["tips"][0]["before"].__setitem__("kind", "shout"), "kind"),
        (lambda d: d["tips"][0].__setitem__("idea", "  "), "'idea'"),
    ],
)
def test_malformed_exercise_data_is_refused_with_a_clear_message(break_it, message):
    data = _data("en")
    break_it(data)
    with pytest.raises(ExerciseDataError, match=message):
        parse_content(data, "en.toml")


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ExerciseDataError):
        load_content("en", tmp_path)
    (tmp_path / "en.toml").write_text("[[exercises]\nbroken", encoding="utf-8")
    with pytest.raises(ExerciseDataError):
        load_content("en", tmp_path)
    with pytest.raises(ExerciseDataError):
        load_content("fr")
