"""The router and every page, in both languages, through AppTest."""
import pytest

from tutor.i18n import LANGUAGES, t
from tutor.lessons import course
from tutor.text import escape_markdown as escape
from tutor.ui.pages import PAGES

PAGE_PATHS = [(p.id, p.path) for p in PAGES]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page_id, path", PAGE_PATHS)
def test_every_page_renders_without_exception_in_both_languages(open_page, fake_engine, page_id, path, lang):
    at = open_page(path, lang=lang, timeout=60)
    assert not at.exception, at.exception
    titles = [x.value for x in at.title]
    assert titles, f"{path} shows no title"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_lessons_overview_lists_every_lesson_with_its_summary(open_page, lang):
    at = open_page("pages/lessons.py", lang=lang)
    assert at.title[0].value == t("lessons.overview_title", lang)
    shown = [x.value for x in at.subheader]
    for lesson in course().in_language(lang):
        assert f"{lesson.order}. {lesson.title}" in shown
        assert any(lesson.summary in m.value for m in at.markdown)


def test_deep_link_opens_the_right_lesson_and_section(open_page):
    first = course().in_language("en")[0]
    second_section = first.sections[1].anchor
    at = open_page("pages/lessons.py", lang="en", query={"lesson": first.id, "section": second_section})
    assert not at.exception
    assert at.title[0].value == first.title
    assert [h.value for h in at.header][: len(first.sections)] == [s.title for s in first.sections]


def test_unknown_lesson_in_link_shows_a_notice_and_the_list(open_page):
    at = open_page("pages/lessons.py", lang="en", query={"lesson": "no-such-lesson"})
    assert not at.exception
    assert any("no-such-lesson" in w.value for w in at.warning)
    assert at.title[0].value == t("lessons.overview_title", "en")


def test_language_switch_keeps_the_learner_on_the_same_lesson(open_page):
    lesson_id = course().in_language("en")[-1].id
    at = open_page("pages/lessons.py", lang="en", query={"lesson": lesson_id})
    at.sidebar.radio[0].set_value("ko").run()
    assert not at.exception
    assert at.title[0].value == course().get("ko", lesson_id).title


def test_next_button_moves_to_the_next_lesson_and_place_is_remembered(open_page):
    lessons = course().in_language("en")
    at = open_page("pages/lessons.py", lang="en", query={"lesson": lessons[0].id})
    at.button(key="lessons_next").click().run()
    assert at.title[0].value == lessons[1].title
    # Away to another page and back: the lesson is still open.
    at.switch_page("pages/glossary.py").run()
    at.query_params.clear()
    at.switch_page("pages/lessons.py").run()
    assert at.title[0].value == lessons[1].title


@pytest.mark.parametrize("page_id, path", PAGE_PATHS)
def test_every_page_runs_inside_the_router_with_the_shared_sidebar(open_page, fake_engine, page_id, path):
    # Streamlit's legacy pages/ mode would run a page alone, without our sidebar (see tutor.ui.lang).
    at = open_page(path, lang="en")
    assert not at.exception
    assert at.sidebar.radio[0].value == "en"
    assert at.sidebar.radio[0].label == t("common.language", "en")


def test_sidebar_says_whether_the_model_is_installed_before_it_loads(open_page, monkeypatch):
    import tutor.llm

    monkeypatch.setattr(tutor.llm, "engine_status", lambda name: ("missing", "pip install --no-deps x==1"))
    at = open_page("pages/lessons.py", lang="en")
    captions = [c.value for c in at.sidebar.caption]
    assert any("pip install --no-deps x==1" in c for c in captions), captions
    monkeypatch.setattr(tutor.llm, "engine_status", lambda name: ("needs_prepare", ""))
    at = open_page("pages/lessons.py", lang="ko")
    assert t("common.model.needs_prepare", "ko") in [c.value for c in at.sidebar.caption]


def test_loading_progress_names_each_stage_in_the_learners_language(open_page, monkeypatch):
    import tutor.ui.model as model_ui
    from tests.fakes import FakeEngine

    seen = []

    def slow_load(name, progress):
        for frac, stage in ((0.1, "verify"), (0.5, "load"), (1.0, "done")):
            progress(frac, stage)
            seen.append(stage)
        return FakeEngine()

    monkeypatch.setattr(model_ui, "_load_engine", slow_load)
    model_ui.reset_engines()
    at = open_page("pages/next_token_lab.py", lang="ko")
    assert not at.exception and seen == ["verify", "load", "done"]
    for stage in seen:
        assert not t(f"common.model.stages.{stage}", "ko").startswith("common.")
    model_ui.reset_engines()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_sidebar_says_what_computes_once_the_model_is_loaded(open_page, fake_engine, lang):
    fake_engine.runtime = "llama.cpp"
    # one run: the sidebar is drawn before the lab loads the model, and is brought up to date after
    at = open_page("pages/next_token_lab.py", lang=lang)
    assert not at.exception
    captions = [c.value for c in at.sidebar.caption]
    assert t("common.model.ready_runtime", lang, runtime="llama.cpp") in captions
    assert t("common.model.ready_on_disk", lang) not in captions and t("common.model.needs_prepare", lang) not in captions


