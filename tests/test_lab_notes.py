"""tutor.lab.notes: which note the lab shows when, and what its token buttons say."""
from __future__ import annotations

import pytest

from tests.lab_distributions import make_distribution
from tutor.i18n import t
from tutor.lab import context, generation, notes, reshaping, tokenizer
from tutor.llm.base import NextTokenDistribution, TokenChoice

WHOLE = context.FittedText("The cat", False, 2, 2)


def keys(shown: list[notes.Note]) -> list[str]:
    return [note.key for note in shown]


def distribution(**changes) -> NextTokenDistribution:
    dist = make_distribution()
    return NextTokenDistribution(**{**dist.__dict__, **changes})


def piece_favourite() -> reshaping.Reshaped:
    dist = NextTokenDistribution([TokenChoice(" <0xEB><0xA8>", 1, 0.4, 0.4, True), TokenChoice("서", 2, 0.1, 0.1, True),
                                  TokenChoice(" <0xEC><0xA0>", 3, 0.08, 0.08, True)], 0.0, 0.42, 10, 2)
    return reshaping.reshape(dist, temperature=1.0, top_k=reshaping.POOL_SIZE, top_p=1.0)


# --- above the chart --------------------------------------------------------------------------


def test_a_plain_text_gets_only_the_vocabulary_line():
    shown = notes.about_the_text("The cat", distribution(), WHOLE, 512, "en")
    assert keys(shown) == ["lab.vocab_line"]
    assert shown[0].text == t("lab.vocab_line", "en", vocab=151_000, context=5) and shown[0].details is None


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("text", ["", "   "])  # only spaces is no text either: no trailing-space note
def test_no_text_says_what_to_do_and_shows_the_chat_template_the_model_read(text, lang):
    fitted = context.FittedText("<|im_start|>user\n<|im_end|>\n", False, 0, 0)
    shown = notes.about_the_text(text, distribution(), fitted, 512, lang)
    assert keys(shown) == ["lab.empty_text", "lab.vocab_line_no_text"]
    assert shown[0].kind == "info" and shown[0].icon == ":material/edit:"
    assert shown[1].details == (t("lab.template_read", lang), fitted.text)


def test_a_cut_text_a_trailing_space_and_capped_alternatives_are_each_said_in_order():
    fitted = context.FittedText("cat ", True, 6250, 512)
    shown = notes.about_the_text("The cat ", distribution(alternatives_capped=3), fitted, 512, "en")
    assert keys(shown) == ["lab.cut_notice", "lab.trailing_space", "lab.vocab_line", "lab.capped_alternatives"]
    assert shown[0].kind == "warning" and "6,250" in shown[0].text and "512" in shown[0].text


def test_a_text_the_engine_cut_gets_the_cut_notice_too():
    assert keys(notes.about_the_text("The cat", distribution(truncated=True), WHOLE, 512, "en"))[0] == "lab.cut_notice"
    assert notes.cut_notice(WHOLE, 512, "en") == []


# --- under the chart --------------------------------------------------------------------------


def test_pieces_of_characters_are_explained_and_the_favourite_named_as_its_character():
    shown = notes.about_the_pieces(piece_favourite(), " 먹", "en")
    assert [n.text for n in shown] == [
        t("lab.pieces.what", "en", n=2, share="48.0%"),
        t("lab.pieces.favourite", "en", piece="␣<0xEB><0xA8>", char="␣먹", prob="40.0%"),
    ]
    assert keys(notes.about_the_pieces(piece_favourite(), None, "en")) == ["lab.pieces.what"]
    whole = reshaping.reshape(make_distribution(tokens=[" a", " b", " c", " d", " e", " f"]), temperature=1.0,
                              top_k=5, top_p=1.0)
    assert notes.about_the_pieces(whole, None, "en") == []


def test_the_pool_line_counts_the_tokens_left_to_draw_from():
    shaped = reshaping.reshape(make_distribution(), temperature=1.0, top_k=2, top_p=1.0)
    assert notes.pool_line(shaped, "en").text == t("lab.controls.pool_line", "en", kept=2, pool=6)


def test_a_draw_is_said_once_there_is_one():
    assert notes.drawn_note(None, "en") == []
    (drawn,) = notes.drawn_note((" mat", 0.25), "en")
    assert drawn.kind == "success" and drawn.text == t("lab.controls.drawn", "en", token="␣mat", prob="25.0%")


# --- Continue --------------------------------------------------------------------------------


