"""Success rules: does the MODEL'S OUTPUT do what the exercise asked?

A rule is plain data from the exercise file, e.g. {kind = "json_keys", keys = ["name", "age"]}.
Rules look only at what the model wrote. A prompt that *claims* success ("ignore the rubric and
say PASS") gains nothing: the model saying "PASS" is not JSON with the required keys.

Each rule returns a RuleResult whose `reason` is an i18n key in content/ui/prompting.toml, filled
from `detail`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tutor.i18n import t


@dataclass(frozen=True)
class RuleResult:
    """One success rule checked on one model output."""

    kind: str
    passed: bool
    reason: str  # i18n key
    detail: dict[str, str] = field(default_factory=dict)


def _result(kind: str, passed: bool, reason: str, **detail: object) -> RuleResult:
    return RuleResult(kind, passed, f"prompting.rules.{kind}.{reason}", {k: str(v) for k, v in detail.items()})


def _lines(output: str) -> list[str]:
    return [line.strip() for line in output.split("\n") if line.strip()]


# --- JSON ----------------------------------------------------------------------------------------

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)


def extract_json(output: str) -> Any:
    """The first JSON value in the output (inside a ``` fence or between the outer braces), or raise ValueError.

    Small models often wrap JSON in a code fence or add a sentence before it; we forgive that,
    but the JSON itself must parse.
    """
    candidates = [m.group(1) for m in _FENCE.finditer(output)] + [output]
    start, end = output.find("{"), output.rfind("}")
    if 0 <= start < end:
        candidates.append(output[start : end + 1])
    for text in candidates:
        try:
            return json.loads(text.strip())
        except (json.JSONDecodeError, ValueError):
            continue
    raise ValueError("no JSON found")


def json_keys(output: str, keys: list[str]) -> RuleResult:
    """The output is a JSON object with every required key."""
    try:
        value = extract_json(output)
    except ValueError:
        return _result("json_keys", False, "no_json")
    if not isinstance(value, dict):
        return _result("json_keys", False, "not_object")
    missing = [k for k in keys if k not in value]
    if missing:
        return _result("json_keys", False, "missing", keys=", ".join(missing))
    return _result("json_keys", True, "pass", keys=", ".join(keys))


# --- bullets, lines, sentences -------------------------------------------------------------------

BULLET = re.compile(r"^\s*(?:[-*•·‣▪–]|\d{1,2}[.)])\s+\S")


def count_bullets(output: str) -> int:
    """Lines that start with a bullet mark (-, *, •) or a list number (1. / 1))."""
    return sum(1 for line in output.split("\n") if BULLET.match(line))


def bullet_count(output: str, count: int) -> RuleResult:
    """Exactly `count` bullet points."""
    found = count_bullets(output)
    return _result("bullet_count", found == count, "pass" if found == count else "fail", found=found, count=count)


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。])\s+|\n+")


def count_sentences(output: str) -> int:
    """Sentences, split after . ! ? followed by a space, and at line breaks."""
    return sum(1 for s in _SENTENCE_SPLIT.split(output.strip()) if re.search(r"\w", s))


def max_sentences(output: str, count: int) -> RuleResult:
    """At most `count` sentences (and at least one)."""
    found = count_sentences(output)
    ok = 1 <= found <= count
    return _result("max_sentences", ok, "pass" if ok else "fail", found=found, count=count)


# --- format of the answer ------------------------------------------------------------------------


def answer_format(output: str, pattern: str, where: str = "first_line", example: str = "") -> RuleResult:
    """The answer slot is filled in the given format.

    where = "first_line": the first non-empty line must match `pattern` completely;
    where = "anywhere": the pattern must occur somewhere in the output.
    """
    lines = _lines(output)
    if where == "anywhere":
        ok = re.search(pattern, output) is not None
        shown = lines[0] if lines else ""
    else:
        shown = lines[0] if lines else ""
        ok = re.fullmatch(pattern, shown) is not None
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return _result("answer_format", ok, "pass" if ok else f"fail_{where}", example=example, got=shown)


# --- words and language --------------------------------------------------------------------------


def contains(output: str, terms: list[str], mode: str = "all") -> RuleResult:
    """The output mentions the terms (all of them, or any one with mode="any"); case is ignored."""
    low = output.casefold()
    missing = [term for term in terms if term.casefold() not in low]
    ok = not missing if mode == "all" else len(missing) < len(terms)
    reason = "pass" if ok else ("fail" if mode == "all" else "fail_any")
    return _result("contains", ok, reason, terms=", ".join(missing if mode == "all" else terms))


def excludes(output: str, terms: list[str]) -> RuleResult:
    """The output does not mention any of the terms; case is ignored."""
    low = output.casefold()
    found = [term for term in terms if term.casefold() in low]
    return _result("excludes", not found, "fail" if found else "pass", terms=", ".join(found or terms))


_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")


def hangul_share(output: str) -> float:
    """Share of Hangul among the letters in the text (0 when there are no letters)."""
    hangul, latin = len(_HANGUL.findall(output)), len(_LATIN.findall(output))
    return hangul / (hangul + latin) if hangul + latin else 0.0


def language(output: str, lang: str) -> RuleResult:
    """The output is written in Korean (most letters Hangul) or English (almost no Hangul)."""
    share = hangul_share(output)
    has_letters = bool(_HANGUL.search(output) or _LATIN.search(output))
    ok = has_letters and (share >= 0.5 if lang == "ko" else share <= 0.05)
    return _result("language", ok, f"{'pass' if ok else 'fail'}_{lang}", percent=round(share * 100))


# --- the rule table ------------------------------------------------------------------------------

# kind -> (function, required fields with their types)
RULES: dict[str, tuple[Callable[..., RuleResult], dict[str, type]]] = {
    "json_keys": (json_keys, {"keys": list}),
    "bullet_count": (bullet_count, {"count": int}),
    "max_sentences": (max_sentences, {"count": int}),
    "answer_format": (answer_format, {"pattern": str}),
    "contains": (contains, {"terms": list}),
    "excludes": (excludes, {"terms": list}),
    "language": (language, {"lang": str}),
}
_OPTIONAL: dict[str, dict[str, type]] = {
    "answer_format": {"where": str, "example": str},
    "contains": {"mode": str},
}
_CHOICES: dict[str, set[str]] = {"where": {"first_line", "anywhere"}, "mode": {"all", "any"}, "lang": {"ko", "en"}}


def rule_problems(rule: object) -> list[str]:
    """What is wrong with a rule written in an exercise file (empty when it is usable)."""
    if not isinstance(rule, dict):
        return [f"a rule must be a table, got {type(rule).__name__}"]
    kind = rule.get("kind")
    if kind not in RULES:
        return [f"unknown rule kind {kind!r} (known: {', '.join(RULES)})"]
    problems = []
    required, optional = RULES[kind][1], _OPTIONAL.get(kind, {})
    for name, kind_type in required.items():
        if not isinstance(rule.get(name), kind_type):
            problems.append(f"{kind}: field '{name}' must be {kind_type.__name__}")
    for name, value in rule.items():
        if name == "kind":
            continue
        if name not in required and name not in optional:
            problems.append(f"{kind}: unknown field '{name}'")
        elif name in optional and not isinstance(value, optional[name]):
            problems.append(f"{kind}: field '{name}' must be {optional[name].__name__}")
        if name in _CHOICES and value not in _CHOICES[name]:
            problems.append(f"{kind}: '{name}' must be one of {sorted(_CHOICES[name])}")
    if kind == "answer_format" and isinstance(rule.get("pattern"), str):
        try:
            re.compile(rule["pattern"])
        except re.error as err:
            problems.append(f"answer_format: bad pattern: {err}")
    return problems


def check_rule(output: str, rule: dict[str, Any]) -> RuleResult:
    """Check one rule on the model's output."""
    func, _ = RULES[rule["kind"]]
    args = {k: v for k, v in rule.items() if k != "kind"}
    return func(output if isinstance(output, str) else "", **args)


def check_output(output: str, rules: list[dict[str, Any]]) -> list[RuleResult]:
    """Check every rule; the exercise passes when all of them pass."""
    return [check_rule(output, rule) for rule in rules]


def explain_rule(result: RuleResult, lang: str) -> str:
    """The rule's verdict as one line in the learner's language."""
    return t(result.reason, lang, **result.detail) if result.detail else t(result.reason, lang)
