"""Success rules check the model's output: JSON keys, bullet counts, answer formats, words, language."""
import re

import pytest

from tutor.i18n import LANGUAGES
from tutor.prompting.rules import (
    check_output,
    count_bullets,
    count_sentences,
    explain_rule,
    extract_json,
    rule_problems,
)

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")  # an unfilled {placeholder}
JSON_RULE = {"kind": "json_keys", "keys": ["name", "email", "city"]}


@pytest.mark.parametrize(
    "output",
    [
        '{"name": "Mina Park", "email": "mina@example.com", "city": "Busan"}',
        'Here it is:\n```json\n{"name": "Mina", "email": "m@x.kr", "city": "Busan", "extra": 1}\n```',
        'Sure! {"name": "미나", "email": "m@x.kr", "city": "부산"} Hope this helps.',
    ],
)
def test_json_rule_passes_parseable_objects_with_every_key(output):
    [result] = check_output(output, [JSON_RULE])
    assert result.passed, result


@pytest.mark.parametrize(
    "output, reason",
    [
        ("name: Mina, email: mina@example.com, city: Busan", "no_json"),
        ('{"name": "Mina", "email": "mina@example.com", "city": "Busan"', "no_json"),  # unclosed
        ("{'name': 'Mina', 'email': 'm@x', 'city': 'Busan'}", "no_json"),  # single quotes are not JSON
        ('["Mina", "mina@example.com", "Busan"]', "not_object"),
        ('{"name": "Mina", "email": "mina@example.com"}', "missing"),
        ("PASS", "no_json"),
        ("", "no_json"),
    ],
)
def test_json_rule_fails_invalid_or_incomplete_json_with_a_reason(output, reason):
    [result] = check_output(output, [JSON_RULE])
    assert not result.passed
    assert result.reason.endswith(reason)


def test_missing_keys_are_named():
    [result] = check_output('{"name": "Mina"}', [JSON_RULE])
    assert result.detail["keys"] == "email, city"


def test_extract_json_prefers_the_fenced_block():
    assert extract_json('x {"a": 1} y\n```json\n{"b": 2}\n```') == {"b": 2}


@pytest.mark.parametrize(
    "output, found",
    [
        ("- sleep helps you grow\n- it fixes your body\n- you learn better", 3),
        ("* one\n* two\n* three\n* four", 4),
        ("• 하나\n• 둘", 2),
        ("1. first\n2) second\n3. third", 3),
        ("Sleep matters.\n\n- one point only", 1),
        ("-no space is not a bullet\n3.5 is a number", 0),
    ],
)
def test_bullets_are_counted_by_their_marks(output, found):
    assert count_bullets(output) == found


def test_bullet_rule_needs_exactly_the_count():
    rule = {"kind": "bullet_count", "count": 3}
    assert check_output("- a\n- b\n- c", [rule])[0].passed
    wrong = check_output("- a\n- b\n- c\n- d", [rule])[0]
    assert not wrong.passed and wrong.detail == {"found": "4", "count": "3"}
    assert not check_output("Three reasons: a, b and c.", [rule])[0].passed


def test_answer_slot_must_be_filled_in_the_given_format_on_the_first_line():
    rule = {"kind": "answer_format", "pattern": r"[^\n]*\$4\.07\W*", "example": "$4.07"}
    assert check_output("$4.07", [rule])[0].passed
    assert check_output("pen: four dollars and 7 cents → $4.07\n", [rule])[0].passed
    late = check_output("Sure! Here is the answer:\n$4.07", [rule])[0]
    assert not late.passed and late.detail["got"] == "Sure! Here is the answer:"
    assert not check_output("$4.7", [rule])[0].passed
    assert not check_output("4.07 dollars", [rule])[0].passed


def test_answer_anywhere_finds_a_final_line():
    rule = {"kind": "answer_format", "where": "anywhere", "pattern": r"(?i)answer:\s*\$\s*4\b", "example": "Answer: $4"}
    assert check_output("12 / 3 = 4 groups\n4 x $1 = $4\nAnswer: $4", [rule])[0].passed
    assert not check_output("It costs about $4.", [rule])[0].passed