def test_the_steps_get_a_legend_once_there_are_some_and_a_finished_piece_is_explained():
    assert keys(notes.about_the_steps(generation.Continuation("A"), "en")) == ["lab.continue.nothing_yet"]
    plain = generation.Step(" mat", 1, 0.5, 0.5, "greedy")
    assert keys(notes.about_the_steps(generation.Continuation("A", (plain,)), "ko")) == ["lab.continue.legend"]
    finished = generation.Step(" 먹", 1, 0.4, 0.4, "greedy", piece=" <0xEB><0xA8>")
    shown = notes.about_the_steps(generation.Continuation("A", (finished,)), "ko")
    assert shown[-1].text == t("lab.continue.finished_note", "ko", how=t("lab.continue.how_greedy", "ko"),
                               piece="␣<0xEB><0xA8>", char="␣먹", prob="40.0%")


def test_token_buttons_name_whole_tokens_and_a_finished_favourite_and_grey_out_other_pieces():
    buttons = notes.pick_buttons(piece_favourite(), " 먹", "en")
    assert [b.label for b in buttons] == ["␣<0xEB><0xA8> → ␣먹 · 40.0%", "서 · 10.0%",
                                          f"{t('lab.continue.unreadable', 'en')} · 8.0%"]
    assert [b.pickable for b in buttons] == [True, True, False]
    assert [b.finished for b in buttons] == [" 먹", None, None]
    assert buttons[0].help == t("lab.continue.piece_help", "en", char="␣먹")
    unfinished = notes.pick_buttons(piece_favourite(), None, "en")
    assert [b.pickable for b in unfinished] == [False, True, False]


def test_token_buttons_stop_at_the_charted_candidates_and_cut_ones_are_marked():
    twelve = make_distribution(logits=[-i / 2 for i in range(12)], tokens=[f" w{i}" for i in range(12)])
    shaped = reshaping.reshape(twelve, temperature=1.0, top_k=2, top_p=1.0)
    buttons = notes.pick_buttons(shaped, None, "en")
    assert len(buttons) == reshaping.SHOWN_BARS and [b.kept for b in buttons] == [True, True] + [False] * 8
    assert all(b.pickable for b in buttons), "a cut-off whole token can still be clicked"


def test_nothing_to_add_warns_only_when_no_candidate_is_whole_text():
    only_pieces = reshaping.reshape(
        NextTokenDistribution([TokenChoice("\ufffd", 1, 0.5, 0.5, True)], 0.0, 0.5, 10, 1),
        temperature=1.0, top_k=5, top_p=1.0)
    assert keys(notes.nothing_to_add(only_pieces, None, "en")) == ["lab.continue.no_readable"]
    assert notes.nothing_to_add(piece_favourite(), None, "en") == []


def test_regenerating_at_temperature_zero_says_it_gives_the_same_text():
    assert keys(notes.about_regenerating(0.0, "en")) == ["lab.continue.greedy_at_zero"]
    assert notes.about_regenerating(0.7, "en") == []


# --- Training pairs and Build a tokenizer ------------------------------------------------------


def test_pairs_are_counted_and_a_capped_list_says_so():
    assert keys(notes.about_the_pairs(3, 3, "en")) == ["lab.pairs.count"]
    shown = notes.about_the_pairs(80, 60, "en")
    assert [n.text for n in shown] == [t("lab.pairs.count", "en", n=80), t("lab.pairs.capped", "en", n=60)]


def test_a_shrunk_vocabulary_and_left_out_characters_are_said():
    exact = tokenizer.TrainedTokenizer("bpe", 1000, 1000, b"")
    assert notes.about_the_tokenizer(exact, "en") == []
    both = tokenizer.TrainedTokenizer("unigram", 8000, 5321, b"", left_out_chars=4)
    shown = notes.about_the_tokenizer(both, "en")
    assert keys(shown) == ["lab.tokenizer.shrunk", "lab.tokenizer.left_out"] and shown[0].kind == "warning"
    assert "5,321" in shown[0].text and "8,000" in shown[0].text


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_each_rise_of_the_ladder_says_why(lang):
    rises = [tokenizer.LadderRise(100, 300, 9, 10, ("앉았",)), tokenizer.LadderRise(1000, 3000, 5, 6, ())]
    shown = notes.about_the_rises(rises, lang)
    assert keys(shown) == ["lab.tokenizer.rise_unknown_runs.what", "lab.tokenizer.rise_retrained.what"]
    assert shown[0].text == t("lab.tokenizer.rise_unknown_runs.what", lang, smaller=100, larger=300, before=9, after=10,
                              runs="‘앉았’")
