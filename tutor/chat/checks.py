"""Checks on what the model writes, sentence by sentence, before a learner sees it.

The tutor's answer starts with the lesson's own words (a quote, tutor/chat/quotes.py). The small model
then explains, and a 0.5B model can go wrong in a few typical ways. Each is caught here:

- an **echo**: it repeats the learner's question ("Is a neuron a parameter?" -> "A neuron is a
  parameter.") or a section title, which reads like an answer and says nothing;
- a **loop**: it repeats a sentence, or a run of words inside one, until the token limit;
- a **contradiction**: on a yes/no question it says "yes" where the lesson says "no", or it states
  a sentence of the lesson with the negation flipped;
- an **unsupported sentence**: most of its content words appear nowhere in the lesson text it was
  given, so it is the model's own claim, which the tutor cannot vouch for.

Only sentences that pass are shown as the tutor's explanation; the others are kept aside (the
chat can show them, clearly marked as "not from the lesson"). Everything here is plain string
work, fast enough to run on every sentence while the model is still writing.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from tutor.chat.terms import content_terms, has_hangul, share_in_sorted, supported_share

# --- small text tools ------------------------------------------------------------------------

# Where a sentence ends: after . ! ? (or the Korean/Chinese full stop) and the quotes or brackets
# that close it, when white space follows; and at every line break.
_SENTENCE_END = re.compile(r"(?<=[.!?。])[\"'”’)\]]*\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, trimmed, in order (a bullet line counts as one sentence)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def letters_only(text: str) -> str:
    """Lower-case letters and digits, nothing else: "Is a neuron a parameter?" -> "isaneuronaparameter".

    Comparing texts this way ignores spacing, punctuation and markup, which the model varies
    freely (Korean spacing especially) without changing what is said."""
    text = unicodedata.normalize("NFC", text).lower()
    return "".join(c for c in text if c.isalnum())


def _bigrams(text: str) -> set[str]:
    s = letters_only(text)
    return {s[i : i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def likeness(a: str, b: str) -> float:
    """How alike two texts are, 0..1 (Dice coefficient of their letter pairs)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


# --- yes / no ---------------------------------------------------------------------------------

_EN_AUX = (
    "is are am was were do does did can could will would should shall may might must has have had "
    "isn't aren't doesn't don't didn't can't cannot won't wouldn't shouldn't wasn't weren't hasn't haven't"
).split()
_EN_LEADING_FILLER = re.compile(r"^(?:(?:so|but|and|wait|ok|okay|hmm|um|also|then|hey|like)[,!.]*\s+)+", re.I)
_EN_TAG_QUESTION = re.compile(r"(?:,?\s*(?:right|correct|true|isn't it|doesn't it|aren't they|yes or no))\s*\??\s*$", re.I)
_EN_WH = re.compile(r"^(?:what|why|how|when|where|which|who|whom|whose)\b", re.I)
_KO_WH = re.compile(r"뭐|무엇|무슨|왜|어떻게|어떤|언제|어디|누가|누구|몇|얼마|어느|뭔|뭘|어째서|어때")
_KO_QUESTION_END = re.compile(r"(?:\?|죠|지요|나요|까요|가요|니|냐|나|래요|맞아|맞죠|맞나요|거야|거지|건가)\s*[?？]*\s*$")


def is_yes_no_question(question: str) -> bool:
    """True for a question answered by yes or no ("Is a neuron a parameter?", "LLM은 검색해요?")."""
    q = question.strip()
    if has_hangul(q):
        return not _KO_WH.search(q) and bool(_KO_QUESTION_END.search(q))
    q = _EN_LEADING_FILLER.sub("", q)
    first = q.split(maxsplit=1)[0].lower().strip(",.!?") if q.split() else ""
    if first in _EN_AUX:
        return True
    return bool(_EN_TAG_QUESTION.search(q)) and not _EN_WH.search(q)


