"""Tutor chat benchmark: prints JSON figures.

1. Retrieval latency per query over the whole course (both languages), p50 / p95 / max, for every
   question in tests/questions_retrieval.toml, several rounds. Target: p95 <= 20 ms. Baseline in
   the same run: the same TF-IDF scoring done the plain way (sklearn's checks on, cosine_similarity
   over every passage, coverage for every section), to show what the shortcuts buy.
2. Time to first token for a grounded question with the default model (target <= 2.0 s on 2 cores):
   the real prompt (system + notes + question) through engine.stream_chat, with the engine's
   prefix cache emptied first ("without reuse") and with the start every question shares cached
   (system prompt, and the Korean worked example), as after another learner's question in the same
   language ("with reuse").

The machine's load average is printed too: on a shared 2-core box, figures scale with it.

Usage: .venv/bin/python bench/bench_retrieval.py [--rounds 5] [--skip-model] [--questions 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
from sklearn.metrics.pairwise import cosine_similarity  # noqa: E402

from tutor.chat import retrieval  # noqa: E402
from tutor.chat.answer import PASSAGE_TOKEN_BUDGET, plan_answer, system_prompt  # noqa: E402
from tutor.llm.base import EngineError  # noqa: E402

RETRIEVAL_P95_TARGET_MS = 20.0
TTFT_TARGET_S = 2.0
LARGER_BUDGET = 300  # notes budget of a longer prompt, to show what prompt length costs
TIMEOUT_S = 900.0
QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "questions_retrieval.toml"
GROUNDED = [("What does the temperature setting do when sampling?", "en"), ("What is retrieval-augmented generation?", "en"),
            ("Why do language models hallucinate?", "en"), ("What is few-shot prompting?", "en"),
            ("토큰이 뭐예요? 단어랑 같은 건가요?", "ko"), ("환각이 뭐예요?", "ko"), ("임베딩이 뭐예요?", "ko"),
            ("사전 학습이란 무엇인가요?", "ko")]


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _all_questions() -> list[tuple[str, str]]:
    data = tomllib.loads(QUESTIONS.read_text(encoding="utf-8"))
    pairs = [(i["q"], lang) for lang in ("en", "ko") for i in data[lang]]
    return pairs + [(i["q"], i["lang"]) for i in data["off_topic"]]


def _plain_search(index: retrieval.SectionIndex, query: str, lang: str) -> list[tuple[float, int]]:
    """The baseline: same scores, computed without the shortcuts."""
    text = " ".join(retrieval.key_words(query))
    w_char, w_word = retrieval._WEIGHTS[retrieval.question_language(query)]
    char_sim = cosine_similarity(index.chars.transform([text]), index.char_matrix_t.T).ravel()
    word_sim = cosine_similarity(index.words.transform([retrieval.stems_of(query)]), index.word_matrix_t.T).ravel()
    sims = w_char * char_sim + w_word * word_sim
    stems = [retrieval.stem(w) for w in retrieval.key_words(query)]
    scored = [(float(sims[r]) * index.coverage(stems, r), r) for r in range(len(index.passages))]
    return sorted(scored, reverse=True)[:3]


def bench_retrieval(rounds: int) -> dict:
    started = time.perf_counter()
    retrieval.section_index.cache_clear()
    index = retrieval.section_index()
    build_s = time.perf_counter() - started
    questions = _all_questions()
    fast, plain = [], []
    for _ in range(rounds):
        for q, lang in questions:
            t0 = time.perf_counter()
            retrieval.retrieve(q, lang, index=index)
            fast.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            _plain_search(index, q, lang)
            plain.append((time.perf_counter() - t0) * 1000)
    p95 = _percentile(fast, 95)
    return {
        "passages": len(index.passages),
        "queries": len(fast),
        "index_build_s": round(build_s, 3),
        "p50_ms": round(_percentile(fast, 50), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(fast), 2),
        "baseline_plain_p50_ms": round(_percentile(plain, 50), 2),
        "baseline_plain_p95_ms": round(_percentile(plain, 95), 2),
        "speedup_p50": round(_percentile(plain, 50) / _percentile(fast, 50), 2),
        "target_p95_ms": RETRIEVAL_P95_TARGET_MS,
        "meets_target": p95 <= RETRIEVAL_P95_TARGET_MS,
    }


def _first_token_s(stream_factory) -> float:
    t0 = time.perf_counter()
    stream = stream_factory()
    next(iter(stream))
    elapsed = time.perf_counter() - t0
    close = getattr(stream, "close", None)
    if close:
        close()
    return elapsed


def bench_first_token(n_questions: int) -> dict:
    """Time to first token for grounded questions, each asked with an empty prefix cache (nothing
    reused) and then as a class would ask them one after another (the keys and values of the start
    shared by every question in one language are reused by the engine's prefix cache)."""
    from tutor.llm import load_engine

    t0 = time.perf_counter()
    engine = load_engine()
    load_s = time.perf_counter() - t0
    forget = getattr(engine, "forget_cache", lambda: None)
    by_budget: dict[str, dict] = {}
    for budget in (PASSAGE_TOKEN_BUDGET, LARGER_BUDGET):
        plans = [plan_answer(q, [], lang, engine, max_new_tokens=64, passage_budget=budget)
                 for q, lang in GROUNDED[:n_questions]]
        prompt_tokens = [engine.count_tokens(engine.apply_chat_template(p.messages)) for p in plans]

        def first_token(plan) -> float:
            return _first_token_s(lambda: engine.stream_chat(
                plan.messages, max_new_tokens=8, temperature=0.0, timeout_s=TIMEOUT_S))

        try:
            without = []
            for plan in plans:
                forget()
                without.append(first_token(plan))
            with_reuse = []
            for plan in plans:
                forget()
                # another learner's question in the same language came first: the start every
                # question shares (system prompt, and the worked example where the language has one)
                # is cached
                shared = plan.messages[:-1]  # no history here: everything before the question
                for _ in engine.stream_chat([*shared, {"role": "user", "content": "?"}],
                                            max_new_tokens=1, timeout_s=TIMEOUT_S):
                    pass
                with_reuse.append(first_token(plan))
        except EngineError as err:  # report it, keep measuring
            by_budget[str(budget)] = {"error": str(err), "prompt_tokens": prompt_tokens}
            continue
        by_budget[str(budget)] = {
            "prompt_tokens_each": prompt_tokens,
            "ttft_s_without_reuse_each": [round(x, 2) for x in without],
            "ttft_s_with_reuse_each": [round(x, 2) for x in with_reuse],
            "ttft_s_median_without_reuse": round(statistics.median(without), 2),
            "ttft_s_median_with_reuse": round(statistics.median(with_reuse), 2),
        }
    main = by_budget.get(str(PASSAGE_TOKEN_BUDGET), {})
    return {
        "model": engine.name,
        "load_s": round(load_s, 2),
        "system_prompt_tokens": engine.count_tokens(
            engine.apply_chat_template([{"role": "system", "content": system_prompt("en")}])),
        "by_passage_budget_tokens": by_budget,
        "target_s": TTFT_TARGET_S,
        "meets_target_with_reuse": main.get("ttft_s_median_with_reuse", float("inf")) <= TTFT_TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the question set")
    parser.add_argument("--questions", type=int, default=8, help="grounded questions timed with the model")
    parser.add_argument("--skip-model", action="store_true", help="retrieval only")
    args = parser.parse_args()
    figures: dict = {"load_average_1m": round(os.getloadavg()[0], 2), "cpu_count": os.cpu_count()}
    figures["retrieval"] = bench_retrieval(args.rounds)
    if not args.skip_model:
        figures["first_token"] = bench_first_token(args.questions)
    figures["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
