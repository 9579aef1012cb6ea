"""The sentences the Prompting page builds from results: how a tip side runs, a run's note, a failed
demo's reasons, the rubric's feedback lines, a run's verdict, the history and the hints.

pages/prompting.py only decides where each goes (and which alert box it goes in); the icons are
Streamlit Markdown (":green[:material/check:]"), plain text here. No Streamlit import.
"""
from __future__ import annotations

from tutor.i18n import t
from tutor.prompting.exercises import Exercise, Tip, TipPrompt
from tutor.prompting.practice import DemoVerdict, Feedback
from tutor.prompting.rubric import CheckResult, explain
from tutor.prompting.rules import RuleResult, explain_rule
from tutor.prompting.session import Attempt, Output, Run

MET, MISSING = ":green[:material/check_circle:]", ":orange[:material/radio_button_unchecked:]"  # rubric checks
RULE_MET, RULE_MISSED = ":green[:material/check:]", ":orange[:material/close:]"  # success rules


# --- Tips -------------------------------------------------------------------------------------


def mode_caption(side: TipPrompt, lang: str) -> str:
    """How one side of a tip card is sent: as a chat message or raw text, at what temperature,
    and how many times when more than once."""
    key = "prompting.tips.completion_mode" if side.kind == "completion" else "prompting.tips.chat_mode"
    text = t(key, lang, temperature=f"{side.temperature:g}")
    return text + (t("prompting.tips.runs_mode", lang, runs=side.runs) if side.runs > 1 else "")


def answer_text(text: str, lang: str) -> str:
    """A model answer as shown; an empty one says so rather than showing nothing."""
    return text.strip() or t("prompting.tips.empty_output", lang)


def output_note(output: Output, lang: str) -> str | None:
    """The note under a tip output that did not finish: the model failed, or it was stopped."""
    if output.error:
        return t("prompting.tips.failed", lang)
    if not output.done:
        return t("prompting.tips.stopped", lang)
    return None


def demo_failure(tip: Tip, verdict: DemoVerdict, lang: str) -> str:
    """A demo that failed on the live output, said openly: each side's failed rule (the same
    failure in several runs said once), then what a bigger model does and why this one fails."""
    side_names = {"before": tip.before.label, "after": tip.after.label}
    lines = [f"- *{side_names[side]}*: {explain_rule(result, lang)}" for side, result in verdict.failed]
    reasons = "\n".join(dict.fromkeys(lines))
    return f"**{t('prompting.tips.demo_failed', lang)}**\n\n{reasons}\n\n{tip.if_it_fails}"


def lesson_label(tip: Tip, lang: str) -> str:
    """The link from a tip card to the lesson it comes from."""
    return t("prompting.tips.lesson", lang, title=t(f"prompting.tips.lessons.{tip.lesson}", lang))


# --- Practice ---------------------------------------------------------------------------------


def exercise_option(n: int, exercise: Exercise, lang: str) -> str:
    """An exercise in the picker: its number, title and level."""
    level = t(f"prompting.practice.level_{exercise.level}", lang)
    return t("prompting.practice.option", lang, n=n, title=exercise.title, level=level)


def prompt_caption(text: str, limit: int, exercise: Exercise, lang: str) -> str:
    """Under the prompt box: its length against the limit, and how Run will send it."""
    return (t("prompting.practice.chars", lang, length=len(text), limit=limit) + " · "
            + t(f"prompting.practice.mode_{exercise.kind}", lang))


def needed_summary(feedback: Feedback, lang: str) -> str:
    """How many of the checks this exercise needs the prompt already meets."""
    return t("prompting.practice.needed_summary", lang, passed=feedback.needed_met, total=len(feedback.needed))


def check_line(result: CheckResult, lang: str) -> str:
    """One rubric check: met or missing, its name, why, and (when missing) what to add."""
    reason, fix = explain(result, lang)
    line = f"{MET if result.passed else MISSING} **{t(f'prompting.rubric.names.{result.check}', lang)}** — {reason}"
    return line + (f"  \n→ {fix}" if fix else "")


def verdict(passed: bool, lang: str) -> str:
    """A graded run in two words: passed, or not yet."""
    return t("prompting.practice.passed" if passed else "prompting.practice.not_yet", lang)


def rule_line(result: RuleResult, lang: str) -> str:
    """One success rule on the model's output: met or missed, and why."""
    return f"{RULE_MET if result.passed else RULE_MISSED} {explain_rule(result, lang)}"


def runs_so_far(attempt: Attempt, lang: str) -> str:
    """How many times the learner ran this exercise, and whether any run passed."""
    yes_no = t("prompting.practice.yes" if attempt.passed else "prompting.practice.no", lang)
    return t("prompting.practice.runs_so_far", lang, runs=len(attempt.runs), passed=yes_no)


def history_title(n: int, run: Run, lang: str) -> str:
    """An earlier run in the history: its number and its verdict."""
    return t("prompting.practice.history_item", lang, n=n, verdict=verdict(run.passed, lang))


def hint_text(n: int, hint: str, done: bool, lang: str) -> str:
    """Hint n (from 1); a hint the prompt already follows says so instead of asking again."""
    title = t("prompting.practice.hint", lang, n=n)
    if done:
        return f"**{title}** · {t('prompting.practice.hint_done', lang)}  \n{hint}"
    return f"**{title}** · {hint}"
