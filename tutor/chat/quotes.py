"""Picking the lesson's own sentence(s) that answer a question: the quote every grounded answer
starts with.

Retrieval (tutor/chat/retrieval.py) finds the sections that match a question; a section is long, and
its first sentence is often not the one that answers. Here every sentence of the best sections
is scored against the question, and the best one, with the sentences around it that finish its
thought, is quoted word for word. The score adds up a few plain signals, each easy to check by hand:

- **coverage**: the share of the question's content words the sentence contains (most weight);
- **section**: how well its section matched the question, relative to the best section;
- **position**: sections usually open with their main statement, so earlier sentences get a little;
- **kind of question**: a "what is X?" question prefers a sentence that defines ("X is ...",
  "X는 ...이에요"), a "why?" question one that gives a reason ("because", "때문"), and a yes/no
  question one that says "not" (most yes/no questions learners ask test a misconception).

The weights were set on the tuning half of the question bank (bench/eval/), never on the half
the figures are reported from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.chat.asked import same_sentence
from tutor.chat.checks import is_negated, is_yes_no_question, split_sentences
from tutor.chat.retrieval import Hit
from tutor.chat.terms import content_terms, share_in_sorted

# Weights of the signals above (tuned on the tuning half; see the module docstring).
W_COVERAGE = 1.0
W_SECTION = 0.8
W_POSITION = 0.0
W_KIND = 0.3
# A sentence that answers questions learners ask (tutor/chat/asked.py: asked.toml and
# asked_sentences.toml) gets W_ASKED x how closely the question matches the best of those: the
# writer said this sentence answers such a question. On the tuning half, crediting the section's
# best-matching group raised answers stating the key fact from 71% to 76% (en) and 75% to 80% (ko);
# crediting every sentence with questions, with asked_sentences.toml, from 79.5% to 83.3% (en) and
# 84.7% to 85.9% (ko) (weights 0.4-1.2 tried).
W_ASKED = 0.6
# The quote is the best sentence with the sentences around it that finish its thought: up to
# QUOTE_AFTER after it (the lesson often states a point, then explains it) and QUOTE_BEFORE before
# it (what it points back to), within MAX_QUOTE_CHARS. On the tuning half, the best sentence with
# its better neighbour stated the key fact for 58% (en) / 46% (ko) of questions; this window, for
# 65% / 61%, at about 370 / 175 characters a quote (Korean sentences are shorter).
QUOTE_BEFORE = 1
QUOTE_AFTER = 3
MAX_QUOTE_CHARS = 500
# When the picker is unsure (the best sentence of the same section outside that window scores
# within RUNNER_UP_MARGIN of the best), that sentence is quoted too, after an ellipsis, up to
# MAX_QUOTE_CHARS_UNSURE in all: a quote holding both of the likely answers states the answer more
# often than a confident pick of one. On the tuning half it raised answers stating the key fact
# from 78% to 80% (en) and 80% to 85% (ko); margins 0.05-0.3 were tried.
RUNNER_UP_MARGIN = 0.2
MAX_QUOTE_CHARS_UNSURE = 650

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SKIP_BLOCK = re.compile(r"^\s*(?:\||```|\[\[|#|<)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")

_WHAT_IS = re.compile(
    r"^\s*(?:so\s+)?(?:what(?:'s| is| are| does)|define|meaning of)\b|(?:이란|란|이 뭐|가 뭐|는 뭐|은 뭐|뭐예요|뭐에요|뭐야|뭐임|무엇|뜻)", re.I
)
_WHY = re.compile(r"\bwhy\b|how come|왜|이유|어째서", re.I)
_DEFINES = re.compile(
    r"\b(?:is|are|means|refers to|is called|stands for)\b|(?:이란|란 |(?:이)?에요|예요|이라고|라고 해요|뜻해요|말해요|가리켜요)", re.I
)
_REASON = re.compile(r"\b(?:because|since|so that|that is why|this is why|which is why|so)\b|때문|그래서|덕분|이유|므로|니까", re.I)


@dataclass(frozen=True)
class Quote:
    """Sentences of one lesson section, word for word, that answer the question."""

    text: str  # Markdown as written in the lesson (links reduced to their words)
    lesson: str
    section: str
    lesson_title: str
    section_title: str
    score: float


@dataclass(frozen=True)
class _Candidate:
    markdown: str
    terms: list[str]
    position: int
    hit: Hit


def lesson_sentences(markdown: str) -> list[str]:
    """The sentences of a section's Markdown, as written: paragraphs split into sentences, each list
    item one sentence; tables, code, figures and sub-headings left out."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", markdown):
        if not block.strip() or _SKIP_BLOCK.match(block):
            continue
        lines = block.strip().splitlines()
        if all(_LIST_ITEM.match(line) or line.startswith("  ") for line in lines):
            items: list[str] = []
            for line in lines:
                if _LIST_ITEM.match(line):
                    items.append(_LIST_ITEM.sub("", line).strip())
                elif items:
                    items[-1] += " " + line.strip()
            out += items
        else:
            out += split_sentences(" ".join(line.strip() for line in lines))
    return [_LINK.sub(r"\1", s) for s in out if len(s) > 3]


