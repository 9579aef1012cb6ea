"""Where progress is stored decides what the page says and what a name means.

On this computer (SQLite, the default) a name typed again is the same learner. On a shared server
(PostgreSQL, or SQLite when the app is served to others: progress_shared) a name is only a label:
every sign-in starts a new learner, who is shown a private link right away, and comes back only
with it. Page tests run through the real router in both languages; every server test runs on both
kinds of server, and the PostgreSQL ones skip with the reason when no database server can be had.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.test_progress_page import LESSONS, PROGRESS, answer, sign_in, texts
from tests.test_progress_store import _closed_port
from tutor.i18n import catalog, t
from tutor.lessons import course
from tutor.progress import Event, ProgressStore, open_progress_store, open_store

LANGS = ["en", "ko"]
# Where progress is stored: this computer's file, a PostgreSQL server, or the SQLite file of an app
# served to others (progress_shared), which says what a server says.
PLACES = ["this_computer", "server", "served"]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Progress in a fresh folder for each test (never the learner's real data folder)."""
    folder = tmp_path / "progress-data"
    monkeypatch.setenv("LLM_TUTOR_DATA_DIR", str(folder))
    monkeypatch.delenv("LLM_TUTOR_PROGRESS_DB_URL", raising=False)
    monkeypatch.delenv("LLM_TUTOR_PROGRESS_SHARED", raising=False)
    return folder


@dataclass(frozen=True)
class Server:
    kind: str  # "postgres" | "sqlite"
    open: Callable[[], ProgressStore]  # the same store the app uses, opened by the test


def _serve(kind: str, data_dir, monkeypatch) -> Server:
    """Progress on a server others use: a fresh schema of the test run's throwaway PostgreSQL
    database, or the SQLite file of an app served to others (progress_shared)."""
    if kind == "sqlite":
        monkeypatch.setenv("LLM_TUTOR_PROGRESS_SHARED", "1")
        return Server("sqlite", lambda: open_progress_store("", data_dir, shared=True))
    from tests.pg_cluster import PostgresMissing, new_schema_url, shared_database

    try:
        url = new_schema_url(shared_database())
    except PostgresMissing as err:
        pytest.skip(f"PostgreSQL tests skipped: {err}")
    monkeypatch.setenv("LLM_TUTOR_PROGRESS_DB_URL", url)
    return Server("postgres", lambda: open_progress_store(url, data_dir))


@pytest.fixture(params=["postgres", "sqlite"])
def server(request, data_dir, monkeypatch) -> Server:
    return _serve(request.param, data_dir, monkeypatch)


def _unreachable_server(monkeypatch) -> None:
    """A server URL where nothing listens: what the page *says* depends only on the setting."""
    monkeypatch.setenv("LLM_TUTOR_PROGRESS_DB_URL", f"postgresql://tutor@127.0.0.1:{_closed_port()}/progress")


def _wording_for(place: str, monkeypatch) -> str:
    """Store progress in `place` (a server that is down will do: only the words are checked);
    the place whose sentences the page must say."""
    if place == "server":
        _unreachable_server(monkeypatch)
    elif place == "served":
        monkeypatch.setenv("LLM_TUTOR_PROGRESS_SHARED", "1")
    else:
        monkeypatch.delenv("LLM_TUTOR_PROGRESS_DB_URL", raising=False)
        monkeypatch.delenv("LLM_TUTOR_PROGRESS_SHARED", raising=False)
    return "this_computer" if place == "this_computer" else "server"


def stored(place: str, name: str, lang: str) -> str:
    return t(f"progress.stored.{place}.{name}", lang)


def where(at) -> str:
    return at.query_params["learner"]


# --- the wording --------------------------------------------------------------------------------


def test_every_sentence_about_where_progress_is_stored_exists_for_both_places():
    keys = {lang: {k.split(".", 3)[3] for k in catalog()[lang] if k.startswith("progress.stored.this_computer.")}
            for lang in LANGS}
    server = {k.split(".", 3)[3] for k in catalog()["en"] if k.startswith("progress.stored.server.")}
    assert keys["en"] == keys["ko"] == server and {"no_learner", "name_help", "unknown_link"} <= server


