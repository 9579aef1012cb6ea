"""Small made-up next-token distributions for the lab's unit tests (shared by several test files)."""
from __future__ import annotations

import math

from tutor.llm.base import NextTokenDistribution, TokenChoice

LOGITS = [3.0, 2.0, 1.5, 0.5, 0.0, -1.0]
TOKENS = [" mat", " floor", " bed", " sofa", "\ufffd", " roof"]


def make_distribution(logits=LOGITS, tokens=TOKENS, outside: float = 0.1) -> NextTokenDistribution:
    """A distribution whose listed tokens hold 1 - outside of the probability, like a real model's top-k."""
    z = sum(math.exp(v) for v in logits)
    raw = [(1 - outside) * math.exp(v) / z for v in logits]
    choices = [TokenChoice(tok, 100 + i, r, r, True) for i, (tok, r) in enumerate(zip(tokens, raw, strict=True))]
    return NextTokenDistribution(choices, 0.0, outside, vocab_size=151_000, context_tokens=5)


def softmax_of(scores: list[float]) -> list[float]:
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    return [w / sum(weights) for w in weights]