_EN_YES = re.compile(r"^\W*(?:yes|yeah|yep|yup|correct|exactly|true|that'?s right|right)\b", re.I)
_EN_NO = re.compile(r"^\W*(?:no|nope|not really|not quite|not exactly|false|wrong|incorrect)\b", re.I)
_KO_YES = re.compile(r"^\W*(?:네|예|응|맞아요|맞습니다|맞아|그래요|그렇습니다|그렇죠|물론이죠|물론)(?![가-힣])")
_KO_NO = re.compile(r"^\W*(?:아니요|아뇨|아니에요|아닙니다|아니|틀려요|틀립니다|그렇지 않아요)(?![가-힣])")


def stated_yes_no(sentence: str) -> str | None:
    """'yes' or 'no' when a sentence opens with one ("Yes, ..." / "아니요, ..."), else None."""
    if _EN_NO.search(sentence) or _KO_NO.search(sentence):
        return "no"
    if _EN_YES.search(sentence) or _KO_YES.search(sentence):
        return "yes"
    return None


def drop_yes_no(sentence: str) -> str:
    """The sentence without its opening yes/no word ("Yes, it does." -> "It does.")."""
    for pattern in (_EN_NO, _KO_NO, _EN_YES, _KO_YES):
        m = pattern.search(sentence)
        if m:
            rest = sentence[m.end():].lstrip(" ,.!—–-:")
            return rest[:1].upper() + rest[1:] if rest else ""
    return sentence


_EN_NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|neither|nor|none|nothing|without)\b|n't\b", re.I
)
_KO_NEGATION = re.compile(r"않|아니|아닌|아님|아냐|없|못하|(?:^|\s)못\s|(?:^|\s)안\s|말고|지 마|불가능")


def is_negated(sentence: str) -> bool:
    """Does the sentence say "not" somewhere (not, n't, never; 않, 아니, 없, 못, 안)?"""
    return bool(_EN_NEGATION.search(sentence) or _KO_NEGATION.search(sentence))


def quote_yes_no(question: str, quote: str) -> str | None:
    """The answer the lesson's quote gives to a yes/no question, when it can be told safely.

    Only "no" is read off the quote: the quote's sentence that is most about the question says
    "not" ("Are parameters neurons?" -> "Parameters are not neurons."). It must be the sentence
    that covers the question best: in "LLM이라는 말은 ... 같은 뜻은 아니에요. ... 그래서 모든 LLM은
    딥러닝 모델이에요", a "not" about the words does not answer "모든 LLM은 딥러닝 모델인가요?".
    A quote without "not" is no safe "yes" ("Can it see later tokens?" -> "It can only see earlier
    ones"), so then the answer is left to the quote's own words (None)."""
    if not is_yes_no_question(question):
        return None
    asked = content_terms(question)
    sentences = split_sentences(quote)
    for sentence in sentences:
        opening = stated_yes_no(sentence)
        if opening:
            return opening
    if not asked or not sentences:
        return None
    covers = [supported_share(asked, content_terms(s)) for s in sentences]
    best = max(covers)
    most_about = [s for s, c in zip(sentences, covers, strict=True) if c == best]
    if best >= 0.5 and all(is_negated(s) for s in most_about):
        return "no"
    return None


# --- following the model's explanation ---------------------------------------------------------

# Below this share of its content words found in the lesson text, a sentence is the model's own.
SUPPORT_THRESHOLD = 0.5
# Where those words must be found: within this many consecutive sentences of the notes (or the
# quote), not scattered over all of them. Words gathered from all over the notes make new claims
# no lesson sentence says: "The model this app uses is 12,288 tokens" took "model", "app",
# "12,288" and "tokens" from three different sentences. 0 = anywhere in the notes.
SUPPORT_WINDOW = 2
# At least this alike (0..1) to the question or a title, a sentence is an echo of it.
ECHO_LIKENESS = 0.72
TITLE_ECHO_LIKENESS = 0.9
# At least this alike to an earlier sentence (or the quote), a sentence is a repeat.
REPEAT_LIKENESS = 0.8
# A sentence longer than this has run on: the model is looping or rambling.
MAX_SENTENCE_CHARS = 400
# Repeats in a row after which the model is stopped: it is in a loop.
REPEATS_TO_STOP = 2