def test_no_sentence_outside_the_this_computer_place_says_this_computer():
    """Every "this computer" sentence must depend on where progress is stored."""
    for lang, words in (("en", ("this computer", "this machine", "this device")), ("ko", ("이 컴퓨터", "이 기기"))):
        for key, value in catalog()[lang].items():
            if key.startswith("progress.") and not key.startswith("progress.stored.this_computer."):
                said = [w for w in words if w in str(value)]
                # The one exception is only ever shown on this computer: names are unique only there.
                assert not said or key == "progress.import_errors.name_taken", (key, said)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("place", PLACES)
def test_the_page_says_where_progress_is_stored(open_page, data_dir, monkeypatch, place, lang):
    place = _wording_for(place, monkeypatch)
    at = open_page(PROGRESS, lang=lang)
    assert not at.exception
    other = "server" if place == "this_computer" else "this_computer"
    assert stored(place, "no_learner", lang) in texts(at.info)
    assert stored(other, "no_learner", lang) not in texts(at.info)
    assert at.text_input(key="prog_name_page").help == stored(place, "name_help", lang)
    assert at.text_input(key="prog_name_sidebar").help == stored(place, "name_help", lang)
    # Said where the name is typed, in the page and in the sidebar: what typing a name opens.
    for captions in (at.main.caption, at.sidebar.caption):
        shown = [c.value for c in captions]
        assert stored(place, "name_note", lang) in shown and stored(other, "name_note", lang) not in shown
    # Only a server offers "paste your private link": on this computer a name finds the learner.
    assert any(x.key == "prog_come_back_link" for x in at.text_input) is (place == "server")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("place", PLACES)
def test_a_link_to_an_unknown_learner_says_where_it_was_looked_for(open_page, data_dir, monkeypatch, place, lang):
    if place != "this_computer":
        _serve("postgres" if place == "server" else "sqlite", data_dir, monkeypatch)
        place = "server"
    at = open_page(LESSONS, lang=lang, query={"learner": "NoSuchLearner123"})
    assert not at.exception
    assert stored(place, "unknown_link", lang) in texts(at.sidebar.warning)


@pytest.mark.parametrize("lang", LANGS)
def test_a_read_only_server_is_not_called_a_folder(lang):
    from tutor.ui import progress as ui

    file_text = t("progress.stored.this_computer.saving_off.read_only", lang)
    server_text = t("progress.stored.server.saving_off.read_only", lang)
    assert "LLM_TUTOR_DATA_DIR" in file_text and "LLM_TUTOR_DATA_DIR" not in server_text
    assert ui.saving_off_text("unreachable", lang) == t("progress.saving_off.unreachable", lang)  # server only
    assert ui.saving_off_text("no_such_code", lang) == t("progress.saving_off.unavailable", lang)


@pytest.mark.parametrize("place", PLACES)
def test_saving_off_messages_follow_where_progress_is_stored(monkeypatch, place):
    from tutor.ui import progress as ui

    place = _wording_for(place, monkeypatch)
    for code in ("locked", "read_only", "corrupt", "too_new"):
        for lang in LANGS:
            assert ui.saving_off_text(code, lang) == stored(place, f"saving_off.{code}", lang)


# --- this computer: unchanged -------------------------------------------------------------------


def test_on_this_computer_the_same_name_comes_back_to_the_same_progress_and_no_link_is_pushed(open_page, data_dir):
    at = sign_in(open_page(PROGRESS, lang="en"), "Mina", where="page")
    key = where(at)
    assert not at.code  # no private link to keep: the name is the way back
    assert stored("this_computer", "remember", "en") in texts(at.caption)
    again = sign_in(open_page(PROGRESS, lang="en"), "  mina ", where="page")
    assert where(again) == key
    assert open_store(data_dir).learner(key).name == "Mina"


