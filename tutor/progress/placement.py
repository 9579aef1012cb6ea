"""The placement check: a few questions across the course, and what the answers say.

A returning reader should not have to click through lessons they already know. The check asks
8-10 questions taken from the lessons' own quizzes, spread evenly from the first lesson to the
last. A lesson counts as known when every question asked about it was answered right; a lesson
with no question of its own counts as known when the asked lessons on both sides of it are known
(the course builds step by step, so knowing lesson 3 and lesson 5 says lesson 4 is familiar).
The recommended start is the first lesson that is not known.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tutor.lessons import Lesson, QuizQuestion
from tutor.progress.base import Summary

MIN_QUESTIONS = 8
MAX_QUESTIONS = 10


@dataclass(frozen=True)
class PlacementQuestion:
    lesson_id: str
    question: QuizQuestion


@dataclass(frozen=True)
class PlacementResult:
    known: tuple[str, ...]  # lesson ids, in course order
    start: str | None  # the first lesson not known; None when every lesson is known
    correct: int
    asked: int


def pick_questions(lessons: Sequence[Lesson]) -> list[PlacementQuestion]:
    """8-10 questions (fewer only if the course has fewer), in course order, spread evenly."""
    with_quiz = [lesson for lesson in lessons if lesson.quiz]
    available = sum(len(lesson.quiz) for lesson in with_quiz)
    target = min(max(len(with_quiz), MIN_QUESTIONS), MAX_QUESTIONS, available)
    if target == 0:
        return []
    if len(with_quiz) >= target:
        # One question from each of `target` lessons spaced evenly, always the first and last.
        step = (len(with_quiz) - 1) / max(target - 1, 1)
        chosen = sorted({round(i * step) for i in range(target)})
        return [PlacementQuestion(with_quiz[i].id, with_quiz[i].quiz[0]) for i in chosen]
    # A short course: take each lesson's first question, then each lesson's second, and so on.
    picked: list[tuple[int, int]] = []  # (lesson index, question index)
    depth = 0
    while len(picked) < target:
        for i, lesson in enumerate(with_quiz):
            if depth < len(lesson.quiz) and len(picked) < target:
                picked.append((i, depth))
        depth += 1
    return [PlacementQuestion(with_quiz[i].id, with_quiz[i].quiz[q]) for i, q in sorted(picked)]


def recommend(
    lessons: Sequence[Lesson], questions: Sequence[PlacementQuestion], answers: Sequence[int | None]
) -> PlacementResult:
    """Known lessons and where to start, from the chosen answers (None = not answered)."""
    if len(answers) != len(questions):
        raise ValueError("one answer (or None) per question")
    right: dict[str, bool] = {}
    for pq, answer in zip(questions, answers, strict=True):
        right[pq.lesson_id] = right.get(pq.lesson_id, True) and answer == pq.question.answer

    order = [lesson.id for lesson in lessons]
    asked_positions = [i for i, lesson_id in enumerate(order) if lesson_id in right]
    known: list[str] = []
    for i, lesson_id in enumerate(order):
        if lesson_id in right:
            is_known = right[lesson_id]
        else:
            before = [right[order[j]] for j in asked_positions if j < i][-1:]
            after = [right[order[j]] for j in asked_positions if j > i][:1]
            sides = before + after
            is_known = bool(sides) and all(sides)
        if is_known:
            known.append(lesson_id)
    start = next((lesson_id for lesson_id in order if lesson_id not in known), None)
    correct = sum(answer == pq.question.answer for pq, answer in zip(questions, answers, strict=True))
    return PlacementResult(known=tuple(known), start=start, correct=correct, asked=len(questions))


def next_up(lessons: Sequence[Lesson], summary: Summary) -> Lesson | None:
    """The first lesson in course order that the learner has neither read nor shown they know."""
    done = summary.lessons_read | summary.known_lessons
    return next((lesson for lesson in lessons if lesson.id not in done), None)
