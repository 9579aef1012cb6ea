"""The llama.cpp backend: llama.cpp does the arithmetic, on the packaged GGUF file itself.

Why: on a laptop CPU, writing an answer is limited by how many bytes of weights each new token must
read. The GGUF keeps most weights in 5 bits (q5_0) instead of the 16 of our bf16 copy, and
llama.cpp's kernels multiply them without unpacking them first: one new token takes ~33 ms here
against ~120 ms in PyTorch. Reading a prompt is the other way round (arithmetic-bound), so prompts
go through a float16 copy of the same weights, the "reader" (see LlamaCppBackend). Figures:
`python -m tutor bench`; how close the numbers stay to the bf16 copy: the real-model test
`test_engine_probabilities_match_the_prepared_weights_computed_plainly`.

Everything a learner sees is the same as with PyTorch: the Hugging Face tokenizer still splits the
text (same ids as the GGUF's own vocabulary), and the chat template, sampling, streaming, stopping,
the prefix cache and the queue all come from `LocalEngine`. Only "run the model over these tokens"
is llama.cpp's.

Each remembered text is one of llama.cpp's sequences: one key/value store shared by a few sequences
(`SLOTS`). A new text that starts like a remembered one copies that start into a free sequence
(`llama_memory_seq_cp`, which only tags the same cells, no copy of numbers) and reads the rest.

llama-cpp-python compiles llama.cpp when installed (`make run` does it once; see README). Without
it, `model_compute = "auto"` falls back to PyTorch.
"""
from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tutor.llm.backends import DEFAULT_CONTEXT_WINDOW, PREFIX_CACHE_TOKENS, Backend, ModelState
from tutor.llm.base import EngineError
from tutor.llm.local import LocalEngine, eos_token_ids

SLOTS = 4  # remembered texts at once: a chat's system prompt in each language, the lab's text, ...
BATCH = 512  # prompt tokens per llama_decode call
READER_MIN_TOKENS = 16  # reads this long go through the float16 reader (see LlamaCppBackend)
STEP_BATCH = READER_MIN_TOKENS  # with a reader, the step context only ever sees short batches
_HIGH_PRECISION = {0, 1, 32}  # GGUF general.file_type: F32, F16, BF16 (nothing to gain from a reader)
_log = logging.getLogger("llm-tutor.llama.cpp")


def available() -> bool:
    """Is llama-cpp-python installed (without loading it)?"""
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


class _Context:
    """One llama.cpp model with its key/value store, and the few calls the engine makes on it."""

    def __init__(self, llama: Any, path: str, *, cells: int, batch: int, sequences: int, threads: int) -> None:
        self.llama = llama
        if not Path(path).is_file():
            raise EngineError("model_missing", f"No GGUF file at {path}.", hint="Run `python -m tutor prepare`.")
        params = llama.llama_model_default_params()
        params.n_gpu_layers = 0
        self.model = llama.llama_model_load_from_file(path.encode(), params)
        if not self.model:
            raise EngineError(
                "model_missing", f"llama.cpp could not load {path}.", hint="Run `python -m tutor prepare --force`."
            )
        self.n_vocab = int(llama.llama_vocab_n_tokens(llama.llama_model_get_vocab(self.model)))
        ctx_params = llama.llama_context_default_params()
        ctx_params.n_ctx = cells
        ctx_params.n_batch = ctx_params.n_ubatch = batch
        ctx_params.n_seq_max = sequences
        ctx_params.kv_unified = True  # sequences share cells, so a copied start costs no memory
        ctx_params.n_threads = ctx_params.n_threads_batch = threads
        ctx_params.no_perf = True
        self.ctx = llama.llama_init_from_model(self.model, ctx_params)
        if not self.ctx:
            llama.llama_model_free(self.model)
            raise EngineError("out_of_memory", "llama.cpp could not make room for the model's working memory.")
        self.memory = llama.llama_get_memory(self.ctx)
        self.batch_size = batch
        self.batch = llama.llama_batch_init(batch, 0, 1)

    def decode(self, tokens: list[int], seq: int, first_pos: int) -> None:
        """Read `tokens` into sequence `seq` at positions first_pos, first_pos + 1, ..."""
        llama, batch = self.llama, self.batch
        for start in range(0, len(tokens), self.batch_size):
            chunk = tokens[start:start + self.batch_size]
            batch.n_tokens = len(chunk)
            for i, token in enumerate(chunk):
                batch.token[i] = token
                batch.pos[i] = first_pos + start + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = seq
                batch.logits[i] = False
            batch.logits[len(chunk) - 1] = True  # scores only where we need them: after the last token
            code = llama.llama_decode(self.ctx, batch)
            if code != 0:
                raise EngineError(
                    "out_of_memory" if code == 1 else "generation_failed",
                    f"llama.cpp could not read the text (llama_decode returned {code}).",
                    hint="Try a shorter text.",
                )

    def last_scores(self, count: int) -> torch.Tensor:
        """The float32 scores after the last token decoded (the first `count` of the vocabulary)."""
        scores = np.ctypeslib.as_array(self.llama.llama_get_logits_ith(self.ctx, -1), shape=(self.n_vocab,))
        return torch.from_numpy(scores[:count].copy())

    def save(self, seq: int) -> Any:
        """A copy of one sequence's keys/values (and their positions)."""
        size = self.llama.llama_state_seq_get_size(self.ctx, seq)
        data = (ctypes.c_uint8 * size)()
        self.llama.llama_state_seq_get_data(self.ctx, data, size, seq)
        return data

    def restore(self, data: Any, seq: int) -> None:
        """Replace sequence `seq` with a copy made by `save` (from this or another context)."""
        if self.llama.llama_state_seq_set_data(self.ctx, data, len(data), seq) == 0:
            raise EngineError("out_of_memory", "llama.cpp could not copy the text's keys and values.")

    def forget(self, seq: int = -1) -> None:
        self.llama.llama_memory_seq_rm(self.memory, seq, -1, -1)

    def __del__(self) -> None:
        self.close()  # llama.cpp's memory is not Python's: give it back when the engine goes away

    def close(self) -> None:
        if getattr(self, "ctx", None):
            self.llama.llama_batch_free(self.batch)
            self.llama.llama_free(self.ctx)
            self.llama.llama_model_free(self.model)
            self.ctx = self.model = None


