"""The language-model engine: one interface (`Engine`) that every page talks to.

`load_engine()` returns a ready engine (preparing the model first if needed); `engine_status()`
says cheaply whether that will be quick ("ready"), slow ("needs_prepare") or impossible ("missing").
Importing this package does not import torch.
"""
import os

# OpenMP threads that spin while waiting make a busy 2-core machine up to 10× slower (measured);
# passive waiting costs nothing when the cores are idle. Only effective before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
