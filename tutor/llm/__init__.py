"""The language-model engine: one interface (`Engine`) that every page talks to.

`load_engine()` returns a ready engine (preparing the model first if needed); `engine_status()`
says cheaply whether that will be quick ("ready"), slow ("needs_prepare") or impossible ("missing").
Importing this package does not import torch.
"""
import os

# How OpenMP threads (torch's and llama.cpp's share one runtime) wait for work. Spinning for long
# makes a busy 2-core machine up to 10x slower; sleeping at once makes each of llama.cpp's ~800
# steps per token pay a wake-up. A short spin, then sleep, is best of both (measured, one token
# with llama.cpp: idle machine 33 ms vs 62 ms sleeping at once; beside a CPU hog 62 vs 55 ms).
# Only effective before torch or llama_cpp is imported; streamlit_app.py and the Makefile agree.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "1000")

from tutor.llm.base import (
    Engine,
    EngineError,
    NextTokenDistribution,
    TokenChoice,
    TokenPiece,
)
from tutor.llm.loading import engine_status, ensure_prepared, load_engine

__all__ = [
    "Engine",
    "EngineError",
    "NextTokenDistribution",
    "TokenChoice",
    "TokenPiece",
    "engine_status",
    "load_engine",
    "ensure_prepared",
]
