"""Finding the lesson sections that answer a question: the "retrieval" half of grounding (lesson 13).

Every section of every lesson, in both languages, becomes one passage. A question is compared
with every passage using TF-IDF: words that are frequent in a passage but rare across the course
count most. Two views are combined:

- character n-grams (2-4 characters inside word boundaries), which work for Korean without a
  morphological analyser: "토큰은" and "토큰이" share "토큰", so they still match;
- word n-grams (single words and pairs, English stop words removed), which are sharper for English.

A passage's words include the questions learners ask of that section (content/<lang>/asked.toml,
tutor/chat/asked.py), so "why do llms make stuff up" meets the hallucination section although the lesson
never says "make stuff up". Whether the lessons cover a question still rests on the match with the
passage as a whole (GROUNDED_THRESHOLDS), never on resembling one asked question alone.

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
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

from tutor.chat.asked import AskedGroup, asked_groups, sentence_groups
from tutor.chat.terms import (  # noqa: F401 - re-exported: the word tools retrieval is built on
    STOP_WORDS,
    Speller,
    content_terms,
    key_words,
    min_prefix,
    normalise_query,
    question_language,
    searchable,
    share_in_sorted,
    stem,
    stems_of,
)
from tutor.lessons import Course, course

# Is a question covered by the lessons? Its best section's match (similarity x coverage, without
# concept bonuses) must reach GROUNDED_THRESHOLD for its language; a question that names a course
# concept ("temperature", "환각") needs CONCEPT_THRESHOLD. Korean scores run lower (particles
# and endings split the words), hence its own numbers. Set on the tuning half of the question
# bank (bench/eval/questions_*.toml, split = "tune"), never on the checking half. Since learners'
# questions joined the passages (asked.toml), naming a concept no longer needs a lower bar: at
# the old 0.07 "how do i train my puppy to sit" (naming "training") was grounded. With these
# values, no off-topic tuning question is grounded and 1 of 78 English and 1 of 85 Korean
# on-topic ones are not.
GROUNDED_THRESHOLDS = {"en": 0.1, "ko": 0.044}
CONCEPT_THRESHOLDS = {"en": 0.1, "ko": 0.044}
GROUNDED_THRESHOLD = GROUNDED_THRESHOLDS["en"]

# How much each view counts, by the language of the question. Korean words carry particles
# ("토큰은", "토큰을"), so whole-word matches are rarer and the character view leads.
_WEIGHTS = {"ko": (0.6, 0.4), "en": (0.7, 0.3)}  # (characters, words)

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
_CANDIDATES = 40  # passages (by similarity) whose key-word coverage is checked
_ASKED_CANDIDATES = 80  # asked questions (by similarity) whose answer sentences are credited

@dataclass(frozen=True)
class Passage:
    """One lesson section, as the retriever sees it."""

    lang: str
    lesson: str  # lesson id, the same in every language
    lesson_title: str
    order: int
    section: str  # section anchor, the same in every language
    title: str
    text: str  # plain text, for matching
    markdown: str = ""  # the section's prose as written, for quoting


@dataclass(frozen=True)
class Hit:
    """A passage that matches a question, and how well.

    `similarity` is the TF-IDF cosine (0-1): how much the wording overlaps, rare terms counting
    most. `coverage` is the share of the question's key words found in the passage. `score` is
    their product: a passage must both resemble the question and contain what it asks about.
    """

    passage: Passage
    similarity: float
    coverage: float = 1.0
    # Added when the question names a course concept this section teaches (see `Concept`).
    bonus: float = 0.0
    # The section's sentences that answer questions learners ask (tutor/chat/asked.py), each with
    # how closely the question matches the best of the questions it answers, best first.
    answers: tuple[tuple[str, float], ...] = ()

    @property
    def score(self) -> float:
        return round(self.similarity * self.coverage + self.bonus, 4)

    @property
    def asked(self) -> float:
        """How closely the question matches the asked question it matches best (0 when none)."""
        return self.answers[0][1] if self.answers else 0.0

    @property
    def answer(self) -> str:
        """The sentence that answers that best-matching asked question ("" when none)."""
        return self.answers[0][0] if self.answers else ""

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
    query: str  # the question, plus the one before it for a follow-up
    searched: str = ""  # the words actually searched: markup gone, typos read as course words

    @property
    def best_score(self) -> float:
        return max((h.score for h in self.hits), default=0.0)


def _plain(markdown: str) -> str:
    """Markdown to plain text for matching: links keep their words, markup goes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[`*_#>|]", " ", text)
    return unicodedata.normalize("NFC", text)


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
                        markdown=section.text,
                    )
                )
    return found


def _document(p: Passage, asked: list[str] | tuple[str, ...] = ()) -> str:
    # The section title is repeated so that a question naming it ("what is temperature?") finds it.
    # Learners' questions of the section join its words: on the tuning half they raised the right
    # section at the top from 74% to 83% (en) and 72% to 89% (ko).
    questions = "\n".join(asked)
    return " ".join(key_words(f"{p.lesson_title}\n{p.title}\n{p.title}\n{p.text}\n{questions}"))


# A section that teaches a concept the question names gets this much added to its score: a
# glossary term more (the glossary names the one section that explains it), a term the lesson
# sets in bold less (a bold term may be introduced in passing). Set on the question bank's tuning
# half (bench/eval/).
GLOSSARY_BONUS = 0.08
BOLD_BONUS = 0.04
# A concept named in more than this share of all passages earns no bonus: "AI" and "LLM" are in
# most learners' questions and most sections, so "내가 틀려도 ai가 맞다고 해주는 이유가 뭐야" sent the
# bonus to the section defining AI instead of the one on sycophancy. Neutral on the tuning half.
COMMON_CONCEPT = 0.3
_BOLD = re.compile(r"\*\*([^*\n]{2,60})\*\*")


@dataclass(frozen=True)
class Concept:
    """A name the course gives a concept ("temperature", "환각"), and the section that teaches it."""

    stems: tuple[str, ...]
    lesson: str
    section: str
    bonus: float


def _names(term: str) -> list[str]:
    """"Artificial intelligence (AI)" -> ["Artificial intelligence", "AI"]."""
    return [n.strip() for n in re.split(r"[()（）/]", term) if n.strip()]


def concepts_of(passages: list[Passage], glossary_terms: list[tuple[str, str, str]]) -> list[Concept]:
    """Every concept name of the course: glossary terms (term, lesson, section) and bold terms."""
    found: dict[tuple[tuple[str, ...], str, str], Concept] = {}
    named = [(name, lesson, section, GLOSSARY_BONUS) for term, lesson, section in glossary_terms for name in _names(term)]
    for p in passages:
        named += [(name, p.lesson, p.section, BOLD_BONUS) for m in _BOLD.finditer(p.markdown) for name in _names(m[1])]
    for name, lesson, section, bonus in named:
        stems = tuple(content_terms(name))
        if not stems or (len(stems) == 1 and len(stems[0]) < 2):
            continue
        key = (stems, lesson, section)
        if key not in found or found[key].bonus < bonus:
            found[key] = Concept(stems, lesson, section, bonus)
    return list(found.values())


class SectionIndex:
    """TF-IDF vectors of every passage, and a search over them."""

    def __init__(self, passages: list[Passage], concepts: list[Concept] | None = None,
                 asked: tuple[AskedGroup, ...] | list[AskedGroup] = (),
                 sentence_asked: tuple[AskedGroup, ...] | list[AskedGroup] = ()) -> None:
        if not passages:
            raise ValueError("no lesson sections to index")
        self.passages = passages
        sections = {(p.lang, p.lesson, p.section) for p in passages}
        self.asked = [g for g in asked if (g.lang, g.lesson, g.section) in sections]
        extra: dict[tuple[str, str, str], list[str]] = {}
        for g in self.asked:
            extra.setdefault((g.lang, g.lesson, g.section), []).extend(g.questions)
        docs = [_document(p, extra.get((p.lang, p.lesson, p.section), [])) for p in passages]
        stemmed = [" ".join(stem(w) for w in doc.split()) for doc in docs]
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        self.words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
        # Stored transposed (terms x passages), so a query row times it gives every similarity.
        self.char_matrix_t = self.chars.fit_transform(docs).T.tocsr()
        self.word_matrix_t = self.words.fit_transform(stemmed).T.tocsr()
        # Each passage's stems, sorted, to look up "does the passage have a word starting with this?"
        self.vocab = [sorted(set(doc.split())) for doc in stemmed]
        # Typos are read as the course words they almost are ("temprature", "임배딩").
        self.speller = Speller(w for doc in docs for w in doc.split())
        # (lesson, section) -> row of that section in each language
        self.rows: dict[tuple[str, str], dict[str, int]] = {}
        for row, p in enumerate(passages):
            self.rows.setdefault((p.lesson, p.section), {})[p.lang] = row
        self.concepts = [c for c in (concepts or []) if (c.lesson, c.section) in self.rows
                         and self._share_naming(c) <= COMMON_CONCEPT]
        # One row per asked question, in the same two views as the passages: the section's own
        # (they joined its words above) and those that only help choose a sentence.
        self.asked += [g for g in sentence_asked if (g.lang, g.lesson, g.section) in sections]
        self.asked_of = [g for g in self.asked for _ in g.questions]  # row -> its group
        questions = [q for g in self.asked for q in g.questions]
        if questions:
            self.asked_chars_t = self.chars.transform([" ".join(key_words(q)) for q in questions]).T.tocsr()
            self.asked_words_t = self.words.transform([stems_of(q) for q in questions]).T.tocsr()

    def _share_naming(self, c: Concept) -> float:
        """The share of all passages whose words include every stem of the concept's name."""
        return sum(share_in_sorted(list(c.stems), v) == 1.0 for v in self.vocab) / len(self.vocab)

    def named_concepts(self, query: str) -> dict[tuple[str, str], float]:
        """The sections whose concepts the query names, with the bonus each earns (the largest)."""
        said = sorted(set(content_terms(query)))
        out: dict[tuple[str, str], float] = {}
        for c in self.concepts:
            if share_in_sorted(list(c.stems), said) == 1.0:
                key = (c.lesson, c.section)
                out[key] = max(out.get(key, 0.0), c.bonus)
        return out

    def _query_vectors(self, query: str):  # noqa: ANN202 - two sparse rows
        # Input checks cost more than the search itself; our input is always one clean string.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            return self.chars.transform([" ".join(key_words(query))]), self.words.transform([stems_of(query)])

    def asked_similarities(self, query: str, vectors: tuple | None = None) -> dict[tuple[str, str, str], dict[str, float]]:
        """For each section with asked questions, (language, lesson, section) -> each of its answer
        sentences -> how similar `query` is to the best question that sentence answers. Only the
        _ASKED_CANDIDATES most similar questions count. `vectors`: the query's, when the caller
        has them already."""
        if not self.asked_of:
            return {}
        w_char, w_word = _WEIGHTS[question_language(query)]
        char_q, word_q = vectors or self._query_vectors(query)
        sims = (w_char * (char_q @ self.asked_chars_t).toarray().ravel()
                + w_word * (word_q @ self.asked_words_t).toarray().ravel())
        best: dict[tuple[str, str, str], dict[str, float]] = {}
        for row in np.argsort(-sims, kind="stable")[:_ASKED_CANDIDATES]:
            g = self.asked_of[row]
            best.setdefault((g.lang, g.lesson, g.section), {}).setdefault(g.answer, round(float(sims[row]), 4))
        return best

    def similarities(self, query: str, vectors: tuple | None = None) -> np.ndarray:
        """Cosine similarity of the query with every passage (TF-IDF rows are L2-normalised).
        `vectors`: the query's, when the caller has them already."""
        w_char, w_word = _WEIGHTS[question_language(query)]
        char_q, word_q = vectors or self._query_vectors(query)
        char_sim = (char_q @ self.char_matrix_t).toarray().ravel()
        word_sim = (word_q @ self.word_matrix_t).toarray().ravel()
        return w_char * char_sim + w_word * word_sim

    def coverage(self, stems: list[str], row: int) -> float:
        """The share of `stems` found in passage `row` ("임베" finds "임베딩"; a one-syllable
        "시" must match exactly)."""
        return share_in_sorted(stems, self.vocab[row])

    @functools.cache  # noqa: B019 - one index per process, two languages
    def _language_factors(self, lang: str) -> np.ndarray:
        return np.array([1.0 if p.lang == lang else _OTHER_LANGUAGE_FACTOR for p in self.passages])

    def search(self, query: str, lang: str, k: int = 3) -> list[Hit]:
        """The k best sections for `query`, each shown in `lang` when that language has it.

        A section's score is similarity x coverage, plus a bonus when the query names a concept
        it teaches. The most similar passages are scored, and every section a named concept
        points to, whatever its similarity.
        """
        vectors = self._query_vectors(query)  # once: the passages and the asked questions share them
        sims = self.similarities(query, vectors) * self._language_factors(lang)
        stems = [stem(w) for w in dict.fromkeys(key_words(query))]
        bonuses = self.named_concepts(query)
        asked = self.asked_similarities(query, vectors)
        rows = list(np.argsort(-sims, kind="stable")[:_CANDIDATES])
        for key in bonuses:
            rows.append(self.rows[key].get(lang, next(iter(self.rows[key].values()))))
        best: dict[tuple[str, str], Hit] = {}
        for row in rows:
            p = self.passages[row]
            key = (p.lesson, p.section)
            if key in best:  # already met in a language that matched better
                continue
            shown = self.passages[self.rows[key].get(lang, row)]
            # The asked questions of this section in the language shown: their answers are
            # sentences of the shown text.
            answers = sorted(asked.get((shown.lang, *key), {}).items(), key=lambda a: -a[1])
            best[key] = Hit(shown, round(float(sims[row]), 4), round(self.coverage(stems, row), 4),
                            bonuses.get(key, 0.0), tuple(answers))
        hits = sorted(best.values(), key=lambda h: (-h.score, -h.similarity, h.passage.order, h.section))
        return hits[:k]


@functools.cache
def section_index() -> SectionIndex:
    """The index of the course as shipped, built once per process."""
    from tutor.glossary import glossary

    source = course()
    terms = [(t.term, t.lesson, t.section) for lang in source.lessons for t in glossary(lang)]
    passages = passages_of(source)
    asked = [g for lang in source.lessons for g in asked_groups(lang)]
    sentence_asked = [g for lang in source.lessons for g in sentence_groups(lang)]
    return SectionIndex(passages, concepts_of(passages, terms), asked, sentence_asked)


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


# A request for the tutor to *do* something ("write me a poem", "추천해 줘") rather than explain
# it. The lessons use such words too ("a model can write a poem"), so a request that names no
# course concept is not counted as covered, however its words match.
_TASK_REQUEST = re.compile(
    r"^\W*(?:please\s+|can you\s+|could you\s+)?(?:write|compose|draw|make|create|generate|recommend|"
    r"plan|book|translate|give me (?:a|an|some) (?!example|definition))\b"
    r"|(?:써|만들어|그려|추천해|짜|번역해|예약해|계획해)\s?(?:줘|주세요|줄래|줄래요|줘요)",
    re.IGNORECASE,
)


def is_task_request(message: str) -> bool:
    """"Write me a poem about my dog" or "맛집 추천해 줘": a task, not a question about the course."""
    return bool(_TASK_REQUEST.search(message.strip()))


def retrieve(
    message: str,
    lang: str,
    *,
    history: list[dict] | None = None,
    k: int = 3,
    index: SectionIndex | None = None,
    threshold: float | None = None,
) -> SearchResult:
    """The sections that best answer `message` (in the learner's language first) and whether
    the lessons cover it (see GROUNDED_THRESHOLDS; `threshold` overrides it, for tests).

    A message that may lean on the one before it ("and why is that bad?") is searched with that
    one, and also alone: a question with a topic of its own ("ai는 틀렸는데 왜 이렇게 자신있게
    말해?", a follow-up only by its "왜") keeps its own answer when that is covered and matches
    at least as well as the two read together.
    """
    index = index or section_index()
    query = search_query(message, history)
    together = _search(index, message, query, lang, k, threshold)
    if query == message or not together.hits:
        return together
    alone = _search(index, message, message, lang, k, threshold)
    if alone.grounded and alone.best_score >= together.best_score:
        return alone
    return together


def _search(index: SectionIndex, message: str, query: str, lang: str, k: int,
            threshold: float | None) -> SearchResult:
    searched = index.speller.respell(searchable(query))
    hits = tuple(index.search(searched, lang, k=k))
    # Whether the lessons cover the question rests on the match with the whole passage: a
    # learner's question can resemble an asked one in its form ("what is...") while being about
    # cooking.
    match = max((h.similarity * h.coverage for h in hits), default=0.0)
    if threshold is not None:
        grounded = bool(hits) and hits[0].score >= threshold
    else:
        # Naming a course concept counts even when its section is not among the hits: learners'
        # questions in a passage can lift another section above it ("write me a short
        # explanation of tokens": "write" is in questions about code in the training data).
        named = bool(index.named_concepts(searched))
        grounded = match >= GROUNDED_THRESHOLDS.get(lang, GROUNDED_THRESHOLD) or (
            named and match >= CONCEPT_THRESHOLDS.get(lang, GROUNDED_THRESHOLD))
        if is_task_request(message) and not named:
            grounded = False
    return SearchResult(hits=hits, grounded=grounded, query=query, searched=searched)


def nearest_lessons(result: SearchResult, limit: int = 2) -> list[Hit]:
    """One hit per lesson, best first: what to suggest when the lessons don't cover a question."""
    seen: set[str] = set()
    out = []
    for hit in result.hits:
        if hit.lesson not in seen:
            seen.add(hit.lesson)
            out.append(hit)
    return out[:limit]
