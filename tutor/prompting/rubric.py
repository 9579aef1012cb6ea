"""A transparent rubric for prompts: six rule-based checks, each with a one-line reason and a fix.

The checks look at what the prompt *says*, not at how the model answers (that is rules.py).
Every check is a handful of readable patterns in English and Korean, so a learner can see why a
prompt passed or not; nothing here is a model or a score. A prompt may mix both languages, so both
pattern sets always apply.

Each check returns a CheckResult whose `reason` and `fix` are i18n keys in content/ui/prompting.toml
(`explain` turns them into text); `detail` fills their {placeholders}.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from tutor.i18n import t

# The checks, in the order the page lists them.
CHECKS: tuple[str, ...] = ("context", "format", "examples", "steps", "audience_length", "no_contradictions")

MIN_CONTEXT_CHARS = 30  # a pasted passage shorter than this is a phrase, not background


@dataclass(frozen=True)
class CheckResult:
    """One rubric check on one prompt."""

    check: str  # one of CHECKS
    passed: bool
    reason: str  # i18n key of the one-line reason
    fix: str = ""  # i18n key of what to add (empty when passed)
    detail: dict[str, str] = field(default_factory=dict)  # values for {placeholders}


def _key(check: str, name: str) -> str:
    return f"prompting.rubric.{check}.{name}"


def _passed(check: str, reason: str = "pass", **detail: str) -> CheckResult:
    return CheckResult(check, True, _key(check, reason), "", dict(detail))


def _failed(check: str, reason: str = "fail", fix: str = "fix", **detail: str) -> CheckResult:
    return CheckResult(check, False, _key(check, reason), _key(check, fix), dict(detail))


def normalize(prompt: object) -> str:
    """Text the checks can trust: NFKC (full-width colons, compatibility jamo), no zero-width marks."""
    if not isinstance(prompt, str):
        return ""
    text = unicodedata.normalize("NFKC", prompt)
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _find(patterns: list[re.Pattern[str]], text: str) -> str | None:
    """The first phrase in `text` that one of `patterns` matches, as written."""
    for pattern in patterns:
        if m := pattern.search(text):
            return m.group(0).strip()
    return None


def _rx(*parts: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in parts]


# --- 1. context: background the model can read instead of remembering -----------------------------

_CONTEXT_LABEL = re.compile(
    r"^\s*(?:context|background|information|info|facts|notes?|text|article|passage|document|source|"
    r"reference|data|review|post|e-?mail|message|참고\s*자료|참고|배경|맥락|자료|정보|본문|글|문서|내용|사실|"
    r"리뷰|메모|게시글|이메일|메일|편지|메시지)\s*:(?P<body>.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_BLOCK = re.compile(r'(```|"""|\'\'\'|<text>|<context>)(?P<body>.+?)(```|"""|\'\'\'|</text>|</context>)', re.S)
_SENTENCE_END = re.compile(r"[.!?。]|(?:다|요|죠|음|함)[.!?]?(?=\s|$)")
_ARROW = re.compile(r"→|->|=>|⇒")


def _labelled_context(text: str) -> str:
    """Text under a label like 'Context:' / '참고 자료:', up to the next blank line."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = _CONTEXT_LABEL.match(line)
        if not m or _ARROW.search(line):
            continue
        body = [m.group("body").strip()]
        for nxt in lines[i + 1 :]:
            if not nxt.strip() or _ARROW.search(nxt):
                break
            body.append(nxt.strip())
        joined = " ".join(b for b in body if b)
        if len(joined) >= MIN_CONTEXT_CHARS:
            return joined
    return ""


def _background_paragraph(text: str) -> str:
    """A separate paragraph of at least two sentences (background pasted above or below the task)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paragraphs) < 2:
        return ""
    for para in paragraphs:
        if _ARROW.search(para):
            continue  # few-shot example lines are examples, not background
        if len(_SENTENCE_END.findall(para)) >= 2 and len(para) >= 2 * MIN_CONTEXT_CHARS:
            return para
    return ""


