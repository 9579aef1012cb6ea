"""The model whose insides we read: the same packaged weights as the tutor, opened with PyTorch.

The tutor writes its answers with llama.cpp, which cannot hand out attention weights or the
hidden state after each layer. So this part opens its own copy of the prepared bf16 weights
(the folder `python -m tutor prepare` writes), with *eager* attention: the plain
"softmax(q·k / √d)" arithmetic written out in Python, which keeps every weight it computes.
The faster attention kernels never build that table, so they cannot show it.

It is loaded only when a learner first opens the "Inside the model" page, and can be released
again (the page's release button, or after a MemoryError) without touching the tutor's engine.
"""
from __future__ import annotations

import gc
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.config import Settings, load_settings
from tutor.lab.context import clean_text
from tutor.llm.base import EngineError, TokenPiece, readable_pieces

Progress = Callable[[float, str], None]  # (fraction done, stage), stages as in tutor.llm.loading

MAX_TOKENS = 64  # longer texts are refused: a 64 × 64 table is already hard to read
READINGS_KEPT = 8  # texts whose full reading is remembered (about 5 MB each at 64 tokens)


class TextRefused(Exception):
    """The learner's text cannot be read: `reason` is "empty" or "too_long" (with `tokens`)."""

    def __init__(self, reason: str, tokens: int = 0) -> None:
        super().__init__(f"{reason}: {tokens} tokens (at most {MAX_TOKENS})" if reason == "too_long" else reason)
        self.reason = reason
        self.tokens = tokens


@dataclass
class InsideModel:
    """A causal language model with eager attention, its tokenizer, and what it already read."""

    model: Any  # a transformers *ForCausalLM (Qwen2 for the default model)
    tokenizer: Any
    name: str
    lock: threading.Lock = field(default_factory=threading.Lock)  # one forward pass at a time
    readings: OrderedDict = field(default_factory=OrderedDict)  # text -> Reading (tutor.inside.reading)
    embedding_norms: Any = None  # each embedding row's length, made by the first neighbours search

    @property
    def vocab_size(self) -> int:
        """Tokens the model can choose from; rows beyond the tokenizer's are padding, never shown."""
        return min(len(self.tokenizer), int(self.model.config.vocab_size))

    @property
    def layer_count(self) -> int:
        return int(self.model.config.num_hidden_layers)

    @property
    def head_count(self) -> int:
        return int(self.model.config.num_attention_heads)

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`, checked: not empty and at most MAX_TOKENS (else TextRefused)."""
        text = clean_text(text)
        if not text.strip():
            raise TextRefused("empty")
        ids = list(self.tokenizer.encode(text, add_special_tokens=False))
        if len(ids) > MAX_TOKENS:
            raise TextRefused("too_long", len(ids))
        return ids

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def pieces(self, ids: list[int]) -> list[TokenPiece]:
        """The tokens grouped into readable pieces (a Korean syllable split into bytes stays whole),
        with the same function the next-token lab uses."""
        return readable_pieces(ids, self.decode)

    def remember(self, text: str, reading: Any) -> None:
        """Keep a reading for `text`, forgetting the oldest beyond READINGS_KEPT."""
        self.readings[text] = reading
        self.readings.move_to_end(text)
        while len(self.readings) > READINGS_KEPT:
            self.readings.popitem(last=False)

    def recall(self, text: str) -> Any | None:
        reading = self.readings.get(text)
        if reading is not None:
            self.readings.move_to_end(text)
        return reading


def give_back_memory() -> None:
    """Return freed memory to the system (glibc keeps large freed blocks for reuse otherwise).

    Each view makes short-lived fp32 copies of weight chunks (tens of MB); without this the
    process keeps their peak as resident memory long after the view is drawn.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        pass


def from_parts(model: Any, tokenizer: Any, name: str) -> InsideModel:
    """Wrap an already loaded model (tests use the tiny random Qwen2), switching it to eager attention."""
    model.set_attn_implementation("eager")
    return InsideModel(model=model.eval(), tokenizer=tokenizer, name=name)


def from_folder(folder: str | os.PathLike, name: str, progress: Progress | None = None) -> InsideModel:
    """Load a prepared Hugging Face folder: bf16 weights, multiplied in fp32 where that is faster
    (tutor.llm.compute's "mixed" arithmetic, the same the PyTorch engine uses)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from tutor.llm.compute import use_mixed_precision

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report = progress or (lambda fraction, stage: None)
    hf_logging.disable_progress_bar()  # a terminal bar would only clutter the app's log
    try:
        report(0.1, "tokenizer")
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        report(0.4, "load")
        model = AutoModelForCausalLM.from_pretrained(
            str(folder), dtype=torch.bfloat16, attn_implementation="eager", local_files_only=True
        )
        use_mixed_precision(model)
    except MemoryError as err:
        raise EngineError("out_of_memory", f"Not enough memory to open the model: {err}") from err
    except (OSError, ValueError, KeyError) as err:
        raise EngineError(
            "model_missing",
            f"Could not open model '{name}' from {folder}: {err}",
            hint="Run `python -m tutor prepare`.",
        ) from err
    report(1.0, "done")
    return InsideModel(model=model.eval(), tokenizer=tokenizer, name=name)


def load_inside_model(
    name_or_path: str | None = None, settings: Settings | None = None, progress: Progress | None = None
) -> InsideModel:
    """The configured model, opened for reading its insides (prepared first if it never was).

    Raises EngineError("needs_local") with backend = "openai": a server sends back text and
    probabilities, never its attention or hidden states.
    """
    from tutor.llm.catalog import resolve_source
    from tutor.llm.local import configure_threads
    from tutor.llm.prepare import model_dir_for, needs_prepare, prepare_model

    settings = settings or load_settings()
    if settings.backend != "local":
        raise EngineError(
            "needs_local",
            "Reading a model's insides needs the model on this computer; the server sends only text.",
            hint='Set backend = "local".',
        )
    report = progress or (lambda fraction, stage: None)
    source = resolve_source(name_or_path or settings.model)
    share = 0.0
    if needs_prepare(source, settings.cache_dir):  # normally done by `make run`; slow, once
        share = 0.8
        prepare_model(source, settings.cache_dir, progress=lambda f, stage: report(f * share, stage))
    configure_threads(settings.threads)
    folder = Path(model_dir_for(source, settings.cache_dir))
    return from_folder(folder, source.name, progress=lambda f, stage: report(share + f * (1 - share), stage))


class InsideRegistry:
    """The one opened model per process (the page keeps this in st.cache_resource).

    `get` opens it on first use, under a lock so two learners arriving together open it once;
    `release` lets it go, so its memory (about 1 GB) returns to the tutor and the system.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.model: InsideModel | None = None

    def get(self, load: Callable[[], InsideModel]) -> InsideModel:
        with self.lock:
            if self.model is None:
                self.model = load()
            return self.model

    def release(self) -> bool:
        """Forget the model and free its memory; True if one was open."""
        with self.lock:
            was_open = self.model is not None
            self.model = None
        gc.collect()
        return was_open
