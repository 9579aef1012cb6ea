"""The tutor with the real default model: grounded answers that use the cited section's key term."""
from __future__ import annotations

import re

import pytest

from tutor.chat import plan_answer, start_answer
from tutor.config import load_settings
from tutor.llm import engine_status, load_engine

pytestmark = pytest.mark.real_model

# (question, UI language, lesson the answer should cite, a key term of that section the answer uses)
CASES = [
    ("토큰이 뭐예요? 단어랑 같은 건가요?", "ko", "next-token-prediction", "토큰"),
    ("온도를 높이면 모델의 답이 어떻게 달라져요?", "ko", "generating-text", "온도"),
    ("What is a word embedding?", "en", "text-and-meaning", "embedding"),
]


@pytest.fixture(scope="module")
def engine():
    settings = load_settings()
    state, detail = engine_status(settings=settings)
    if state == "missing":
        pytest.fail(f"the default model is not installed: {detail}")
    return load_engine(settings=settings)


@pytest.mark.parametrize("question, lang, lesson, term", CASES, ids=[c[0] for c in CASES])
def test_grounded_answer_cites_the_lesson_and_uses_its_key_term(engine, question, lang, lesson, term):
    plan = plan_answer(question, [], lang, engine, max_new_tokens=120)
    assert plan.grounded
    assert lesson in [c.lesson for c in plan.citations]
    job = start_answer(plan, engine, temperature=0.0, max_new_tokens=120, timeout_s=600)
    assert job.wait(660)
    assert job.error is None, job.error
    answer = job.text
    assert term.lower() in answer.lower(), answer
    if lang == "ko":  # answered in Korean: most letters are Hangul
        letters = re.findall(r"[^\W\d_]", answer)
        assert sum("\uac00" <= c <= "\ud7a3" for c in letters) / max(1, len(letters)) > 0.5, answer
