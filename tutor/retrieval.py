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

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from tutor.lessons import Course, course

# A question whose best passage scores below this is "not covered by the lessons". Calibrated on
# tests/questions_retrieval.toml: the 60 course questions score 0.068 and up, the 12 off-topic
# ones 0.061 and below ("write me a poem about cats" finds "poems" and "cat" in lesson 10), so
# the line sits between them. tests/test_retrieval.py re-checks both sides.
GROUNDED_THRESHOLD = 0.065

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

# Words that say how a question is asked, not what it is about. They are dropped before
# matching, so "what is ... ?" and "…뭐예요?" do not make every passage look a little relevant.
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    "explain tell does did doesn don isn aren s t whats please really mean means meaning example "
    "어떻게 어떤 무엇 무엇인가요 무엇을 무엇이 무엇인지 뭐 뭐예요 뭐야 뭔가요 뭐가 뭘 뭐고 왜 왜요 어때요 어때 "
    "알려 줘 주세요 줄래요 해 해요 해줘 설명해 설명해줘 설명해 주세요 궁금해요 있어요 있나요 돼요 되나요 인가요 "
    "건가요 거예요 이에요 예요 수 것 그 이 저 좀 더 잘 다 하는 하면 하나요 할까 할까요 어디 언제 누가 누구 "
    "쉽게 말해 간단히 자세히 정말 진짜 그냥 대해 대해서 관해 관한 관해서 바꾸나요 바뀌나요 달라지나요".split()
)
# Korean particles, then verb endings, stripped to find a word's stem ("환각이란" -> "환각",
# "바뀌어요" -> "바뀌"). Longest first, so "에서는" goes before "는".
_KO_PARTICLES = sorted(
    "이란 이라는 라는 에서는 에서 으로는 으로 에게 하고 이나 이랑 랑 까지 부터 보다 처럼 만 도 은 는 이 가 을 를 "
    "의 에 와 과 로 란 요".split(),
    key=len,
    reverse=True,
)
_KO_ENDINGS = sorted("면 어 아 해 져 워 고 서 는데 었어 았어 했어 었 았 했 니까".split(), key=len, reverse=True)


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
    """A passage that matches a question, and how well.

    `similarity` is the TF-IDF cosine (0-1): how much the wording overlaps, rare terms counting
    most. `coverage` is the share of the question's key words found in the passage. `score` is
    their product: a passage must both resemble the question and contain what it asks about.
    """

    passage: Passage
    similarity: float
    coverage: float = 1.0

    @property
    def score(self) -> float:
        return round(self.similarity * self.coverage, 4)

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
        return max((h.score for h in self.hits), default=0.0)


