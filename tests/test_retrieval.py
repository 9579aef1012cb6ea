"""Retrieval over the lessons: the right lesson among the top 3, off-topic questions not grounded."""
import tomllib
from pathlib import Path

import pytest

from tutor.chat.retrieval import (
    SectionIndex,
    is_follow_up,
    key_words,
    nearest_lessons,
    passages_of,
    retrieve,
    section_index,
    stem,
)
from tutor.lessons import course

QUESTIONS = tomllib.loads((Path(__file__).parent / "questions_retrieval.toml").read_text(encoding="utf-8"))


def _hit_at_3(lang: str) -> tuple[float, list[str]]:
    misses = []
    for item in QUESTIONS[lang]:
        result = retrieve(item["q"], lang, k=3)
        if item["lesson"] not in [h.lesson for h in result.hits]:
            misses.append(f"{item['q']!r} -> {[(h.lesson, h.section) for h in result.hits]}")
    return 1 - len(misses) / len(QUESTIONS[lang]), misses


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_question_set_has_20_questions_per_language_pointing_at_real_sections(lang):
    items = QUESTIONS[lang]
    assert len(items) >= 20
    for item in items:
        lesson = course().get(lang, item["lesson"])
        assert lesson is not None, item
        assert lesson.section(item["section"]) is not None, item


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_right_lesson_is_in_the_top_3_for_90_percent_of_questions(lang):
    score, misses = _hit_at_3(lang)
    assert score >= 0.9, "\n".join(misses)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_at_least_9_in_10_course_questions_count_as_grounded(lang):
    """The grounding thresholds were tuned on the eval bank's tuning half (bench/eval/), not on
    these; `make eval` reports the false "not covered" share on its checking half."""
    missed = [(i["q"], retrieve(i["q"], lang).best_score) for i in QUESTIONS[lang] if not retrieve(i["q"], lang).grounded]
    assert len(missed) <= len(QUESTIONS[lang]) // 10, missed


@pytest.mark.parametrize("item", QUESTIONS["off_topic"], ids=lambda i: i["q"])
def test_off_topic_question_is_not_grounded(item):
    result = retrieve(item["q"], item["lang"])
    assert not result.grounded, (result.best_score, [(h.lesson, h.section) for h in result.hits])


@pytest.mark.parametrize("request_, lang", [("Write me a poem about cats", "en"), ("고양이에 관한 시를 써 줘", "ko"),
                                            ("recommend a good laptop", "en"), ("부산 맛집 추천해 줘", "ko")])
def test_a_task_request_is_not_covered_even_when_lesson_words_match(request_, lang):
    """The lesson on what "generative" means says a model can write a poem: that does not make
    "write me a poem" a course question."""
    assert not retrieve(request_, lang).grounded


def test_a_task_request_about_a_course_concept_is_covered():
    assert retrieve("write me a short explanation of tokens", "en").grounded


def test_required_off_topic_examples_are_in_the_set():
    asked = {i["q"].lower() for i in QUESTIONS["off_topic"]}
    assert "what's the weather in seoul?" in asked
    assert "write me a poem about cats" in asked


def test_english_question_in_korean_ui_finds_korean_passages_of_the_right_lesson():
    result = retrieve("What does the temperature setting do when sampling?", "ko")
    assert result.hits[0].lesson == "generating-text"
    assert result.hits[0].passage.lang == "ko"


def test_korean_question_finds_korean_passages_first():
    result = retrieve("단어 임베딩이 뭐예요?", "ko")
    assert result.hits[0].passage.lang == "ko"
    assert result.hits[0].section == "word-embeddings"


def test_why_after_an_answer_searches_with_the_previous_question():
    history = [
        {"role": "user", "content": "What does the temperature setting do when sampling?"},
        {"role": "assistant", "content": "It divides the logits before softmax."},
    ]
    alone = retrieve("why?", "en")
    followed = retrieve("why?", "en", history=history)
    assert not alone.grounded
    assert followed.grounded
    assert followed.hits[0].lesson == "generating-text"


def test_a_new_full_question_is_not_mixed_with_the_previous_one():
    history = [{"role": "user", "content": "What is a word embedding?"}]
    result = retrieve("What's the weather in Seoul?", "en", history=history)
    assert not is_follow_up("What's the weather in Seoul?")
    assert not result.grounded