class LlamaCppBackend(Backend):
    """llama.cpp behind the Backend interface; a state's `memory` is its llama.cpp sequence number.

    Two copies of the same weights can share the work. The packaged GGUF (mostly 5-bit) writes
    answers: a one-token step reads the fewest bytes. A float16 copy (`reader_gguf`, made once by
    `make_reader_gguf`) reads prompts: on AVX2 cores its matrix products run ~1.8x faster than the
    5-bit ones. A prompt read by the reader hands its keys and values to the writer (a copy of a few
    MB), so the writer continues exactly where the reader stopped.
    """

    runtime = "llama.cpp"
    remembered_texts = SLOTS

    def __init__(
        self,
        gguf: str | os.PathLike,
        *,
        known_tokens: int,
        reader_gguf: str | os.PathLike | None = None,
        context_window: int | None = None,
        threads: int = 0,
    ) -> None:
        llama = _import_llama_cpp()
        threads = threads if threads > 0 else (os.cpu_count() or 1)
        # the writer's key/value store holds every sequence: room for a whole context plus remembered texts
        self.remembered_tokens = max(PREFIX_CACHE_TOKENS, DEFAULT_CONTEXT_WINDOW) + DEFAULT_CONTEXT_WINDOW
        batch = STEP_BATCH if reader_gguf else BATCH
        self.writer = _Context(
            llama, str(gguf), cells=self.remembered_tokens, batch=batch, sequences=SLOTS, threads=threads
        )
        trained = int(llama.llama_model_n_ctx_train(self.writer.model)) or DEFAULT_CONTEXT_WINDOW
        self.context_window = min(trained, context_window or DEFAULT_CONTEXT_WINDOW)
        self.reader: _Context | None = None
        if reader_gguf:
            try:
                self.reader = _Context(
                    llama, str(reader_gguf), cells=self.context_window, batch=BATCH, sequences=1, threads=threads
                )
            except EngineError:
                self.writer.close()
                raise
        # scores beyond the tokenizer's `known_tokens` are padding rows: never offered
        self.vocab_size = min(known_tokens, self.writer.n_vocab)
        self._free = list(range(SLOTS))  # sequence numbers no state holds

    def new_state(self) -> ModelState:
        """An empty sequence (the engine forgets a text first when all SLOTS are in use)."""
        return ModelState(memory=self._free.pop(0))

    def branch(self, source: ModelState, keep: int) -> ModelState:
        state = self.new_state()
        self.writer.llama.llama_memory_seq_cp(self.writer.memory, source.memory, state.memory, 0, keep)
        state.ids = source.ids[:keep]
        return state

    def feed(self, state: ModelState, tokens: list[int]) -> None:
        if self.reader is not None and len(tokens) >= READER_MIN_TOKENS:
            context = self.reader
            context.forget()
            if state.ids:  # what the sequence already holds, so the new tokens can attend to it
                context.restore(self.writer.save(state.memory), 0)
            context.decode(tokens, 0, len(state.ids))
            self.writer.restore(context.save(0), state.memory)  # the writer continues from here
        else:
            context = self.writer
            context.decode(tokens, state.memory, len(state.ids))
        state.ids.extend(tokens)
        state.logits = context.last_scores(self.vocab_size)

    def release(self, state: ModelState) -> None:
        self.writer.forget(state.memory)
        self._free.append(state.memory)

    def close(self) -> None:
        for context in (self.writer, self.reader):
            if context is not None:
                context.close()


def llama_cpp_engine(
    gguf: str | os.PathLike,
    tokenizer: Any,
    *,
    name: str,
    reader_gguf: str | os.PathLike | None = None,
    generation_config: Any = None,
    context_window: int | None = None,
    max_new_tokens_cap: int = 1024,
    threads: int = 0,
) -> LocalEngine:
    """A LocalEngine whose passes over the model run in llama.cpp on `gguf` (and `reader_gguf`)."""
    backend = LlamaCppBackend(
        gguf, known_tokens=len(tokenizer), reader_gguf=reader_gguf, context_window=context_window, threads=threads
    )
    eos_ids = eos_token_ids([generation_config], tokenizer)
    return LocalEngine(backend, tokenizer, name=name, eos_ids=eos_ids, max_new_tokens_cap=max_new_tokens_cap)


