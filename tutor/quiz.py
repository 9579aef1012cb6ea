"""Quizzes that reward reading, not guessing: the order choices are shown in, and the figures
that say whether a quiz can be passed by a pattern instead of by knowing the answer.

Two patterns make a multiple-choice quiz guessable. The right choice is often the longest
(writers qualify the true statement and leave the false ones short), and it often sits in the same
place (the first line written is the one the writer had in mind). The course keeps the first in
check in its text (`longest_right_share`, at most MAX_LONGEST_RIGHT_SHARE per language) and
removes the second on screen: each learner sees the choices in an order of their own
(`choice_order`), derived from a seed that does not change between reruns, so an answer that was
picked stays where it was. What is stored is the choice's index in the lesson file, never its
place on screen, so scores and answers saved before shuffling keep their meaning.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from tutor.lessons import Lesson, QuizQuestion

# The content test fails above this share of questions whose right choice is the longest. With
# three choices, chance alone makes it the longest in about a third of questions.
MAX_LONGEST_RIGHT_SHARE = 0.40
# Overcorrecting is a pattern too: a right choice that is nearly always the shortest gives itself away.
MAX_SHORTEST_RIGHT_SHARE = 0.50


def choice_order(n_choices: int, seed: str, lesson_id: str, question_id: str) -> tuple[int, ...]:
    """The file indices of a question's choices in the order one learner sees them.

    Each choice gets a SHA-256 of (seed, lesson, question, its index) as its sort key; sorting by
    those keys is a uniformly random shuffle that depends on nothing else: not on the process
    (Python's `hash` is salted per process), the machine or the Python version (whose `random`
    may shuffle differently). So a rerun, a page switch or a reload with the same seed draws the
    choices where they were, and a different seed gives a different order for most questions.
    """
    if n_choices < 0:
        raise ValueError(f"n_choices must be 0 or more, not {n_choices}")

    def key(index: int) -> bytes:
        return hashlib.sha256(f"{seed}\x1f{lesson_id}\x1f{question_id}\x1f{index}".encode()).digest()

    return tuple(sorted(range(n_choices), key=key))


@dataclass(frozen=True)
class QuizFigures:
    """How guessable one language's quizzes are, as counted in the lesson files."""

    questions: int
    longest_right: int  # questions whose right choice is the longest or tied for it (in characters)
    shortest_right: int  # questions whose right choice is strictly the shortest
    right_at: tuple[int, ...]  # right_at[i]: questions whose right choice is choice i in the file

    @property
    def longest_right_share(self) -> float:
        return self.longest_right / self.questions if self.questions else 0.0

    @property
    def shortest_right_share(self) -> float:
        return self.shortest_right / self.questions if self.questions else 0.0

    @property
    def position_shares(self) -> tuple[float, ...]:
        return tuple(n / self.questions for n in self.right_at) if self.questions else ()

    def describe(self, lang: str) -> str:
        """One line for a test report: "en: 61 questions, right = longest 51 (84%), ..."."""
        places = ", ".join(f"#{i + 1} {n} ({share:.0%})" for i, (n, share) in
                           enumerate(zip(self.right_at, self.position_shares, strict=True)))
        return (f"{lang}: {self.questions} questions; right choice is the longest in {self.longest_right} "
                f"({self.longest_right_share:.0%}), the shortest in {self.shortest_right} "
                f"({self.shortest_right_share:.0%}); right choice's place in the file: {places}")


def right_is_longest(question: QuizQuestion) -> bool:
    """True when no other choice is longer than the right one (in characters). A tie counts (a
    learner who picks the longest choice still wins more often than by chance), unless every
    choice is as long as the right one, which tells nothing."""
    lengths = [len(c) for c in question.choices]
    right = lengths[question.answer]
    return right == max(lengths) and right != min(lengths)


def right_is_shortest(question: QuizQuestion) -> bool:
    """True when the right choice is shorter than every other choice."""
    right = len(question.choices[question.answer])
    return all(right < len(c) for i, c in enumerate(question.choices) if i != question.answer)


def quiz_figures(lessons: Iterable[Lesson]) -> QuizFigures:
    """Longest-right count and the right choice's file positions over every question of `lessons`."""
    questions = [q for lesson in lessons for q in lesson.quiz]
    width = max((len(q.choices) for q in questions), default=0)
    right_at = [0] * width
    for q in questions:
        right_at[q.answer] += 1
    return QuizFigures(
        questions=len(questions),
        longest_right=sum(right_is_longest(q) for q in questions),
        shortest_right=sum(right_is_shortest(q) for q in questions),
        right_at=tuple(right_at),
    )
