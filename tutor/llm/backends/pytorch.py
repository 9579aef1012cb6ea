"""The PyTorch backend: a transformers causal LM does the arithmetic, keys and values in a KV cache.

Used where llama.cpp is not installed (`model_compute = "mixed"`, "bf16" or "fp32"; see
tutor/llm/compute.py for "mixed"). Each remembered text is one transformers `DynamicCache`; a text
that branches off a remembered one gets a copy of it, cut back to the shared start.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import torch

from tutor.llm.backends import DEFAULT_CONTEXT_WINDOW, PREFIX_CACHE_TOKENS, Backend, ModelState
from tutor.llm.base import EngineError
from tutor.llm.compute import COMPUTE_MODES, use_mixed_precision
from tutor.llm.local import LocalEngine, eos_token_ids, out_of_memory


class PyTorchBackend(Backend):
    """A transformers model (already loaded) behind the Backend interface."""

    runtime = "PyTorch"
    remembered_tokens = PREFIX_CACHE_TOKENS
    remembered_texts = None  # as many as fit in the tokens

    def __init__(self, model: Any, *, known_tokens: int, context_window: int | None = None) -> None:
        self.model = model.eval()
        config_window = int(getattr(model.config, "max_position_embeddings", 0) or DEFAULT_CONTEXT_WINDOW)
        self.context_window = min(config_window, context_window or DEFAULT_CONTEXT_WINDOW)
        # scores beyond the tokenizer's `known_tokens` are padding rows of the embedding: never offered
        self.vocab_size = min(known_tokens, int(model.config.vocab_size))

    def new_state(self) -> ModelState:
        from transformers import DynamicCache

        return ModelState(memory=DynamicCache(config=self.model.config))

    def branch(self, source: ModelState, keep: int) -> ModelState:
        cache = copy.deepcopy(source.memory)
        cache.crop(keep - len(source.ids))  # v5: a negative count removes that many tokens from the end
        return ModelState(ids=source.ids[:keep], memory=cache)

    def feed(self, state: ModelState, tokens: list[int]) -> None:
        """One forward pass over `tokens`, after the keys and values already in the state's cache.

        Every pass uses all of torch's threads. Switching the count per pass (one thread for
        one-token steps, all for prompts) was measured and dropped: after a switch, two-thread
        steps stayed slower (117 ms before, 136 ms after one switch; 174 ms when switching to time
        both choices) than never switching at all.
        """
        new = torch.tensor([tokens], dtype=torch.long)
        # logits_to_keep=1: scores for the last position only, the one the next token comes from
        out = self.model(input_ids=new, past_key_values=state.memory, use_cache=True, logits_to_keep=1)
        state.ids.extend(tokens)
        state.logits = out.logits[0, -1, : self.vocab_size].float()

    def release(self, state: ModelState) -> None:
        state.memory = None  # the cache is Python memory: dropping it is enough

    def close(self) -> None:
        pass  # the weights are Python memory too: freed with the engine


def pytorch_engine(
    model: Any,
    tokenizer: Any,
    *,
    name: str,
    context_window: int | None = None,
    max_new_tokens_cap: int = 1024,
) -> LocalEngine:
    """A LocalEngine on a loaded transformers model and its tokenizer."""
    backend = PyTorchBackend(model, known_tokens=len(tokenizer), context_window=context_window)
    eos_ids = eos_token_ids([getattr(model, "generation_config", None), model.config], tokenizer)
    return LocalEngine(backend, tokenizer, name=name, eos_ids=eos_ids, max_new_tokens_cap=max_new_tokens_cap)


def load_pytorch_engine(
    folder: str | os.PathLike,
    *,
    name: str,
    context_window: int | None = None,
    max_new_tokens_cap: int = 1024,
    compute: str = "mixed",
) -> LocalEngine:
    """Load a prepared (or any Hugging Face) model folder, offline (compute: see tutor.llm.compute)."""
    if compute not in COMPUTE_MODES:
        raise EngineError("bad_config", f"model_compute must be one of {COMPUTE_MODES}, got {compute!r}.")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = str(Path(folder))
    bars_were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a terminal progress bar would only clutter the app's log
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        dtype = torch.float32 if compute == "fp32" else torch.bfloat16
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=True)
        if compute == "mixed":
            use_mixed_precision(model)
    except MemoryError as err:
        raise out_of_memory(err) from err
    except (OSError, ValueError, KeyError) as err:
        raise EngineError(
            "model_missing",
            f"Could not load model '{name}' from {path}: {err}",
            hint="Run `python -m tutor prepare` (or fix the `model` setting).",
        ) from err
    finally:
        if bars_were_on:
            hf_logging.enable_progress_bar()
    return pytorch_engine(
        model, tokenizer, name=name, context_window=context_window, max_new_tokens_cap=max_new_tokens_cap
    )