@dataclass(frozen=True)
class Verdict:
    """What the checks decided about one sentence of the model's explanation."""

    text: str
    kind: str  # "kept" | "echo" | "repeat" | "loop" | "contradiction" | "unsupported" | "empty"

    @property
    def kept(self) -> bool:
        return self.kind == "kept"


def _repeated_run(sentence: str) -> bool:
    """A run of words (or, in Korean, of letters) said three times in one sentence: a loop."""
    words = sentence.split()
    for n in (2, 3, 4, 5):
        runs = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
        if any(runs.count(r) >= 3 for r in set(runs)):
            return True
    letters = letters_only(sentence)
    for n in (4, 6, 8):
        chunks = [letters[i : i + n] for i in range(0, max(0, len(letters) - n + 1))]
        if chunks and max(chunks.count(c) for c in set(chunks)) >= 4:
            return True
    return False


@dataclass
class ExplanationGuard:
    """Judges the model's explanation one finished sentence at a time.

    `feed(piece)` takes text as it streams and returns the verdicts on the sentences it finished;
    `finish()` judges what is left. `stop_model` turns True once the model is looping, so the
    caller can stop it instead of waiting for the token limit.
    """

    question: str
    notes: str  # the lesson text the model was given (the quote included)
    quote: str = ""
    titles: tuple[str, ...] = ()
    expected_yes_no: str | None = None  # what the quote answers to a yes/no question
    # Off for a general answer (no lesson text to check against); echoes and loops are still cut.
    check_support: bool = True
    verdicts: list[Verdict] = field(default_factory=list)
    stop_model: bool = False
    _buffer: str = ""
    _repeats: int = 0

    def __post_init__(self) -> None:
        self._note_terms = content_terms(self.notes + "\n" + self.quote)
        self._note_sentences = split_sentences(self.notes) + split_sentences(self.quote)
        self._note_windows = _windows(split_sentences(self.notes), SUPPORT_WINDOW) + _windows(
            split_sentences(self.quote), SUPPORT_WINDOW)
        self._yes_no_question = is_yes_no_question(self.question)

    @property
    def kept(self) -> list[str]:
        return [v.text for v in self.verdicts if v.kept]

    def feed(self, piece: str) -> list[Verdict]:
        self._buffer += piece
        parts = _SENTENCE_END.split(self._buffer)
        # The last part may still be growing; everything before it is finished.
        finished, self._buffer = parts[:-1], parts[-1]
        out = [self._judge(s.strip()) for s in finished if s and s.strip()]
        if len(self._buffer) > MAX_SENTENCE_CHARS:  # a sentence that never ends
            out.append(self._record(Verdict(self._buffer.strip(), "loop")))
            self._buffer = ""
            self.stop_model = True
        return out

    def finish(self) -> list[Verdict]:
        rest, self._buffer = self._buffer.strip(), ""
        return [self._judge(rest)] if rest else []

    def _record(self, verdict: Verdict) -> Verdict:
        self.verdicts.append(verdict)
        return verdict

    def _judge(self, sentence: str) -> Verdict:
        if self.stop_model:  # after a loop nothing more is shown
            return self._record(Verdict(sentence, "loop"))
        opening = stated_yes_no(sentence) if self._yes_no_question else None
        if opening is not None:
            if self.expected_yes_no and opening != self.expected_yes_no:
                return self._record(Verdict(sentence, "contradiction"))
            if not self.expected_yes_no:
                # The quote does not say yes or no plainly, so neither may the model.
                sentence = drop_yes_no(sentence)
        if not letters_only(sentence):
            return self._record(Verdict(sentence, "empty"))
        if _repeated_run(sentence) or len(sentence) > MAX_SENTENCE_CHARS:
            self.stop_model = True
            return self._record(Verdict(sentence, "loop"))
        earlier = [v.text for v in self.verdicts if v.kind in ("kept", "repeat")]
        if any(likeness(sentence, e) >= REPEAT_LIKENESS for e in earlier):
            self._repeats += 1
            if self._repeats >= REPEATS_TO_STOP:
                self.stop_model = True
                return self._record(Verdict(sentence, "loop"))
            return self._record(Verdict(sentence, "repeat"))
        if self._repeats_quote(sentence):
            return self._record(Verdict(sentence, "repeat"))  # the quote is already on screen
        if self._is_echo(sentence):
            return self._record(Verdict(sentence, "echo"))
        if not self.check_support:
            return self._record(Verdict(sentence, "kept"))
        if self._flips_a_note(sentence):
            return self._record(Verdict(sentence, "contradiction"))
        terms = content_terms(sentence)
        if terms and self.support(terms) < SUPPORT_THRESHOLD:
            return self._record(Verdict(sentence, "unsupported"))
        return self._record(Verdict(sentence, "kept"))

    def support(self, terms: list[str]) -> float:
        """The largest share of `terms` that one stretch of the notes holds (see SUPPORT_WINDOW)."""
        if not SUPPORT_WINDOW or not self._note_windows:
            return supported_share(terms, self._note_terms)
        return max(share_in_sorted(terms, window) for window in self._note_windows)

    def _repeats_quote(self, sentence: str) -> bool:
        """A sentence copied from the quote (whole, or most of one of its sentences)."""
        said = letters_only(sentence)
        if not said or not self.quote:
            return False
        # (A few letters are in any quote: "a b" is in "vocabulary". Only a real stretch counts.)
        if len(said) >= 12 and said in letters_only(self.quote):
            return True
        return any(likeness(sentence, q) >= REPEAT_LIKENESS for q in split_sentences(self.quote))

    def _is_echo(self, sentence: str) -> bool:
        body = drop_yes_no(sentence) or sentence
        if likeness(body, self.question) >= ECHO_LIKENESS:
            return True
        # A title is the lesson's own summary, so a sentence close to it may well be a fair answer
        # ("A word embedding is a list of numbers" beside "Word embeddings: meaning as a list of
        # numbers"); only a near copy of it is an echo.
        if any(likeness(body, title) >= TITLE_ECHO_LIKENESS for title in self.titles):
            return True
        # A sentence made only of the question's own words adds nothing ("단어랑 같은 건가요?").
        said, asked = letters_only(body), letters_only(self.question)
        return bool(said) and (said in asked or sentence.rstrip().endswith(("?", "？")))

    def _flips_a_note(self, sentence: str) -> bool:
        """The sentence restates a note sentence (same content words) with "not" added or removed.

        An opening "No," answers the question; it is not part of the statement."""
        sentence = drop_yes_no(sentence) or sentence
        terms = content_terms(sentence)
        if len(terms) < 2:
            return False
        for note in self._note_sentences:
            note_terms = content_terms(note)
            if len(note_terms) < 2:
                continue
            # Most of the sentence restates the note, and it carries most of the note's words (a
            # restatement may leave out a detail: "a neuron, a small unit, adds..." -> "a neuron adds...").
            restates = supported_share(terms, note_terms) >= 0.75 and supported_share(note_terms, terms) >= 0.6
            if restates and is_negated(sentence) != is_negated(note):
                return True
        return False


def _windows(sentences: list[str], size: int) -> list[list[str]]:
    """The sorted content words of every run of `size` consecutive sentences."""
    if not sentences or size <= 0:
        return []
    return [sorted(set(content_terms(" ".join(sentences[i : i + size])))) for i in range(max(1, len(sentences) - size + 1))]


def judge_all(guard: ExplanationGuard, pieces: Iterable[str]) -> list[Verdict]:
    """Every verdict on a whole explanation (for tests and the command line)."""
    out: list[Verdict] = []
    for piece in pieces:
        out += guard.feed(piece)
    return out + guard.finish()
