"""Benchmark the engine against plain transformers calls on the same model, in the same run.

Not a test: the figures depend on the machine and on whatever else is running (we record the
load average beside them). `python -m tutor bench` prints the dict `run_benchmark` returns.

Figures:
- cold_prepare_s: verify + join + de-quantize + save, into a temporary cache (only with cold=True)
- warm_load_s: load the prepared model with the configured compute (tokenizer + weights: the bf16
  folder for PyTorch, the GGUF for llama.cpp); warmup_s: the first tiny call
- engine_peak_rss_mb: peak resident memory with the engine loaded and generating (before the
  baseline model is loaded); peak_rss_mb: the whole run, baseline included
- per prompt length (300, 600 tokens): time to first token and decode tokens/s, for the engine's
  stream and for plain `model.generate` on the same prepared weights loaded the plain way
  (bf16 `from_pretrained`; greedy, same number of new tokens)
- next-token step: the learner adds one token — engine with KV reuse, engine without it, and a
  plain forward over the whole text
"""
from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from typing import Any

import torch

from tutor.config import Settings, load_settings
from tutor.llm.catalog import resolve_source
from tutor.llm.prepare import model_dir_for, prepare_model

_FILLER = (
    "Large language models read text as tokens and predict the next token again and again. "
    "언어 모델은 텍스트를 토큰으로 읽고 다음 토큰을 예측합니다. "
)


def _prompt_of(engine: Any, n_tokens: int) -> str:
    """A text of about `n_tokens` tokens (whole filler sentences, then cut by tokens)."""
    ids: list[int] = []
    while len(ids) < n_tokens:
        ids += engine._encode(_FILLER)
    return engine._decode(ids[:n_tokens])


class _StepClock:
    """Records when each forward pass of the model ends: a PyTorch forward hook for plain
    `generate`; for our engine (PyTorch or llama.cpp alike), the end of each pass its backend makes
    (`feed`): reading the prompt, then each step that feeds a chosen token back."""

    def __init__(self, model: Any = None, engine: Any = None) -> None:
        self.ends: list[float] = []
        self._close = lambda: None
        if model is not None:
            handle = model.register_forward_hook(lambda *args: self.ends.append(time.perf_counter()))
            self._close = handle.remove
        if engine is not None:
            backend = engine.backend
            backend.feed = self._timed(backend.feed)
            self._close = lambda: backend.__dict__.pop("feed")

    def _timed(self, call: Any) -> Any:
        def timed(*args: Any) -> Any:
            result = call(*args)
            self.ends.append(time.perf_counter())
            return result

        return timed

    def close(self) -> None:
        self._close()

    def rates(self, start: float) -> tuple[float, float]:
        """(time to first token in s, decode tokens per second after the first)."""
        ttft = self.ends[0] - start
        decode_time = self.ends[-1] - self.ends[0]
        steps = len(self.ends) - 1
        return ttft, (steps / decode_time if decode_time > 0 else 0.0)


def _engine_generation(engine: Any, prompt: str, new_tokens: int) -> dict[str, float]:
    engine.forget_cache()  # read the whole prompt, as plain generate does (no prefix from an earlier run)
    clock = _StepClock(engine=engine)
    saved, engine._eos_ids = engine._eos_ids, set()  # always write exactly new_tokens tokens
    try:
        start = time.perf_counter()
        first_piece = None
        for _ in engine.stream_completion(prompt, max_new_tokens=new_tokens, temperature=0.0, timeout_s=3600):
            if first_piece is None:
                first_piece = time.perf_counter() - start
        ttft, rate = clock.rates(start)
    finally:
        engine._eos_ids = saved
        clock.close()
    return {"ttft_s": ttft, "first_text_s": first_piece or ttft, "decode_tok_s": rate, "steps": len(clock.ends)}


def _plain_generation(engine: Any, model: Any, prompt: str, new_tokens: int) -> dict[str, float]:
    ids = torch.tensor([engine._encode(prompt)])
    clock = _StepClock(model)
    try:
        with torch.inference_mode():
            start = time.perf_counter()
            model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=engine.tokenizer.pad_token_id or 0,
            )
        ttft, rate = clock.rates(start)
    finally:
        clock.close()
    return {"ttft_s": ttft, "decode_tok_s": rate, "steps": len(clock.ends)}


