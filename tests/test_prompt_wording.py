"""What the Prompting page says (tutor.prompting.wording): tip captions and notes, a failed demo,
the rubric's feedback lines, verdicts, history and hints, in both languages."""
import pytest

from tutor.i18n import t
from tutor.prompting import wording
from tutor.prompting.exercises import TipPrompt, load_content
from tutor.prompting.practice import DemoVerdict, judge_demo, rubric_feedback
from tutor.prompting.rubric import CheckResult, explain
from tutor.prompting.rules import RuleResult
from tutor.prompting.session import Attempt, Output, Run, TipResult

LANGS = ("en", "ko")


def test_a_tip_sides_caption_says_how_it_is_sent_and_how_often():
    chat = TipPrompt("Before", "Hi", kind="chat", temperature=0.0)
    assert wording.mode_caption(chat, "en") == "Sent as a chat message · temperature 0"
    thrice = TipPrompt("After", "Hi", kind="completion", temperature=1.2, runs=3)
    assert wording.mode_caption(thrice, "en") == t("prompting.tips.completion_mode", "en", temperature="1.2") + " · 3 times"


@pytest.mark.parametrize("lang", LANGS)
def test_an_unfinished_output_says_whether_it_failed_or_was_stopped(lang):
    assert wording.output_note(Output("x", done=True), lang) is None
    assert wording.output_note(Output("x", done=False), lang) == t("prompting.tips.stopped", lang)
    assert wording.output_note(Output("", error="timeout"), lang) == t("prompting.tips.failed", lang)
    assert wording.answer_text("  \n", lang) == t("prompting.tips.empty_output", lang)
    assert wording.answer_text(" Room 214\n", lang) == "Room 214"


@pytest.mark.parametrize("lang", LANGS)
def test_a_failed_demo_names_each_failed_rule_once_then_what_a_bigger_model_does(lang):
    tip = next(x for x in load_content(lang).tips if x.id == "grounding")
    verdict = judge_demo(tip, TipResult(after=[Output("Bring a chess clock.", done=True)]))
    failure = wording.demo_failure(tip, verdict, lang)
    assert failure.startswith(f"**{t('prompting.tips.demo_failed', lang)}**\n\n- *{tip.after.label}*: ")
    assert failure.endswith(f"\n\n{tip.if_it_fails}")
    twice = DemoVerdict(worked=False, failed=verdict.failed * 2)  # the same failure in two runs
    assert wording.demo_failure(tip, twice, lang) == failure


@pytest.mark.parametrize("lang", LANGS)
def test_the_exercise_picker_numbers_each_exercise_with_its_level(lang):
    exercise = load_content(lang).exercises[0]
    level = t(f"prompting.practice.level_{exercise.level}", lang)
    assert wording.exercise_option(1, exercise, lang) == f"1. {exercise.title} · {level}"


def test_the_prompt_caption_counts_characters_against_the_limit_and_says_how_run_sends_it():
    exercise = load_content("en").exercise("currency-few-shot")
    assert wording.prompt_caption("abc", 2000, exercise, "en") == (
        "3 / 2000 characters · " + t("prompting.practice.mode_completion", "en"))


@pytest.mark.parametrize("lang", LANGS)
def test_a_feedback_line_shows_met_or_missing_the_name_the_reason_and_the_fix(lang):
    exercise = load_content(lang).exercise("currency-few-shot")
    feedback = rubric_feedback("Convert pen: four dollars and 7 cents.", exercise)
    for result in feedback.needed + feedback.others:
        reason, fix = explain(result, lang)
        line = wording.check_line(result, lang)
        assert line.startswith(wording.MET if result.passed else wording.MISSING)
        assert t(f"prompting.rubric.names.{result.check}", lang) in line and reason in line
        assert line.endswith(f"  \n→ {fix}" if fix else reason)
    assert wording.needed_summary(feedback, lang) == t("prompting.practice.needed_summary", lang,
                                                       passed=feedback.needed_met, total=len(feedback.needed))


def test_a_met_check_line_has_no_fix():
    line = wording.check_line(CheckResult("steps", True, "prompting.rubric.steps.pass"), "en")
    assert line.startswith(wording.MET) and "→" not in line


@pytest.mark.parametrize("lang", LANGS)
def test_verdicts_rule_lines_and_the_history_read_passed_or_not_yet(lang):
    assert wording.verdict(True, lang) == t("prompting.practice.passed", lang)
    assert wording.verdict(False, lang) == t("prompting.practice.not_yet", lang)
    missed = RuleResult("bullet_count", False, "prompting.rules.bullet_count.fail", {"found": "0", "count": "3"})
    assert wording.rule_line(missed, lang) == (
        f"{wording.RULE_MISSED} {t('prompting.rules.bullet_count.fail', lang, found=0, count=3)}")
    passed = Run("p", passed=True)
    assert wording.history_title(2, passed, lang) == t("prompting.practice.history_item", lang, n=2,
                                                       verdict=t("prompting.practice.passed", lang))


@pytest.mark.parametrize("passed, yes_no", [(True, "prompting.practice.yes"), (False, "prompting.practice.no")])
def test_runs_so_far_counts_the_runs_and_says_whether_any_passed(passed, yes_no):
    attempt = Attempt(runs=[Run("p1"), Run("p2")], passed=passed)
    assert wording.runs_so_far(attempt, "en") == t("prompting.practice.runs_so_far", "en", runs=2,
                                                   passed=t(yes_no, "en"))


@pytest.mark.parametrize("lang", LANGS)
def test_a_hint_the_prompt_already_follows_says_so(lang):
    title = t("prompting.practice.hint", lang, n=2)
    assert wording.hint_text(2, "Add an example.", False, lang) == f"**{title}** · Add an example."
    done = wording.hint_text(2, "Add an example.", True, lang)
    assert done == f"**{title}** · {t('prompting.practice.hint_done', lang)}  \nAdd an example."


def test_a_tip_links_to_its_lesson_by_the_lessons_title():
    tip = load_content("ko").tips[0]
    assert wording.lesson_label(tip, "ko") == t("prompting.tips.lesson", "ko",
                                                title=t(f"prompting.tips.lessons.{tip.lesson}", "ko"))
