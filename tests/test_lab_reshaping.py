"""tutor.lab.reshaping: temperature, top-k and top-p as the model's sampler does them, and the chart's bars."""
from __future__ import annotations

import math

import pytest

from tests.lab_distributions import LOGITS, TOKENS, make_distribution, softmax_of
from tutor.lab import generation, reshaping
from tutor.llm.base import NextTokenDistribution, TokenChoice


@pytest.mark.parametrize("temperature", [0.3, 1.0, 1.7])
def test_reshaped_probabilities_equal_softmax_of_logits_over_temperature(temperature):
    shaped = reshaping.reshape(make_distribution(), temperature=temperature, top_k=reshaping.POOL_SIZE, top_p=1.0)
    expected = softmax_of([v / temperature for v in LOGITS])
    assert [c.prob for c in shaped.candidates] == pytest.approx(expected, abs=1e-6)
    assert all(c.kept for c in shaped.candidates)


def test_reshaping_sums_to_one_and_keeps_the_models_order():
    shaped = reshaping.reshape(make_distribution(), temperature=0.8, top_k=4, top_p=0.95)
    probs = [c.prob for c in shaped.candidates]
    assert sum(probs) == pytest.approx(1.0)
    kept = [c.prob for c in shaped.candidates if c.kept]
    assert kept == sorted(kept, reverse=True)
    assert [c.token for c in shaped.candidates] == TOKENS


def test_top_k_keeps_exactly_k_tokens_and_cut_ones_get_zero():
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=2, top_p=1.0)
    assert [c.kept for c in shaped.candidates] == [True, True, False, False, False, False]
    assert all(c.prob == 0 for c in shaped.candidates[2:])
    assert shaped.candidates[0].prob == pytest.approx(math.exp(3) / (math.exp(3) + math.exp(2)))


def test_top_p_keeps_the_smallest_group_reaching_p():
    raw = softmax_of(LOGITS)
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=0.8)
    kept = sum(c.kept for c in shaped.candidates)
    assert sum(raw[: kept - 1]) < 0.8 <= sum(raw[:kept])


@pytest.mark.parametrize(
    "temperature, top_p",
    [(0.0, 1.0), (1e-12, 1.0), (2.0, 0.0), (0.0, 0.0), (float("nan"), float("nan")), (-1.0, 2.0)],
)
def test_slider_ends_and_odd_numbers_give_a_distribution_without_nan(temperature, top_p):
    shaped = reshaping.reshape(make_distribution(), temperature=temperature, top_k=reshaping.POOL_SIZE, top_p=top_p)
    probs = [c.prob for c in shaped.candidates]
    assert all(math.isfinite(p) for p in probs)
    assert sum(probs) == pytest.approx(1.0)
    assert probs[0] > 0, "the favourite is always left"


def test_temperature_zero_and_top_p_zero_leave_only_the_favourite():
    for temperature, top_p in [(0.0, 1.0), (1.0, 0.0)]:
        shaped = reshaping.reshape(make_distribution(), temperature=temperature, top_k=reshaping.POOL_SIZE, top_p=top_p)
        assert [c.kept for c in shaped.candidates] == [True] + [False] * (len(LOGITS) - 1)
        assert shaped.candidates[0].prob == 1.0


def test_a_zero_probability_candidate_does_not_break_reshaping():
    dist = NextTokenDistribution(
        [TokenChoice("a", 1, 0.9, 0.9, True), TokenChoice("b", 2, 0.0, 0.0, True)], 0.0, 0.1, 10, 1
    )
    shaped = reshaping.reshape(dist, temperature=2.0, top_k=reshaping.POOL_SIZE, top_p=1.0)
    assert [c.prob for c in shaped.candidates] == pytest.approx([1.0, 0.0])


def test_an_empty_candidate_list_gives_an_empty_pool():
    shaped = reshaping.reshape(NextTokenDistribution([], 0.0, 1.0, 10, 0), temperature=1.0, top_k=5, top_p=1.0)
    assert shaped.candidates == () and shaped.outside_raw_prob == 1.0
    assert generation.choose(shaped, "greedy") is None


def test_chart_shows_the_top_tokens_and_groups_everything_else():
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=3, top_p=1.0)
    bars = reshaping.chart_bars(shaped, shown=2)
    assert [b.label for b in bars] == ["␣mat", "␣floor", ""]
    assert bars[-1].is_rest
    assert sum(b.raw_prob for b in bars) == pytest.approx(1.0)  # includes what the model did not list
    assert sum(b.prob for b in bars) == pytest.approx(1.0)
    assert bars[-1].kept, "the third kept token is inside 'everything else'"


def test_a_favourite_piece_of_a_syllable_is_charted_with_the_syllable_it_makes():
    dist = NextTokenDistribution([TokenChoice(" <0xEB><0xA8>", 1, 0.4, 0.4, True), TokenChoice("서", 2, 0.1, 0.1, True)],
                                 0.0, 0.5, 10, 2)
    shaped = reshaping.reshape(dist, temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0)
    assert reshaping.chart_bars(shaped, finished=" 먹")[0].label == "␣<0xEB><0xA8> → ␣먹"
    assert reshaping.pieces_shown(shaped) == (1, 0.4)


def test_after_top_k_the_cut_rest_of_the_pool_is_exactly_zero():
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=3, top_p=0.5)
    rest = reshaping.chart_bars(shaped, shown=3)[-1]
    assert rest.is_rest and rest.prob == 0.0 and not rest.kept
