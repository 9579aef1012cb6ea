"""Running a prompt on the model and grading it: the plain logic behind the Prompting page.

The page keeps every attempt in st.session_state as the plain dicts made here, so a rerun or a
page switch loses nothing and nothing here needs Streamlit.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tutor.llm.base import Engine, close_stream
from tutor.prompting.exercises import Exercise, Tip
from tutor.prompting.rubric import normalize, review_prompt
from tutor.prompting.rules import RuleResult, check_output

HINT_COUNT = 3


def input_problem(prompt: object, max_chars: int) -> str | None:
    """Why this prompt cannot be run (an i18n key), or None when it can.

    Whitespace and invisible characters alone count as empty; the length limit is the same one the
    tutor chat uses (settings.max_message_chars).
    """
    if not isinstance(prompt, str) or not normalize(prompt).strip():
        return "prompting.practice.empty"
    if len(prompt) > max_chars:
        return "prompting.practice.too_long"
    return None


def stream_prompt(
    engine: Engine,
    prompt: str,
    *,
    kind: str = "chat",
    temperature: float = 0.0,
    max_new_tokens: int = 160,
    stop: threading.Event | None = None,
    timeout_s: float = 120.0,
) -> Iterator[str]:
    """Send the prompt as a chat message (kind="chat") or as raw text to continue ("completion")."""
    if kind == "completion":
        return engine.stream_completion(
            prompt, max_new_tokens=max_new_tokens, temperature=temperature, stop=stop, timeout_s=timeout_s
        )
    return engine.stream_chat(
        [{"role": "user", "content": prompt}],
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        stop=stop,
        timeout_s=timeout_s,
    )


def recorded(stream: Iterator[str], record: dict[str, Any], stop: threading.Event) -> Iterator[str]:
    """Pass the model's pieces through while saving them in record["text"].

    record["done"] becomes True only when the model finished: an answer cut by the engine's time
    limit raises EngineError("timeout") after its pieces and stays not done, like a stopped one.
    If the page stops reading early (the Stop button, a page switch), the page closes this
    generator (contextlib.closing), and `stop` and the stream's own close() tell the engine to end
    at once; what arrived so far stays in the record.
    """
    record.setdefault("text", "")
    record["done"] = False
    try:
        for piece in stream:
            record["text"] += piece
            yield piece
        record["done"] = True
    finally:
        stop.set()
        close_stream(stream)


@dataclass(frozen=True)
class Verdict:
    """Whether the model's output met every success rule, and each rule's reason."""

    passed: bool
    results: list[RuleResult]


def grade(output: str, exercise: Exercise) -> Verdict:
    """Check the model's output (never the prompt) against the exercise's success rules."""
    results = check_output(output, list(exercise.rules))
    return Verdict(passed=bool(results) and all(r.passed for r in results), results=results)


@dataclass(frozen=True)
class DemoVerdict:
    """Whether a tip card's demo worked on the live outputs: each side's runs against its rules."""

    worked: bool
    failed: list[tuple[str, RuleResult]]  # (side, the rule it failed), in order


def judge_demo(tip: Tip, outputs: dict[str, list[dict[str, Any]]]) -> DemoVerdict | None:
    """Check a tip's live outputs (run records, as the page keeps them) against its expect_* rules.

    None when the tip has no rules, or when a side has not finished every run (a stopped or failed
    run proves nothing either way).
    """
    sides = {"before": tip.expect_before, "after": tip.expect_after}
    if not any(sides.values()):
        return None
    failed: list[tuple[str, RuleResult]] = []
    for side, rules in sides.items():
        if not rules:
            continue
        records = outputs.get(side) or []
        runs = tip.before.runs if side == "before" else tip.after.runs
        if len(records) < runs or not all(r.get("done") and not r.get("error") for r in records):
            return None
        for record in records:
            failed += [(side, r) for r in check_output(record.get("text", ""), list(rules)) if not r.passed]
    return DemoVerdict(worked=not failed, failed=failed)


def new_attempt() -> dict[str, Any]:
    """The session record of one exercise: the prompt being written, hints, model answer, runs."""
    return {"text": "", "hints": 0, "answer_shown": False, "runs": [], "passed": False}


def start_run(attempt: dict[str, Any], prompt: str) -> dict[str, Any]:
    """File a new run under its exercise before the model starts, so a Stop or a page switch keeps
    what arrived; it counts as a pass only once finish_run grades a complete answer."""
    run = {"prompt": prompt, "text": "", "done": False, "passed": False, "stopped": True, "results": []}
    attempt["runs"].append(run)
    return run


def finish_run(attempt: dict[str, Any], run: dict[str, Any], verdict: Verdict) -> dict[str, Any]:
    """Record the grade of a run whose answer arrived in full (run["done"]); a stopped run stays ungraded."""
    run["stopped"] = not run.get("done")
    run["results"] = [(r.reason, r.passed, dict(r.detail)) for r in verdict.results]
    run["passed"] = verdict.passed and not run["stopped"]
    attempt["passed"] = bool(attempt.get("passed")) or run["passed"]
    return run


def hints_already_done(exercise: Exercise, prompt: str) -> tuple[bool, ...]:
    """For each hint: True when it is about a rubric check the prompt already passes, so the page
    can say "your prompt already does this" instead of asking for it again."""
    results = {r.check: r.passed for r in review_prompt(prompt, exercise.passages)} if prompt.strip() else {}
    return tuple(bool(check) and results.get(check, False) for check in exercise.hint_checks)


def reveal_next_hint(attempt: dict[str, Any]) -> int:
    """Unlock the next hint (1 -> 2 -> 3, never past 3); returns how many are now shown."""
    attempt["hints"] = min(HINT_COUNT, int(attempt.get("hints", 0)) + 1)
    return attempt["hints"]
