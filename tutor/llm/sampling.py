"""How a language model picks its next token, step by step.

A model does not output a word. It outputs one score (a *logit*) for every token in its
vocabulary. To turn scores into a choice we:

1. divide the logits by a *temperature* (below 1 = surer, above 1 = more adventurous);
2. optionally keep only the *top k* highest-scoring tokens;
3. turn the scores into probabilities with *softmax* (they become positive and add up to 1);
4. optionally keep only the *top p* most likely tokens — the smallest set whose probabilities
   add up to at least p ("nucleus" sampling);
5. draw one token at random, in proportion to the probabilities that are left.

Temperature 0 means "no randomness": always take the highest-scoring token (greedy).

Every function here is pure: it takes a 1-D tensor (or a plain list of floats) and returns a
new one. The next-token lab imports them to show each step to learners.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

# Below this temperature we treat sampling as greedy: dividing by a tiny number would overflow.
MIN_TEMPERATURE = 1e-4


def as_logits(values: torch.Tensor | Sequence[float]) -> torch.Tensor:
    """A 1-D float32 tensor of scores (bf16 logits are too coarse to show as probabilities)."""
    tensor = torch.as_tensor(values)
    if tensor.dim() != 1:
        raise ValueError(f"expected one score per vocabulary token (a 1-D tensor), got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise ValueError("expected at least one score")
    return tensor.to(torch.float32)


def softmax(logits: torch.Tensor | Sequence[float]) -> torch.Tensor:
    """Turn scores into probabilities: exp(score) / sum of exp(all scores).

    Tokens whose score is -inf (cut off by top-k / top-p) get probability exactly 0.
    """
    logits = as_logits(logits)
    # subtract the largest score first so exp() never overflows; it does not change the result
    shifted = logits - logits.max()
    weights = torch.exp(shifted)  # exp(-inf) = 0, so removed tokens drop out
    return weights / weights.sum()


def apply_temperature(logits: torch.Tensor | Sequence[float], temperature: float) -> torch.Tensor:
    """Divide the scores by the temperature; temperature 0 keeps only the best token (greedy).

    temperature 1.0 = unchanged; lower = the favourite gets even more likely; higher = flatter.
    """
    logits = as_logits(logits)
    if temperature < MIN_TEMPERATURE:
        # greedy: the best token keeps its score, every other token is removed
        greedy = torch.full_like(logits, float("-inf"))
        best = int(torch.argmax(logits))
        greedy[best] = logits[best]
        return greedy
    return logits / temperature


def top_k_mask(logits: torch.Tensor | Sequence[float], k: int) -> torch.Tensor:
    """True for the k highest-scoring tokens (exactly k; ties go to the lower id); k <= 0 keeps all."""
    logits = as_logits(logits)
    if k <= 0 or k >= logits.numel():
        return torch.ones_like(logits, dtype=torch.bool)
    keep = torch.zeros_like(logits, dtype=torch.bool)
    # topk picks exactly k positions even when several scores tie at the cut
    keep[torch.topk(logits, k).indices] = True
    return keep


def top_p_mask(probs: torch.Tensor | Sequence[float], p: float) -> torch.Tensor:
    """True for the smallest set of most likely tokens whose probabilities add up to at least p.

    p >= 1 keeps every token; p <= 0 keeps only the most likely one (there is always one left).
    """
    probs = as_logits(probs)
    if p >= 1.0:
        return torch.ones_like(probs, dtype=torch.bool)
    # sort from most to least likely and add up as we go
    sorted_probs, order = torch.sort(probs, descending=True, stable=True)
    cumulative = torch.cumsum(sorted_probs, dim=0)
    # keep a token if the tokens before it had not yet reached p (so the first token is always kept)
    before = cumulative - sorted_probs
    keep_sorted = before < p
    keep_sorted[0] = True
    keep = torch.zeros_like(probs, dtype=torch.bool)
    keep[order[keep_sorted]] = True
    return keep


def mask_logits(logits: torch.Tensor | Sequence[float], keep: torch.Tensor) -> torch.Tensor:
    """Set the score of every token not kept to -inf, so softmax gives it probability 0."""
    logits = as_logits(logits)
    return logits.masked_fill(~keep, float("-inf"))


def sampling_distribution(
    logits: torch.Tensor | Sequence[float],
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    allowed: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The probabilities we actually sample from, and which tokens are still in the pool.

    `allowed` (True = may be drawn) removes tokens before anything else, as if the model had
    scored them -inf: greedy and top-k then choose among the allowed ones only.
    Returns (probs, keep): probs sums to 1 and is 0 wherever keep is False.
    """
    if allowed is not None:
        logits = mask_logits(logits, allowed)
    # 1. temperature: reshape how sure the model is
    scaled = apply_temperature(logits, temperature)
    # 2. top-k: keep only the k best scores (greedy already left just one)
    keep = top_k_mask(scaled, top_k) & torch.isfinite(scaled)
    # 3. softmax over what is left
    probs = softmax(mask_logits(scaled, keep))
    # 4. top-p: keep the smallest set of likely tokens reaching p, then renormalise
    keep &= top_p_mask(probs, top_p)
    probs = softmax(mask_logits(scaled, keep))
    return probs, keep


def sample_index(probs: torch.Tensor | Sequence[float], generator: torch.Generator | None = None) -> int:
    """Draw one token id at random, in proportion to its probability (same seed = same draw).

    Picture the probabilities laid end to end along a ruler: a token with probability 0.3 owns
    30% of its length. Throw a dart at a random point of the ruler; the token whose stretch it
    lands in is the draw. A removed token (probability 0) owns no length, so it is never hit.
    Weights that do not add up to 1 work the same way: the ruler is just longer or shorter.
    """
    weights = as_logits(probs).to(torch.float64)  # float64: 150,000 small numbers add up exactly enough
    ends = torch.cumsum(weights, dim=0)  # where each token's stretch of the ruler ends
    length = float(ends[-1])
    if not length > 0:
        raise ValueError("there is nothing to draw: every probability is 0")
    dart = float(torch.rand((), dtype=torch.float64, generator=generator)) * length
    # the first stretch that ends beyond the dart
    index = int(torch.searchsorted(ends, torch.tensor([dart], dtype=torch.float64), right=True))
    if index >= len(weights) or weights[index] <= 0:  # the dart rounded onto the ruler's very end
        index = int(torch.nonzero(weights > 0).max())
    return index


def pick_next_token(
    logits: torch.Tensor | Sequence[float],
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    allowed: torch.Tensor | None = None,
) -> int:
    """Choose the next token from the model's scores, like nanoGPT's generate() does each step
    (`allowed`: only these tokens may be chosen, see sampling_distribution)."""
    if allowed is not None:
        logits = mask_logits(logits, allowed)
    if temperature < MIN_TEMPERATURE:
        # greedy: no dice to roll, just the best score
        return int(torch.argmax(as_logits(logits)))
    probs, _ = sampling_distribution(logits, temperature=temperature, top_k=top_k, top_p=top_p)
    return sample_index(probs, generator)


def seeded_generator(seed: int | None) -> torch.Generator | None:
    """A random-number generator with a fixed seed, so a learner can replay the same draw."""
    if seed is None:
        return None
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return generator