def test_sidebar_says_the_model_is_unavailable_in_the_run_that_failed_to_load_it(open_page, monkeypatch):
    import tutor.ui.model as model_ui
    from tutor.llm.base import EngineError

    def broken(name, progress):
        raise EngineError("hash_mismatch", "The model file is damaged.")

    monkeypatch.setattr(model_ui, "_load_engine", broken)
    model_ui.reset_engines()
    at = open_page("pages/next_token_lab.py", lang="ko")
    assert not at.exception
    assert t("common.model.unavailable", "ko", why="The model file is damaged.") in [c.value for c in at.sidebar.caption]
    model_ui.reset_engines()


def test_the_tab_icon_is_drawn_by_the_page_itself_not_fetched_from_a_font_host():
    """Streamlit sends an emoji favicon as "emoji:…" (its front end draws it as an inline SVG);
    anything else becomes a URL: a material icon's is on fonts.gstatic.com, which fails offline."""
    from streamlit.commands.page_config import _get_favicon_string

    from tutor.ui.pages import APP_ICON

    assert _get_favicon_string(APP_ICON).startswith("emoji:")
    assert not _get_favicon_string(":material/school:").startswith("emoji:")  # what it was: fetched


def _loads_that_fail_first(monkeypatch, code: str, fake_engine):
    """Make the first model load fail with `code` and every later one succeed; returns the calls."""
    import tutor.ui.model as model_ui
    from tutor.llm.base import EngineError

    calls: list[str] = []

    def load(name, progress):
        calls.append(name)
        if len(calls) == 1:
            raise EngineError(code, "It broke.")
        return fake_engine

    monkeypatch.setattr(model_ui, "_load_engine", load)
    model_ui.reset_engines()
    return calls


def test_a_model_server_that_comes_back_is_used_on_the_next_run(open_page, fake_engine, monkeypatch):
    import tutor.ui.model as model_ui

    calls = _loads_that_fail_first(monkeypatch, "server_unreachable", fake_engine)
    at = open_page("pages/next_token_lab.py", lang="en")
    assert not at.exception and len(calls) == 1
    assert t("common.model.errors.server_unreachable", "en") in " ".join(e.value for e in at.error)
    at.run()  # the server is up now: no restart, no button needed
    assert not at.exception and len(calls) == 2 and not at.error
    model_ui.reset_engines()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_failed_local_load_is_remembered_until_try_again_is_pressed(open_page, fake_engine, monkeypatch, lang):
    import tutor.ui.model as model_ui

    calls = _loads_that_fail_first(monkeypatch, "out_of_memory", fake_engine)
    at = open_page("pages/next_token_lab.py", lang=lang)
    assert len(calls) == 1 and at.error
    at.run()
    assert len(calls) == 1 and at.error  # each page does not pay for a failed load again
    label = t("common.model.try_again", lang)
    buttons = [b for b in at.main.button if b.label == label]
    assert len(buttons) == 1  # once on the page per run, however many places meet the failure
    assert [b.label for b in at.sidebar.button].count(label) == 1  # and once beside the sidebar's status
    buttons[0].click().run()
    assert not at.exception and len(calls) == 2 and not at.error
    model_ui.reset_engines()


def test_a_failed_load_is_tried_again_by_itself_after_the_retry_time():
    from tutor.llm.base import EngineError
    from tutor.llm.loading import LOAD_RETRY_S
    from tutor.ui.model import EngineRegistry

    registry = EngineRegistry()
    registry.record_failure("m", EngineError("hash_mismatch", "damaged"))
    at = registry.failures["m"].at
    assert registry.failure("m", now=at + LOAD_RETRY_S - 1).code == "hash_mismatch"
    assert registry.failure("m", now=at + LOAD_RETRY_S) is None  # due: forgotten, the next get_engine loads
    assert "m" not in registry.failures


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_lesson_table_shows_every_cell_whole_and_as_written(open_page, lang):
    """Lesson tables are static tables (long cells wrap; st.dataframe cut them off) whose Markdown
    cells are escaped: the tool-call trace's `get_weather(city)` keeps its underscore."""
    from tutor.figures import build

    at = open_page("pages/lessons.py", lang=lang, query={"lesson": "tools-agents-safety"})
    assert not at.exception
    trace = build("tool-call-trace", lang).spec
    shown = [t.value for t in at.table]
    assert len(shown) == 1 and not at.dataframe
    table = shown[0]
    assert list(table.columns) == [escape(k) for k in trace[0]]
    assert table.iloc[0].tolist() == [escape(str(v)) for v in trace[0].values()]
    assert "get\\_weather\\(city\\)" in table.iloc[0].tolist()[2]  # shown as get_weather(city)
