"""Shuffled quizzes through the real router: the screen order is the learner's own and stays put,
and what is checked and stored is the choice, never its place on screen."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tutor.i18n import t
from tutor.lessons import course
from tutor.quiz import choice_order
from tutor.ui.progress import QUIZ_KEY, QUIZ_SEED_KEY

PROGRESS = "pages/progress.py"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Progress goes to a fresh folder for each test, never the learner's real data folder."""
    monkeypatch.setenv("LLM_TUTOR_DATA_DIR", str(tmp_path / "progress-data"))


def _moved_seed(lesson, question) -> str:
    """A seed whose order puts the right choice somewhere other than its place in the file, so a
    test that clicked by screen position instead of by choice would be caught."""
    for i in range(200):
        seed = f"test-seed-{i}"
        order = choice_order(len(question.choices), seed, lesson.id, question.id)
        if order.index(question.answer) != question.answer:
            return seed
    raise AssertionError("no seed moves the right choice")  # 200 seeds: cannot happen with 3+ choices


def _open_lesson(lesson, seed: str | None, query: dict | None = None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    at.session_state["lang"] = lang
    if seed is not None:
        at.session_state[QUIZ_SEED_KEY] = seed
    at.query_params["lesson"] = lesson.id
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _radio(at: AppTest, lesson, question, prefix: str = "prog_quiz"):
    return at.radio(key=f"{prefix}_{lesson.id}_{question.id}_0")


def _click_screen_position(at: AppTest, lesson, question, position: int) -> AppTest:
    """Pick the choice drawn at `position` (0 = top) and press Check, as a learner would."""
    radio = _radio(at, lesson, question)
    label = radio.options[position]
    radio.set_value(question.choices.index(label))
    at.button(key=f"prog_quiz_{lesson.id}_{question.id}_check").click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def lesson():
    found = next((x for x in course().in_language("en") if len(x.quiz) >= 2), None)
    if found is None:
        pytest.skip("no lesson with a quiz yet")
    return found


def test_a_shuffled_quiz_marks_the_right_choice_right_wherever_it_is_drawn(lesson):
    question = lesson.quiz[0]
    seed = _moved_seed(lesson, question)
    at = _open_lesson(lesson, seed)
    shown = _radio(at, lesson, question).options
    order = choice_order(len(question.choices), seed, lesson.id, question.id)
    assert shown == [question.choices[i] for i in order]
    right_place = shown.index(question.choices[question.answer])
    assert right_place != question.answer  # drawn away from its place in the file

    at = _click_screen_position(at, lesson, question, right_place)
    assert t("progress.quiz.right", "en", explain=question.explain) in [e.value for e in at.success]
    assert at.session_state[QUIZ_KEY][lesson.id][question.id] == {"choice": question.answer, "correct": True}


def test_clicking_the_screen_place_that_matches_the_file_index_is_not_counted_right(lesson):
    question = lesson.quiz[0]
    seed = _moved_seed(lesson, question)
    at = _open_lesson(lesson, seed)
    # A quiz that stored screen positions would call this right: the file index of the answer,
    # read as a place on screen, now holds a wrong choice.
    at = _click_screen_position(at, lesson, question, question.answer)
    assert t("progress.quiz.wrong", "en", explain=question.explain) in [e.value for e in at.error]
    stored = at.session_state[QUIZ_KEY][lesson.id][question.id]
    assert stored["correct"] is False and stored["choice"] != question.answer


def test_the_same_order_comes_back_after_a_rerun_an_answer_and_a_page_switch(lesson):
    at = _open_lesson(lesson, seed=None)  # the app picks this session's seed itself
    before = {q.id: _radio(at, lesson, q).options for q in lesson.quiz}
    at = at.run()
    assert {q.id: _radio(at, lesson, q).options for q in lesson.quiz} == before

    question = lesson.quiz[0]
    at = _click_screen_position(at, lesson, question, before[question.id].index(question.choices[question.answer]))
    answered = _radio(at, lesson, question)
    assert answered.options == before[question.id]
    # still shows what was picked, in its place on screen (`index` is a screen position)
    assert answered.disabled and answered.options[answered.proto.default] == question.choices[question.answer]

    at.switch_page("pages/glossary.py").run()
    at.switch_page("pages/lessons.py").run()
    assert {q.id: _radio(at, lesson, q).options for q in lesson.quiz} == before
    again = _radio(at, lesson, question)
    assert again.options[again.proto.default] == question.choices[question.answer]


def test_a_signed_in_learner_sees_one_order_on_the_lesson_the_progress_page_and_after_a_reload(lesson):
    at = _open_lesson(lesson, seed=None)
    at.text_input(key="prog_name_sidebar").input("Mina")
    at = at.button(key="prog_start_sidebar").click().run()
    key = at.query_params["learner"]
    signed_in = {q.id: _radio(at, lesson, q).options for q in lesson.quiz}
    assert signed_in == {q.id: [q.choices[i] for i in choice_order(len(q.choices), key, lesson.id, q.id)]
                         for q in lesson.quiz}

    question = lesson.quiz[0]
    at = _click_screen_position(at, lesson, question, signed_in[question.id].index(question.choices[question.answer]))
    assert t("progress.quiz.right", "en", explain=question.explain) in [e.value for e in at.success]

    # The Progress page draws the same quiz (with its own widget keys) in the same order, and
    # scores the answer given on the lesson page.
    at.switch_page(PROGRESS).run()
    if at.selectbox(key="prog_quiz_lesson").value != lesson.id:
        at.selectbox(key="prog_quiz_lesson").set_value(lesson.id).run()
    assert {q.id: _radio(at, lesson, q, prefix="prog_pq").options for q in lesson.quiz} == signed_in
    score = t("progress.quiz.score", "en", correct=1, total=len(lesson.quiz))
    assert any(score in m.value for m in at.markdown)

    reload = _open_lesson(lesson, seed=None, query={"learner": key})  # a new session, same link
    assert {q.id: _radio(reload, lesson, q).options for q in lesson.quiz} == signed_in


def test_the_korean_quiz_is_drawn_in_the_same_places_as_the_english_one(lesson):
    ko = course().get("ko", lesson.id)
    if ko is None:
        pytest.skip("lesson not in Korean")
    seed = "same-seed"
    en_at, ko_at = _open_lesson(lesson, seed), _open_lesson(ko, seed, lang="ko")
    for en_q, ko_q in zip(lesson.quiz, ko.quiz, strict=True):
        en_shown, ko_shown = _radio(en_at, lesson, en_q).options, _radio(ko_at, ko, ko_q).options
        assert [en_q.choices.index(c) for c in en_shown] == [ko_q.choices.index(c) for c in ko_shown]
