"""The next-token lab against the real packaged model (slow: loads it once for the module)."""
from __future__ import annotations

import pytest

from tutor.lab import context, generation, reshaping, tokens

pytestmark = pytest.mark.real_model

START = "The cat sat on the"


@pytest.fixture
def engine(real_engine):
    return real_engine


def pool(engine, text: str):
    """The lab's raw candidate pool, asked the same way the page asks."""
    return engine.next_token_distribution(text, temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0)


def test_the_cat_sat_on_the_has_mat_among_the_ten_most_likely_tokens(engine):
    shaped = reshaping.reshape(pool(engine, START), temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0)
    top10 = [c.token for c in shaped.candidates[:10]]
    assert " mat" in top10, top10
    assert shaped.vocab_size > 100_000  # "1 of about 151,000 possible tokens" for Qwen


def test_a_greedy_step_appends_the_top_token(engine):
    favourite = reshaping.reshape(pool(engine, START), temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0).candidates[0]
    state = generation.generate(
        generation.Continuation(START),
        lambda text: pool(engine, text),
        how="greedy",
        count=1,
        temperature=0.7,
        top_k=reshaping.POOL_SIZE,
        top_p=0.9,
        seed=0,
    )
    assert [(s.token, s.how) for s in state.steps] == [(favourite.token, "greedy")]
    assert state.text == START + favourite.token


def test_the_labs_reshaping_matches_the_models_own_sampler(engine):
    """Reshaping the pool in the lab gives the same numbers as the engine reshaping all logits."""
    for temperature, top_p in [(0.7, 1.0), (1.3, 0.9)]:
        ours = reshaping.reshape(pool(engine, START), temperature=temperature, top_k=reshaping.POOL_SIZE, top_p=top_p)
        theirs = engine.next_token_distribution(START, temperature=temperature, top_k=reshaping.POOL_SIZE, top_p=top_p)
        by_id = {c.id: c for c in theirs.choices}
        for candidate in ours.candidates[:10]:
            assert candidate.prob == pytest.approx(by_id[candidate.id].prob, abs=2e-3)
            assert candidate.kept == by_id[candidate.id].kept


def test_korean_text_splits_into_readable_pieces_that_count_every_token(engine):
    text = "고양이가 매트 위에 앉았다. 🍕"
    pieces = engine.tokenize(text)
    assert all(tokens.is_readable(p.text) for p in pieces)
    assert "".join(p.text for p in pieces) == text
    assert tokens.token_total(pieces) == engine.count_tokens(text)


def test_a_long_text_is_cut_to_the_lab_context_with_the_real_tokenizer(engine):
    text = "The cat sat on the mat. 고양이가 매트 위에 앉았다. " * 200  # several thousand tokens
    fitted = context.fit_to_context(text, engine.count_tokens, context.LAB_MAX_CONTEXT)
    assert fitted.cut and fitted.tokens_before > context.LAB_MAX_CONTEXT
    assert engine.count_tokens(fitted.text) <= context.LAB_MAX_CONTEXT
    assert text.endswith(fitted.text) and tokens.is_readable(fitted.text)


def test_greedy_takes_the_real_favourite_in_korean_even_when_it_is_a_piece_of_a_syllable(engine):
    """After "오늘 점심으로" the model's favourite is a byte piece of a syllable (measured: ' <0xEB><0xA8>',
    10.7%, the start of 먹); greedy takes it and the model finishes the syllable."""
    text = "오늘 점심으로"
    favourite = reshaping.reshape(pool(engine, text), temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0).candidates[0]
    state = generation.generate(
        generation.Continuation(text),
        lambda t: pool(engine, t),
        how="greedy",
        count=1,
        temperature=0.7,
        top_k=reshaping.POOL_SIZE,
        top_p=0.9,
        seed=0,
        finish_for=lambda t: "".join(engine.stream_completion(t, max_new_tokens=4, temperature=0.0)),
    )
    step = state.steps[0]
    assert step.id == favourite.id and step.raw_prob == favourite.raw_prob  # the real favourite, not the best whole token
    if not tokens.is_readable(favourite.token):
        assert step.piece == favourite.token
        assert tokens.is_readable(step.token) and step.token.encode().startswith(tokens.piece_bytes(favourite.token))