def _plain(markdown: str) -> str:
    """Markdown to plain text for matching: links keep their words, markup goes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[`*_#>|]", " ", text)
    return unicodedata.normalize("NFC", text)


def normalise_query(text: str) -> str:
    """The same normalisation for questions as for passages (NFC joins decomposed Hangul)."""
    return unicodedata.normalize("NFC", text).lower()


def key_words(text: str) -> list[str]:
    """The words of `text` that carry its topic: lower case, stop words dropped. A word that
    switches script ("temperature는") is split where it switches, and a particle left on its
    own ("는") is dropped, so "temperature" matches like any other word."""
    words: list[str] = []
    for word in re.findall(r"\w+", normalise_query(text)):
        parts = re.findall(r"[\uac00-\ud7a3]+|[^\W\uac00-\ud7a3]+", word)
        if len(parts) > 1:
            parts = [p for p in parts if p not in _KO_PARTICLES]
        words += [p for p in parts if p not in STOP_WORDS]
    return words


def _strip_suffix(word: str, suffixes: list[str], keep: int) -> str:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            return word[: -len(suffix)]
    return word


def stem(word: str) -> str:
    """A crude stem, so that forms of one word match: "환각이란" and "환각은" -> "환각",
    "learning" and "learns" -> "lear"/"learn" (a passage word that *starts with* the stem counts).
    """
    if re.search(r"[\uac00-\ud7a3]", word):
        return _strip_suffix(_strip_suffix(word, _KO_PARTICLES, 1), _KO_ENDINGS, 2)
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[: max(4, len(word) - 3)] if len(word) >= 6 else word


def _min_prefix(stem_: str) -> int:
    """How long a stem must be to count as the start of a longer word: 2 syllables, 4 letters."""
    return 2 if re.search(r"[\uac00-\ud7a3]", stem_) else 4


def stems_of(text: str) -> str:
    """The stems of the key words of `text`, for the word view of the index."""
    return " ".join(stem(w) for w in key_words(text))


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
    return " ".join(key_words(f"{p.lesson_title}\n{p.title}\n{p.title}\n{p.text}"))


class SectionIndex:
    """TF-IDF vectors of every passage, and a search over them."""

    def __init__(self, passages: list[Passage]) -> None:
        if not passages:
            raise ValueError("no lesson sections to index")
        self.passages = passages
        docs = [_document(p) for p in passages]
        stemmed = [" ".join(stem(w) for w in doc.split()) for doc in docs]
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        self.words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
        # Stored transposed (terms x passages), so a query row times it gives every similarity.
        self.char_matrix_t = self.chars.fit_transform(docs).T.tocsr()
        self.word_matrix_t = self.words.fit_transform(stemmed).T.tocsr()
        # Each passage's stems, sorted, to look up "does the passage have a word starting with this?"
        self.vocab = [sorted(set(doc.split())) for doc in stemmed]
        # (lesson, section) -> row of that section in each language
        self.rows: dict[tuple[str, str], dict[str, int]] = {}
        for row, p in enumerate(passages):
            self.rows.setdefault((p.lesson, p.section), {})[p.lang] = row

    def similarities(self, query: str) -> np.ndarray:
        """Cosine similarity of the query with every passage (TF-IDF rows are L2-normalised)."""
        text = " ".join(key_words(query))
        w_char, w_word = _WEIGHTS[question_language(query)]
        # Input checks cost more than the search itself; our input is always one clean string.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            char_q = self.chars.transform([text])
            word_q = self.words.transform([stems_of(query)])
        char_sim = (char_q @ self.char_matrix_t).toarray().ravel()
        word_sim = (word_q @ self.word_matrix_t).toarray().ravel()
        return w_char * char_sim + w_word * word_sim

    def coverage(self, stems: list[str], row: int) -> float:
        """The share of `stems` found in passage `row`: the same stem, or for a long enough stem,
        one that it begins ("임베" finds "임베딩"; a one-syllable "시" must match exactly)."""
        if not stems:
            return 0.0
        words = self.vocab[row]
        found = 0
        for s in stems:
            i = bisect.bisect_left(words, s)
            if i < len(words) and (words[i] == s or (words[i].startswith(s) and len(s) >= _min_prefix(s))):
                found += 1
        return found / len(stems)

    @functools.cache  # noqa: B019 - one index per process, two languages
    def _language_factors(self, lang: str) -> np.ndarray:
        return np.array([1.0 if p.lang == lang else _OTHER_LANGUAGE_FACTOR for p in self.passages])

    def search(self, query: str, lang: str, k: int = 3) -> list[Hit]:
        """The k best sections for `query`, each shown in `lang` when that language has it.

        A section's score is similarity x coverage, so it can never beat its similarity: going
        down the passages by similarity, we can stop once the next one cannot enter the top k.
        """
        sims = self.similarities(query) * self._language_factors(lang)
        stems = [stem(w) for w in dict.fromkeys(key_words(query))]
        best: dict[tuple[str, str], Hit] = {}
        kth = 0.0  # the k-th best score so far
        # Only the most similar passages can win; a passage far down the list scoring in the
        # top k would need a similarity it does not have.
        for row in np.argsort(-sims, kind="stable")[:_CANDIDATES]:
            sim = float(sims[row])
            if len(best) >= k and sim <= kth:
                break
            p = self.passages[row]
            key = (p.lesson, p.section)
            if key in best:  # already met in a language that matched better
                continue
            shown = self.passages[self.rows[key].get(lang, row)]
            best[key] = Hit(shown, round(sim, 4), round(self.coverage(stems, row), 4))
            if len(best) >= k:
                kth = sorted((h.score for h in best.values()), reverse=True)[k - 1]
        hits = sorted(best.values(), key=lambda h: (-h.score, -h.similarity, h.passage.order, h.section))
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
