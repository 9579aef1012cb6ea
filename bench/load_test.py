"""Classroom load test: simulated learners share one model. Prints JSON figures (not a unit test).

Each simulated learner is a thread that does what the pages do, through the same functions:
three tutor questions (tutor.chat.answer.plan_answer → start_answer → AnswerJob.follow, as the Tutor
chat page does) and five next-token lab steps (tutor.lab.generation.generate with the engine's
next_token_distribution, as the lab's "greedy" button does). All learners start together, so
their requests queue for the model.

Backends, each measured in this run:
- local: the in-process engine (one model, requests take turns in tutor.llm.queueing.ModelQueue);
- llama: llama.cpp's OpenAI-compatible server on the same packaged GGUF, started on loopback
  (skipped with a note when llama-cpp-python's server is not installed: `make llama-server`).

Reported per backend: errors and answers lost (both must be 0), time to first piece and to the
whole answer (p50 / p95), lab step time (p50 / p95), answers per minute, the longest wait in line
seen, and peak memory (this process for local; the server process for llama). Then the decode
speed of the local engine against the llama.cpp server on the same GGUF and prompt.

Usage: .venv/bin/python bench/load_test.py [--learners 8] [--questions 3] [--steps 5]
       [--answer-tokens 48] [--backends local,llama]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tutor.chat.answer import plan_answer, start_answer  # noqa: E402
from tutor.lab import generation, reshaping  # noqa: E402
from tutor.llm.base import Engine, EngineError  # noqa: E402

QUESTIONS = {
    "en": ["What is a token?", "What does temperature change when sampling?", "Why do language models hallucinate?",
           "What does the P in GPT stand for?", "How does few-shot prompting help?"],
    "ko": ["토큰이 뭐예요?", "온도는 무엇을 바꾸나요?", "환각이 뭐예요?", "사전 학습이란 무엇인가요?",
           "생각의 사슬 프롬프트는 왜 도움이 되나요?"],
}
LAB_STARTS = ["The cat sat on the", "Large language models are", "언어 모델은 다음", "Once upon a time"]
ANSWER_TIMEOUT_S = 900.0


@dataclass
class Tally:
    """What every learner saw, collected under one lock."""

    first_piece_s: list[float] = field(default_factory=list)
    answer_s: list[float] = field(default_factory=list)
    step_s: list[float] = field(default_factory=list)
    longest_wait_in_line: int = 0
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    answers: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **values: Any) -> None:
        with self.lock:
            for key, value in values.items():
                current = getattr(self, key)
                if isinstance(current, list):
                    current.append(value)
                elif key == "longest_wait_in_line":
                    self.longest_wait_in_line = max(current, value)
                else:
                    setattr(self, key, current + value)


def _ask(engine: Engine, question: str, lang: str, history: list[dict], answer_tokens: int, tally: Tally) -> None:
    started = time.perf_counter()
    plan = plan_answer(question, history, lang, engine, max_new_tokens=answer_tokens)
    job = start_answer(plan, engine, temperature=0.0, max_new_tokens=answer_tokens, timeout_s=ANSWER_TIMEOUT_S)
    status = job.queue_status()
    if status is not None:
        tally.add(longest_wait_in_line=status.ahead)
    pieces = list(job.follow(poll_s=0.01))  # what the page would draw, start to end
    finished = time.perf_counter() - started
    if job.error is not None:
        tally.add(errors=f"{job.error.code}: {job.error}")
        return
    text = "".join(pieces)
    if not text.strip() or text != job.text:
        tally.add(lost=1)  # an answer the learner would not see in full
        return
    tally.add(answers=1, answer_s=finished, first_piece_s=(job.first_piece_s or finished))
    history += [{"role": "user", "content": question}, {"role": "assistant", "content": text}]


def _lab_steps(engine: Engine, start: str, steps: int, tally: Tally) -> None:
    state = generation.Continuation(start)

    def distribution_for(text: str):
        return engine.next_token_distribution(text, temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0)

    for _ in range(steps):
        began = time.perf_counter()
        state = generation.generate(state, distribution_for, how="greedy", count=1,
                                    temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0, seed=0)
        tally.add(step_s=time.perf_counter() - began)


def _learner(engine: Engine, number: int, args: argparse.Namespace, tally: Tally, go: threading.Event) -> None:
    lang = "ko" if number % 2 else "en"
    questions = QUESTIONS[lang]
    history: list[dict] = []
    go.wait()
    try:
        for i in range(args.questions):
            _ask(engine, questions[(number + i) % len(questions)], lang, history, args.answer_tokens, tally)
            if i == 0:  # the lab between questions, as a learner switching pages would
                _lab_steps(engine, LAB_STARTS[number % len(LAB_STARTS)], args.steps, tally)
    except EngineError as err:
        tally.add(errors=f"{err.code}: {err}")
    except Exception as err:  # noqa: BLE001 - a crash is an error to count, not to hide
        tally.add(errors=f"{type(err).__name__}: {err}")


def _quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3)}


def run_class(engine: Engine, args: argparse.Namespace) -> dict[str, Any]:
    """All learners at once against `engine`; the figures of one backend."""
    tally = Tally()
    go = threading.Event()
    threads = [threading.Thread(target=_learner, args=(engine, n, args, tally, go), daemon=True)
               for n in range(args.learners)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join(timeout=args.deadline_s)
    wall = time.perf_counter() - began
    expected = args.learners * args.questions
    unfinished = sum(1 for thread in threads if thread.is_alive())
    return {
        "learners": args.learners,
        "answers_expected": expected,
        "answers_complete": tally.answers,
        "errors": len(tally.errors) + unfinished,
        "error_samples": tally.errors[:5] + ([f"{unfinished} learners still running at the deadline"]
                                              if unfinished else []),
        "answers_lost": tally.lost + (expected - tally.answers - len(tally.errors) if not unfinished else 0),
        "time_to_first_piece_s": _quantiles(tally.first_piece_s),
        "time_to_full_answer_s": _quantiles(tally.answer_s),
        "lab_step_s": _quantiles(tally.step_s),
        "lab_steps": len(tally.step_s),
        "answers_per_minute": round(tally.answers / wall * 60, 2) if wall else None,
        "longest_line_seen": tally.longest_wait_in_line,
        "wall_s": round(wall, 1),
    }


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _process_peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory of another process (the llama.cpp server), from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def run_llama(args: argparse.Namespace, figures: dict[str, Any], local: Engine | None) -> None:
    """The same class against llama.cpp's server on the packaged GGUF; then decode speed beside local."""
    import tempfile

    from bench.bench_llama_server import measure, prompt_of
    from tutor.config import Settings, load_settings
    from tutor.llm import load_engine
    from tutor.llm.catalog import DEFAULT_MODEL
    from tutor.llm.llama_server import served_gguf, start_llama_server

    settings = load_settings()
    try:
        gguf = served_gguf(DEFAULT_MODEL, settings.cache_dir)
        server = start_llama_server(gguf, model_alias=DEFAULT_MODEL,
                                    log_path=Path(tempfile.mkdtemp(prefix="load-llama-")) / "server.log")
    except EngineError as err:
        figures["llama"] = {"skipped": str(err)}
        return
    try:
        remote = load_engine(settings=Settings(
            backend="openai", openai_base_url=server.base_url, openai_model=DEFAULT_MODEL,
            openai_context_window=2048, openai_timeout_s=ANSWER_TIMEOUT_S, cache_dir=settings.cache_dir))
        figures["llama"] = run_class(remote, args)
        figures["llama"]["server_start_s"] = round(server.start_s, 2)
        if local is not None:
            # decode speed on the same GGUF and prompt, alternating so a busy machine slows both alike
            prompt = prompt_of(local, 296)
            runs: dict[str, list[dict]] = {"local": [], "llama": []}
            for n in range(2):
                for name, engine in (("local", local), ("llama", remote)):
                    runs[name].append(measure(engine, f"Note {n + 1}. {prompt}", 64))
            best = {name: max(r["decode_tok_s"] or 0.0 for r in rs) for name, rs in runs.items()}
            figures["decode_same_gguf"] = {
                "runs": runs,
                "local_decode_tok_s": best["local"],
                "llama_decode_tok_s": best["llama"],
                "local_over_llama": round(best["local"] / best["llama"], 3) if best["llama"] else None,
            }
        figures["llama"]["server_peak_rss_mb"] = _process_peak_rss_mb(server.process.pid)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--answer-tokens", type=int, default=48)
    parser.add_argument("--deadline-s", type=float, default=1800.0, help="give up waiting for learners after this")
    parser.add_argument("--backends", default="local,llama")
    args = parser.parse_args()
    args.learners = max(1, min(args.learners, 16))  # bounded: this is a loopback test, not a stress tool
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    figures: dict[str, Any] = {"load_average_1m": round(os.getloadavg()[0], 2), "cpu_count": os.cpu_count(),
                               "answer_tokens": args.answer_tokens}
    local = None
    if "local" in backends:
        from tutor.llm import load_engine

        local = load_engine()
        figures["local"] = run_class(local, args)
        figures["local"]["peak_rss_mb"] = _peak_rss_mb()  # this process: the local engine and all learners
    if "llama" in backends:
        run_llama(args, figures, local)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
