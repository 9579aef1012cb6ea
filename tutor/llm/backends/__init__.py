"""What the local engine needs from the code that runs its model: one small interface, two backends.

`LocalEngine` (tutor.llm.local) does everything a learner sees: the chat template, tokenizing, the
answer's budget, which remembered text a new one continues (the prefix cache), the decode loop with
its stop, time limit and UTF-8 guard, the worker thread and the line for the model. A backend only
does the arithmetic: it reads tokens into a `ModelState` and gives the scores for the token after
them.

- tutor.llm.backends.pytorch: a transformers model in PyTorch (used where llama.cpp is not installed);
- tutor.llm.backends.llamacpp: llama.cpp on the packaged GGUF (the default: ~4x faster writing).

The engine calls a backend only under its lock, one call at a time: a backend never takes turns
itself. Each text being read or answered has its own state, so a backend can hold several at once.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

DEFAULT_CONTEXT_WINDOW = 4096  # longer prompts are far too slow on a laptop CPU anyway
PREFIX_CACHE_TOKENS = 6_000  # remembered keys/values in PyTorch: ~150 MB for the default model


@dataclass(eq=False)  # told apart by identity: two reads of the same text are two states
class ModelState:
    """What the model has read for one text: the tokens whose keys and values it holds, and its
    scores for the token after the last of them."""

    ids: list[int] = field(default_factory=list)
    logits: torch.Tensor | None = None  # float32, one score per vocabulary token (None before a read)
    memory: Any = None  # the backend's own keys/values: a transformers DynamicCache, a llama.cpp sequence


class Backend(ABC):
    """Runs one model over tokens for a LocalEngine; says what it is and how much it can remember."""

    runtime: str  # what does the arithmetic, as the sidebar names it: "PyTorch", "llama.cpp"
    vocab_size: int  # scores per step: the tokenizer's tokens (the model's padding rows are never offered)
    context_window: int  # most tokens one text may have, its answer included
    remembered_tokens: int  # most tokens all remembered texts may hold together
    remembered_texts: int | None  # most texts it can hold at once (None: only the tokens limit)

    @abstractmethod
    def new_state(self) -> ModelState:
        """An empty state: nothing read yet."""

    @abstractmethod
    def branch(self, source: ModelState, keep: int) -> ModelState:
        """A new state holding the first `keep` tokens of `source` (which stays as it is)."""

    @abstractmethod
    def feed(self, state: ModelState, tokens: list[int]) -> None:
        """Run the model over `tokens` after those in `state`: they join `state.ids`, and
        `state.logits` becomes the scores after the last of them."""

    @abstractmethod
    def release(self, state: ModelState) -> None:
        """Give back what `state` holds; it is not used again."""

    @abstractmethod
    def close(self) -> None:
        """Give back the model's memory (the backend is unusable afterwards)."""