def load_llama_cpp_engine(
    gguf: str | os.PathLike,
    tokenizer_folder: str | os.PathLike,
    *,
    name: str,
    reader_gguf: str | os.PathLike | None = None,
    context_window: int | None = None,
    max_new_tokens_cap: int = 1024,
    threads: int = 0,
) -> LocalEngine:
    """The GGUF for the numbers; the prepared folder for the tokenizer and generation settings."""
    from transformers import AutoTokenizer, GenerationConfig

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_folder), local_files_only=True)
    except (OSError, ValueError) as err:
        raise EngineError(
            "model_missing", f"No tokenizer in {tokenizer_folder}: {err}", hint="Run `python -m tutor prepare`."
        ) from err
    try:
        generation_config = GenerationConfig.from_pretrained(str(tokenizer_folder), local_files_only=True)
    except OSError:
        generation_config = None
    return llama_cpp_engine(
        gguf, tokenizer, name=name, reader_gguf=reader_gguf, generation_config=generation_config,
        context_window=context_window, max_new_tokens_cap=max_new_tokens_cap, threads=threads,
    )


def make_reader_gguf(source: str | os.PathLike, target: str | os.PathLike) -> Path | None:
    """Write the reader: a copy of a quantized GGUF whose layer matrices are float16 (llama.cpp's
    own converter; ~25 s once, most of it reading the tensor list), atomically. The token table and
    the output layer keep their original types: the reader looks up a few rows of the one and
    applies the other to one token per prompt, and llama.cpp keeps whole files in memory, so
    float16 there would only cost 0.4 GB. Default model: 0.96 GB beside the 0.49 GB original.
    None when the source is already float16/32, where a reader would not help.
    """
    source, target = Path(source), Path(target)
    if target.is_file():
        return target  # made earlier (only ever for a quantized source), renamed into place when whole
    llama = _import_llama_cpp()
    if _file_type(llama, source) in _HIGH_PRECISION:
        return None
    params = llama.llama_model_quantize_default_params()
    params.ftype = llama.LLAMA_FTYPE_MOSTLY_F16
    params.allow_requantize = True
    params.quantize_output_tensor = False  # output.weight is copied as it is
    embedding_type = _tensor_type(source, "token_embd.weight")
    if embedding_type is not None:
        params.token_embedding_type = embedding_type  # its own type: copied as it is
    params.nthread = os.cpu_count() or 1
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".tmp-{target.name}")
    if llama.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params)) != 0:
        partial.unlink(missing_ok=True)
        raise EngineError("bad_config", f"llama.cpp could not write a float16 copy of {source}.")
    os.replace(partial, target)
    return target


def _tensor_type(path: Path, name: str) -> int | None:
    """A tensor's ggml type in a GGUF file (gguf's reader parses the whole vocabulary: ~12 s)."""
    from gguf import GGUFReader

    try:
        header = GGUFReader(str(path))
    except Exception as err:  # noqa: BLE001 - whatever a damaged file makes the parser raise
        raise EngineError("model_missing", f"{path} is not a readable GGUF file: {err}") from err
    return next((int(tensor.tensor_type) for tensor in header.tensors if tensor.name == name), None)


def _file_type(llama: Any, path: Path) -> int | None:
    """The GGUF's `general.file_type` (0 F32, 1 F16, 32 BF16, others quantized), read by llama.cpp."""
    params = llama.llama_model_default_params()
    params.vocab_only = True  # metadata and vocabulary only: no weights are read
    model = llama.llama_model_load_from_file(str(path).encode(), params)
    if not model:
        raise EngineError("model_missing", f"llama.cpp could not read {path}.", hint="Reinstall or re-download it.")
    try:
        buf = ctypes.create_string_buffer(32)
        found = llama.llama_model_meta_val_str(model, b"general.file_type", buf, len(buf)) >= 0
        return int(buf.value) if found and buf.value.isdigit() else None
    finally:
        llama.llama_model_free(model)


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as err:
        raise EngineError(
            "bad_config",
            "model_compute is 'llama.cpp' but llama-cpp-python is not installed.",
            hint='Run `make llama-cpp`, or set model_compute = "mixed".',
        ) from err
    _quiet(llama_cpp)
    llama_cpp.llama_backend_init()
    return llama_cpp


_callback: Any = None  # kept alive: llama.cpp calls it for as long as the process runs


def _quiet(llama_cpp: Any) -> None:
    """Send llama.cpp's chatter to Python logging; only its warnings and errors are shown."""
    global _callback
    if _callback is not None:
        return

    @llama_cpp.llama_log_callback
    def forward(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if level in (3, 4):  # GGML_LOG_LEVEL_WARN, GGML_LOG_LEVEL_ERROR (ggml.h)
            _log.warning(text.decode("utf-8", "replace").rstrip())

    _callback = forward
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))
