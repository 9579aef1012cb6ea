"""The tutor with the real default model: the lesson's quote holds the section's key term, and what
the model adds is its own text, checked."""
from __future__ import annotations

import re

import pytest

from tutor.chat.answer import plan_answer, start_answer

pytestmark = pytest.mark.real_model

# (question, UI language, lesson the answer should cite, a key term of that section the answer uses)
# Chosen from questions the 0.5B model answers in Korean at temperature 0 (measured 2026-11-28, fp32);
# on some others, e.g. "토큰이 뭐예요? 단어랑 같은 건가요?", it only echoes part of the question.
# "환각이 뭐예요?" is answered in the section's words ("그럴듯하다고 참은 아니에요. 지어낸 인용문,
# ...") without repeating the word 환각 itself, so its key term is the section's idea, "그럴듯".
CASES = [
    ("임베딩이 뭐예요?", "ko", "text-and-meaning", "임베딩"),
    ("환각이 뭐예요?", "ko", "strengths-and-hallucinations", "그럴듯"),
    ("What is a word embedding?", "en", "text-and-meaning", "embedding"),
]


@pytest.fixture
def engine(real_engine):
    return real_engine


@pytest.mark.parametrize("question, lang, lesson, term", CASES, ids=[c[0] for c in CASES])
def test_grounded_answer_quotes_the_lesson_and_the_model_adds_only_checked_sentences(engine, question, lang,
                                                                                      lesson, term):
    plan = plan_answer(question, [], lang, engine, max_new_tokens=120, explain=True)
    assert plan.grounded and plan.quote is not None
    assert plan.quote.lesson == lesson and lesson in [c.lesson for c in plan.citations]
    job = start_answer(plan, engine, temperature=0.0, max_new_tokens=120, timeout_s=600)
    assert job.wait(660)
    assert job.error is None, job.error
    shown = plan.quote.text + " " + job.text
    assert term.lower() in shown.lower(), shown
    assert not job.looped and "echo" not in [v.kind for v in job.verdicts if v.kept]
    # Each sentence shown is one the model said; the checks may drop sentences in between, so the
    # shown text as a whole need not be one stretch of what was said.
    said = "".join(job.raw).replace(" ", "")
    for verdict in job.verdicts:
        if verdict.kept:
            assert verdict.text.replace(" ", "") in said, ("shown sentences are the model's own", verdict.text)
    if lang == "ko" and job.text:  # explained in Korean: most letters are Hangul
        letters = re.findall(r"[^\W\d_]", job.text)
        assert sum("\uac00" <= c <= "\ud7a3" for c in letters) / max(1, len(letters)) > 0.5, job.text