# A passage in ordinary quotation marks ("…", “…”, 「…」) on one line: how most people paste a review.
_QUOTED_SPAN = re.compile(r'["“„«「『](?P<body>[^"“”„«»「」『』\n]+)["”»」』]')
_NOT_WORD = re.compile(r"[\W_]+")


def _comparable(text: str) -> str:
    """Text reduced to its words, for "is this passage in the prompt?" (quotes, punctuation, case
    and spacing differ between what the task shows and what a learner pastes)."""
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def contains_passage(text: str, passage: str, share: float = 0.8) -> bool:
    """True when `text` holds at least `share` of `passage` word for word (a paste that lost a
    word at either end still counts)."""
    from difflib import SequenceMatcher

    wanted, have = _comparable(normalize(passage)), _comparable(text)
    if len(wanted) < MIN_CONTEXT_CHARS or not have:
        return False
    if wanted in have:
        return True
    match = SequenceMatcher(None, have, wanted, autojunk=False).find_longest_match(0, len(have), 0, len(wanted))
    return match.size >= share * len(wanted)


def check_context(text: str, passages: tuple[str, ...] = ()) -> CheckResult:
    """Does the prompt carry the facts the answer depends on (a labelled, quoted or separate
    passage, or one of `passages`, the texts the exercise gives, pasted without any label)?"""
    if any(contains_passage(text, passage) for passage in passages):
        return _passed("context", "pass_pasted")
    if (m := _QUOTED_BLOCK.search(text)) and len(m.group("body").strip()) >= MIN_CONTEXT_CHARS:
        return _passed("context", "pass_quoted")
    if any(len(m.group("body").strip()) >= MIN_CONTEXT_CHARS for m in _QUOTED_SPAN.finditer(text)):
        return _passed("context", "pass_quoted")
    if _labelled_context(text):
        return _passed("context", "pass_labelled")
    if _background_paragraph(text):
        return _passed("context", "pass_paragraph")
    return _failed("context")


# --- 2. format: what shape the answer should take ------------------------------------------------

_NUM_EN = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a single|single)"
_NUM_KO = r"(?:\d+|한|하나|두|둘|세|셋|네|넷|다섯|여섯|일곱|여덟|아홉|열)"

_FORMAT = _rx(
    r"\b(json|csv|yaml|xml|markdown|html)\b",
    r"\b(table|bullet[- ]points?|bullets?|numbered|list|format(ted)?|template|in the form)\b",
    r"\b(one|a single|single)[- ](word|line|sentence|number)\b",
    r"\b(answer|reply|respond)( with)? (only|just)\b|\bonly the (name|number|answer|country|word|date|year)\b",
    r"\byes or no\b|\b(of|in) the form\b|\b(final|last) line\b|\b(reply|answer|respond|say) exactly\b",
    r"\$X\.XX|YYYY-MM-DD|\bX+\b\.\bX+\b",
    rf"{_NUM_EN}\s+([a-z]+\s+)?(sentences?|lines?|words?|paragraphs?|bullet[- ]points?|bullets?)\b",
    r"형식|포맷|양식|표로|목록|리스트|글머리|불릿|번호를\s*매|예\s*/\s*아니오|예 또는 아니오",
    r"[가-힣]+만\s*(써|쓰|답|적|출력|말)|(이)?라고만|정확히[^\n]{0,40}(이)?라고|마지막 줄",
    rf"{_NUM_KO}\s*(문장|줄|단어|문단)|(문장|줄|단어|문단)\s*{_NUM_KO}\s*개",
)


def check_format(text: str) -> CheckResult:
    """Does the prompt say what shape the answer should have (JSON, a list, one word, $X.XX, ...)?"""
    if found := _find(_FORMAT, text):
        return _passed("format", phrase=found)
    if check_examples(text).passed:
        return _passed("format", "pass_examples")  # consistent examples show the format
    return _failed("format")


