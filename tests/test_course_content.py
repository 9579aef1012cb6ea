"""The shipped course: complete and parallel in every language, every link and figure resolving."""
import pytest

from tutor import figures
from tutor.i18n import LANGUAGES
from tutor.lessons import PAGE_IDS, course

COURSE = course()
LESSON_IDS = [x.id for x in COURSE.in_language("en")]


def test_every_lesson_file_parses():
    assert COURSE.errors == ()


def test_both_languages_have_the_same_lessons_in_the_same_order():
    ids = {lang: [x.id for x in COURSE.in_language(lang)] for lang in LANGUAGES}
    assert ids["ko"] == ids["en"] and len(ids["en"]) >= 2


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_lesson_is_parallel_across_languages(lesson_id):
    ko, en = COURSE.get("ko", lesson_id), COURSE.get("en", lesson_id)
    assert [s.anchor for s in ko.sections] == [s.anchor for s in en.sections]
    assert ko.figures == en.figures
    assert ko.try_links == en.try_links and ko.related == en.related
    assert [(q.id, q.answer, q.section, len(q.choices)) for q in ko.quiz] == [
        (q.id, q.answer, q.section, len(q.choices)) for q in en.quiz
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_lesson_is_complete(lang, lesson_id):
    lesson = COURSE.get(lang, lesson_id)
    assert 400 <= lesson.word_count <= 900 or (lang == "ko" and 300 <= lesson.word_count <= 900), lesson.word_count
    assert lesson.figures, "every lesson has at least one figure"
    assert lesson.sections[-1].anchor == "key-ideas", "every lesson ends with a key-ideas recap"
    assert 3 <= len(lesson.quiz) <= 5
    for page in lesson.try_links + list(lesson.related):
        assert page.split("/")[0] in PAGE_IDS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_figure_marker_resolves_and_builds(lang):
    for lesson in COURSE.in_language(lang):
        for name in lesson.figures:
            assert name in figures.REGISTRY, f"{lesson.path}: unknown figure {name}"
            built = figures.build(name, lang)
            assert built.kind in {"graphviz", "altair", "table"}
