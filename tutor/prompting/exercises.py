"""Exercise and tip-card data: loaded from content/prompting/<lang>.toml and validated.

File format (one file per language, the same ids in both):

    [[tips]]                      # a tip card: the idea, a before/after pair, a lesson, an honest note
    id = "grounding"
    title = "..."
    idea = "..."
    lesson = "grounding"          # lesson id the card links to (content/<lang>/NN-<id>.md)
    note = "..."                  # what the small local model typically does, measured
    before = { label = "...", prompt = "...", kind = "chat", temperature = 0.0, runs = 1, max_new_tokens = 80 }
    after = { ... }               # kind: "chat" (a user message) or "completion" (raw text)
    expect_after = [{ kind = "contains", terms = ["214"] }]   # optional: success rules (rules.py) on
    expect_before = [...]         # that side's live output, showing whether the demo worked this time
    if_it_fails = "..."           # required with an expect_*: shown openly when the live output fails
                                  # them (what a bigger model does, why this small one fails)

    [[exercises]]                 # in order, easy -> hard
    id = "three-bullets"
    level = 1                     # 1 easy, 2 medium, 3 hard
    title = "..."
    task = "..."
    needs = ["format"]            # rubric checks (tutor.prompting.rubric.CHECKS) a good prompt passes
    needs_text = "..."            # what a good prompt needs, in words
    hints = ["...", "...", "..."] # three graduated hints, vaguest first
    hint_checks = ["context", "", ""]  # optional: the rubric check each hint is about ("" = none);
                                  # a hint whose check the prompt already passes says so
    model_answer = "..."
    rules = [{ kind = "bullet_count", count = 3 }]   # success rules on the model's output (rules.py)
    max_new_tokens = 160          # optional
    kind = "completion"           # optional: how Run sends the prompt ("chat", the default, or raw text)
"""
from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.i18n import LANGUAGES
from tutor.prompting.rubric import CHECKS, MIN_CONTEXT_CHARS
from tutor.prompting.rules import rule_problems

CONTENT_DIR = Path(__file__).resolve().parent.parent.parent / "content" / "prompting"
LEVELS = (1, 2, 3)
KINDS = ("chat", "completion")
DEFAULT_MAX_NEW_TOKENS = 160
_TASK_PASSAGE = re.compile(r'["“]([^"“”]+)["”]')


class ExerciseDataError(ValueError):
    """An exercise or tip file is malformed (a content bug, caught by the tests)."""


@dataclass(frozen=True)
class TipPrompt:
    """One side of a tip card: the prompt and how to run it."""

    label: str
    prompt: str
    kind: str = "chat"  # "chat": sent as a user message; "completion": continued as raw text
    temperature: float = 0.0
    runs: int = 1  # how many times to run it (the regenerate tip runs three times)
    max_new_tokens: int = 96


@dataclass(frozen=True)
class Tip:
    id: str
    title: str
    idea: str
    lesson: str
    note: str
    before: TipPrompt
    after: TipPrompt
    lesson_section: str = ""
    # Success rules on each side's live output (tutor.prompting.rules), and what the card says
    # openly when the model fails them: a failed demo is shown as the lesson, not hidden.
    expect_before: tuple[dict[str, Any], ...] = ()
    expect_after: tuple[dict[str, Any], ...] = ()
    if_it_fails: str = ""


@dataclass(frozen=True)
class Exercise:
    id: str
    level: int
    title: str
    task: str
    needs: tuple[str, ...]
    needs_text: str
    hints: tuple[str, str, str]
    model_answer: str
    rules: tuple[dict[str, Any], ...]
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    kind: str = "chat"  # "completion": Run sends the prompt as raw text to continue (few-shot patterns)
    hint_checks: tuple[str, str, str] = ("", "", "")  # the rubric check each hint is about, "" for none

    @property
    def passages(self) -> tuple[str, ...]:
        """The texts the task gives in quotation marks (a review, notes): pasted into a prompt as
        they are, with or without a label, they are the context the rubric looks for."""
        return tuple(m.strip() for m in _TASK_PASSAGE.findall(self.task) if len(m.strip()) >= MIN_CONTEXT_CHARS)


