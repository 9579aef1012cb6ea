"""Predict and Controls: the model's candidates, reshaped by temperature / top-k / top-p.

The model gives a probability to every token of its vocabulary. The lab asks for the POOL_SIZE most
likely ones and reshapes them the way the model's own sampler does (tutor.llm.sampling), so what a
learner sees is what the model would draw from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from tutor.lab.tokens import is_readable, visible_token
from tutor.llm.base import NextTokenDistribution

# How many of the model's most likely tokens the lab asks for and samples among. Like llama.cpp's
# default top-k of 40: the thousands of tokens below these together rarely hold more than a few percent.
POOL_SIZE = 40
# How many bars the charts draw; the rest of the pool is grouped as "everything else".
SHOWN_BARS = 10


@dataclass(frozen=True)
class Candidate:
    """One possible next token, before and after reshaping."""

    token: str
    id: int
    raw_prob: float  # what the model said (softmax of its scores)
    prob: float  # after temperature, top-k and top-p; 0 when cut off
    kept: bool  # still in the pool we sample from


@dataclass(frozen=True)
class Reshaped:
    """The candidate pool after the learner's settings, plus what lies outside it."""

    candidates: tuple[Candidate, ...]  # most likely (raw) first
    outside_raw_prob: float  # raw probability of every token beyond the pool
    vocab_size: int


def reshape(dist: NextTokenDistribution, *, temperature: float, top_k: int, top_p: float) -> Reshaped:
    """Apply temperature, top-k and top-p to the model's most likely tokens.

    The lab works on the pool of listed candidates. Because log(probability) is the model's score
    minus one constant, softmax(log p / T) over the pool is exactly the model's own reshaping,
    restricted to the pool.
    """
    from tutor.llm.sampling import sampling_distribution

    choices = sorted(dist.choices, key=lambda c: c.raw_prob, reverse=True)
    if not choices:
        return Reshaped((), 1.0, dist.vocab_size)
    # 1. back from probabilities to scores: log p (a zero probability would be -inf, so floor it)
    scores = [math.log(max(c.raw_prob, 1e-45)) for c in choices]
    # 2. temperature, top-k and top-p, exactly as the model's sampler does them
    probs, keep = sampling_distribution(
        scores, temperature=_safe_temperature(temperature), top_k=int(top_k), top_p=_safe_top_p(top_p)
    )
    candidates = tuple(
        Candidate(token=c.token, id=c.id, raw_prob=c.raw_prob, prob=float(p), kept=bool(k))
        for c, p, k in zip(choices, probs.tolist(), keep.tolist(), strict=True)
    )
    outside = max(0.0, 1.0 - sum(c.raw_prob for c in choices))
    return Reshaped(candidates, outside, dist.vocab_size)


def _safe_temperature(value: float) -> float:
    """A temperature the sampler can use: NaN or below 0 counts as 0 (greedy)."""
    return 0.0 if not math.isfinite(value) or value < 0 else float(value)


def _safe_top_p(value: float) -> float:
    """A top-p between 0 and 1 (0 keeps only the favourite; NaN keeps everything)."""
    return 1.0 if not math.isfinite(value) else min(max(float(value), 0.0), 1.0)


@dataclass(frozen=True)
class Bar:
    """One bar of the chart: a token, or the "everything else" group."""

    label: str  # the token made visible (spaces as ␣), or "" for the group
    raw_prob: float
    prob: float
    kept: bool
    is_rest: bool = False


def chart_bars(shaped: Reshaped, shown: int = SHOWN_BARS, finished: str | None = None) -> list[Bar]:
    """The top `shown` candidates as bars, and one last bar for everything else.

    `finished`: the whole character the favourite makes when it is only a piece of one (see
    finish_character); its bar then reads '␣<0xEB> → ␣뷁' instead of the bare bytes.
    """
    top = shaped.candidates[:shown]
    bars = [Bar(visible_token(c.token), c.raw_prob, c.prob, c.kept) for c in top]
    if finished and top and not is_readable(top[0].token):
        bars[0] = replace(bars[0], label=f"{visible_token(top[0].token)} → {visible_token(finished)}")
    # Everything else: the rest of the pool plus every token the model did not list.
    rest_raw = max(0.0, 1.0 - sum(b.raw_prob for b in bars))
    # After reshaping only the pool can be drawn: the rest is exactly what the pool holds beyond
    # the bars (0 when top-k or top-p cut it all; "1 - the bars" would leave rounding dust, <0.1%).
    rest = shaped.candidates[shown:]
    rest_prob = math.fsum(c.prob for c in rest if c.kept)
    rest_kept = any(c.kept and c.prob > 0 for c in rest)
    bars.append(Bar("", rest_raw, rest_prob, rest_kept, is_rest=True))
    return bars


def pieces_shown(shaped: Reshaped, shown: int = SHOWN_BARS) -> tuple[int, float]:
    """How many of the charted candidates are pieces of a character, and their raw probability."""
    pieces = [c for c in shaped.candidates[:shown] if not is_readable(c.token)]
    return len(pieces), math.fsum(c.raw_prob for c in pieces)


def is_greedy(temperature: float) -> bool:
    """True when the temperature is so low that sampling always takes the favourite."""
    from tutor.llm.sampling import MIN_TEMPERATURE

    return _safe_temperature(temperature) < MIN_TEMPERATURE

