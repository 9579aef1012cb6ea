"""Running a prompt on the model and grading it: the plain logic behind the Prompting page.

What the page keeps between reruns (attempts, runs, tip outputs) is in tutor.prompting.session;
nothing here needs Streamlit.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from tutor.llm.base import Engine, close_stream
from tutor.prompting.exercises import Exercise, Tip
from tutor.prompting.rubric import CHECKS, CheckResult, normalize, review_prompt
from tutor.prompting.rules import RuleResult, check_output
from tutor.prompting.session import TipResult


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


class Recording(Protocol):
    """Where a streamed answer is saved: session.Output (a tip card) or session.Run (an exercise)."""

    text: str
    done: bool


def recorded(stream: Iterator[str], record: Recording, stop: threading.Event) -> Iterator[str]:
    """Pass the model's pieces through while saving them in record.text.

    record.done becomes True only when the model finished: an answer cut by the engine's time
    limit raises EngineError("timeout") after its pieces and stays not done, like a stopped one.
    If the page stops reading early (the Stop button, a page switch), the page closes this
    generator (contextlib.closing), and `stop` and the stream's own close() tell the engine to end
    at once; what arrived so far stays in the record.
    """
    record.done = False
    try:
        for piece in stream:
            record.text += piece
            yield piece
        record.done = True
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


def judge_demo(tip: Tip, result: TipResult | None) -> DemoVerdict | None:
    """Check a tip's live outputs (its last run, as the page keeps it) against its expect_* rules.

    None when the tip has no rules, when it has not run, or when a side has not finished every run
    (a stopped or failed run proves nothing either way).
    """
    if not (tip.expect_before or tip.expect_after):
        return None
    result = result or TipResult()
    sides = (("before", tip.before.runs, tip.expect_before, result.before),
             ("after", tip.after.runs, tip.expect_after, result.after))
    failed: list[tuple[str, RuleResult]] = []
    for side, runs, rules, outputs in sides:
        if not rules:
            continue
        if len(outputs) < runs or not all(o.done and not o.error for o in outputs):
            return None
        for output in outputs:
            failed += [(side, r) for r in check_output(output.text, list(rules)) if not r.passed]
    return DemoVerdict(worked=not failed, failed=failed)


@dataclass(frozen=True)
class Feedback:
    """The rubric's verdict on a prompt, split the way the page shows it: the checks this exercise
    needs first, then the others (each CheckResult says whether it is met, why, and what to add)."""

    needed: list[CheckResult]
    others: list[CheckResult]

    @property
    def needed_met(self) -> int:
        """How many of the needed checks the prompt already meets."""
        return sum(r.passed for r in self.needed)


def rubric_feedback(prompt: str, exercise: Exercise) -> Feedback | None:
    """Every rubric check on the prompt, needed ones (exercise.needs) first, each group in CHECKS
    order; None for an empty prompt (nothing to review yet)."""
    if not prompt.strip():
        return None
    results = {r.check: r for r in review_prompt(prompt, exercise.passages)}
    return Feedback(needed=[results[c] for c in CHECKS if c in exercise.needs],
                    others=[results[c] for c in CHECKS if c not in exercise.needs])


def hints_already_done(exercise: Exercise, prompt: str) -> tuple[bool, ...]:
    """For each hint: True when it is about a rubric check the prompt already passes, so the page
    can say "your prompt already does this" instead of asking for it again."""
    results = {r.check: r.passed for r in review_prompt(prompt, exercise.passages)} if prompt.strip() else {}
    return tuple(bool(check) and results.get(check, False) for check in exercise.hint_checks)