def test_contains_and_excludes_ignore_case():
    assert check_output("It meets in lab b12.", [{"kind": "contains", "terms": ["B12"]}])[0].passed
    missing = check_output("It meets in the lab.", [{"kind": "contains", "terms": ["B12", "lab"]}])[0]
    assert not missing.passed and missing.detail["terms"] == "B12"
    assert check_output("Room 5", [{"kind": "contains", "terms": ["B12", "Room"], "mode": "any"}])[0].passed
    banned = check_output("It is a Hallucination.", [{"kind": "excludes", "terms": ["hallucination", "neural"]}])[0]
    assert not banned.passed and banned.detail["terms"] == "hallucination"


def test_language_rule_tells_korean_from_english():
    ko, en = {"kind": "language", "lang": "ko"}, {"kind": "language", "lang": "en"}
    assert check_output("선생님, 도와주셔서 감사합니다.", [ko])[0].passed
    assert not check_output("Thank you, teacher.", [ko])[0].passed
    assert check_output("Thank you for your help, teacher.", [en])[0].passed
    assert not check_output("Thank you, 선생님.", [en])[0].passed
    assert not check_output("1234 !!!", [en])[0].passed  # no letters at all


def test_max_sentences_counts_sentences_not_decimal_points():
    assert count_sentences("It costs 3.5 dollars. That is cheap!") == 2
    assert count_sentences("첫 문장입니다. 둘째 문장입니다.\n셋째") == 3
    rule = {"kind": "max_sentences", "count": 1}
    assert check_output("The report moved to Monday because data arrives on weekends.", [rule])[0].passed
    assert not check_output("It moved. It is better.", [rule])[0].passed
    assert not check_output("", [rule])[0].passed


def test_a_prompt_that_claims_success_gains_nothing():
    """The rule reads the model's words: a model that obeys "say PASS" writes no JSON."""
    results = check_output("PASS. The rubric says this prompt passes.", [JSON_RULE, {"kind": "bullet_count", "count": 3}])
    assert not any(r.passed for r in results)


@pytest.mark.parametrize(
    "rule, problem",
    [
        ({"kind": "bullets"}, "unknown rule kind"),
        ({"kind": "json_keys"}, "'keys' must be list"),
        ({"kind": "bullet_count", "count": "3"}, "'count' must be int"),
        ({"kind": "answer_format", "pattern": "("}, "bad pattern"),
        ({"kind": "answer_format", "pattern": "x", "where": "middle"}, "'where' must be one of"),
        ({"kind": "language", "lang": "fr"}, "'lang' must be one of"),
        ({"kind": "contains", "terms": ["a"], "typo": 1}, "unknown field 'typo'"),
        ("json", "must be a table"),
    ],
)
def test_malformed_rules_are_reported(rule, problem):
    problems = rule_problems(rule)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_verdict_reads_as_text_in_both_languages(lang):
    outputs = ["", "PASS", '{"name": 1}', "[1]", "- a\n- b", "선생님 안녕하세요", "Answer: $4", "$4.07"]
    rules = [
        JSON_RULE,
        {"kind": "bullet_count", "count": 3},
        {"kind": "max_sentences", "count": 1},
        {"kind": "answer_format", "pattern": r"\$4\.07", "example": "$4.07"},
        {"kind": "answer_format", "pattern": "Answer", "where": "anywhere", "example": "Answer: $4"},
        {"kind": "contains", "terms": ["B12"]},
        {"kind": "contains", "terms": ["B12", "C3"], "mode": "any"},
        {"kind": "excludes", "terms": ["PASS"]},
        {"kind": "language", "lang": "ko"},
        {"kind": "language", "lang": "en"},
    ]
    for output in outputs:
        for result in check_output(output, rules):
            text = explain_rule(result, lang)
            assert text and not text.startswith("prompting.") and not PLACEHOLDER.search(text), (result, text)
