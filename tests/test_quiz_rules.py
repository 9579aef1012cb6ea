"""Quizzes that cannot be passed by a pattern: the right choice is not usually the longest (nor,
overcorrecting, usually the shortest), and the figures are printed on every run.

Where the right choice sits in the file is printed but not limited: every learner sees the choices
in an order of their own (tutor.quiz.choice_order), so the file position shows on no screen.
"""
from __future__ import annotations

import pytest

from tutor.lessons import Lesson, QuizQuestion, course
from tutor.quiz import (
    MAX_LONGEST_RIGHT_SHARE,
    MAX_SHORTEST_RIGHT_SHARE,
    QuizFigures,
    quiz_figures,
    right_is_longest,
)

LANGUAGES = ("en", "ko")


def _figures(lang: str) -> QuizFigures:
    figures = quiz_figures(course().in_language(lang))
    if figures.questions == 0:
        pytest.fail(f"no quiz questions found in content/{lang}")
    return figures


def _longest_right(lang: str) -> list[str]:
    return [f"{lesson.id} {q.id}" for lesson in course().in_language(lang) for q in lesson.quiz
            if right_is_longest(q)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_right_choice_is_the_longest_in_at_most_40_percent_of_questions(lang, capsys):
    figures = _figures(lang)
    with capsys.disabled():  # the figures show in a normal run, without -s
        print(f"\nquiz figures: {figures.describe(lang)}")
    assert figures.longest_right_share <= MAX_LONGEST_RIGHT_SHARE, (
        f"{figures.describe(lang)}\nright choice is the longest in: {', '.join(_longest_right(lang))}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_right_choice_is_the_shortest_in_at_most_half_of_questions(lang):
    figures = _figures(lang)
    assert figures.shortest_right_share <= MAX_SHORTEST_RIGHT_SHARE, figures.describe(lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_question_offers_the_same_choice_twice(lang):
    repeated = [f"{lesson.id} {q.id}" for lesson in course().in_language(lang) for q in lesson.quiz
                if len(set(q.choices)) != len(q.choices)]
    assert not repeated


def _question(*choices: str, answer: int) -> QuizQuestion:
    return QuizQuestion(id="q", question="?", choices=choices, answer=answer, explain="", section="s")


def _lesson(*quiz: QuizQuestion) -> Lesson:
    return Lesson(id="made-up", lang="en", order=1, title="", summary="", related=(), intro=(), sections=(),
                  quiz=quiz)


def test_figures_count_a_tie_for_longest_but_not_choices_all_equally_long():
    figures = quiz_figures([_lesson(
        _question("long right answer", "short", "shorter", answer=0),  # longest
        _question("same len", "same len", "x", answer=0),  # tied for longest: still a hint
        _question("abc", "abd", "abe", answer=2),  # all equally long: no hint
        _question("a", "bb", "ccc", answer=0),  # shortest
    )])
    assert (figures.questions, figures.longest_right, figures.shortest_right) == (4, 2, 1)
    assert figures.right_at == (3, 0, 1)
    assert figures.position_shares == (0.75, 0.0, 0.25)
    assert "longest in 2 (50%)" in figures.describe("xx")


def test_the_rules_catch_a_quiz_where_the_right_choice_is_always_the_longest():
    figures = quiz_figures([_lesson(*[_question("the careful, qualified right answer", "wrong", "also wrong",
                                                answer=0) for _ in range(5)])])
    assert figures.longest_right_share > MAX_LONGEST_RIGHT_SHARE
