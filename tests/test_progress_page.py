"""Progress through the real router: names, quizzes that are saved, the placement check, import, reset."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tutor.i18n import t
from tutor.lessons import course
from tutor.progress import Event, open_store
from tutor.progress.placement import pick_questions

# The router's default page. Note: AppTest (1.67, with a pages/ folder next to the router) runs the
# router and its sidebar on the *first* run only; later runs execute the page alone. So sidebar
# content is checked on the first run of a fresh AppTest (which is also what a reload is).
LESSONS = None
PROGRESS = "pages/progress.py"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Progress goes to a fresh folder for each test, never the learner's real data folder."""
    folder = tmp_path / "progress-data"
    monkeypatch.setenv("LLM_TUTOR_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def first_lesson():
    lesson = next((x for x in course().in_language("en") if len(x.quiz) >= 2), None)
    if lesson is None:
        pytest.skip("no lesson with a quiz yet")
    return lesson


def sign_in(at: AppTest, name: str, where: str = "sidebar") -> AppTest:
    at.text_input(key=f"prog_name_{where}").input(name)
    return at.button(key=f"prog_start_{where}").click().run()


def answer(at: AppTest, lesson, question, choice: int, prefix: str = "prog_quiz", attempt: int = 0) -> AppTest:
    at.radio(key=f"{prefix}_{lesson.id}_{question.id}_{attempt}").set_value(choice)
    return at.button(key=f"{prefix}_{lesson.id}_{question.id}_check").click().run()


def wrong_choice(question) -> int:
    return (question.answer + 1) % len(question.choices)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_answering_a_quiz_is_saved_and_a_new_session_on_the_same_database_shows_it(
    open_page, data_dir, first_lesson
):
    lesson = first_lesson
    at = open_page(LESSONS, lang="en", query={"lesson": lesson.id})
    at = sign_in(at, "Mina")
    key = at.query_params["learner"]
    assert key
    q1, q2 = lesson.quiz[0], lesson.quiz[1]
    at = answer(at, lesson, q1, q1.answer)
    at = answer(at, lesson, q2, wrong_choice(q2))
    assert not at.exception, at.exception
    assert t("progress.quiz.right", "en", explain=q1.explain) in texts(at.success)
    assert t("progress.quiz.wrong", "en", explain=q2.explain) in texts(at.error)
    score = t("progress.quiz.score", "en", correct=1, total=len(lesson.quiz))
    assert f"**{score}**" in texts(at.markdown)

    summary = open_store(data_dir).summary(key)
    assert lesson.id in summary.lessons_read  # reaching the quiz counts as reading the lesson
    assert summary.quiz[lesson.id].latest == {q1.id: True, q2.id: False}

    # A reload is a new session: the learner comes back from the URL, with the score.
    again = open_page(LESSONS, lang="en", query={"lesson": lesson.id, "learner": key})
    assert not again.exception
    assert f"**{score}**" in texts(again.markdown)
    assert t("progress.quiz.before_right", "en") in texts(again.caption)
    progress = open_page(PROGRESS, lang="en", query={"learner": key})
    metrics = {m.label: m.value for m in progress.metric}
    assert metrics[t("progress.page.lessons_read", "en")] == f"1 / {len(course().in_language('en'))}"
    assert metrics[t("progress.page.quiz_score", "en")].startswith("1 / ")


def test_a_wrong_answer_explains_links_to_its_section_and_can_be_retried(open_page, data_dir, first_lesson):
    lesson, question = first_lesson, first_lesson.quiz[0]
    at = sign_in(open_page(LESSONS, lang="en", query={"lesson": lesson.id}), "Jun")
    at = answer(at, lesson, question, wrong_choice(question))
    section = lesson.section(question.section)
    links = [x for x in at.main.page_link if x.value == t("progress.quiz.read_section", "en", section=section.title)]
    assert links and f"section={question.section}" in links[0].proto.query_string
    at = at.button(key=f"prog_quiz_{lesson.id}_{question.id}_retry").click().run()
    at = answer(at, lesson, question, question.answer, attempt=1)
    assert t("progress.quiz.right", "en", explain=question.explain) in texts(at.success)
    score = open_store(data_dir).summary(at.query_params["learner"]).quiz[lesson.id]
    assert (score.correct, score.attempts) == (1, 2)


def test_checking_without_a_choice_asks_for_one_and_saves_nothing(open_page, data_dir, first_lesson):
    lesson, question = first_lesson, first_lesson.quiz[0]
    at = sign_in(open_page(LESSONS, lang="en", query={"lesson": lesson.id}), "Jun")
    at = at.button(key=f"prog_quiz_{lesson.id}_{question.id}_check").click().run()
    assert t("progress.quiz.pick_first", "en") in texts(at.info)
    assert open_store(data_dir).events(at.query_params["learner"]) == []


def test_without_a_name_the_quiz_works_for_this_visit_only(open_page, data_dir, first_lesson):
    lesson, question = first_lesson, first_lesson.quiz[0]
    at = answer(open_page(LESSONS, lang="en", query={"lesson": lesson.id}), lesson, question, question.answer)
    assert not at.exception
    assert t("progress.quiz.right", "en", explain=question.explain) in texts(at.success)
    assert t("progress.quiz.score_unsaved", "en", correct=1, total=len(lesson.quiz)) in texts(at.markdown)
    assert "learner" not in at.query_params
    assert not data_dir.exists()  # nothing written anywhere


def test_finished_button_marks_the_lesson_read(open_page, data_dir, first_lesson):
    at = sign_in(open_page(LESSONS, lang="en", query={"lesson": first_lesson.id}), "Mina")
    at = at.button(key=f"prog_finished_{first_lesson.id}").click().run()
    assert t("progress.finish.done", "en") in texts(at.success)
    assert open_store(data_dir).summary(at.query_params["learner"]).lessons_read == {first_lesson.id}


def test_the_learner_stays_in_the_url_when_a_page_clears_it(open_page, data_dir):
    lessons = course().in_language("en")
    at = sign_in(open_page(LESSONS, lang="en", query={"lesson": lessons[0].id}), "Mina")
    key = at.query_params["learner"]
    at = at.button(key="lessons_next").click().run()  # the lessons page rewrites the query string
    assert at.title[0].value == lessons[1].title
    assert at.query_params["learner"] == key
    reload = open_page(LESSONS, lang="en", query={"learner": key})
    assert t("progress.profile.signed_in", "en", name="Mina") in texts(reload.sidebar.markdown)


def test_switching_learner_forgets_the_learner_in_this_tab_only(open_page, data_dir):
    key = sign_in(open_page(LESSONS, lang="en"), "Mina").query_params["learner"]
    at = open_page(LESSONS, lang="en", query={"learner": key})
    at = at.button(key="prog_switch").click().run()
    assert "learner" not in at.query_params
    assert open_store(data_dir).learner(key).name == "Mina"  # progress stays saved
    assert "learner" not in open_page(LESSONS, lang="en").query_params


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(
    "name, code",
    [("", "empty"), ("    ", "empty"), ("<b></b>", "empty"), ("\x00\x07\u200b", "empty"), ("가" * 41, "too_long"),
     ("x" * 100_000, "too_long")],
)
def test_bad_display_names_are_refused_with_a_message(open_page, data_dir, lang, name, code):
    at = sign_in(open_page(PROGRESS, lang=lang), name, where="page")
    assert not at.exception
    assert t(f"progress.profile.name_errors.{code}", lang) in texts(at.error)
    assert "learner" not in at.query_params


def test_a_name_with_html_is_cleaned_and_shown_as_plain_text(open_page, data_dir):
    at = sign_in(open_page(LESSONS, lang="en"), "<script>alert(1)</script>*Mina*")
    assert not at.exception
    learner = open_store(data_dir).learner(at.query_params["learner"])
    assert learner.name == "alert(1) *Mina*"
    at = open_page(LESSONS, lang="en", query={"learner": learner.key})
    shown = [m for m in texts(at.sidebar.markdown) if "Mina" in m]
    assert shown and "<script>" not in shown[0] and r"\*Mina\*" in shown[0]


def test_an_unknown_learner_link_says_so_and_offers_a_name(open_page, data_dir):
    open_store(data_dir).close()
    at = open_page(LESSONS, lang="en", query={"learner": "NoSuchLearner123"})
    assert not at.exception
    assert t("progress.stored.this_computer.unknown_link", "en") in texts(at.sidebar.warning)
    assert "learner" not in at.query_params
    assert at.text_input(key="prog_name_sidebar") is not None


def _placement_answers(at: AppTest, lang: str, right: int) -> AppTest:
    questions = pick_questions(course().in_language(lang))
    for i, pq in enumerate(questions):
        at.radio(key=f"prog_place_{i}").set_value(pq.question.answer if i < right else wrong_choice(pq.question))
    return at.button(key="prog_place_submit").click().run()


def test_the_placement_check_marks_known_lessons_and_recommends_a_start(open_page, data_dir):
    lessons = course().in_language("en")
    if len(pick_questions(lessons)) < 4:
        pytest.skip("not enough quiz questions for a placement check yet")
    at = sign_in(open_page(PROGRESS, lang="en"), "Mina", where="page")
    assert t("progress.placement.title", "en") in texts(at.subheader)
    at = _placement_answers(at, "en", right=3)
    assert not at.exception
    summary = open_store(data_dir).summary(at.query_params["learner"])
    assert summary.placement == "done"
    assert lessons[0].id in summary.known_lessons and lessons[-1].id not in summary.known_lessons
    start = summary.placement_start
    assert start and start not in summary.known_lessons
    assert any(x.value.endswith(next(x.title for x in lessons if x.id == start)) for x in at.main.page_link)
    # Taken once, the form is no longer offered; the table shows the known lessons.
    assert not any(r.key == "prog_place_0" for r in at.radio)
    table = at.dataframe[0].value
    known_col = t("progress.page.col_known", "en")
    assert (table[known_col] == "✓").sum() == len(summary.known_lessons)


def test_skipping_the_placement_check_hides_it_in_later_visits(open_page, data_dir):
    at = sign_in(open_page(PROGRESS, lang="ko"), "민아", where="page")
    at = at.button(key="prog_place_skip").click().run()
    assert not any(r.key == "prog_place_0" for r in at.radio)
    again = open_page(PROGRESS, lang="ko", query={"learner": at.query_params["learner"]})
    assert not any(r.key == "prog_place_0" for r in again.radio)
    assert open_store(data_dir).summary(at.query_params["learner"]).placement == "skipped"


def _signed_in_with_events(open_page, data_dir) -> tuple[AppTest, str]:
    store = open_store(data_dir)
    mina, _ = store.sign_in("Mina")
    store.record_many(mina.key, [Event("placement", 1_767_225_600.0, item="skipped"),
                                 Event("tutor_question", 1_767_225_601.0)])
    return open_page(PROGRESS, lang="en", query={"learner": mina.key}), mina.key


def test_importing_an_exported_file_on_the_page_adds_its_records(open_page, data_dir):
    at, key = _signed_in_with_events(open_page, data_dir)
    doc = json.loads(open_store(data_dir).export_json(key))
    doc["events"].append({"kind": "practice_passed", "at": 1_767_225_700.0, "item": "prompt-role"})
    at.file_uploader(key="prog_import_file").set_value(("mine.json", json.dumps(doc).encode(), "application/json"))
    at = at.run().button(key="prog_import").click().run()
    assert not at.exception
    assert t("progress.page.import_ok", "en", count=1) in texts(at.success)
    assert open_store(data_dir).summary(key).practice_passed == {"prompt-role"}


@pytest.mark.parametrize(
    "payload, code",
    [(b"not json at all", "not_json"), (b'{"format": "something-else"}', "wrong_format")],
)
def test_a_bad_import_file_on_the_page_says_why_and_changes_nothing(open_page, data_dir, payload, code):
    at, key = _signed_in_with_events(open_page, data_dir)
    before = open_store(data_dir).events(key)
    at.file_uploader(key="prog_import_file").set_value(("bad.json", payload, "application/json"))
    at = at.run().button(key="prog_import").click().run()
    assert not at.exception
    assert any(e.startswith(t(f"progress.import_errors.{code}", "en")) for e in texts(at.error))
    assert open_store(data_dir).events(key) == before


def test_reset_asks_for_confirmation_before_deleting(open_page, data_dir):
    at, key = _signed_in_with_events(open_page, data_dir)
    at = at.button(key="prog_reset").click().run()
    assert len(open_store(data_dir).events(key)) == 2  # not yet
    at = at.button(key="prog_reset_no").click().run()
    at = at.button(key="prog_reset").click().run()
    at = at.button(key="prog_reset_yes").click().run()
    assert t("progress.page.reset_done", "en") in texts(at.success)
    assert open_store(data_dir).events(key) == []


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_progress_page_with_a_learner_renders_in_both_languages(open_page, data_dir, lang):
    store = open_store(data_dir)
    mina, _ = store.sign_in("Mina")
    store.record_many(mina.key, [Event("lesson_read", 1_767_225_600.0 + d * 86_400, lesson="x") for d in range(30)])
    at = open_page(PROGRESS, lang=lang, query={"learner": mina.key})
    assert not at.exception
    assert at.title[0].value == t("progress.title", lang)
    assert t("progress.page.chart_title", lang) in texts(at.subheader)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_a_corrupt_database_says_progress_is_not_saved_and_quizzes_still_work(open_page, data_dir, first_lesson):
    data_dir.mkdir(parents=True)
    (data_dir / "progress.sqlite3").write_bytes(b"garbage, not a database " * 100)
    lesson, question = first_lesson, first_lesson.quiz[0]
    at = open_page(LESSONS, lang="en", query={"lesson": lesson.id, "learner": "MinasKeyFromYesterday"})
    assert not at.exception
    assert t("progress.stored.this_computer.saving_off.corrupt", "en") in texts(at.sidebar.warning)
    at = sign_in(at, "Mina")
    assert not at.exception
    at = answer(at, lesson, question, question.answer)
    assert not at.exception
    assert t("progress.quiz.right", "en", explain=question.explain) in texts(at.success)
    progress = at.switch_page(PROGRESS).run()
    assert not progress.exception


RECORDER = """
import streamlit as st
from tutor.ui.progress import current_learner, record_event
current_learner()
st.write("saved" if record_event("tutor_question", lesson="where-llms-fit") else "not saved")
"""


def test_record_event_saves_for_a_signed_in_learner_and_does_nothing_otherwise(data_dir):
    store = open_store(data_dir)
    mina, _ = store.sign_in("Mina")
    anonymous = AppTest.from_string(RECORDER).run()
    assert texts(anonymous.markdown) == ["not saved"]
    signed_in = AppTest.from_string(RECORDER)
    signed_in.query_params["learner"] = mina.key
    assert texts(signed_in.run().markdown) == ["saved"]
    assert store.summary(mina.key).tutor_questions == 1


def test_record_event_does_nothing_when_the_database_is_damaged(data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "progress.sqlite3").write_bytes(b"garbage, not a database " * 100)
    at = AppTest.from_string(RECORDER)
    at.query_params["learner"] = "MinasKeyFromYesterday"
    at.run()
    assert not at.exception
    assert texts(at.markdown) == ["not saved"]
    assert at.session_state["prog_saving_error"] == "corrupt"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_progress_database_server_that_is_down_says_so_and_the_app_keeps_working(
    open_page, data_dir, monkeypatch, lang
):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    monkeypatch.setenv("LLM_TUTOR_PROGRESS_DB_URL", f"postgresql://tutor@127.0.0.1:{port}/progress")
    at = open_page(PROGRESS, lang=lang, query={"learner": "MinasKeyFromYesterday"})
    assert not at.exception
    assert t("progress.saving_off.unreachable", lang) in texts(at.sidebar.warning)
    assert not data_dir.exists()  # no quiet fall-back to a local file the other replicas never see


def test_progress_on_postgresql_is_saved_through_the_page_and_seen_by_another_replica(
    open_page, data_dir, monkeypatch, first_lesson
):
    from tests.pg_cluster import PostgresMissing, new_schema_url, shared_database
    from tutor.progress import open_progress_store

    try:
        url = new_schema_url(shared_database())
    except PostgresMissing as err:
        pytest.skip(f"PostgreSQL tests skipped: {err}")
    monkeypatch.setenv("LLM_TUTOR_PROGRESS_DB_URL", url)
    lesson, question = first_lesson, first_lesson.quiz[0]
    at = sign_in(open_page(LESSONS, lang="en", query={"lesson": lesson.id}), "Mina")
    at = answer(at, lesson, question, question.answer)
    assert not at.exception
    replica = open_progress_store(url, data_dir)  # another app process on the same database
    assert replica.summary(at.query_params["learner"]).quiz[lesson.id].latest == {question.id: True}
    replica.close()
    assert not data_dir.exists()


@pytest.mark.parametrize("lang, month", [("ko", "%-m월"), ("en", "%b")])
def test_the_activity_chart_writes_dates_in_the_learners_language(open_page, data_dir, first_lesson, lang, month):
    at = sign_in(open_page("pages/lessons.py", lang=lang, query={"lesson": first_lesson.id}), "Mina")
    at.button(key=f"prog_finished_{first_lesson.id}").click().run()
    at.switch_page("pages/progress.py").run()
    import json

    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    formats = [s["encoding"]["x"]["axis"]["format"] for s in specs if s.get("encoding", {}).get("x")]
    assert formats and all(f.startswith(month) for f in formats)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_where_the_name_is_typed_it_says_that_on_this_computer_the_name_is_the_way_back(open_page, data_dir, lang):
    at = open_page("pages/lessons.py", lang=lang)
    assert t("progress.stored.this_computer.name_note", lang) in [c.value for c in at.sidebar.caption]


def _in_page_order(node) -> list:
    """Every element under `node`, top to bottom as the page shows them."""
    found = []
    for child in getattr(node, "children", {}).values():
        found.append(child)
        found += _in_page_order(child)
    return found


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_progress_figures_come_before_the_placement_check(open_page, data_dir, lang):
    at = sign_in(open_page(PROGRESS, lang=lang), "Mina", where="page")
    assert not at.exception
    shown = _in_page_order(at.main)
    first_figure = next(i for i, e in enumerate(shown) if e.type == "metric")
    placement = next(i for i, e in enumerate(shown)
                     if getattr(e, "value", None) == t("progress.placement.title", lang))
    chart = next(i for i, e in enumerate(shown) if getattr(e, "value", None) == t("progress.page.chart_title", lang))
    assert first_figure < placement < chart  # figures, then the check, then the activity in detail


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_importing_another_learners_file_says_why_once(open_page, data_dir, lang):
    store = open_store(data_dir)
    mina, _ = store.sign_in("Mina")
    jun, _ = store.sign_in("Jun")
    store.record(jun.key, Event("tutor_question", 1_767_225_600.0))
    juns_file = store.export_json(jun.key)
    at = open_page(PROGRESS, lang=lang, query={"learner": mina.key})
    at.file_uploader(key="prog_import_file").set_value(("jun.json", juns_file.encode(), "application/json"))
    at = at.run().button(key="prog_import").click().run()
    assert not at.exception
    assert texts(at.error) == [t("progress.import_errors.other_learner", lang)]  # the reason, once, nothing after it
    assert open_store(data_dir).events(mina.key) == []
