"""Pages through the real router with backend = "openai": they talk to a server without knowing it."""
from __future__ import annotations

import pytest

from tests.fake_openai_server import FakeOpenAIServer
from tests.fakes import ask_and_explain

PAGE = "pages/tutor_chat.py"


@pytest.fixture
def server_backend(monkeypatch, tmp_path):
    """Settings point at a scripted server; no local tokenizer (empty cache), so the server tokenizes."""
    import tutor.ui.model as model_ui

    with FakeOpenAIServer() as server:
        monkeypatch.setenv("LLM_TUTOR_BACKEND", "openai")
        monkeypatch.setenv("LLM_TUTOR_OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("LLM_TUTOR_OPENAI_MODEL", "fake-model")
        monkeypatch.setenv("LLM_TUTOR_OPENAI_MAX_RETRIES", "0")
        monkeypatch.setenv("LLM_TUTOR_CACHE_DIR", str(tmp_path))
        model_ui.reset_engines()
        yield server
        model_ui.reset_engines()


def test_tutor_page_answers_through_the_server(open_page, server_backend):
    at = open_page(PAGE, lang="en")
    ask_and_explain(at, "What does temperature do when sampling?")
    assert not at.exception
    answer = at.session_state["chat_history"][-1]
    assert answer["role"] == "assistant" and answer["content"] == "".join(server_backend.script.pieces)
    chat = [r for r in server_backend.script.requests if r["path"] == "/v1/chat/completions"]
    assert chat and chat[-1]["body"]["stream"] is True


def test_tutor_page_explains_politely_when_the_server_is_gone(open_page, server_backend):
    server_backend.__exit__()  # the server goes away before the learner asks
    at = open_page(PAGE, lang="en")
    ask_and_explain(at, "What does temperature do when sampling?")
    assert not at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(m.value for m in at.markdown)
    assert "cannot be reached" in shown


def test_next_token_lab_draws_the_servers_probabilities(open_page, server_backend):
    from tests.fake_openai_server import logprobs_of
    from tutor.i18n import t_list

    server_backend.script.logprobs = logprobs_of({" mat": 0.5, " floor": 0.2, " bed": 0.1})
    at = open_page("pages/next_token_lab.py", lang="en", query={"tab": "predict"}, timeout=90)
    assert not at.exception, at.exception
    asks = [r["body"] for r in server_backend.script.requests if r["path"] == "/v1/completions"]
    assert asks and asks[-1]["prompt"] == t_list("lab.examples", "en")[0] and asks[-1]["max_tokens"] == 1
    (dist, _fitted), = at.session_state["lab_dist_memo"].values()  # what the page drew
    assert [c.token for c in dist.choices] == [" mat", " floor", " bed"]
    assert dist.alternatives_capped == 3  # the lab asked for 40; this server knows only three
    from tutor.i18n import t

    assert t("lab.capped_alternatives", "en", n=3) in [c.value for c in at.caption]  # and says so


def test_tutor_page_keeps_and_marks_the_partial_answer_when_the_server_dies_mid_answer(open_page, server_backend):
    from tutor.i18n import t

    server_backend.script.die_after = 3
    at = open_page(PAGE, lang="en")
    ask_and_explain(at, "What does temperature do when sampling?")
    assert not at.exception
    answer = at.session_state["chat_history"][-1]
    assert answer["content"] == "".join(server_backend.script.pieces[:3]).strip()
    assert answer["error"].startswith(t("chat.model_failed_during", "en")) and "cut short" in answer["error"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_sidebar_names_the_server_instead_of_offering_a_model_picker(open_page, server_backend, lang):
    from tutor.i18n import t

    at = open_page(PAGE, lang=lang)
    assert not at.exception
    assert not [box for box in at.sidebar.selectbox if box.key == "_model_widget"]
    expected = t("common.model.served_by", lang, model="fake-model", url=server_backend.base_url)
    assert expected in [c.value for c in at.sidebar.caption]
