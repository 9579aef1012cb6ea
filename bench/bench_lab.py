"""Next-token lab benchmark: prints JSON figures.

1. click → updated chart: one "greedy" click = the engine's next-token step for the text with one
   more token, reshaping, choosing, and building the chart spec (Altair to_dict, as st.altair_chart
   does). p50 over N clicks, with the engine's KV-cache reuse and without it (the cache dropped
   before every step: the baseline, measured in the same run). Target: p50 <= 250 ms with reuse.
2. sentencepiece training on the whole course (both languages) at vocabulary 2,000: target <= 2 s.

Usage: .venv/bin/python bench/bench_lab.py [--steps 20] [--model NAME] [--skip-model]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tutor.lab import generation, reshaping, tokenizer  # noqa: E402
from tutor.lab.charts import probability_chart  # noqa: E402
from tutor.lessons import course  # noqa: E402

CLICK_TARGET_MS = 250.0
TOKENIZER_TARGET_S = 2.0
START = "The cat sat on the mat. Then the cat"


def chart_spec(shaped: reshaping.Reshaped) -> dict:
    """What the page draws after a click: the raw and the reshaped chart."""
    bars = reshaping.chart_bars(shaped)
    labels = dict(axis_label="probability", rest_label="everything else", kept_label="kept", cut_label="cut off")
    raw = probability_chart(bars, reshaped=False, title="raw", **labels).to_dict()
    reshaped = probability_chart(bars, reshaped=True, title="reshaped", **labels).to_dict()
    return {"raw": raw, "reshaped": reshaped}


def click_times(engine, steps: int, *, reuse_cache: bool) -> dict[str, list[float]]:
    """Milliseconds per greedy click, from the click to the chart spec for the new text.

    Returns the total per click and its two parts: the engine step and everything after it
    (reshaping, choosing, building both chart specs).
    """
    state = generation.Continuation(START)
    settings = dict(temperature=0.8, top_k=reshaping.POOL_SIZE, top_p=0.95)

    def ask(text: str):
        if not reuse_cache and hasattr(engine, "forget_cache"):
            engine.forget_cache()  # dropping the engine's prefix cache forces a full prefill
        return engine.next_token_distribution(text, temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0)

    shaped = reshaping.reshape(ask(state.text), **settings)  # what is on screen before the first click
    times: dict[str, list[float]] = {"total": [], "engine": [], "lab_and_chart": []}
    for _ in range(steps):
        started = time.perf_counter()
        picked = generation.choose(shaped, "greedy")
        if picked is None:
            break
        state = generation.append_step(state, generation.step_from(picked, "greedy"))
        asked = time.perf_counter()
        dist = ask(state.text)
        answered = time.perf_counter()
        shaped = reshaping.reshape(dist, **settings)
        chart_spec(shaped)
        done = time.perf_counter()
        times["total"].append((done - started) * 1000)
        times["engine"].append((answered - asked) * 1000)
        times["lab_and_chart"].append((done - answered + asked - started) * 1000)
    return times


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
    }


def chart_only_ms(repeats: int = 20) -> float:
    """Building the two chart specs alone (no model), p50."""
    dist_choices = []
    from tutor.llm.base import NextTokenDistribution, TokenChoice

    for i in range(reshaping.POOL_SIZE):
        p = 0.5 / (i + 1) ** 1.5
        dist_choices.append(TokenChoice(f" tok{i}", i, p, p, True))
    shaped = reshaping.reshape(
        NextTokenDistribution(dist_choices, 0.0, 0.2, 151_000, 10), temperature=0.8, top_k=reshaping.POOL_SIZE, top_p=0.95
    )
    chart_spec(shaped)  # warm-up: Altair loads its schema once
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        chart_spec(shaped)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def tokenizer_seconds(model_type: str, size: int, repeats: int = 3) -> dict:
    lessons = [x for code in ("en", "ko") for x in course().in_language(code)]
    sentences = tokenizer.course_sentences(lessons)
    times = []
    built = None
    for _ in range(repeats):
        started = time.perf_counter()
        built = tokenizer.train_tokenizer(sentences, size, model_type)
        times.append(time.perf_counter() - started)
    return {
        "model_type": model_type,
        "vocab_size": built.vocab_size if built else None,
        "lines": len(sentences),
        "characters": sum(len(s) for s in sentences),
        "p50_s": round(statistics.median(times), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="greedy clicks per run")
    parser.add_argument("--model", default=None, help="model name or path (default: the configured model)")
    parser.add_argument("--skip-model", action="store_true", help="only the tokenizer and chart figures")
    args = parser.parse_args()

    # figures on a busy machine are slower: the load average says how busy it was
    result: dict = {"bench": "lab", "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    bpe = tokenizer_seconds("bpe", 2000)
    result["tokenizer_bpe_2000"] = bpe | {"target_s": TOKENIZER_TARGET_S, "ok": bpe["p50_s"] <= TOKENIZER_TARGET_S}
    result["tokenizer_unigram_2000"] = tokenizer_seconds("unigram", 2000, repeats=1)
    result["chart_specs_only_p50_ms"] = chart_only_ms()

    if not args.skip_model:
        from tutor.config import load_settings
        from tutor.llm import load_engine

        name = args.model or load_settings().model
        started = time.perf_counter()
        engine = load_engine(name, progress=lambda fraction, message: None)
        result["model"] = {"name": engine.name, "load_s": round(time.perf_counter() - started, 1)}
        click_times(engine, 2, reuse_cache=True)  # warm-up
        with_cache = click_times(engine, args.steps, reuse_cache=True)
        without_cache = click_times(engine, args.steps, reuse_cache=False)
        reuse = summary(with_cache["total"])
        result["click_to_chart_kv_reuse"] = reuse | {
            "engine_p50_ms": summary(with_cache["engine"])["p50_ms"],
            "lab_and_chart_p50_ms": summary(with_cache["lab_and_chart"])["p50_ms"],
            "target_p50_ms": CLICK_TARGET_MS,
            "ok": reuse["p50_ms"] <= CLICK_TARGET_MS,
        }
        no_reuse = summary(without_cache["total"])
        result["click_to_chart_no_reuse"] = no_reuse | {"engine_p50_ms": summary(without_cache["engine"])["p50_ms"]}
        result["no_reuse_over_reuse_p50"] = round(no_reuse["p50_ms"] / max(reuse["p50_ms"], 1e-6), 2)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