# --- 3. examples: worked examples in one consistent format --------------------------------------

_PAIR_LABEL = re.compile(
    r"^\s*(input|output|q|a|question|answer|text|sentiment|review|label|입력|출력|질문|답|답변|문장|감정|리뷰)\s*:",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"→|->|=>|⇒|:|\|")


def _arrow_shapes(lines: list[str]) -> list[tuple[str, ...]]:
    """For each line with an arrow, its sequence of separators, e.g. (':', '→')."""
    return [tuple(_SEPARATORS.findall(line)) for line in lines if _ARROW.search(line)]


def _pair_labels(lines: list[str]) -> list[str]:
    return [m.group(1).lower() for line in lines if (m := _PAIR_LABEL.match(line)) and not _ARROW.search(line)]


def _labels_repeat(labels: list[str]) -> bool:
    """Q/A-style labels repeat in the same order (Q, A, Q, A, Q ...) at least twice."""
    distinct = list(dict.fromkeys(labels))
    period = len(distinct)
    return len(labels) > period and all(label == distinct[i % period] for i, label in enumerate(labels))


def check_examples(text: str) -> CheckResult:
    """Does the prompt show worked examples, all written in the same format?

    Two styles count: lines like 'apple: 3 dollars → $3.00' (same separators on every line), and
    labelled pairs like 'Q: ... / A: ...' repeating in the same order. An open last slot
    ('cheese: 7 dollars →') is what the model then fills in.
    """
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    shapes = _arrow_shapes(lines)
    labels = _pair_labels(lines)
    if len(shapes) >= 2:
        if len(set(shapes)) > 1:
            return _failed("examples", "fail_inconsistent", "fix_inconsistent")
        arrow_lines = [line for line in lines if _ARROW.search(line)]
        open_slot = bool(re.search(r"(→|->|=>|⇒)\s*$", arrow_lines[-1]))
        return _passed("examples", "pass_open" if open_slot else "pass", count=str(len(shapes)))
    if len(labels) >= 3:
        if not _labels_repeat(labels):
            return _failed("examples", "fail_inconsistent", "fix_inconsistent")
        return _passed("examples", "pass", count=str(len(labels) // len(set(labels))))
    if len(shapes) == 1 or len(labels) == 2 or re.search(r"\bexamples?\s*:|예시\s*:|예\s*:", text, re.I):
        return _failed("examples", "fail_one", "fix")
    return _failed("examples")


# --- 4. steps: asks the model to write its reasoning out ----------------------------------------

_STEPS = _rx(
    r"step[- ]by[- ]step|\bsteps?\b|think (it )?through|show (your|the) work(ing)?|"
    r"explain (your|the) reasoning|reason (it )?out|work it out|walk (me )?through",
    r"\bfirst\b[^\n]{0,120}\bthen\b",
    r"단계|차근차근|순서대로|하나씩|풀이|추론|과정을|생각해\s*보|먼저[^\n]{0,80}(그다음|그 다음|다음에|그리고 나서|그런 다음)",
)


def check_steps(text: str) -> CheckResult:
    """Does the prompt ask the model to work in steps (chain-of-thought)?"""
    if found := _find(_STEPS, text):
        return _passed("steps", phrase=found)
    return _failed("steps")


# --- 5. audience and length ----------------------------------------------------------------------

_AUDIENCE = _rx(
    r"\b(for|to) (a |an |my |the |our )?([a-z-]+ ){0,2}(\d+[- ]year[- ]olds?|kids?|child(ren)?|beginners?|"
    r"novices?|students?|experts?|teachers?|parents?|customers?|managers?|developers?|engineers?|"
    r"non-?technical|general|readers?|newcomers?|grandma|grandmother|grandfather|grandparents?|class(mates)?|team|"
    r"boss|colleagues?|friends?|people|users?|audience|someone)\b",
    r"\baudience\b|\breaders?\b|\byear[- ]olds?\b|\b(high|middle|primary|elementary) school\b|"
    r"\bnon-?experts?\b|\blay(person|man|people)\b|\bgrade\s*\d+\b",
    r"초등학생|중학생|고등학생|대학생|학생|어린이|아이들|아이에게|초보자|입문자|전문가|개발자|선생님|교사|"
    r"부모님|할머니|할아버지|일반인|독자|대상|청중|고객(?!센터)|동료|친구|팀장|부장|상사|관리자|매니저|\d+\s*살",
    r"\S+에게\s*(설명|알려|전달|보내|쓰|말)|\S+(을|를)\s*위(한|해)",
)
_LENGTH = _rx(
    rf"\b{_NUM_EN}\s+(words?|sentences?|lines?|paragraphs?|bullet[- ]points?|bullets?|points?|items?|"
    r"pages?|characters?)\b",
    r"\b(short|shorter|brief|briefly|concise|concisely|under|at most|no more than|maximum|less than|"
    r"fewer than|at least|tweet|one-liner)\b",
    rf"{_NUM_KO}\s*(문장|줄|단어|문단|글자|자|개|가지|쪽)",
    r"짧게|짧은|간단히|간단하게|간략|이내|이하|넘지|최대|최소|한두",
)


def check_audience_length(text: str) -> CheckResult:
    """Does the prompt say who the answer is for and how long it should be?"""
    audience = _find(_AUDIENCE, text)
    length = _find(_LENGTH, text)
    if audience and length:
        return _passed("audience_length", audience=audience, length=length)
    if audience:
        return _failed("audience_length", "fail_length", "fix_length", audience=audience)
    if length:
        return _failed("audience_length", "fail_audience", "fix_audience", length=length)
    return _failed("audience_length", "fail_both", "fix")


# --- 6. no contradictions ------------------------------------------------------------------------

# Pairs of wishes that cannot both be met. Each side is a list of patterns.
_OPPOSITES: list[tuple[list[re.Pattern[str]], list[re.Pattern[str]]]] = [
    (  # short vs long
        _rx(r"\b(short|brief|briefly|concise|concisely|in a few words|one[- ]liner)\b", r"짧게|짧은|간단히|간단하게|간략"),
        _rx(
            r"\b(in (great )?detail|detailed|thorough(ly)?|at length|elaborate|in[- ]depth|comprehensive(ly)?|"
            r"as long as possible|long (answer|essay|explanation|response|text))\b",
            r"자세히|자세하게|상세히|상세하게|길게|긴 글",
        ),
    ),
    (  # formal vs casual
        _rx(r"\bformal(ly)?\b", r"격식|존댓말|정중"),
        _rx(r"\b(casual(ly)?|informal(ly)?|slang)\b", r"반말|편하게 말|친구처럼"),
    ),
    (  # answer language
        _rx(r"\bin english\b", r"영어로"),
        _rx(r"\bin korean\b", r"한국어로|한글로"),
    ),
    (  # answer only vs show the working
        _rx(
            r"\b(answer|reply|respond) with (only|just)\b|\bnothing else\b|\bno explanations?\b|"
            r"\bwithout (any )?explanation\b",
            r"설명\s*없이|다른 말\s*없이|답만|이름만|숫자만",
        ),
        _rx(
            r"step[- ]by[- ]step|explain (your|the) reasoning|show (your|the) work(ing)?",
            r"단계별|차근차근|풀이 과정|이유를 설명",
        ),
    ),
]

_WORD_NUMBERS = {
    "one": 1, "a single": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "네": 4, "넷": 4, "다섯": 5, "여섯": 6,
    "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
}  # fmt: skip
_UNITS_EN = {
    "bullet": "item", "bullet point": "item", "point": "item", "item": "item",
    "sentence": "sentence", "word": "word", "line": "line", "paragraph": "paragraph",
}  # fmt: skip
_UNITS_KO = {"문장": "sentence", "줄": "line", "단어": "word", "문단": "paragraph"}
_ITEM_NOUN_KO = r"(?:글머리\s*기호|글머리표|글머리|불릿|항목|요점|포인트)"

_COUNT_EN = re.compile(
    rf"\b(?P<n>{_NUM_EN})\s+(?P<unit>bullet[- ]points?|bullets?|points?|items?|sentences?|words?|lines?|paragraphs?)\b",
    re.IGNORECASE,
)
_COUNT_KO = re.compile(
    rf"(?P<n>{_NUM_KO})\s*(?P<unit>문장|줄|단어|문단)|(?P<unit2>문장|줄|단어|문단)\s*(?P<n2>{_NUM_KO})\s*개"
)
_COUNT_KO_ITEMS = re.compile(
    rf"(?P<n1>{_NUM_KO})\s*(?:개|가지)(?:의)?\s*{_ITEM_NOUN_KO}|{_ITEM_NOUN_KO}\s*(?P<n2>{_NUM_KO})\s*(?:개|가지)"
)


def _number(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else _WORD_NUMBERS.get(word, -1)


def _counts(text: str) -> list[tuple[str, int, str]]:
    """Every 'N <unit>' request in the prompt: (unit, N, phrase as written)."""
    found: list[tuple[str, int, str]] = []
    for m in _COUNT_EN.finditer(text):
        unit = m.group("unit").lower().replace("-", " ").rstrip("s")
        found.append((_UNITS_EN.get(unit, unit), _number(m.group("n")), m.group(0)))
    for m in _COUNT_KO.finditer(text):
        unit, n = (m.group("unit"), m.group("n")) if m.group("unit") else (m.group("unit2"), m.group("n2"))
        found.append((_UNITS_KO[unit], _number(n), m.group(0)))
    for m in _COUNT_KO_ITEMS.finditer(text):
        found.append(("item", _number(m.group("n1") or m.group("n2")), m.group(0)))
    return found


def _clashing_counts(text: str) -> tuple[str, str] | None:
    first: dict[str, tuple[int, str]] = {}
    for unit, n, phrase in _counts(text):
        if unit in first and first[unit][0] != n:
            return first[unit][1], phrase
        first.setdefault(unit, (n, phrase))
    return None


def check_no_contradictions(text: str) -> CheckResult:
    """Does the prompt avoid asking for two things that exclude each other ("short" and "in detail")?"""
    for side_a, side_b in _OPPOSITES:
        a, b = _find(side_a, text), _find(side_b, text)
        if a and b:
            return _failed("no_contradictions", a=a, b=b)
    if clash := _clashing_counts(text):
        return _failed("no_contradictions", a=clash[0], b=clash[1])
    return _passed("no_contradictions")


_CHECKERS: dict[str, Callable[[str], CheckResult]] = {
    "context": check_context,
    "format": check_format,
    "examples": check_examples,
    "steps": check_steps,
    "audience_length": check_audience_length,
    "no_contradictions": check_no_contradictions,
}


def review_prompt(prompt: str, passages: tuple[str, ...] = ()) -> list[CheckResult]:
    """Run every check on a prompt, in CHECKS order. `passages` are texts the exercise gives (a
    review, notes): pasted into the prompt as they are, they count as context."""
    text = normalize(prompt)
    return [check_context(text, passages) if name == "context" else _CHECKERS[name](text) for name in CHECKS]


def check(name: str, prompt: str, passages: tuple[str, ...] = ()) -> CheckResult:
    """Run one named check (raises KeyError for an unknown name)."""
    if name == "context":
        return check_context(normalize(prompt), passages)
    return _CHECKERS[name](normalize(prompt))


def explain(result: CheckResult, lang: str) -> tuple[str, str]:
    """(one-line reason, what to add) in the learner's language; the fix is '' when the check passed."""
    reason = t(result.reason, lang, **result.detail) if result.detail else t(result.reason, lang)
    fix = (t(result.fix, lang, **result.detail) if result.detail else t(result.fix, lang)) if result.fix else ""
    return reason, fix
