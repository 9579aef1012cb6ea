"""tutor.lab.generation: choosing (greedy, seeded sampling), the generation loop and the step list."""
from __future__ import annotations

import pytest

from tests.fakes import FakeEngine
from tests.lab_distributions import make_distribution
from tutor.lab import generation, reshaping
from tutor.llm.base import NextTokenDistribution, TokenChoice


def test_greedy_takes_the_most_likely_readable_token():
    shaped = reshaping.reshape(make_distribution(), temperature=1.5, top_k=reshaping.POOL_SIZE, top_p=1.0)
    assert generation.choose(shaped, "greedy").token == " mat"
    # A byte piece (\ufffd) can be the favourite, but it cannot be appended to text: skip it.
    dist = make_distribution(logits=[5.0, 1.0], tokens=["\ufffd", " ok"])
    assert generation.choose(reshaping.reshape(dist, temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0), "greedy").token == " ok"


def test_sampling_with_a_seed_is_repeatable_and_different_seeds_vary():
    shaped = reshaping.reshape(make_distribution(), temperature=2.0, top_k=reshaping.POOL_SIZE, top_p=1.0)
    first = [generation.choose(shaped, "sampled", seed=s).token for s in range(30)]
    again = [generation.choose(shaped, "sampled", seed=s).token for s in range(30)]
    assert first == again
    assert len(set(first)) > 1
    assert "\ufffd" not in first


def test_sampling_only_draws_kept_tokens():
    shaped = reshaping.reshape(make_distribution(), temperature=2.0, top_k=2, top_p=1.0)
    drawn = {generation.choose(shaped, "sampled", seed=s).token for s in range(50)}
    assert drawn <= {" mat", " floor"}


def test_sampling_follows_the_probabilities():
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=2, top_p=1.0)
    draws = [generation.choose(shaped, "sampled", seed=s).token for s in range(400)]
    share = draws.count(" mat") / len(draws)
    assert share == pytest.approx(shaped.candidates[0].prob, abs=0.08)


def test_generate_greedy_appends_the_top_token_each_step():
    engine = FakeEngine()
    state = generation.generate(
        generation.Continuation("The cat sat on the"),
        lambda text: engine.next_token_distribution(text, top_k=reshaping.POOL_SIZE),
        how="greedy", count=3, temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0, seed=0,
    )
    assert [s.token for s in state.steps] == [" mat"] * 3
    assert state.text == "The cat sat on the mat mat mat"
    assert [c["text"] for c in engine.calls] == ["The cat sat on the", "The cat sat on the mat", "The cat sat on the mat mat"]


def test_generate_with_the_same_seed_gives_the_same_continuation():
    engine = FakeEngine()

    def run(seed: int, rounds: int = 0) -> list[str]:
        state = generation.generate(
            generation.Continuation("Hi", rounds=rounds),
            lambda text: engine.next_token_distribution(text, top_k=reshaping.POOL_SIZE),
            how="sampled", count=10, temperature=1.5, top_k=reshaping.POOL_SIZE, top_p=1.0, seed=seed,
        )
        return [s.token for s in state.steps]

    assert run(7) == run(7)
    assert run(7) != run(8) or run(7) != run(7, rounds=1)


def test_undo_removes_the_last_step_and_is_safe_when_empty():
    step = generation.Step(" mat", 10, 0.5, 0.4, "greedy")
    state = generation.append_step(generation.append_step(generation.Continuation("A"), step), step)
    assert generation.undo(state).steps == (step,)
    assert generation.undo(generation.undo(generation.undo(state))) == generation.Continuation("A")


def test_regenerate_keeps_earlier_steps_and_counts_what_to_redraw():
    steps = tuple(generation.Step(f" t{i}", i, 0.5, 0.5, "sampled") for i in range(5))
    state = generation.Continuation("A", steps)
    kept, removed = generation.cut_before(state, 2)
    assert kept.steps == steps[:2] and removed == 3 and kept.rounds == 1
    assert generation.cut_before(state, 99)[1] == 0
    assert generation.cut_before(state, -3)[0].steps == ()
    # A new round changes every later draw's seed, so the continuation can differ.
    assert generation.step_seed(42, 2, 0) != generation.step_seed(42, 2, 1)


