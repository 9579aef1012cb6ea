"""The questions learners ask that each lesson section answers, in their own words.

A lesson says "hallucination"; a learner asks "why do llms make stuff up". Word overlap alone
cannot join the two, and the small model is too weak (and too slow for the first answer) to be
trusted with it. So each section lists, in `content/<lang>/asked.toml`, questions a beginner
would ask that it answers, and which of its sentences answers them:

    [[asked]]
    at = "strengths-and-hallucinations#hallucinations"
    answer = "A **hallucination** is text that reads fluently and plausibly but is false: ..."
    questions = ["why do llms make stuff up", "does the ai lie on purpose", ...]

The search (tutor/chat/retrieval.py) compares a question with these as well as with the lesson's
text, and the quote picker (tutor/chat/quotes.py) prefers the answer sentence of the group whose
questions match best. A second file per language, `content/<lang>/asked_sentences.toml` (same
format), holds questions for more of each section's sentences; they only help the picker choose
a sentence and never join the search's words. Joined to the sections, they made every section's
words longer, which lowered the match of on-topic questions: on the tuning half, Korean false
"not covered" rose from 1.2% to 4.7% with no more right answers; used by the picker alone, they
raised right answers from 79.5% to 83.3% (en) and 84.7% to 85.9% (ko). The answer is always the
lesson's own sentence: these files only say where to look. They were written from the lessons
alone, apart from the evaluation bank (bench/eval/), so the bank measures whether they generalise.
"""
from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tutor.lessons import CONTENT_DIR


class AskedError(ValueError):
    """An asked-questions file that cannot be read; the message names the file and the group."""


@dataclass(frozen=True)
class AskedGroup:
    """Questions one sentence of one section answers."""

    lang: str
    lesson: str
    section: str
    answer: str  # one sentence of the section, as written
    questions: tuple[str, ...]


def same_sentence(a: str, b: str) -> bool:
    """Is `a` the sentence `b`, whatever the emphasis marks and spacing?"""
    return _plain(a) == _plain(b)


def _plain(sentence: str) -> str:
    return re.sub(r"[*_`\s]+", " ", sentence).strip()


def parse_asked(raw: str, lang: str, where: str = "<text>") -> tuple[AskedGroup, ...]:
    """One asked.toml's text as groups. Raises AskedError on a malformed group."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as err:
        raise AskedError(f"{where}: not valid TOML: {err}") from err
    groups = []
    for i, entry in enumerate(data.get("asked", []), start=1):
        at, answer, questions = entry.get("at"), entry.get("answer"), entry.get("questions")
        if not (isinstance(at, str) and at.count("#") == 1 and isinstance(answer, str) and answer.strip()
                and isinstance(questions, list) and questions and all(isinstance(q, str) and q.strip() for q in questions)):
            raise AskedError(f"{where}: group {i} needs at = 'lesson#section', an answer and questions")
        lesson, section = at.split("#")
        groups.append(AskedGroup(lang, lesson, section, answer.strip(), tuple(q.strip() for q in questions)))
    return tuple(groups)


def _groups_in(lang: str, content_dir: Path, name: str) -> tuple[AskedGroup, ...]:
    path = content_dir / lang / name
    if not path.exists():
        return ()
    return parse_asked(path.read_text(encoding="utf-8"), lang, str(path))


@functools.cache
def asked_groups(lang: str, content_dir: Path = CONTENT_DIR) -> tuple[AskedGroup, ...]:
    """The asked questions of one language; none when the file does not exist."""
    return _groups_in(lang, content_dir, "asked.toml")


@functools.cache
def sentence_groups(lang: str, content_dir: Path = CONTENT_DIR) -> tuple[AskedGroup, ...]:
    """The questions of `asked_sentences.toml` for one language: used only to choose the sentence
    to quote, not to find the section; none when the file does not exist."""
    return _groups_in(lang, content_dir, "asked_sentences.toml")
