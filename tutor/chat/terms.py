"""Words as the tutor compares them: the content words of a text, reduced to rough stems.

Retrieval (tutor/chat/retrieval.py), the quote picker (tutor/chat/quotes.py) and the answer checks
(tutor/chat/checks.py) all ask the same question of a text: which words carry its topic? The
answer is here, once. Korean words carry particles and endings ("토큰은", "토큰을", "바뀌어요"), so
they are cut back to a stem; English words lose a plural "s" and long ones their last letters.
A stem matches a longer word it begins ("임베" finds "임베딩"), which covers most other forms.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Words that say how a question is asked, not what it is about. They are dropped before
# matching, so "what is ... ?" and "…뭐예요?" do not make every passage look a little relevant.
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    "explain tell does did doesn don isn aren s t whats please really mean means meaning example "
    "어떻게 어떤 무엇 무엇인가요 무엇을 무엇이 무엇인지 뭐 뭐예요 뭐야 뭔가요 뭐가 뭘 뭐고 왜 왜요 어때요 어때 "
    "알려 줘 주세요 줄래요 해 해요 해줘 설명해 설명해줘 설명해 주세요 궁금해요 있어요 있나요 돼요 되나요 인가요 "
    "건가요 거예요 이에요 예요 수 것 그 이 저 좀 더 잘 다 하는 하면 하나요 할까 할까요 어디 언제 누가 누구 "
    "쉽게 말해 간단히 자세히 정말 진짜 그냥 대해 대해서 관해 관한 관해서 바꾸나요 바뀌나요 달라지나요 "
    # how learners write when they type fast: casual question endings and fillers
    "뭐임 뭐지 뭐냐 뭐죠 뭔데 뭔지 뭐에요 왜임 어케 맞지 맞죠 맞아 맞나요 맞아요 거야 거지 건지 건데 거임 "
    "모에요 모예요 모야 모임 머에요 머예요 머야 머임 머가 머지 "  # 뭐 as it is often typed ("활성화 함수가 모에요?")
    "결국 그럼 그러면 혹시 아니면 아님 이거 그거 저거 걍 "
    "actually just stuff thing things kind sort basically exactly literally gonna wanna pls plz hey ok okay lol".split()
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


# "top-k" and "top-p" are one term each; split at the hyphen, "p" and "k" are too short to count
# and "top" alone matches nothing useful ("top-p??" found the section on pre-training).
_TOP_K_P = re.compile(r"\btop[\s_-]?([kp])(?![a-z0-9])")


def normalise_query(text: str) -> str:
    """The same normalisation for questions as for passages (NFC joins decomposed Hangul)."""
    return _TOP_K_P.sub(r"top\1", unicodedata.normalize("NFC", text).lower())


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


def min_prefix(stem_: str) -> int:
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



_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def has_hangul(text: str) -> bool:
    """Does the text hold at least one Hangul syllable?"""
    return bool(_HANGUL.search(text))


def content_terms(text: str) -> list[str]:
    """The stems of the words that carry the text's topic, each once, in order."""
    return list(dict.fromkeys(stem(w) for w in key_words(text) if len(w) > 1 or has_hangul(w)))


def supported_share(terms: Iterable[str], pool: Iterable[str]) -> float:
    """The share of `terms` found in `pool` (see `share_in_sorted`). Order does not matter."""
    return share_in_sorted(list(terms), sorted(set(pool)))


def share_in_sorted(terms: list[str], words: list[str]) -> float:
    """The share of `terms` found in the sorted list `words`: the same stem, or a longer word it
    begins, when the stem is long enough to count as the start of a word (see `min_prefix`)."""
    if not terms:
        return 0.0
    found = 0
    for s in terms:
        i = bisect.bisect_left(words, s)
        if i < len(words) and (words[i] == s or (words[i].startswith(s) and len(s) >= min_prefix(s))):
            found += 1
    return found / len(terms)


# --- spelling: a learner's typo, read as the course word it almost is ---------------------------

def _jamo(word: str) -> str:
    """Hangul syllables split into their letters (한 -> ㅎ ㅏ ㄴ), so a typo costs one letter."""
    return unicodedata.normalize("NFD", word)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance between a and b, or limit + 1 as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


class Speller:
    """Reads a word the course does not know as the course word it is one or two letters from.

    "temprature" -> "temperature", "임배딩이" -> "임베딩이", "환깍이" -> "환각이"; a Korean word
    written without its space ("창발능력") is read as the two words the course writes ("창발 능력").
    Only words the course does not know are touched, and only toward words it does, starting with
    the same letter (typos rarely hit the first one): a word simply outside the course stays as it
    is, so an off-topic question stays off-topic.
    """

    def __init__(self, words: Iterable[str]) -> None:
        counts: dict[str, int] = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        self.counts = counts
        self.stems = sorted({stem(w) for w in counts})
        # (first letter, length in letters) -> [(word spelled in letters, word)]
        self._buckets: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for w in counts:
            key = _jamo(w)
            self._buckets.setdefault((key[0], len(key)), []).append((key, w))

    def known(self, word: str) -> bool:
        return share_in_sorted([stem(word)], self.stems) == 1.0

    def _split(self, word: str) -> list[str] | None:
        """A Korean compound written as one word, as two words the course knows."""
        if not has_hangul(word) or len(word) < 4:
            return None
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if left in self.counts and self.known(right):
                return [left, right]
        return None

    def correct(self, word: str) -> list[str]:
        """The course's word(s) for `word`: itself when known, else a split or a near spelling."""
        if self.known(word) or not word.isalpha():
            return [word]
        split = self._split(word)
        if split:
            return split
        key = _jamo(word)
        # Short words are left alone: "stuff" is one letter from the course's "staff", but it is
        # an ordinary word. Korean letters are counted as jamo (환깍 = 6).
        if len(key) < (5 if has_hangul(word) else 7):
            return [word]
        limit = 1 if len(key) < 9 else 2
        best: tuple[int, int, str] | None = None
        for length in range(len(key) - limit, len(key) + limit + 1):
            for other_key, other in self._buckets.get((key[0], length), []):
                d = edit_distance(key, other_key, limit)
                if d <= limit and (best is None or (d, -self.counts[other]) < best[:2]):
                    best = (d, -self.counts[other], other)
        return [best[2]] if best else [word]

    def respell(self, text: str) -> str:
        """The key words of `text`, each unknown one replaced by what the course calls it."""
        return " ".join(" ".join(self.correct(w)) for w in key_words(text))


_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_SPECIAL = re.compile(r"<\|[^|<>\n]{0,40}\|>|\[/?INST\]|<</?SYS>>")
_MARKUP = re.compile(r"[`*_#>|~\[\]{}]")
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def searchable(text: str) -> str:
    """The words of a question without what only dresses them: HTML tags, Markdown marks, chat
    special tokens, control and invisible characters. "<b>what is a\\x07 token</b>" and "what is a
    token" are searched alike, so markup never changes whether a question is covered."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub(" ", text)
    text = _SPECIAL.sub(" ", text)
    text = _TAG.sub(" ", text)
    return re.sub(r"\s+", " ", _MARKUP.sub(" ", text)).strip()
