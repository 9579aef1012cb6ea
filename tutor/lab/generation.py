"""Continue: the generation loop by hand, kept as a list of steps.

A model writes text one token at a time: predict the next token, choose one, append it, predict
again. The lab keeps the learner's text as a start plus the steps added since, so undo and
"regenerate from step n" are just cutting that list. Every Continue button is one `Action`, and
`apply` is what it does to the steps.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from tutor.lab.reshaping import POOL_SIZE, Candidate, Reshaped, reshape
from tutor.lab.tokens import finish_character, is_readable
from tutor.llm.base import NextTokenDistribution

# How a token was chosen: clicked by the learner, the favourite, or drawn by the weighted dice.
How = Literal["picked", "greedy", "sampled"]


@dataclass(frozen=True)
class Step:
    """One token added to the text, and how it was chosen."""

    token: str
    id: int
    prob: float  # the probability it had when it was chosen (after the learner's settings)
    raw_prob: float  # the model's own probability for it
    how: How  # "picked" (clicked by the learner) | "greedy" | "sampled"
    # When the chosen token was only a piece of a character (' <0xEB>'): that piece's label. `token`
    # is then the whole character the model made of it over the next step(s), e.g. ' 뷁'.
    piece: str = ""


@dataclass(frozen=True)
class Continuation:
    """The learner's start text and every token added since. Undo = drop the last step."""

    start: str = ""
    steps: tuple[Step, ...] = ()
    rounds: int = 0  # how many times "regenerate" was pressed (changes the random draws)

    @property
    def text(self) -> str:
        """The whole text so far: the start plus each added token."""
        return self.start + "".join(step.token for step in self.steps)


def append_step(state: Continuation, step: Step) -> Continuation:
    """The state with one more token at the end."""
    return replace(state, steps=state.steps + (step,))


def undo(state: Continuation) -> Continuation:
    """Step back: remove the last added token (nothing to undo leaves the state as it is)."""
    return replace(state, steps=state.steps[:-1])


def cut_before(state: Continuation, index: int) -> tuple[Continuation, int]:
    """Regenerate from step `index`: keep the steps before it, and say how many to draw again."""
    index = min(max(int(index), 0), len(state.steps))
    removed = len(state.steps) - index
    return replace(state, steps=state.steps[:index], rounds=state.rounds + 1), removed


def regenerate_choice(chosen: object, chosen_for: object, steps: int) -> int:
    """Which step "Regenerate from step" offers: the learner's own choice while the steps are the
    ones they chose it for, else the last step (so one click redraws only the newest token and
    never throws away earlier ones, including tokens picked by hand)."""
    if isinstance(chosen, int) and chosen_for == steps and 0 <= chosen < steps:
        return chosen
    return max(steps - 1, 0)


def restart(state: Continuation, start: str) -> Continuation:
    """A new start text: earlier steps belonged to the old text, so they go."""
    return Continuation(start=start, steps=(), rounds=0)


def step_seed(seed: int, position: int, rounds: int) -> int:
    """The random seed for one draw: the same seed, position and round always give the same token."""
    return (int(seed) * 1_000_003 + rounds * 10_007 + position) % (2**63)


def can_finish(shaped: Reshaped, candidate: Candidate, finishable: bool) -> bool:
    """Whether `candidate` may be chosen: a readable token always; a piece of a character only when
    it is the model's favourite and the page can let the model finish the character (`finishable`).

    Why only the favourite: the lab asks the model about text, and a half character is not text.
    The model's own greedy continuation of the text starts with its favourite and finishes that
    character, so the favourite piece can become whole text; any other piece cannot.
    """
    if is_readable(candidate.token):
        return True
    return finishable and bool(shaped.candidates) and candidate is shaped.candidates[0]


def choose(shaped: Reshaped, how: str, *, seed: int | None = None, finishable: bool = False) -> Candidate | None:
    """Pick the next token: greedy takes the favourite, sampled rolls the dice on the kept pool.

    A token that is only part of a character cannot be appended to text by itself. With
    `finishable` the favourite may be such a piece (the caller then lets the model finish the
    character, see finish_character); other pieces are skipped. Returns None when nothing is left.
    """
    from tutor.llm.sampling import sample_index, seeded_generator

    pool = [c for c in shaped.candidates if c.kept and c.prob > 0 and can_finish(shaped, c, finishable)]
    if not pool:
        # Every token left to draw is a piece that cannot be finished (e.g. temperature 0 kept only
        # such a favourite): take the most likely token that can be added. There is nothing to
        # roll the dice on, since top-k, top-p or temperature gave it probability 0.
        addable = [c for c in shaped.candidates if can_finish(shaped, c, finishable)]
        return addable[0] if addable else None
    if how == "greedy":
        # greedy: the highest probability wins, no dice
        return max(pool, key=lambda c: (c.prob, c.raw_prob))
    # sampling: a weighted die, one face per kept token (sample_index renormalises the weights)
    index = sample_index([c.prob for c in pool], seeded_generator(seed))
    return pool[index]


def step_from(candidate: Candidate, how: str, finished: str | None = None) -> Step:
    """Record a chosen candidate as a step; `finished` is the whole character a piece became."""
    if finished is not None and not is_readable(candidate.token):
        return Step(finished, candidate.id, candidate.prob, candidate.raw_prob, how, piece=candidate.token)
    return Step(candidate.token, candidate.id, candidate.prob, candidate.raw_prob, how)


