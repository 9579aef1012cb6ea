"""The shared language model: loaded once per process, shown in the sidebar, reached by pages.

Loading happens outside st.cache_resource's function body on purpose: progress bars drawn inside a
cached function are recorded and replayed on every later call. Instead a cached *registry* (one
per process, shared by every session) holds the loaded engines behind a lock, so two learners who
arrive together load the model once. Engines serialise their own generate calls.

A failed load is remembered, so every page does not pay for it again, but not for ever: it is
tried again when tutor.llm.loading.load_retry_due says so (a model server: on the next run; any
other failure: after a minute), or at once with the "Try again" button beside the error.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import streamlit as st

from tutor.config import load_settings
from tutor.i18n import t, t_first
from tutor.llm import background
from tutor.llm.base import Engine, EngineError, Queued
from tutor.llm.loading import load_retry_due
from tutor.ui.state import remembered

Source = TypeVar("Source", bound=Queued)

MODEL_KEY = "model_choice"  # non-widget key: the learner's chosen model for this session
TEMPERATURE_KEY = "model_temperature"


@dataclass(frozen=True)
class LoadFailure:
    """Why a model did not load, and when (time.monotonic()), so the retry can wait its turn."""

    error: EngineError
    at: float


class EngineRegistry:
    """Loaded engines by model name; `lock` makes sure each is loaded only once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.engines: dict[str, Engine] = {}
        self.failures: dict[str, LoadFailure] = {}
        # its own lock: `lock` is held for a whole load, and the sidebar must not wait for that
        self._failures_lock = threading.Lock()

    def record_failure(self, name: str, error: EngineError) -> None:
        with self._failures_lock:
            self.failures[name] = LoadFailure(error, time.monotonic())

    def failure(self, name: str, now: float | None = None) -> EngineError | None:
        """Why `name` did not load, while that still stands; None once a retry is due (the
        failure is then forgotten, so the next get_engine loads again)."""
        with self._failures_lock:
            failed = self.failures.get(name)
            if failed is None:
                return None
            age = (time.monotonic() if now is None else now) - failed.at
            if load_retry_due(failed.error.code, age):
                del self.failures[name]
                return None
            return failed.error

    def forget_failure(self, name: str) -> None:
        """The "Try again" button: the next get_engine loads `name` again."""
        with self._failures_lock:
            self.failures.pop(name, None)


@st.cache_resource(show_spinner=False)
def engine_registry() -> EngineRegistry:
    return EngineRegistry()


def _load_engine(name: str, progress: Callable[[float, str], None]) -> Engine:
    # Imported here so pages that never use the model never import torch.
    from tutor.llm import load_engine

    return load_engine(name, progress=progress)


def _status(name: str) -> tuple[str, str]:
    """("ready" | "needs_prepare" | "missing", detail) without loading weights."""
    from tutor.llm import engine_status

    try:
        return engine_status(name)
    except EngineError as err:
        return "missing", err.message


def reset_engines() -> None:
    """Forget loaded engines (tests; after the learner fixes a broken install)."""
    registry = engine_registry()
    with registry.lock:
        registry.engines.clear()
        registry.failures.clear()


def chosen_model() -> str:
    return st.session_state.setdefault(MODEL_KEY, load_settings().model)


_RETRY_SHOWN = "_model_retry_shown"  # this run already has its "Try again" button beside an error


def try_again_ui(name: str, lang: str, *, key: str = "model_try_again") -> None:
    """A "Try again" button that forgets the failed load of `name` (the click's rerun loads it).
    Drawn once per run, however many calls of get_engine meet the failure."""
    if key == "model_try_again":
        if st.session_state.get(_RETRY_SHOWN):
            return
        st.session_state[_RETRY_SHOWN] = True
    st.button(
        t("common.model.try_again", lang),
        key=key,
        icon=":material/refresh:",
        help=t("common.model.try_again_help", lang),
        on_click=engine_registry().forget_failure,
        args=(name,),
    )


def error_text(err: EngineError, lang: str) -> str:
    """A learner-readable message for an engine failure, in their language."""
    explained = t_first([f"common.model.errors.{err.code}", "common.model.errors.generic"], lang)
    return f"{explained}\n\n`{err}`"


def wait_for_turn(source: Source, lang: str, *, poll_s: float = 0.5, slot: object | None = None) -> Source:
    """While `source` (a stream or an answer job) waits for the shared model, show its place in
    line and a rough wait; return it once its turn has come, ready for `st.write_stream`.

    A source that does not wait (its turn has come, or it comes from a model server, whose line we
    cannot see) says None at once: nothing is shown. A Stop button drawn before this call still
    works: its click ends this script run, and the dropped stream leaves the line.
    """
    status = source.queue_status()
    if status is None:
        return source
    slot = slot if slot is not None else st.empty()
    while status is not None:
        slot.info(
            t("common.model.queue", lang, ahead=status.ahead, seconds=max(1, round(status.estimate_s))),
            icon=":material/hourglass_top:",
        )
        time.sleep(poll_s)
        status = source.queue_status()
    slot.empty()
    return source


def busy_note(engine: Engine, lang: str) -> str | None:
    """For a call that blocks until the model is free (a lab step): a note on how long it may
    wait when other learners are using the model, else None."""
    status = engine.queue_outlook()  # None from an engine whose line we cannot see (a model server)
    if status is None or status.ahead == 0:
        return None
    return t("common.model.busy", lang, ahead=status.ahead, seconds=max(1, round(status.estimate_s)))


_STATUS_SLOT = "_model_status_slot"  # this run's sidebar caption about the model


