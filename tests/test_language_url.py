"""The learner's language lives in the URL too, so a reload or a saved link keeps it (issue 20, item 1)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tutor.i18n import t
from tutor.lessons import course


def reload_with(query: dict[str, str]) -> AppTest:
    """What a browser reload does: a new session that only has the URL's query parameters."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_switching_language_writes_it_into_the_url(open_page):
    at = open_page("pages/lessons.py", lang="en", query={"lang": "en"})
    assert at.query_params["lang"] == "en"
    at.sidebar.radio[0].set_value("ko").run()
    assert at.query_params["lang"] == "ko"
    assert at.title[0].value == t("lessons.overview_title", "ko")


def test_a_reload_after_switching_opens_in_the_chosen_language(open_page):
    at = open_page("pages/lessons.py", lang="en", query={"lang": "en"})
    at.sidebar.radio[0].set_value("ko").run()
    again = reload_with(dict(at.query_params))
    assert again.title[0].value == t("lessons.overview_title", "ko")
    assert again.sidebar.radio[0].value == "ko"


def test_the_language_stays_in_the_url_when_a_lesson_rewrites_the_query(open_page):
    at = open_page("pages/lessons.py", lang="ko")
    first = course().in_language("ko")[0]
    at.button(key=f"lessons_open_{first.id}").click().run()
    assert at.query_params["lesson"] == first.id
    assert at.query_params["lang"] == "ko"


def test_the_private_link_carries_the_language(monkeypatch):
    import tutor.ui.progress as progress_ui

    class FakeContext:
        url = "http://class.example/progress"

    monkeypatch.setattr(progress_ui.st, "context", FakeContext())
    assert progress_ui.private_link("abc123", "ko") == "http://class.example/progress?lang=ko&learner=abc123"
    assert progress_ui.private_link("abc123") == "http://class.example/progress?learner=abc123"