def generate(
    state: Continuation,
    distribution_for: Callable[[str], NextTokenDistribution],
    *,
    how: str,
    count: int,
    temperature: float,
    top_k: int,
    top_p: float,
    seed: int,
    finish_for: Callable[[str], str] | None = None,
) -> Continuation:
    """Run the generation loop `count` times: predict, reshape, choose, append, repeat.

    `finish_for(text)` is the model's greedy continuation of `text` (a few tokens). With it, the
    favourite may be a piece of a character: the loop takes it and lets the model finish the
    character, so greedy really takes the favourite (see can_finish).
    """
    for _ in range(max(0, int(count))):
        # 1. predict: what does the model think comes after the text so far?
        dist = distribution_for(state.text)
        # 2. reshape with the learner's settings
        shaped = reshape(dist, temperature=temperature, top_k=top_k, top_p=top_p)
        # 3. choose (greedy or a seeded draw), 4. append, and go round again
        draw_seed = step_seed(seed, len(state.steps), state.rounds)
        picked = choose(shaped, how, seed=draw_seed, finishable=finish_for is not None)
        finished = None
        if picked is not None and not is_readable(picked.token) and finish_for is not None:
            finished = finish_character(picked.token, finish_for(state.text))
            if finished is None:  # the model did not finish this piece's character: skip pieces
                picked = choose(shaped, how, seed=draw_seed)
        if picked is None:
            break
        state = append_step(state, step_from(picked, how, finished))
    return state


# ---------------------------------------------------------------------------------------------
# The learner's settings, and what each Continue button does
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The learner's sampling settings: the Controls sliders and the seed of the dice."""

    temperature: float = 1.0  # 1 = the model's own probabilities, lower = surer, 0 = always the favourite
    top_k: int = POOL_SIZE  # keep only the k most likely tokens
    top_p: float = 1.0  # keep the fewest most likely tokens that together reach p
    seed: int = 42  # the same seed draws the same tokens


@dataclass(frozen=True)
class Pick:
    """The learner clicked a candidate: append exactly that token, whatever its probability."""

    candidate: Candidate
    finished: str | None = None  # the whole character the candidate makes, when it is a piece of one


@dataclass(frozen=True)
class Generate:
    """Let the loop choose `count` tokens: greedy takes the favourite, sampled rolls the dice."""

    how: Literal["greedy", "sampled"]
    count: int = 1


@dataclass(frozen=True)
class Undo:
    """Remove the last token."""


@dataclass(frozen=True)
class Regenerate:
    """Draw the tokens from step `from_step` on again (None: only the last one), keeping the ones
    before it. Each regenerate is a new round, so the dice fall differently."""

    from_step: int | None = None


@dataclass(frozen=True)
class KeepText:
    """Make the text so far the new start: the added tokens stop being steps."""


Action = Pick | Generate | Undo | Regenerate | KeepText


def apply(
    state: Continuation,
    action: Action,
    *,
    settings: Settings,
    distribution_for: Callable[[str], NextTokenDistribution],
    finish_for: Callable[[str], str] | None = None,
) -> Continuation:
    """The steps after one Continue button: what `action` does to `state`.

    `distribution_for(text)` is the model's raw candidates after `text`; `finish_for(text)` its
    greedy continuation, which lets the loop take a favourite that is only a piece of a character
    (see generate). Only Generate and Regenerate ask the model.
    """
    loop = dict(temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p,
                seed=settings.seed, finish_for=finish_for)
    match action:
        case Pick(candidate, finished):
            return append_step(state, step_from(candidate, "picked", finished))
        case Generate(how, count):
            return generate(state, distribution_for, how=how, count=count, **loop)
        case Undo():
            return undo(state)
        case Regenerate(from_step):
            last = len(state.steps) - 1
            kept, removed = cut_before(state, last if from_step is None else from_step)
            return generate(kept, distribution_for, how="sampled", count=removed, **loop)
        case KeepText():
            return restart(state, state.text)
    raise TypeError(f"not a Continue action: {action!r}")


def draw_once(shaped: Reshaped, *, seed: int, finished: str | None = None) -> tuple[str, float] | None:
    """Controls' "draw a token": roll the weighted dice once with the learner's seed (same seed,
    same token). Returns the token drawn and its probability after reshaping; the favourite piece
    of a character is returned as the character it makes (`finished`). None when nothing is left."""
    picked = choose(shaped, "sampled", seed=step_seed(seed, 0, 0), finishable=finished is not None)
    if picked is None:
        return None
    if not is_readable(picked.token) and finished is not None:
        return finished, picked.prob
    return picked.token, picked.prob


def loop_buttons(state: Continuation) -> list[tuple[str, Action, bool]]:
    """The buttons that let the loop choose, or go back: (name, what it does, whether it is greyed
    out). Undo and "keep the text" have nothing to act on before the first step."""
    nothing_added = not state.steps
    return [
        ("greedy", Generate("greedy"), False),
        ("sample", Generate("sampled"), False),
        ("sample10", Generate("sampled", 10), False),
        ("undo", Undo(), nothing_added),
        ("keep", KeepText(), nothing_added),
    ]