@dataclass(frozen=True)
class PromptingContent:
    tips: tuple[Tip, ...]
    exercises: tuple[Exercise, ...]

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)


def _text(table: dict, name: str, where: str) -> str:
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ExerciseDataError(f"{where}: '{name}' must be non-empty text")
    return value.strip()


def _tip_prompt(table: object, where: str) -> TipPrompt:
    if not isinstance(table, dict):
        raise ExerciseDataError(f"{where}: must be a table")
    kind = table.get("kind", "chat")
    if kind not in KINDS:
        raise ExerciseDataError(f"{where}: kind must be one of {KINDS}")
    temperature = float(table.get("temperature", 0.0))
    runs = int(table.get("runs", 1))
    max_new = int(table.get("max_new_tokens", 96))
    if not 0.0 <= temperature <= 2.0 or not 1 <= runs <= 5 or not 1 <= max_new <= 512:
        raise ExerciseDataError(f"{where}: temperature 0-2, runs 1-5, max_new_tokens 1-512")
    return TipPrompt(
        label=_text(table, "label", where),
        prompt=_text(table, "prompt", where),
        kind=kind,
        temperature=temperature,
        runs=runs,
        max_new_tokens=max_new,
    )


def _expectations(table: dict, name: str, where: str) -> tuple[dict[str, Any], ...]:
    rules = table.get(name, [])
    if not isinstance(rules, list):
        raise ExerciseDataError(f"{where}: '{name}' must list success rules")
    problems = [p for rule in rules for p in rule_problems(rule)]
    if problems:
        raise ExerciseDataError(f"{where}: {name}: " + "; ".join(problems))
    return tuple(dict(rule) for rule in rules)


def _tip(table: dict, where: str) -> Tip:
    expect_before = _expectations(table, "expect_before", where)
    expect_after = _expectations(table, "expect_after", where)
    if_it_fails = str(table.get("if_it_fails", "")).strip()
    if (expect_before or expect_after) and not if_it_fails:
        raise ExerciseDataError(f"{where}: a tip with expect_before/expect_after needs 'if_it_fails'")
    return Tip(
        expect_before=expect_before,
        expect_after=expect_after,
        if_it_fails=if_it_fails,
        id=_text(table, "id", where),
        title=_text(table, "title", where),
        idea=_text(table, "idea", where),
        lesson=_text(table, "lesson", where),
        note=_text(table, "note", where),
        before=_tip_prompt(table.get("before"), f"{where}.before"),
        after=_tip_prompt(table.get("after"), f"{where}.after"),
        lesson_section=str(table.get("lesson_section", "")),
    )