def _ready_text(engine: Engine, lang: str) -> str:
    runtime = engine.runtime  # what computes; "" for a model server, which does not say
    return t("common.model.ready_runtime", lang, runtime=runtime) if runtime else t("common.model.ready", lang)


def _refresh_sidebar_status(text: str) -> None:
    """Rewrite the sidebar's model caption, drawn earlier in this run (nothing if there is none)."""
    slot = st.session_state.get(_STATUS_SLOT)
    if slot is not None:
        slot.caption(text)


def preparing() -> background.Preparation | None:
    """The background preparation `make run` started, while it is still working (else None)."""
    settings = load_settings()
    if settings.backend != "local":
        return None
    status = background.read_status(settings.cache_dir)
    return status if status is not None and status.running else None


def _preparing_text(status: background.Preparation, lang: str, *, short: bool = False) -> str:
    stage = t_first([f"common.model.preparing_stages.{status.stage}", "common.model.preparing_stages.other"], lang)
    minutes = max(1, round((time.time() - status.started) / 60))
    key = "common.model.preparing_short" if short else "common.model.preparing"
    return t(key, lang, percent=status.percent, stage=stage, minutes=minutes)


def preparing_note(lang: str) -> bool:
    """While the model is prepared in the background, say how far it is (the sidebar shows it
    move, and runs the page again when it is done) and return True: nothing may load it meanwhile."""
    status = preparing()
    if status is not None:
        st.info(_preparing_text(status, lang), icon=":material/hourglass_top:")
    return status is not None


def get_engine(lang: str) -> Engine | None:
    """The loaded model, loading it (with a progress bar) on first use.

    Returns None after showing a polite error when the model cannot be loaded, or a note while
    it is still being prepared in the background; the page then offers what it can without a model.
    """
    name = chosen_model()
    registry = engine_registry()
    if name in registry.engines:
        return registry.engines[name]
    if preparing_note(lang):
        return None
    failed = registry.failure(name)
    if failed is not None:
        st.error(error_text(failed, lang), icon=":material/error:")
        try_again_ui(name, lang)
        return None
    bar = st.progress(0.0, text=t("common.model.loading", lang, model=name))
    try:
        with registry.lock:
            if name not in registry.engines:
                registry.engines[name] = _load_engine(
                    name,
                    lambda frac, stage: bar.progress(
                        min(max(frac, 0.0), 1.0), text=t(f"common.model.stages.{stage}", lang, model=name)
                    ),
                )
        _refresh_sidebar_status(_ready_text(registry.engines[name], lang))
        return registry.engines[name]
    except (EngineError, MemoryError) as caught:
        err = caught if isinstance(caught, EngineError) else EngineError(
            "out_of_memory", "Not enough memory to load the model."
        )
        registry.record_failure(name, err)
        st.error(error_text(err, lang), icon=":material/error:")
        try_again_ui(name, lang)
        _refresh_sidebar_status(t("common.model.unavailable", lang, why=err.message))
        return None
    finally:
        bar.empty()


def model_status_sidebar(lang: str) -> None:
    """Sidebar: which model, whether it is ready, and the learner's creativity setting."""
    from tutor.llm.catalog import CATALOG  # the packaged models (cheap: no torch import)

    registry = engine_registry()
    name = chosen_model()
    settings = load_settings()
    st.session_state[_RETRY_SHOWN] = False  # the router draws this first in every run
    if preparing() is not None:  # outside the folded box: a learner should see it without a click
        with st.sidebar:
            preparation_progress_ui(lang)
    with st.sidebar.expander(t("common.model.title", lang), icon=":material/memory:"):
        if settings.backend == "openai":
            # the server decides which model runs: a picker here would change nothing
            st.caption(t("common.model.served_by", lang, model=settings.openai_model, url=settings.openai_base_url))
        else:
            options = list(CATALOG)
            if name not in options:
                options.append(name)  # a local path from configuration
            st.selectbox(t("common.model.choose", lang), options, **remembered(MODEL_KEY, "_model_widget"))
        # the page runs after the sidebar: if it loads the model, get_engine rewrites this caption
        slot = st.session_state[_STATUS_SLOT] = st.empty()
        failed = None if name in registry.engines else registry.failure(name)
        if name in registry.engines:
            slot.caption(_ready_text(registry.engines[name], lang))
        elif failed is not None:
            slot.caption(t("common.model.unavailable", lang, why=failed.message))
            try_again_ui(name, lang, key="model_try_again_sidebar")
        else:
            state, detail = _status(name)
            if state == "missing":
                slot.caption(t("common.model.unavailable", lang, why=detail))
            else:  # "ready" here means prepared on disk, not yet loaded into memory
                slot.caption(t("common.model.ready_on_disk" if state == "ready" else "common.model.needs_prepare", lang))
        st.session_state.setdefault(TEMPERATURE_KEY, 0.3)
        st.slider(
            t("common.model.creativity", lang),
            0.0,
            1.5,
            step=0.1,
            help=t("common.model.creativity_help", lang),
            **remembered(TEMPERATURE_KEY, "_temp_widget"),
        )
        st.page_link(
            "pages/lessons.py",
            label=t("common.model.creativity_lesson", lang),
            icon=":material/menu_book:",
            query_params={"lesson": "generating-text"},
        )


@st.fragment(run_every=3)
def preparation_progress_ui(lang: str) -> None:
    """The background preparation's progress, read again every 3 seconds; when it ends, the whole
    page runs again, so a chat or lab waiting for the model gets it without a click."""
    status = preparing()
    if status is None:
        st.rerun()
    st.progress(status.fraction, text=_preparing_text(status, lang, short=True))
