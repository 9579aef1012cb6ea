"""The language-model engine: one interface (`Engine`) that every page talks to.

`load_engine()` returns a ready engine (preparing the model first if needed); `engine_status()`
says cheaply whether that will be quick ("ready"), slow ("needs_prepare") or impossible ("missing").
Importing this package does not import torch.
"""
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