def _exercise(table: dict, where: str) -> Exercise:
    ex_id = _text(table, "id", where)
    where = f"{where} ({ex_id})"
    level = table.get("level")
    if level not in LEVELS:
        raise ExerciseDataError(f"{where}: level must be one of {LEVELS}")
    needs = table.get("needs", [])
    if not isinstance(needs, list) or not needs or any(n not in CHECKS for n in needs):
        raise ExerciseDataError(f"{where}: needs must list rubric checks from {CHECKS}")
    hints = table.get("hints")
    if not isinstance(hints, list) or len(hints) != 3 or not all(isinstance(h, str) and h.strip() for h in hints):
        raise ExerciseDataError(f"{where}: hints must be three non-empty texts")
    rules = table.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ExerciseDataError(f"{where}: rules must list at least one success rule")
    problems = [p for rule in rules for p in rule_problems(rule)]
    if problems:
        raise ExerciseDataError(f"{where}: " + "; ".join(problems))
    hint_checks = table.get("hint_checks", ["", "", ""])
    if not isinstance(hint_checks, list) or len(hint_checks) != 3 or any(c and c not in CHECKS for c in hint_checks):
        raise ExerciseDataError(f"{where}: hint_checks must list three rubric checks from {CHECKS} (or \"\")")
    max_new = int(table.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
    if not 1 <= max_new <= 512:
        raise ExerciseDataError(f"{where}: max_new_tokens must be 1-512")
    kind = table.get("kind", "chat")
    if kind not in KINDS:
        raise ExerciseDataError(f"{where}: kind must be one of {KINDS}")
    return Exercise(
        id=ex_id,
        level=level,
        title=_text(table, "title", where),
        task=_text(table, "task", where),
        needs=tuple(needs),
        needs_text=_text(table, "needs_text", where),
        hints=(hints[0].strip(), hints[1].strip(), hints[2].strip()),
        model_answer=_text(table, "model_answer", where),
        rules=tuple(dict(rule) for rule in rules),
        max_new_tokens=max_new,
        kind=kind,
        hint_checks=(str(hint_checks[0]), str(hint_checks[1]), str(hint_checks[2])),
    )


def parse_content(data: dict, where: str) -> PromptingContent:
    """Validate one language's parsed TOML; raise ExerciseDataError naming the first problem."""
    tips = tuple(_tip(t, f"{where} tips[{i}]") for i, t in enumerate(data.get("tips", [])))
    exercises = tuple(_exercise(e, f"{where} exercises[{i}]") for i, e in enumerate(data.get("exercises", [])))
    for kind, items in (("tip", tips), ("exercise", exercises)):
        ids = [item.id for item in items]
        if len(ids) != len(set(ids)):
            raise ExerciseDataError(f"{where}: duplicate {kind} id")
    levels = [e.level for e in exercises]
    if levels != sorted(levels):
        raise ExerciseDataError(f"{where}: exercises must go from easy to hard (levels {levels})")
    return PromptingContent(tips=tips, exercises=exercises)


@functools.cache
def load_content(lang: str, content_dir: Path = CONTENT_DIR) -> PromptingContent:
    """Tips and exercises in one language. Read once per process."""
    if lang not in LANGUAGES:
        raise ExerciseDataError(f"unknown language {lang!r}")
    path = content_dir / f"{lang}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ExerciseDataError(f"{path}: {err}") from err
    return parse_content(data, path.name)


def mismatches(content_dir: Path = CONTENT_DIR) -> list[str]:
    """Differences between languages that must not exist: ids, order, levels, needs, tip runs."""
    loaded = {lang: load_content(lang, content_dir) for lang in LANGUAGES}
    first, *others = LANGUAGES
    problems: list[str] = []
    for lang in others:
        a, b = loaded[first], loaded[lang]
        if [t.id for t in a.tips] != [t.id for t in b.tips]:
            problems.append(f"tip ids differ between {first} and {lang}")
        if [e.id for e in a.exercises] != [e.id for e in b.exercises]:
            problems.append(f"exercise ids differ between {first} and {lang}")
        for ea, eb in zip(a.exercises, b.exercises, strict=False):
            if (ea.level, ea.needs, ea.kind, ea.hint_checks) != (eb.level, eb.needs, eb.kind, eb.hint_checks):
                problems.append(f"exercise {ea.id}: level, needs, kind or hint_checks differ between {first} and {lang}")
        for ta, tb in zip(a.tips, b.tips, strict=False):
            if (bool(ta.expect_before), bool(ta.expect_after)) != (bool(tb.expect_before), bool(tb.expect_after)):
                problems.append(f"tip {ta.id}: expect_before/expect_after given in one language only")
            for side in ("before", "after"):
                pa, pb = getattr(ta, side), getattr(tb, side)
                if (pa.kind, pa.temperature, pa.runs) != (pb.kind, pb.temperature, pb.runs):
                    problems.append(f"tip {ta.id}.{side}: kind/temperature/runs differ between {first} and {lang}")
    return problems
