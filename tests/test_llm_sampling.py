"""The teaching-grade sampling functions match their definitions, including at the edges."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from tutor.llm import sampling


def random_logits(seed: int, n: int = 50) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=generator) * 3


def test_softmax_matches_torch_and_sums_to_one():
    logits = random_logits(0)
    probs = sampling.softmax(logits)
    assert torch.allclose(probs, torch.softmax(logits, dim=0), atol=1e-7)
    assert math.isclose(float(probs.sum()), 1.0, abs_tol=1e-6)


def test_softmax_of_huge_scores_does_not_overflow_and_gives_removed_tokens_zero():
    probs = sampling.softmax([1000.0, 1001.0, float("-inf")])
    assert not torch.isnan(probs).any()
    assert float(probs[2]) == 0.0
    assert math.isclose(float(probs[1]), 1 / (1 + math.exp(-1)), rel_tol=1e-6)


def test_softmax_accepts_plain_lists_and_rejects_matrices():
    assert sampling.softmax([0.0, 0.0]).tolist() == [0.5, 0.5]
    with pytest.raises(ValueError):
        sampling.softmax(torch.zeros(2, 2))


@pytest.mark.parametrize("temperature", [0.3, 1.0, 2.5])
def test_temperature_divides_logits_before_softmax(temperature):
    logits = random_logits(1)
    probs, keep = sampling.sampling_distribution(logits, temperature=temperature)
    assert keep.all()
    assert torch.allclose(probs, torch.softmax(logits / temperature, dim=0), atol=1e-6)


@pytest.mark.parametrize("temperature", [0.0, 1e-9, 1e-5])
def test_temperature_zero_and_tiny_are_greedy_without_nan(temperature):
    logits = random_logits(2)
    probs, keep = sampling.sampling_distribution(logits, temperature=temperature)
    best = int(torch.argmax(logits))
    assert not torch.isnan(probs).any()
    assert float(probs[best]) == 1.0 and int(keep.sum()) == 1
    assert sampling.pick_next_token(logits, temperature=temperature) == best


def test_very_high_temperature_flattens_towards_uniform():
    probs, _ = sampling.sampling_distribution(random_logits(3), temperature=1e6)
    assert torch.allclose(probs, torch.full_like(probs, 1 / probs.numel()), atol=1e-4)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_top_k_keeps_exactly_k_even_with_ties(k):
    logits = torch.tensor([2.0, 5.0, 5.0, 5.0, 1.0, 5.0, 0.0, 3.0, 3.0, 4.0])
    keep = sampling.top_k_mask(logits, k)
    assert int(keep.sum()) == k
    # nothing dropped scores higher than something kept
    assert logits[~keep].max() <= logits[keep].min()


def test_top_k_of_zero_or_more_than_vocab_keeps_everything():
    logits = random_logits(4, n=8)
    assert sampling.top_k_mask(logits, 0).all()
    assert sampling.top_k_mask(logits, 99).all()


@pytest.mark.parametrize("seed,p", list(itertools.product(range(5), [0.1, 0.5, 0.9, 0.99])))
def test_top_p_keeps_the_smallest_set_reaching_p(seed, p):
    probs = torch.softmax(random_logits(seed, n=12), dim=0)
    keep = sampling.top_p_mask(probs, p)
    kept = probs[keep]
    assert float(kept.sum()) >= p - 1e-6
    # the kept tokens are the most likely ones...
    assert probs[~keep].max() <= kept.min() if (~keep).any() else True
    # ...and dropping the least likely kept token would fall short of p (so the set is smallest)
    assert float(kept.sum() - kept.min()) < p


def test_top_p_edges_keep_one_or_all():
    probs = torch.softmax(random_logits(5), dim=0)
    assert int(sampling.top_p_mask(probs, 0.0).sum()) == 1
    assert sampling.top_p_mask(probs, 1.0).all()


def test_pool_after_top_k_and_top_p_is_renormalised_and_zero_outside():
    logits = random_logits(6)
    probs, keep = sampling.sampling_distribution(logits, temperature=0.8, top_k=10, top_p=0.7)
    assert int(keep.sum()) <= 10
    assert torch.all(probs[~keep] == 0)
    assert math.isclose(float(probs.sum()), 1.0, abs_tol=1e-6)
    expected = torch.softmax((logits / 0.8).masked_fill(~keep, float("-inf")), dim=0)
    assert torch.allclose(probs, expected, atol=1e-6)


def test_seeded_sampling_repeats_and_follows_the_probabilities():
    probs = torch.tensor([0.5, 0.3, 0.2])
    first = [sampling.sample_index(probs, sampling.seeded_generator(7)) for _ in range(3)]
    again = [sampling.sample_index(probs, sampling.seeded_generator(7)) for _ in range(3)]
    assert first == again
    generator = sampling.seeded_generator(11)
    draws = torch.tensor([sampling.sample_index(probs, generator) for _ in range(6000)])
    freq = torch.bincount(draws, minlength=3).float() / len(draws)
    assert torch.allclose(freq, probs, atol=0.03)


def test_sampling_never_picks_a_removed_token():
    logits = random_logits(8)
    _, keep = sampling.sampling_distribution(logits, temperature=1.5, top_k=3)
    generator = sampling.seeded_generator(0)
    picks = {sampling.pick_next_token(logits, temperature=1.5, top_k=3, generator=generator) for _ in range(300)}
    assert picks <= set(torch.nonzero(keep).flatten().tolist())
    assert len(picks) == 3


def test_tokens_not_allowed_are_removed_before_greedy_and_top_k_choose():
    logits = random_logits(9, n=20)
    best = int(torch.argmax(logits))
    allowed = torch.ones(20, dtype=torch.bool)
    allowed[best] = False  # the favourite may not be drawn (a UTF-8 guard refused it, say)
    probs, keep = sampling.sampling_distribution(logits, temperature=0.0, allowed=allowed)
    runner_up = int(torch.argmax(logits.masked_fill(~allowed, float("-inf"))))
    assert keep.tolist() == [i == runner_up for i in range(20)] and float(probs[runner_up]) == 1.0
    assert sampling.pick_next_token(logits, temperature=0.0, allowed=allowed) == runner_up
    # top-k counts the allowed tokens only: still exactly k in the pool, none of them refused
    _, keep = sampling.sampling_distribution(logits, temperature=1.0, top_k=4, allowed=allowed)
    assert int(keep.sum()) == 4 and not keep[best]
    expected = sampling.sampling_distribution(logits.masked_fill(~allowed, float("-inf")), top_k=4, top_p=0.8)
    got = sampling.sampling_distribution(logits, top_k=4, top_p=0.8, allowed=allowed)
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    generator = sampling.seeded_generator(0)
    picks = {sampling.pick_next_token(logits, temperature=2.0, generator=generator, allowed=allowed) for _ in range(300)}
    assert best not in picks and len(picks) > 3
