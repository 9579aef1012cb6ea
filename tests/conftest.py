"""Shared fixtures: open any page through the real router, in a chosen language, with a fake model."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tests.fakes import FakeEngine  # noqa: E402


@pytest.fixture
def fake_engine(monkeypatch) -> FakeEngine:
    """Replace the model at the engine boundary: every page that asks for it gets this fake."""
    import tutor.ui.model as model_ui

    engine = FakeEngine()
    monkeypatch.setattr(model_ui, "_load_engine", lambda name, progress: engine)
    model_ui.reset_engines()
    yield engine
    model_ui.reset_engines()


@pytest.fixture
def open_page():
    """open_page("pages/lessons.py", lang="en", query={"lesson": "x"}) -> a run AppTest of the router."""
    from streamlit.testing.v1 import AppTest

    def _open(page: str | None = None, *, lang: str = "en", query: dict | None = None, timeout: float = 30):
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout)
        at.session_state["lang"] = lang
        for key, value in (query or {}).items():
            at.query_params[key] = value
        if page:
            at.switch_page(page)
        return at.run()

    return _open


@pytest.fixture(scope="session")
def real_engine():
    """The real default model, loaded once for the whole run (`make test` prepares it first)."""
    from tutor.config import load_settings
    from tutor.llm import engine_status, load_engine

    settings = load_settings()
    state, detail = engine_status(settings=settings)
    if state == "missing":
        pytest.fail(f"the default model is not installed: {detail}")
    return load_engine(settings=settings)
