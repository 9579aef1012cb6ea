"""The placement check: which questions it asks, and what it concludes from the answers."""
from __future__ import annotations

import pytest

from tutor.lessons import Lesson, course, parse_lesson
from tutor.progress.base import Summary
from tutor.progress.placement import MAX_QUESTIONS, MIN_QUESTIONS, next_up, pick_questions, recommend


def make_lesson(order: int, questions: int) -> Lesson:
    """A small lesson with `questions` quiz questions whose right answer is choice 1."""
    quiz = "".join(
        f'\n[[quiz]]\nid = "q{q}"\nquestion = "L{order} Q{q}?"\nchoices = ["no", "yes", "maybe"]\n'
        f'answer = 1\nexplain = "Because."\nsection = "body"\n'
        for q in range(1, questions + 1)
    )
    raw = f'+++\nid = "lesson-{order:02d}"\norder = {order}\ntitle = "L{order}"\nsummary = "S"\n{quiz}+++\n\n## Body {{#body}}\nText.\n'
    return parse_lesson(raw, lang="en")


def course_of(lessons: int, questions: int = 4) -> list[Lesson]:
    return [make_lesson(i, questions) for i in range(1, lessons + 1)]


def answers_for(questions, right_lessons: set[str]) -> list[int]:
    return [pq.question.answer if pq.lesson_id in right_lessons else 0 for pq in questions]


def test_a_long_course_gets_ten_questions_from_ten_lessons_first_to_last():
    lessons = course_of(15)
    questions = pick_questions(lessons)
    asked = [pq.lesson_id for pq in questions]
    assert len(questions) == MAX_QUESTIONS
    assert len(set(asked)) == len(asked)
    assert asked[0] == "lesson-01" and asked[-1] == "lesson-15"
    assert asked == sorted(asked)  # in course order
    gaps = [int(b[-2:]) - int(a[-2:]) for a, b in zip(asked, asked[1:], strict=False)]
    assert max(gaps) <= 2  # spread evenly, no long unexamined stretch


def test_a_short_course_still_gets_eight_questions_spread_over_every_lesson():
    questions = pick_questions(course_of(4))
    assert len(questions) == MIN_QUESTIONS
    per_lesson = {lid: sum(pq.lesson_id == lid for pq in questions) for lid in {pq.lesson_id for pq in questions}}
    assert per_lesson == {f"lesson-0{i}": 2 for i in range(1, 5)}
    assert len({(pq.lesson_id, pq.question.id) for pq in questions}) == len(questions)


def test_a_course_with_few_questions_asks_all_it_has():
    assert len(pick_questions(course_of(3, questions=1))) == 3
    assert pick_questions(course_of(3, questions=0)) == []


def test_all_right_means_every_lesson_is_known_and_there_is_no_start():
    lessons = course_of(15)
    questions = pick_questions(lessons)
    result = recommend(lessons, questions, [pq.question.answer for pq in questions])
    assert result.known == tuple(lesson.id for lesson in lessons)
    assert result.start is None and result.correct == result.asked == len(questions)


def test_knowing_the_first_part_starts_the_learner_where_their_knowledge_ends():
    lessons = course_of(15)
    questions = pick_questions(lessons)
    asked = [pq.lesson_id for pq in questions]
    first_half = set(asked[:5])
    result = recommend(lessons, questions, answers_for(questions, first_half))
    last_known_asked = asked[4]
    # Every lesson up to the last one answered right is known, including the ones not asked about.
    expected = [lesson.id for lesson in lessons if lesson.id <= last_known_asked]
    assert list(result.known) == expected
    assert result.start == lessons[len(expected)].id
    assert result.correct == 5


def test_a_wrong_answer_on_lesson_one_starts_at_lesson_one_but_keeps_later_knowledge():
    lessons = course_of(15)
    questions = pick_questions(lessons)
    asked = [pq.lesson_id for pq in questions]
    result = recommend(lessons, questions, answers_for(questions, set(asked[1:])))
    assert result.start == "lesson-01"
    assert "lesson-01" not in result.known and asked[-1] in result.known
    # A lesson between a wrong and a right answer is not assumed known.
    between = [lesson.id for lesson in lessons if asked[0] < lesson.id < asked[1]]
    assert not set(between) & set(result.known)


def test_unanswered_questions_count_as_not_known():
    lessons = course_of(4)
    questions = pick_questions(lessons)
    result = recommend(lessons, questions, [None] * len(questions))
    assert result.known == () and result.start == "lesson-01" and result.correct == 0
    with pytest.raises(ValueError):
        recommend(lessons, questions, [None])


def test_next_up_skips_lessons_read_or_known():
    lessons = course_of(5)
    summary = Summary(lessons_read=frozenset({"lesson-01", "lesson-03"}), known_lessons=frozenset({"lesson-02"}))
    assert next_up(lessons, summary).id == "lesson-04"
    everything = Summary(lessons_read=frozenset(lesson.id for lesson in lessons))
    assert next_up(lessons, everything) is None


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_shipped_course_gives_a_placement_check_of_eight_to_ten_questions(lang):
    lessons = course().in_language(lang)
    if sum(len(lesson.quiz) for lesson in lessons) < MIN_QUESTIONS:
        pytest.skip("the course does not have enough quiz questions yet")
    questions = pick_questions(lessons)
    assert MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS
    assert {pq.lesson_id for pq in questions} <= {lesson.id for lesson in lessons}