# --- a shared server: a name is a label, the link is the way back -------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_server_a_name_typed_twice_gives_two_learners_who_do_not_see_each_other(
    open_page, server, data_dir, lang
):
    lesson = next((x for x in course().in_language(lang) if x.quiz), None)
    if lesson is None:
        pytest.skip("no lesson with a quiz yet")
    question = lesson.quiz[0]
    first = sign_in(open_page(LESSONS, lang=lang, query={"lesson": lesson.id}), "Mina")
    first = answer(first, lesson, question, question.answer)
    assert not first.exception
    second = sign_in(open_page(LESSONS, lang=lang, query={"lesson": lesson.id}), "Mina")
    assert not second.exception
    assert where(second) != where(first)
    # The second Mina starts empty: the quiz score is hers (0), not the first Mina's.
    score0 = t("progress.quiz.score", lang, correct=0, total=len(lesson.quiz))
    assert f"**{score0}**" in texts(second.markdown)
    store = server.open()
    try:
        assert store.summary(where(first)).quiz[lesson.id].latest == {question.id: True}
        assert store.summary(where(second)).quiz == {}
        # The first Mina's own link still brings her progress back.
        back = open_page(PROGRESS, lang=lang, query={"learner": where(first)})
        metrics = {m.label: m.value for m in back.metric}
        assert metrics[t("progress.page.quiz_score", lang)].startswith("1 / ")
    finally:
        store.close()
    if server.kind == "postgres":
        assert not data_dir.exists()  # never a local file beside the database server


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_server_the_private_link_is_shown_right_after_sign_in_and_brings_the_learner_back(
    open_page, server, data_dir, lang
):
    at = sign_in(open_page(PROGRESS, lang=lang), "Mina", where="page")
    assert not at.exception
    key = where(at)
    links = [c.value for c in at.main.code]
    assert links and all(link.endswith(f"?lang={lang}&learner={key}") for link in links)  # opens in their language
    assert t("progress.private_link.keep", lang) in texts(at.main.markdown)
    assert t("progress.private_link.secret", lang) in texts(at.main.caption)
    assert any(b.key == "prog_link_saved_page" for b in at.button)
    at = at.button(key="prog_link_saved_page").click().run()
    assert not any(b.key == "prog_link_saved_page" for b in at.button)
    assert [c.value for c in at.main.code] == [links[-1]]  # still in "Your data", quietly
    assert stored("server", "remember", lang) in texts(at.caption)

    # The link, opened later in a new session, is the same learner; the name alone is not.
    back = open_page(LESSONS, lang=lang, query={"learner": key})
    assert not back.exception
    assert t("progress.profile.signed_in", lang, name="Mina") in texts(back.sidebar.markdown)
    assert t("progress.private_link.title", lang) in [e.label for e in back.sidebar.expander]
    assert [c.value for c in back.sidebar.code] == [f"?lang={lang}&learner={key}"]  # AppTest has no browser URL
    assert back.sidebar.button(key="prog_switch").help == t("progress.private_link.switch_help", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_server_a_pasted_private_link_brings_the_learner_back_and_a_wrong_one_says_so(
    open_page, server, data_dir, lang
):
    store = server.open()
    try:
        mina, _ = store.sign_in("Mina")
        store.record(mina.key, Event("tutor_question", 1_767_225_600.0))
    finally:
        store.close()
    at = open_page(PROGRESS, lang=lang)
    for wrong in ("https://class.example/progress?learner=NoSuchLearner123", "", "Mina", "x" * 100_000,
                  f"?learner={mina.key}'--"):
        at.text_input(key="prog_come_back_link").input(wrong)
        at = at.button(key="prog_come_back").click().run()
        assert not at.exception
        assert t("progress.private_link.come_back_not_found", lang) in texts(at.error), wrong[:40]
        assert "learner" not in at.query_params
    at.text_input(key="prog_come_back_link").input(f" https://class.example/progress?learner={mina.key}&lang=en ")
    at = at.button(key="prog_come_back").click().run()
    assert not at.exception
    assert where(at) == mina.key
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("progress.page.tutor_questions", lang)] == "1"


def test_on_a_server_restoring_an_exported_file_shows_its_private_link(open_page, server, data_dir, tmp_path):
    here = open_store(tmp_path / "laptop")  # exported on a laptop
    mina, _ = here.sign_in("Mina")
    here.record(mina.key, Event("tutor_question", 1_767_225_600.0))
    exported = here.export_json(mina.key)
    here.close()
    at = open_page(PROGRESS, lang="en")
    at.file_uploader(key="prog_restore_file").set_value(("mine.json", exported.encode(), "application/json"))
    at = at.run().button(key="prog_restore").click().run()
    assert not at.exception
    assert where(at) == mina.key
    assert any(c.value.endswith(f"&learner={mina.key}") for c in at.main.code)
    assert any(b.key == "prog_link_saved_page" for b in at.button)

