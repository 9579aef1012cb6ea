"""Which note the lab shows when, and what its token buttons say, in the learner's language.

Each function looks at the lab's data (the text, the model's answer, the steps) and returns the
notes to show, in order; the page only draws them. A note keeps its message key, so a test (or a
reader) sees which message was chosen without reading the text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tutor.i18n import t
from tutor.lab.charts import percent
from tutor.lab.context import FittedText, is_empty
from tutor.lab.generation import Continuation, choose
from tutor.lab.reshaping import SHOWN_BARS, Candidate, Reshaped, is_greedy, pieces_shown
from tutor.lab.tokenizer import LadderRise, TrainedTokenizer
from tutor.lab.tokens import is_readable, visible_token
from tutor.llm.base import NextTokenDistribution


@dataclass(frozen=True)
class Note:
    """One message under or above a chart: how it is drawn, which message it is, and its text."""

    kind: Literal["info", "warning", "caption", "success"]
    key: str  # the message's key in content/ui/lab.toml
    text: str
    icon: str | None = None  # a Material icon beside an info or a warning
    # An exact text to show behind the note, folded away: (the fold's label, the text).
    details: tuple[str, str] | None = None


# ---------------------------------------------------------------------------------------------
# Predict and Controls: about the text the model read, and about the chart
# ---------------------------------------------------------------------------------------------


def cut_notice(fitted: FittedText, limit: int, lang: str, *, truncated: bool = False) -> list[Note]:
    """A warning when the text was cut to the last `limit` tokens (by the lab, or by the engine:
    `truncated`), else nothing."""
    if not (fitted.cut or truncated):
        return []
    text = t("lab.cut_notice", lang, before=fitted.tokens_before, limit=limit, kept=fitted.tokens_kept)
    return [Note("warning", "lab.cut_notice", text, icon=":material/content_cut:")]


def about_the_text(text: str, dist: NextTokenDistribution, fitted: FittedText, limit: int, lang: str) -> list[Note]:
    """Above a chart: an empty text, a cut text, a trailing space, then the vocabulary line (and,
    with no text, the chat template the model read instead), and a server that lists fewer
    alternatives than asked."""
    empty = is_empty(text)
    notes = []
    if empty:
        notes.append(Note("info", "lab.empty_text", t("lab.empty_text", lang), icon=":material/edit:"))
    notes += cut_notice(fitted, limit, lang, truncated=dist.truncated)
    if text.endswith(" ") and not empty:
        notes.append(Note("caption", "lab.trailing_space", t("lab.trailing_space", lang)))
    if empty:
        # None of what the model read is the learner's: it is the chat template around an empty message.
        key = "lab.vocab_line_no_text"
        details = (t("lab.template_read", lang), fitted.text)
    else:
        key, details = "lab.vocab_line", None
    line = t(key, lang, vocab=dist.vocab_size, context=dist.context_tokens)
    notes.append(Note("caption", key, line, details=details))
    if dist.alternatives_capped:
        key = "lab.capped_alternatives"
        notes.append(Note("caption", key, t(key, lang, n=dist.alternatives_capped)))
    return notes


def about_the_pieces(shaped: Reshaped, finished: str | None, lang: str) -> list[Note]:
    """Under a chart with pieces of characters ('␣<0xEB>'): what they are, and what the favourite
    became when it is one. Nothing when every charted token is whole."""
    count, share = pieces_shown(shaped)
    if not count:
        return []
    notes = [Note("caption", "lab.pieces.what", t("lab.pieces.what", lang, n=count, share=percent(share)))]
    if finished:
        favourite = shaped.candidates[0]
        text = t("lab.pieces.favourite", lang, piece=visible_token(favourite.token), char=visible_token(finished),
                 prob=percent(favourite.raw_prob))
        notes.append(Note("caption", "lab.pieces.favourite", text))
    return notes


def pool_line(shaped: Reshaped, lang: str) -> Note:
    """How many of the pool's tokens top-k and top-p left to draw from."""
    kept = sum(c.kept for c in shaped.candidates)
    return Note("caption", "lab.controls.pool_line",
                t("lab.controls.pool_line", lang, kept=kept, pool=len(shaped.candidates)))


def drawn_note(drawn: tuple[str, float] | None, lang: str) -> list[Note]:
    """The token the last "draw" gave (see generation.draw_once), or nothing before the first draw."""
    if not drawn:
        return []
    token, prob = drawn
    return [Note("success", "lab.controls.drawn",
                 t("lab.controls.drawn", lang, token=visible_token(token), prob=percent(prob)))]


# ---------------------------------------------------------------------------------------------
# Continue: the steps so far, and the token buttons
# ---------------------------------------------------------------------------------------------


