"""The language-model engine: one interface (`Engine`) that every page talks to."""
from tutor.llm.base import (
    Engine,
    EngineError,
    NextTokenDistribution,
    TokenChoice,
    TokenPiece,
)

__all__ = ["Engine", "EngineError", "NextTokenDistribution", "TokenChoice", "TokenPiece"]