def test_a_new_start_text_clears_the_steps():
    state = generation.Continuation("A", (generation.Step("b", 1, 1.0, 1.0, "picked"),), rounds=3)
    assert generation.restart(state, "New") == generation.Continuation("New")


def test_regenerate_offers_the_last_step_unless_chosen_for_these_steps():
    assert generation.regenerate_choice(None, None, 5) == 4
    assert generation.regenerate_choice(0, 1, 5) == 4  # chosen when there was one step: the newest now
    assert generation.regenerate_choice(2, 5, 5) == 2  # chosen for these five steps: kept
    assert generation.regenerate_choice(7, 5, 5) == 4  # out of range
    assert generation.regenerate_choice("2", 5, 5) == 4
    assert generation.regenerate_choice(None, None, 0) == 0


# --- what each Continue button does (generation.apply) ---------------------------------------------


def fake_model():
    """The fake engine as apply's two model functions: raw candidates, and its greedy continuation."""
    engine = FakeEngine(reply=" mat and more")
    return engine, dict(
        distribution_for=lambda text: engine.next_token_distribution(text, top_k=reshaping.POOL_SIZE),
        finish_for=lambda text: "".join(engine.stream_completion(text, max_new_tokens=4, temperature=0.0)),
    )


def test_a_pick_appends_exactly_the_clicked_candidate_without_asking_the_model():
    engine, model = fake_model()
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=1, top_p=1.0)
    cut_off = shaped.candidates[2]  # removed by top-k, and still the learner's to click
    state = generation.apply(generation.Continuation("A"), generation.Pick(cut_off), settings=generation.Settings(),
                             **model)
    assert [(s.token, s.id, s.how, s.prob) for s in state.steps] == [(" bed", cut_off.id, "picked", 0.0)]
    assert engine.calls == []


def test_a_picked_favourite_piece_is_added_as_the_character_the_model_made_of_it():
    _, model = fake_model()
    piece = reshaping.Candidate(" <0xEB><0xA8>", 7, 0.4, 0.4, True)
    state = generation.apply(generation.Continuation("A"), generation.Pick(piece, finished=" 먹"),
                             settings=generation.Settings(), **model)
    assert [(s.token, s.piece) for s in state.steps] == [(" 먹", " <0xEB><0xA8>")]


def test_generate_takes_as_many_tokens_as_the_button_says_with_the_learners_settings():
    _, model = fake_model()
    settings = generation.Settings(temperature=1.5, top_k=5, top_p=1.0, seed=3)
    greedy = generation.apply(generation.Continuation("A"), generation.Generate("greedy"), settings=settings, **model)
    assert [(s.token, s.how) for s in greedy.steps] == [(" mat", "greedy")]
    ten = generation.apply(generation.Continuation("A"), generation.Generate("sampled", 10), settings=settings, **model)
    assert len(ten.steps) == 10 and all(s.how == "sampled" for s in ten.steps)
    again = generation.apply(generation.Continuation("A"), generation.Generate("sampled", 10), settings=settings, **model)
    assert again == ten, "the same seed draws the same tokens"
    assert {s.token for s in ten.steps} <= {" mat", " floor", " bed", " sofa", " roof"}, "top-k 5 kept only five"


def test_undo_and_keep_text_change_the_steps_without_asking_the_model():
    engine, model = fake_model()
    step = generation.Step(" mat", 10, 0.5, 0.4, "greedy")
    state = generation.Continuation("The cat", (step, step))
    undone = generation.apply(state, generation.Undo(), settings=generation.Settings(), **model)
    assert undone == generation.Continuation("The cat", (step,))
    kept = generation.apply(state, generation.KeepText(), settings=generation.Settings(), **model)
    assert kept == generation.Continuation("The cat mat mat")
    assert engine.calls == []