def _kind_bonus(question: str, sentence: str) -> float:
    if _WHY.search(question):
        return 1.0 if _REASON.search(sentence) else 0.0
    if is_yes_no_question(question):
        return 1.0 if is_negated(sentence) else 0.0
    if _WHAT_IS.search(question):
        return 1.0 if _DEFINES.search(sentence) else 0.0
    return 0.0


def _score(question: str, asked: list[str], c: _Candidate, best_section: float) -> float:
    coverage = share_in_sorted(asked, sorted(set(c.terms))) if asked else 0.0
    section = c.hit.score / best_section if best_section > 0 else 0.0
    position = 1.0 / (1 + c.position)
    answers_asked = max((sim for answer, sim in c.hit.answers if same_sentence(c.markdown, answer)), default=0.0)
    return (
        W_COVERAGE * coverage
        + W_SECTION * section
        + W_POSITION * position
        + W_KIND * _kind_bonus(question, c.markdown)
        + W_ASKED * answers_asked
    )


def _window(best: _Candidate, section: list[_Candidate]) -> list[_Candidate]:
    """The best sentence and its neighbours in the section (see QUOTE_AFTER), in lesson order."""
    at = {c.position: c for c in section}
    parts, length = [best], len(best.markdown)
    for step, limit in ((1, QUOTE_AFTER), (-1, QUOTE_BEFORE)):
        for offset in range(1, limit + 1):
            nxt = at.get(best.position + step * offset)
            if nxt is None or length + len(nxt.markdown) > MAX_QUOTE_CHARS:
                break
            parts.append(nxt)
            length += len(nxt.markdown)
    return sorted(parts, key=lambda c: c.position)


def pick_quote(question: str, hits: list[Hit] | tuple[Hit, ...], lang: str, *, sections: int = 3) -> Quote | None:
    """The lesson sentence(s) that best answer `question`, from the first `sections` hits."""
    asked = content_terms(question)
    candidates = [
        _Candidate(s, content_terms(s), i, hit)
        for hit in list(hits)[:sections]
        for i, s in enumerate(lesson_sentences(hit.passage.markdown or hit.passage.text))
    ]
    if not candidates:
        return None
    best_section = max(h.score for h in list(hits)[:sections])
    scored = sorted(
        ((round(_score(question, asked, c, best_section), 4), n, c) for n, c in enumerate(candidates)),
        key=lambda x: (-x[0], x[1]),
    )
    score, _, best = scored[0]
    window = _window(best, [c for c in candidates if c.hit is best.hit])
    text = " ".join(c.markdown for c in window)
    quoted = {c.position for c in window}
    runner_score, runner_up = next(((s, c) for s, _, c in scored[1:] if c.hit is best.hit and c.position not in quoted),
                                   (0.0, None))
    near = runner_up is not None and runner_score >= score - RUNNER_UP_MARGIN
    if near and len(text) + len(runner_up.markdown) <= MAX_QUOTE_CHARS_UNSURE:
        text = f"{text} … {runner_up.markdown}" if runner_up.position > best.position else f"{runner_up.markdown} … {text}"
    p = best.hit.passage
    return Quote(text=text, lesson=p.lesson, section=p.section, lesson_title=p.lesson_title,
                 section_title=p.title, score=score)