def test_korean_particles_and_endings_do_not_hide_a_word():
    assert stem("환각이란") == stem("환각은") == "환각"
    assert stem("바뀌어요") == "바뀌"
    assert stem("embeddings").startswith("embed")


def test_question_frame_words_are_not_key_words():
    assert key_words("What is a token?") == ["token"]
    assert key_words("토큰이 뭐예요?") == ["토큰이"]


def test_a_word_that_switches_script_is_split_and_its_particle_dropped():
    assert key_words("temperature는 무엇을 바꾸나요?") == ["temperature"]
    assert key_words("RLHF가 뭐예요?") == ["rlhf"]


@pytest.mark.parametrize("question", ["온도는 무엇을 바꾸나요?", "temperature는 무엇을 바꾸나요?"])
def test_korean_temperature_questions_are_grounded_in_the_generation_lesson(question):
    result = retrieve(question, "ko")
    assert result.grounded and result.hits[0].passage.lesson == "generating-text"


def test_index_is_built_once_per_process_and_covers_both_languages():
    index = section_index()
    assert index is section_index()
    langs = {p.lang for p in index.passages}
    assert langs == {"en", "ko"}
    sections = sum(len(x.sections) for lang in ("en", "ko") for x in course().in_language(lang))
    assert len(index.passages) == sections


def test_hit_reports_lesson_section_title_and_score():
    hit = retrieve("What is top-p sampling?", "en").hits[0]
    assert (hit.lesson, hit.section) == ("generating-text", "top-k-and-top-p")
    assert hit.title == course().get("en", "generating-text").section("top-k-and-top-p").title
    assert 0 < hit.score <= 1
    assert hit.score == pytest.approx(hit.similarity * hit.coverage + hit.bonus, abs=1e-3)
    assert hit.bonus > 0, "the question names top-p, a concept this section teaches"


def test_nearest_lessons_are_one_per_lesson():
    result = retrieve("Write me a poem about cats", "en", k=6)
    lessons = [h.lesson for h in nearest_lessons(result, limit=3)]
    assert len(lessons) == len(set(lessons))


def test_empty_course_refuses_to_build_an_index():
    with pytest.raises(ValueError):
        SectionIndex([])


def test_an_index_over_one_lesson_finds_only_that_lesson():
    one = course().get("en", "grounding")
    from tutor.lessons import Course

    small = SectionIndex(passages_of(Course(lessons={"en": (one,)}, errors=())))
    result = retrieve("What is retrieval-augmented generation?", "en", index=small)
    assert {h.lesson for h in result.hits} == {"grounding"}


@pytest.mark.parametrize("question, lang", [("top-p??", "en"), ("top k랑 top p 차이 뭐임", "ko"), ("Top-K?", "en")])
def test_top_k_and_top_p_are_one_term_each(question, lang):
    """Split at the hyphen, "p" is too short to count and "top" is an English stop word, so
    "top-p??" used to find the section on pre-training."""
    assert retrieve(question, lang).hits[0].section == "top-k-and-top-p"


@pytest.mark.parametrize("question", ["활성화 함수가 모에요?", "역전파가 뭐임"])
def test_casually_typed_korean_questions_are_covered(question):
    assert retrieve(question, "ko").grounded


@pytest.mark.parametrize("lang, before, question, section", [
    ("ko", "에이전트가 실수로 파일 지우면 어떡해요", "ai는 틀렸는데 왜 이렇게 자신있게 말해?", "confident-tone"),
    ("en", "what is an agent", "why do chatbots sound so confident when they are wrong", "confident-tone"),
])
def test_a_why_question_with_its_own_topic_is_not_read_as_a_follow_up(lang, before, question, section):
    """"왜"/"why" marks a possible follow-up, but this question is covered on its own, and better."""
    history = [{"role": "user", "content": before}, {"role": "assistant", "content": "…"}]
    result = retrieve(question, lang, history=history)
    assert result.grounded and result.hits[0].section == section
    assert result.query == question


def test_a_follow_up_without_a_topic_is_still_read_with_the_question_before_it():
    history = [{"role": "user", "content": "온도를 높이면 어떻게 되나요?"}, {"role": "assistant", "content": "…"}]
    result = retrieve("그럼 반대는요?", "ko", history=history)
    assert result.hits[0].section == "temperature" and "온도를 높이면" in result.query
