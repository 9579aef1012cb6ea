"""The prompt rubric: each check on crafted good and bad prompts, in English and Korean."""
import re

import pytest

from tutor.i18n import LANGUAGES, t
from tutor.prompting.rubric import CHECKS, check, explain, review_prompt

# (check, prompt that should pass, prompt that should fail), in both languages.
CASES = [
    (
        "context",
        "Context: The Maple Street chess club meets every Thursday at 6 pm in Room 214.\n\n"
        "Using only the context, where does the club meet?",
        "Where does the Maple Street chess club meet?",
    ),
    (
        "context",
        "참고 자료: 햇살고등학교 천문 동아리는 매주 목요일 오후 4시에 과학관 3층 307호에서 모입니다.\n\n"
        "위 자료만 사용해서 답하세요: 동아리는 어디서 모이나요?",
        "햇살고등학교 천문 동아리는 어디서 모이나요?",
    ),
    ("format", "List three fruits as a JSON array.", "Tell me about fruits."),
    ("format", "과일 세 가지를 글머리표 목록으로 써 줘.", "과일에 대해 알려 줘."),
    (
        "examples",
        "apple: 3 dollars → $3.00\nbread: $2.5 → $2.50\ncheese: seven dollars →",
        "Convert cheese: seven dollars into the format $X.XX.",
    ),
    (
        "examples",
        "질문: 2+2는?\n답: 4\n질문: 3+5는?\n답: 8\n질문: 6+7은?\n답:",
        "2+2는 얼마야?",
    ),
    (
        "steps",
        "How many legs do 3 spiders and 2 cats have? Think step by step.",
        "How many legs do 3 spiders and 2 cats have?",
    ),
    ("steps", "거미 3마리와 고양이 2마리의 다리는 모두 몇 개인가요? 단계별로 생각해 보세요.", "거미 3마리와 고양이 2마리의 다리는 모두 몇 개인가요?"),
    ("audience_length", "Explain photosynthesis to a 10-year-old in 3 sentences.", "Explain photosynthesis."),
    ("audience_length", "광합성을 초등학생에게 세 문장으로 설명해 줘.", "광합성을 설명해 줘."),
    (
        "no_contradictions",
        "Give a short summary in 3 bullet points.",
        "Give a short answer, explained in detail.",
    ),
    ("no_contradictions", "짧게 세 문장으로 요약해 줘.", "짧게, 하지만 자세히 설명해 줘."),
]


