"""Finding the lesson sections that answer a question: the "retrieval" half of grounding (lesson 13).

Every section of every lesson, in both languages, becomes one passage. A question is compared
with every passage using TF-IDF: words that are frequent in a passage but rare across the course
count most. Two views are combined:

- character n-grams (2-4 characters inside word boundaries), which work for Korean without a
  morphological analyser: "토큰은" and "토큰이" share "토큰", so they still match;
- word n-grams (single words and pairs, English stop words removed), which are sharper for English.

The index is built once per process (about a second) and then answers a query in about a
millisecond. Section anchors are the same in every language, so a passage found in one language
is shown in the learner's language.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from tutor.lessons import Course, course

# A question whose best passage scores below this is "not covered by the lessons". Calibrated on
# tests/questions_retrieval.toml (see tests/test_retrieval.py::test_threshold_separates_...):
# the lowest-scoring course question and the highest-scoring off-topic one sit either side of it.
GROUNDED_THRESHOLD = 0.16

# How much each view counts, by the language of the question. Korean words carry particles
# ("토큰은", "토큰을"), so whole-word matches are rarer and the character view leads.
_WEIGHTS = {"ko": (0.8, 0.2), "en": (0.55, 0.45)}  # (characters, words)

# A passage in the other language is a fallback: it counts a little less than one in the
# learner's own language.
_OTHER_LANGUAGE_FACTOR = 0.85

# Words that point back at the conversation: "why?", "what does that mean?", "그게 뭐예요?".
_BACK_REFERENCES = frozenset(
    "it its that this these those they them he she why more example examples else again so "
    "그게 그건 그것 그거 그것은 그것이 이건 이게 이것 이거 저건 저게 그럼 그러면 왜 왜요 더 예시 예를 "
    "그래서 그런데 거기".split()
)
_SHORT_FOLLOW_UP_WORDS = 4  # a message this short is read together with the one before it


@dataclass(frozen=True)
class Passage:
    """One lesson section, as the retriever sees it."""

    lang: str
    lesson: str  # lesson id, the same in every language
    lesson_title: str
    order: int
    section: str  # section anchor, the same in every language
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    """A passage that matches a question, and how well (cosine similarity, 0-1)."""

    passage: Passage
    score: float

    @property
    def lesson(self) -> str:
        return self.passage.lesson

    @property
    def section(self) -> str:
        return self.passage.section

    @property
    def title(self) -> str:
        return self.passage.title


@dataclass(frozen=True)
class SearchResult:
    """The hits for a question, best first, and whether the lessons cover it."""

    hits: tuple[Hit, ...]
    grounded: bool
    query: str  # the text actually searched (the question, plus context for a follow-up)

    @property
    def best_score(self) -> float:
        return self.hits[0].score if self.hits else 0.0


def _plain(markdown: str) -> str:
    """Markdown to plain text for matching: links keep their words, markup goes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[`*_#>|]", " ", text)
    return unicodedata.normalize("NFC", text)


def normalise_query(text: str) -> str:
    """The same normalisation for questions as for passages (NFC joins decomposed Hangul)."""
    return unicodedata.normalize("NFC", text).lower()


def question_language(text: str) -> str:
    """'ko' when a fair share of the letters are Hangul, else 'en'."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    hangul = sum(1 for c in letters if "\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff")
    return "ko" if hangul / len(letters) >= 0.3 else "en"


def passages_of(source: Course) -> list[Passage]:
    """Every section of every lesson, in every language."""
    found = []
    for lang, lessons in source.lessons.items():
        for lesson in lessons:
            for section in lesson.sections:
                found.append(
                    Passage(
                        lang=lang,
                        lesson=lesson.id,
                        lesson_title=lesson.title,
                        order=lesson.order,
                        section=section.anchor,
                        title=section.title,
                        text=_plain(section.text),
                    )
                )
    return found


def _document(p: Passage) -> str:
    # The section title is repeated so that a question naming it ("what is temperature?") finds it.
    return normalise_query(f"{p.lesson_title}\n{p.title}\n{p.title}\n{p.text}")


class SectionIndex:
    """TF-IDF vectors of every passage, and a search over them."""

    def __init__(self, passages: list[Passage]) -> None:
        if not passages:
            raise ValueError("no lesson sections to index")
        self.passages = passages
        docs = [_document(p) for p in passages]
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
        self.words = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, stop_words="english", token_pattern=r"(?u)\b\w+\b"
        )
        self.char_matrix = self.chars.fit_transform(docs)
        self.word_matrix = self.words.fit_transform(docs)
        # (lesson, section) -> row of that section in each language
        self.rows: dict[tuple[str, str], dict[str, int]] = {}
        for row, p in enumerate(passages):
            self.rows.setdefault((p.lesson, p.section), {})[p.lang] = row

    def similarities(self, query: str) -> np.ndarray:
        """Cosine similarity of the query with every passage (rows are L2-normalised by TF-IDF)."""
        text = normalise_query(query)
        w_char, w_word = _WEIGHTS[question_language(text)]
        char_sim = (self.char_matrix @ self.chars.transform([text]).T).toarray().ravel()
        word_sim = (self.word_matrix @ self.words.transform([text]).T).toarray().ravel()
        return w_char * char_sim + w_word * word_sim

    def search(self, query: str, lang: str, k: int = 3) -> list[Hit]:
        """The k best sections for `query`, each shown in `lang` when that language has it."""
        sims = self.similarities(query)
        hits = []
        for rows in self.rows.values():
            best = 0.0
            for row_lang, row in rows.items():
                factor = 1.0 if row_lang == lang else _OTHER_LANGUAGE_FACTOR
                best = max(best, float(sims[row]) * factor)
            shown = rows.get(lang, next(iter(rows.values())))
            hits.append(Hit(self.passages[shown], round(best, 4)))
        hits.sort(key=lambda h: (-h.score, h.passage.order, h.section))
        return hits[:k]


@functools.cache
def section_index() -> SectionIndex:
    """The index of the course as shipped, built once per process."""
    return SectionIndex(passages_of(course()))


def is_follow_up(message: str) -> bool:
    """A short message, or one that points back ("why?", "그게 뭐예요?"), leans on the conversation."""
    words = re.findall(r"\w+", normalise_query(message))
    return len(words) <= _SHORT_FOLLOW_UP_WORDS or any(w in _BACK_REFERENCES for w in words)


def search_query(message: str, history: list[dict] | None = None) -> str:
    """The text to search for: the message, plus the learner's previous question for a follow-up."""
    if history and is_follow_up(message):
        earlier = [m["content"] for m in history if m.get("role") == "user" and m.get("content")]
        if earlier:
            return f"{earlier[-1]}\n{message}"
    return message


def retrieve(
    message: str,
    lang: str,
    *,
    history: list[dict] | None = None,
    k: int = 3,
    index: SectionIndex | None = None,
    threshold: float = GROUNDED_THRESHOLD,
) -> SearchResult:
    """The sections that best answer `message` (in the learner's language first) and whether
    the best one is good enough to call the answer grounded in the lessons."""
    index = index or section_index()
    query = search_query(message, history)
    hits = tuple(index.search(query, lang, k=k))
    grounded = bool(hits) and hits[0].score >= threshold
    return SearchResult(hits=hits, grounded=grounded, query=query)


def nearest_lessons(result: SearchResult, limit: int = 2) -> list[Hit]:
    """One hit per lesson, best first: what to suggest when the lessons don't cover a question."""
    seen: set[str] = set()
    out = []
    for hit in result.hits:
        if hit.lesson not in seen:
            seen.add(hit.lesson)
            out.append(hit)
    return out[:limit]