def test_regenerate_redraws_only_the_last_step_unless_told_where_to_start():
    _, model = fake_model()
    settings = generation.Settings(temperature=2.0, seed=1)
    state = generation.apply(generation.Continuation("A"), generation.Generate("sampled", 6), settings=settings, **model)
    last = generation.apply(state, generation.Regenerate(), settings=settings, **model)
    assert last.steps[:5] == state.steps[:5] and len(last.steps) == 6 and last.rounds == 1
    from_two = generation.apply(state, generation.Regenerate(2), settings=settings, **model)
    assert from_two.steps[:2] == state.steps[:2] and len(from_two.steps) == 6 and from_two.rounds == 1


def test_a_model_error_during_an_action_reaches_the_caller_and_the_state_is_untouched():
    from tutor.llm.base import EngineError

    def fails(text):
        raise EngineError("generation_failed", "boom")

    state = generation.Continuation("A")
    with pytest.raises(EngineError):
        generation.apply(state, generation.Generate("greedy"), settings=generation.Settings(), distribution_for=fails)
    assert state == generation.Continuation("A")


def test_undo_and_keep_are_greyed_out_until_a_token_is_added():
    def names(state):
        return {name: disabled for name, _, disabled in generation.loop_buttons(state)}

    assert names(generation.Continuation("A")) == {"greedy": False, "sample": False, "sample10": False,
                                                    "undo": True, "keep": True}
    step = generation.Step(" mat", 10, 0.5, 0.4, "greedy")
    assert not any(names(generation.Continuation("A", (step,))).values())
    actions = {name: action for name, action, _ in generation.loop_buttons(generation.Continuation("A"))}
    assert actions["sample10"] == generation.Generate("sampled", 10) and actions["undo"] == generation.Undo()


def test_one_draw_with_the_same_seed_gives_the_same_token_and_its_reshaped_probability():
    shaped = reshaping.reshape(make_distribution(), temperature=2.0, top_k=reshaping.POOL_SIZE, top_p=1.0)
    drawn = generation.draw_once(shaped, seed=5)
    assert drawn == generation.draw_once(shaped, seed=5)
    by_token = {c.token: c.prob for c in shaped.candidates}
    assert drawn[1] == by_token[drawn[0]]
    assert {generation.draw_once(shaped, seed=s)[0] for s in range(30)} > {drawn[0]}, "other seeds vary"


def test_a_drawn_favourite_piece_is_shown_as_the_character_it_makes():
    dist = NextTokenDistribution([TokenChoice(" <0xEB><0xA8>", 1, 0.9, 0.9, True), TokenChoice("서", 2, 0.1, 0.1, True)],
                                 0.0, 0.0, 10, 2)
    shaped = reshaping.reshape(dist, temperature=0.0, top_k=reshaping.POOL_SIZE, top_p=1.0)  # only the piece is left
    assert generation.draw_once(shaped, seed=0, finished=" 먹") == (" 먹", 1.0)
    assert generation.draw_once(shaped, seed=0) == ("서", 0.0), "unfinished, the piece cannot be drawn"


def test_sampling_when_only_a_piece_nobody_can_finish_is_left_takes_the_best_whole_token():
    """Temperature 0 keeps only the favourite; when it is a piece the model does not finish, the
    loop adds the best whole token instead (it used to roll the dice on probability 0 and fail)."""
    dist = NextTokenDistribution([TokenChoice(" <0xEB><0xA8>", 1, 0.9, 0.9, True), TokenChoice("서", 2, 0.1, 0.1, True)],
                                 0.0, 0.0, 10, 2)
    state = generation.generate(generation.Continuation("A"), lambda text: dist, how="sampled", count=1,
                                temperature=0.0, top_k=reshaping.POOL_SIZE, top_p=1.0, seed=0,
                                finish_for=lambda text: "다른 말")
    assert [(s.token, s.how) for s in state.steps] == [("서", "sampled")]
