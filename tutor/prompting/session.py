"""What the Prompting page keeps between reruns: a Run button's pending click, the last run of each
tip card, and each exercise's attempt (the prompt being written, hints, model answer, every run).

Plain dataclasses, free of Streamlit: st.session_state holds them as they are (and could pickle
them), so a rerun or a page switch loses nothing; the page only stores and draws them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tutor.prompting.rules import RuleResult

if TYPE_CHECKING:  # practice imports this module (its judge reads TipResult)
    from tutor.prompting.practice import Verdict

HINT_COUNT = 3  # every exercise has three hints, unlocked one at a time


@dataclass
class PendingClick:
    """A Run button's click, kept from its callback until the page body reaches that button.

    A callback runs before the page draws anything, but the answer must stream into its card, so
    the callback only notes what was asked ("tip:<id>" or "exercise:<id>") and the card takes it,
    once, when it is drawn. Kept in session state, the click survives a rerun that happens first.
    """

    what: str | None = None

    def request(self, what: str) -> None:
        """Button callback: remember the click."""
        self.what = what

    def take(self, what: str) -> bool:
        """True once for a pending click on `what`; the click is used up."""
        if self.what != what:
            return False
        self.what = None
        return True


@dataclass
class Output:
    """One model answer as it arrives (practice.recorded fills `text` and `done`)."""

    text: str = ""
    done: bool = False  # True only when the model finished: a stopped or cut answer stays False
    error: str | None = None  # the EngineError code when the model failed


@dataclass
class TipResult:
    """The last run of one tip card: every output of each side, filed as it starts (a Stop keeps it)."""

    before: list[Output] = field(default_factory=list)
    after: list[Output] = field(default_factory=list)


@dataclass
class Run:
    """One run of the learner's prompt on an exercise, graded on the model's output."""

    prompt: str
    text: str = ""  # what the model wrote (practice.recorded fills it)
    done: bool = False  # the model finished its answer
    stopped: bool = True  # until finish_run sees the whole answer: a Stop never passes
    passed: bool = False
    results: list[RuleResult] = field(default_factory=list)  # each success rule, in order


@dataclass
class Attempt:
    """One exercise as the learner works on it: the prompt in the box, the hints unlocked, whether
    the model answer is shown, every run, and whether any run passed."""

    text: str = ""
    hints: int = 0
    answer_shown: bool = False
    runs: list[Run] = field(default_factory=list)
    passed: bool = False  # a pass sticks, even when a later run fails

    @property
    def last_run(self) -> Run | None:
        """The run the page shows under the prompt (None before the first)."""
        return self.runs[-1] if self.runs else None

    @property
    def earlier_runs(self) -> list[Run]:
        """The history: every run before the last one, oldest first."""
        return self.runs[:-1]

    def type_text(self, value: object) -> None:
        """The prompt box changed; anything but text (a cleared widget) counts as empty."""
        self.text = value if isinstance(value, str) else ""

    def start_run(self, prompt: str) -> Run:
        """File a new run before the model starts, so a Stop or a page switch keeps what arrived; it
        counts as a pass only once finish_run grades a complete answer."""
        run = Run(prompt)
        self.runs.append(run)
        return run

    def drop_run(self, run: Run) -> None:
        """Unfile a run the model failed on: its error says nothing about the prompt."""
        self.runs.remove(run)

    def finish_run(self, run: Run, verdict: Verdict) -> Run:
        """Record the grade of a run whose answer arrived in full (run.done); a stopped run stays ungraded."""
        run.stopped = not run.done
        run.results = list(verdict.results)
        run.passed = verdict.passed and not run.stopped
        self.passed = self.passed or run.passed
        return run

    def reveal_next_hint(self) -> int:
        """Unlock the next hint (1 -> 2 -> 3, never past HINT_COUNT); returns how many are now shown."""
        self.hints = min(HINT_COUNT, self.hints + 1)
        return self.hints

    def show_answer(self) -> None:
        """The learner asked for the model answer (it stays shown for this exercise)."""
        self.answer_shown = True

    def use_answer(self, answer: str) -> None:
        """Put the model answer in the prompt box, to run it or change it."""
        self.text = answer


def attempt_for(attempts: dict[str, Attempt], exercise_id: str) -> Attempt:
    """The attempt at one exercise, new the first time it is opened."""
    return attempts.setdefault(exercise_id, Attempt())