def _next_token_steps(engine: Any, plain_model: Any, prompt: str) -> dict[str, float]:
    ids = engine._encode(prompt)
    base_text = engine._decode(ids[:-1])
    grown_text = engine._decode(ids)  # the same text, one token longer
    engine.forget_cache()
    engine.next_token_distribution(base_text)
    start = time.perf_counter()
    engine.next_token_distribution(grown_text)
    reuse = time.perf_counter() - start
    engine.forget_cache()
    start = time.perf_counter()
    engine.next_token_distribution(grown_text)
    fresh = time.perf_counter() - start
    with torch.inference_mode():
        start = time.perf_counter()
        plain_model(input_ids=torch.tensor([ids]))
        plain = time.perf_counter() - start
    return {"kv_reuse_ms": reuse * 1000, "no_reuse_ms": fresh * 1000, "plain_forward_ms": plain * 1000}


def _median_dicts(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(run[key] for run in runs), 4) for key in runs[0]}


def run_benchmark(
    name_or_path: str | None = None, settings: Settings | None = None, *, quick: bool = False, cold: bool = False
) -> dict[str, Any]:
    """Measure everything listed in the module docstring; returns a JSON-ready dict."""
    from transformers import AutoModelForCausalLM

    from tutor.llm.loading import compute_for, llama_cpp_files, open_engine
    from tutor.llm.local import configure_threads

    settings = settings or load_settings()
    source = resolve_source(name_or_path or settings.model)
    figures: dict[str, Any] = {"model": source.name, "load_avg_before": list(os.getloadavg())}
    figures["threads"] = configure_threads(settings.threads)
    figures["compute"] = compute_for(source, settings.model_compute)
    if cold:
        with tempfile.TemporaryDirectory(prefix="llm-tutor-bench-") as tmp:
            start = time.perf_counter()
            prepare_model(source, tmp)
            figures["cold_prepare_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    prepare_model(source, settings.cache_dir)  # a no-op when already prepared
    if figures["compute"] == "llama.cpp":
        llama_cpp_files(source, settings)  # the joined GGUF and its reader: made once, not part of a load
    figures["ensure_prepared_s"] = round(time.perf_counter() - start, 2)

    folder = model_dir_for(source, settings.cache_dir)
    start = time.perf_counter()
    engine = open_engine(source, settings)
    figures["warm_load_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    engine.warm_up()
    figures["warmup_s"] = round(time.perf_counter() - start, 2)

    new_tokens = 12 if quick else 32
    repeats = 1  # the bf16 baseline's prefill is slow on CPUs without native bf16; once is enough
    figures["new_tokens"] = new_tokens
    prompts = {length: _prompt_of(engine, length) for length in (300, 600)}
    ours = {length: _median_dicts([_engine_generation(engine, prompts[length], new_tokens) for _ in range(repeats)])
            for length in prompts}
    figures["engine_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    # the baseline: the same prepared weights loaded the plain way, and plain generate / forward
    start = time.perf_counter()
    plain_model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.bfloat16).eval()
    figures["plain_load_s"] = round(time.perf_counter() - start, 2)
    for length, prompt in prompts.items():
        plain = _median_dicts([_plain_generation(engine, plain_model, prompt, new_tokens) for _ in range(repeats)])
        figures[f"prompt_{length}"] = {
            "prompt_tokens": engine.count_tokens(prompt),
            "engine": ours[length],
            "plain_generate": plain,
            "decode_speedup": round(ours[length]["decode_tok_s"] / plain["decode_tok_s"], 3)
            if plain["decode_tok_s"]
            else None,
            "ttft_speedup": round(plain["ttft_s"] / ours[length]["ttft_s"], 3),
        }
    for length in (20, 300):
        runs = [_next_token_steps(engine, plain_model, _prompt_of(engine, length)) for _ in range(repeats + 1)]
        figures[f"next_token_step_{length}"] = _median_dicts(runs)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["load_avg_after"] = list(os.getloadavg())
    figures["cpu_count"] = os.cpu_count()
    return figures