def about_the_steps(state: Continuation, lang: str) -> list[Note]:
    """Under the coloured text: how to read the colours (or that nothing is added yet), and what
    greedy, a draw or a click did with a piece of a character, said once it happened."""
    key = "lab.continue.legend" if state.steps else "lab.continue.nothing_yet"
    notes = [Note("caption", key, t(key, lang))]
    if state.steps and state.steps[-1].piece:
        last = state.steps[-1]
        text = t("lab.continue.finished_note", lang, how=t(f"lab.continue.how_{last.how}", lang),
                 piece=visible_token(last.piece), char=visible_token(last.token), prob=percent(last.raw_prob))
        notes.append(Note("info", "lab.continue.finished_note", text, icon=":material/join:"))
    return notes


@dataclass(frozen=True)
class PickButton:
    """One "click a token to add it" button: what it says, and whether it can be clicked."""

    label: str  # the token and its probability, '␣mat · 40.0%'
    help: str
    pickable: bool
    kept: bool  # still in the pool after top-k / top-p (a cut one looks fainter)
    candidate: Candidate
    finished: str | None  # the character a favourite piece becomes, added instead of the piece


def pick_buttons(shaped: Reshaped, finished: str | None, lang: str) -> list[PickButton]:
    """A button for each charted candidate. A whole token can always be clicked, whatever its
    probability; a piece of a character only when it is the favourite and the model finished it
    (`finished`), and it then names the character it makes."""
    buttons = []
    for i, candidate in enumerate(shaped.candidates[:SHOWN_BARS]):
        readable = is_readable(candidate.token)
        favourite_piece = i == 0 and finished is not None
        if readable:
            shown, tip = visible_token(candidate.token), t("lab.continue.pick_help", lang)
        elif favourite_piece:
            shown = f"{visible_token(candidate.token)} → {visible_token(finished)}"
            tip = t("lab.continue.piece_help", lang, char=visible_token(finished))
        else:
            shown, tip = t("lab.continue.unreadable", lang), t("lab.continue.unreadable_help", lang)
        buttons.append(PickButton(
            label=f"{shown} · {percent(candidate.raw_prob)}",
            help=tip,
            pickable=readable or favourite_piece,
            kept=candidate.kept,
            candidate=candidate,
            finished=finished if i == 0 else None,
        ))
    return buttons


def nothing_to_add(shaped: Reshaped, finished: str | None, lang: str) -> list[Note]:
    """A warning when no candidate can be added: all are pieces of characters the model did not
    finish (greedy, a draw and every button would have nothing to take)."""
    if choose(shaped, "greedy", finishable=finished is not None) is not None:
        return []
    return [Note("warning", "lab.continue.no_readable", t("lab.continue.no_readable", lang))]


def about_regenerating(temperature: float, lang: str) -> list[Note]:
    """Beside "regenerate": at temperature 0 sampling is greedy, so regenerating changes nothing."""
    if not is_greedy(temperature):
        return []
    return [Note("caption", "lab.continue.greedy_at_zero", t("lab.continue.greedy_at_zero", lang))]


# ---------------------------------------------------------------------------------------------
# Training pairs and Build a tokenizer
# ---------------------------------------------------------------------------------------------


def about_the_pairs(total: int, listed: int, lang: str) -> list[Note]:
    """How many training examples the sentence gives, and that only the first are listed when
    there are more than the table shows."""
    notes = [Note("caption", "lab.pairs.count", t("lab.pairs.count", lang, n=total))]
    if total > listed:
        notes.append(Note("caption", "lab.pairs.capped", t("lab.pairs.capped", lang, n=listed)))
    return notes


def about_the_tokenizer(tokenizer: TrainedTokenizer, lang: str) -> list[Note]:
    """Under the split sentence: a vocabulary smaller than asked (the text could not fill it), and
    rare characters left out to fit a small one."""
    notes = []
    if tokenizer.shrunk:
        text = t("lab.tokenizer.shrunk", lang, asked=tokenizer.requested_size, actual=tokenizer.vocab_size)
        notes.append(Note("warning", "lab.tokenizer.shrunk", text))
    if tokenizer.left_out_chars:
        text = t("lab.tokenizer.left_out", lang, n=tokenizer.left_out_chars, size=tokenizer.vocab_size)
        notes.append(Note("caption", "lab.tokenizer.left_out", text))
    return notes


def about_the_rises(rises: list[LadderRise], lang: str) -> list[Note]:
    """The text promises fewer pieces as the vocabulary grows; where this sentence goes the other
    way, say why instead of leaving the table to contradict it."""
    notes = []
    for rise in rises:
        why = "unknown_runs" if rise.unknown_runs else "retrained"
        runs = ", ".join(f"‘{run}’" for run in rise.unknown_runs)
        key = f"lab.tokenizer.rise_{why}.what"
        text = t(key, lang, smaller=rise.smaller, larger=rise.larger, before=rise.before, after=rise.after, runs=runs)
        notes.append(Note("caption", key, text))
    return notes