@pytest.mark.parametrize("name, good, bad", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_check_passes_the_good_prompt_and_fails_the_bad_one(name, good, bad):
    assert check(name, good).passed, check(name, good)
    assert not check(name, bad).passed, check(name, bad)


def test_inconsistent_example_formats_fail_with_their_own_reason():
    mixed = "apple: 3 dollars → $3.00\nbread -> 2.50 dollars\ncheese: seven dollars →"
    result = check("examples", mixed)
    assert not result.passed
    assert result.reason.endswith("fail_inconsistent")


def test_a_single_example_is_not_yet_a_pattern():
    result = check("examples", "Example:\napple: 3 dollars → $3.00\nNow do cheese.")
    assert not result.passed and result.reason.endswith("fail_one")


def test_examples_ending_with_an_open_slot_are_recognised():
    result = check("examples", "사과: 3달러 → $3.00\n빵: $2.5 → $2.50\n치즈: 7달러 5센트 →")
    assert result.passed and result.reason.endswith("pass_open")
    assert result.detail["count"] == "3"


def test_consistent_examples_also_count_as_stating_the_format():
    assert check("format", "apple: 3 dollars → $3.00\nbread: $2.5 → $2.50\ncheese: seven dollars →").passed


@pytest.mark.parametrize(
    "prompt, a, b",
    [
        ("Write 3 bullet points. Use 5 bullets at most.", "3 bullet points", "5 bullets"),
        ("Answer in one sentence. Then write it in two sentences.", "one sentence", "two sentences"),
        ("글머리표 3개로 쓰고, 항목 5개를 넣어 줘.", "글머리표 3개", "항목 5개"),
        ("두 문장으로 쓰고, 문장 네 개를 넘지 마.", "두 문장", "문장 네 개"),
        ("Answer with only the number. Show your work.", "Answer with only", "Show your work"),
        ("Reply in English, and answer in Korean.", "in English", "in Korean"),
    ],
)
def test_clashing_wishes_are_named_in_the_reason(prompt, a, b):
    result = check("no_contradictions", prompt)
    assert not result.passed
    assert a.lower() in result.detail["a"].lower(), result.detail
    assert b.lower() in result.detail["b"].lower(), result.detail


def test_same_count_said_twice_is_not_a_contradiction():
    assert check("no_contradictions", "Write 3 bullet points. Exactly 3 bullets, please.").passed


def test_audience_without_length_says_what_is_missing():
    result = check("audience_length", "Explain gravity to a beginner.")
    assert not result.passed and result.reason.endswith("fail_length")
    assert result.detail["audience"].endswith("beginner")
    result = check("audience_length", "중력을 세 문장으로 설명해 줘.")
    assert not result.passed and result.reason.endswith("fail_audience")


def test_review_runs_every_check_in_order_and_survives_odd_input():
    for prompt in ["", "   ", "\u200b\u200b", "🙂" * 500, "\x00\x01 weird", "Ｃｏｎｔｅｘｔ： full-width", None, 42]:
        results = review_prompt(prompt)
        assert [r.check for r in results] == list(CHECKS)


def test_empty_prompt_passes_no_positive_check():
    results = {r.check: r.passed for r in review_prompt("")}
    assert not any(results[c] for c in ("context", "format", "examples", "steps", "audience_length"))


def test_full_width_label_counts_after_normalising():
    prompt = "Ｃｏｎｔｅｘｔ： The robotics club meets on Wednesdays in Lab B12 at five.\n\nWhere does it meet?"
    assert check("context", prompt).passed


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reason_and_fix_reads_as_text_in_both_languages(lang):
    prompts = [c[1] for c in CASES] + [c[2] for c in CASES] + ["apple → 1\nbread -> 2", "Example: a → b"]
    for prompt in prompts:
        for result in review_prompt(prompt):
            reason, fix = explain(result, lang)
            assert reason and not reason.startswith("prompting."), (result, reason)
            assert not re.search(r"\{[a-z_]+\}", reason + fix), (reason, fix)
            assert bool(fix) == (not result.passed)
            assert not fix.startswith("prompting.")
            assert t(f"prompting.rubric.names.{result.check}", lang) != f"prompting.rubric.names.{result.check}"


# --- an unlabelled paste counts as context (issue 20, item 2) ---------------------------------------

UNLABELLED_PASTES = {
    "en": "The battery died after two days and support never replied. Is this positive or negative? One word.",
    "ko": "배터리가 이틀 만에 나갔고 고객센터는 끝내 답이 없었어요. 이 리뷰는 긍정인가요 부정인가요? 한 단어로 답하세요.",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_context_accepts_the_tasks_review_pasted_without_a_label(lang):
    from tutor.prompting.exercises import load_content

    exercise = load_content(lang).exercise("one-word-sentiment")
    assert exercise.passages, "the task's review is found as its passage"
    result = check("context", UNLABELLED_PASTES[lang], exercise.passages)
    assert result.passed and result.reason == "prompting.rubric.context.pass_pasted"


def test_context_accepts_a_paste_that_lost_a_word_but_not_a_few_words_of_it():
    passage = "The battery died after two days and support never replied."
    assert check("context", "battery died after two days and support never replied - positive or negative?",
                 (passage,)).passed
    assert not check("context", "Is a battery review positive or negative?", (passage,)).passed


@pytest.mark.parametrize(
    "prompt",
    [
        'Is this review positive or negative? "The battery died after two days and support never replied."',
        "이 리뷰는 긍정인가요 부정인가요? “배터리가 이틀 만에 나갔고 고객센터는 끝내 답이 없었어요.”",
    ],
)
def test_context_accepts_a_passage_in_ordinary_quotation_marks(prompt):
    assert check("context", prompt).passed


def test_short_quoted_words_are_not_a_passage():
    assert not check("context", 'Answer "positive" or "negative" about the battery.').passed
