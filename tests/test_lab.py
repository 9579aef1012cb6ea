"""The lab's pure functions: reshaping, choosing, the step list, tokens, training pairs, tokenizers."""
from __future__ import annotations

import math
import re

import pytest

from tests.fakes import FakeEngine
from tutor import lab
from tutor.i18n import t
from tutor.lab_charts import bar_rows, percent, probability_chart
from tutor.lessons import course
from tutor.llm.base import NextTokenDistribution, TokenChoice, TokenPiece

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


# --- reshaping ------------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.3, 1.0, 1.7])
def test_reshaped_probabilities_equal_softmax_of_logits_over_temperature(temperature):
    shaped = lab.reshape(make_distribution(), temperature=temperature, top_k=lab.POOL_SIZE, top_p=1.0)
    expected = softmax_of([v / temperature for v in LOGITS])
    assert [c.prob for c in shaped.candidates] == pytest.approx(expected, abs=1e-6)
    assert all(c.kept for c in shaped.candidates)


def test_reshaping_sums_to_one_and_keeps_the_models_order():
    shaped = lab.reshape(make_distribution(), temperature=0.8, top_k=4, top_p=0.95)
    probs = [c.prob for c in shaped.candidates]
    assert sum(probs) == pytest.approx(1.0)
    kept = [c.prob for c in shaped.candidates if c.kept]
    assert kept == sorted(kept, reverse=True)
    assert [c.token for c in shaped.candidates] == TOKENS


def test_top_k_keeps_exactly_k_tokens_and_cut_ones_get_zero():
    shaped = lab.reshape(make_distribution(), temperature=1.0, top_k=2, top_p=1.0)
    assert [c.kept for c in shaped.candidates] == [True, True, False, False, False, False]
    assert all(c.prob == 0 for c in shaped.candidates[2:])
    assert shaped.candidates[0].prob == pytest.approx(math.exp(3) / (math.exp(3) + math.exp(2)))


def test_top_p_keeps_the_smallest_group_reaching_p():
    raw = softmax_of(LOGITS)
    shaped = lab.reshape(make_distribution(), temperature=1.0, top_k=lab.POOL_SIZE, top_p=0.8)
    kept = sum(c.kept for c in shaped.candidates)
    assert sum(raw[: kept - 1]) < 0.8 <= sum(raw[:kept])


@pytest.mark.parametrize(
    "temperature, top_p",
    [(0.0, 1.0), (1e-12, 1.0), (2.0, 0.0), (0.0, 0.0), (float("nan"), float("nan")), (-1.0, 2.0)],
)
def test_slider_ends_and_odd_numbers_give_a_distribution_without_nan(temperature, top_p):
    shaped = lab.reshape(make_distribution(), temperature=temperature, top_k=lab.POOL_SIZE, top_p=top_p)
    probs = [c.prob for c in shaped.candidates]
    assert all(math.isfinite(p) for p in probs)
    assert sum(probs) == pytest.approx(1.0)
    assert probs[0] > 0, "the favourite is always left"


def test_temperature_zero_and_top_p_zero_leave_only_the_favourite():
    for temperature, top_p in [(0.0, 1.0), (1.0, 0.0)]:
        shaped = lab.reshape(make_distribution(), temperature=temperature, top_k=lab.POOL_SIZE, top_p=top_p)
        assert [c.kept for c in shaped.candidates] == [True] + [False] * (len(LOGITS) - 1)
        assert shaped.candidates[0].prob == 1.0


def test_a_zero_probability_candidate_does_not_break_reshaping():
    dist = NextTokenDistribution(
        [TokenChoice("a", 1, 0.9, 0.9, True), TokenChoice("b", 2, 0.0, 0.0, True)], 0.0, 0.1, 10, 1
    )
    shaped = lab.reshape(dist, temperature=2.0, top_k=lab.POOL_SIZE, top_p=1.0)
    assert [c.prob for c in shaped.candidates] == pytest.approx([1.0, 0.0])


def test_an_empty_candidate_list_gives_an_empty_pool():
    shaped = lab.reshape(NextTokenDistribution([], 0.0, 1.0, 10, 0), temperature=1.0, top_k=5, top_p=1.0)
    assert shaped.candidates == () and shaped.outside_raw_prob == 1.0
    assert lab.choose(shaped, "greedy") is None


# --- chart bars --------------------------------------------------------------------------------


def test_chart_shows_the_top_tokens_and_groups_everything_else():
    shaped = lab.reshape(make_distribution(), temperature=1.0, top_k=3, top_p=1.0)
    bars = lab.chart_bars(shaped, shown=2)
    assert [b.label for b in bars] == ["␣mat", "␣floor", ""]
    assert bars[-1].is_rest
    assert sum(b.raw_prob for b in bars) == pytest.approx(1.0)  # includes what the model did not list
    assert sum(b.prob for b in bars) == pytest.approx(1.0)
    assert bars[-1].kept, "the third kept token is inside 'everything else'"


def test_chart_rows_carry_percentages_and_grey_out_cut_tokens():
    shaped = lab.reshape(make_distribution(), temperature=1.0, top_k=1, top_p=1.0)
    rows = bar_rows(lab.chart_bars(shaped, shown=3), reshaped=True, rest_label="rest", kept_label="k", cut_label="c")
    assert [r["status"] for r in rows] == ["k", "c", "c", "rest"]
    assert rows[0]["percent"] == "100.0%" and rows[1]["percent"] == "0%"
    spec = probability_chart(
        lab.chart_bars(shaped), reshaped=False, title="t", axis_label="p", rest_label="rest", kept_label="k", cut_label="c"
    ).to_dict()
    assert spec["layer"][0]["mark"]["type"] == "bar"


def test_bars_are_drawn_most_likely_first_not_alphabetically():
    shaped = lab.reshape(make_distribution(), temperature=1.0, top_k=3, top_p=1.0)
    bars = lab.chart_bars(shaped, shown=3)
    spec = probability_chart(
        bars, reshaped=False, title="t", axis_label="p", rest_label="rest", kept_label="k", cut_label="c"
    ).to_dict()
    # Vega-Lite drops an explicit sort list when the bar and label layers merge their domains,
    # which drew the bars alphabetically; a field sort with op "min" survives the merge.
    y = spec["encoding"]["y"] if "encoding" in spec else spec["layer"][0]["encoding"]["y"]
    assert y["sort"] == {"field": "order", "op": "min", "order": "ascending"}
    rows = bar_rows(bars, reshaped=False, rest_label="rest", kept_label="k", cut_label="c")
    assert [r["order"] for r in rows] == sorted(r["order"] for r in rows)
    assert [r["prob"] for r in rows[:-1]] == sorted((r["prob"] for r in rows[:-1]), reverse=True)


def test_percent_is_readable_at_both_ends():
    assert percent(0.1234) == "12.3%"
    assert percent(0.00001) == "<0.1%"
    assert percent(0.0) == "0%"


def test_tokens_are_shown_with_their_invisible_parts():
    assert lab.visible_token(" mat") == "␣mat"
    assert lab.visible_token("\n") == "↵"
    assert lab.visible_token("") == "∅"


# --- choosing and the step list ------------------------------------------------------------------


def test_greedy_takes_the_most_likely_readable_token():
    shaped = lab.reshape(make_distribution(), temperature=1.5, top_k=lab.POOL_SIZE, top_p=1.0)
    assert lab.choose(shaped, "greedy").token == " mat"
    # A byte piece (\ufffd) can be the favourite, but it cannot be appended to text: skip it.
    dist = make_distribution(logits=[5.0, 1.0], tokens=["\ufffd", " ok"])
    assert lab.choose(lab.reshape(dist, temperature=1.0, top_k=lab.POOL_SIZE, top_p=1.0), "greedy").token == " ok"


def test_byte_pieces_of_a_character_count_as_unreadable_in_either_spelling():
    assert not lab.is_readable("\ufffd") and not lab.is_readable(" <0xEB><0x8B>")
    assert lab.is_readable(" 고양이") and lab.is_readable("<0x>") and lab.is_readable("🍕")


def test_sampling_with_a_seed_is_repeatable_and_different_seeds_vary():
    shaped = lab.reshape(make_distribution(), temperature=2.0, top_k=lab.POOL_SIZE, top_p=1.0)
    first = [lab.choose(shaped, "sampled", seed=s).token for s in range(30)]
    again = [lab.choose(shaped, "sampled", seed=s).token for s in range(30)]
    assert first == again
    assert len(set(first)) > 1
    assert "\ufffd" not in first


def test_sampling_only_draws_kept_tokens():
    shaped = lab.reshape(make_distribution(), temperature=2.0, top_k=2, top_p=1.0)
    drawn = {lab.choose(shaped, "sampled", seed=s).token for s in range(50)}
    assert drawn <= {" mat", " floor"}


def test_sampling_follows_the_probabilities():
    shaped = lab.reshape(make_distribution(), temperature=1.0, top_k=2, top_p=1.0)
    draws = [lab.choose(shaped, "sampled", seed=s).token for s in range(400)]
    share = draws.count(" mat") / len(draws)
    assert share == pytest.approx(shaped.candidates[0].prob, abs=0.08)


def test_generate_greedy_appends_the_top_token_each_step():
    engine = FakeEngine()
    state = lab.generate(
        lab.Continuation("The cat sat on the"),
        lambda text: engine.next_token_distribution(text, top_k=lab.POOL_SIZE),
        how="greedy", count=3, temperature=1.0, top_k=lab.POOL_SIZE, top_p=1.0, seed=0,
    )
    assert [s.token for s in state.steps] == [" mat"] * 3
    assert state.text == "The cat sat on the mat mat mat"
    assert [c["text"] for c in engine.calls] == ["The cat sat on the", "The cat sat on the mat", "The cat sat on the mat mat"]


def test_generate_with_the_same_seed_gives_the_same_continuation():
    engine = FakeEngine()

    def run(seed: int, rounds: int = 0) -> list[str]:
        state = lab.generate(
            lab.Continuation("Hi", rounds=rounds),
            lambda text: engine.next_token_distribution(text, top_k=lab.POOL_SIZE),
            how="sampled", count=10, temperature=1.5, top_k=lab.POOL_SIZE, top_p=1.0, seed=seed,
        )
        return [s.token for s in state.steps]

    assert run(7) == run(7)
    assert run(7) != run(8) or run(7) != run(7, rounds=1)


def test_undo_removes_the_last_step_and_is_safe_when_empty():
    step = lab.Step(" mat", 10, 0.5, 0.4, "greedy")
    state = lab.append_step(lab.append_step(lab.Continuation("A"), step), step)
    assert lab.undo(state).steps == (step,)
    assert lab.undo(lab.undo(lab.undo(state))) == lab.Continuation("A")


def test_regenerate_keeps_earlier_steps_and_counts_what_to_redraw():
    steps = tuple(lab.Step(f" t{i}", i, 0.5, 0.5, "sampled") for i in range(5))
    state = lab.Continuation("A", steps)
    kept, removed = lab.cut_before(state, 2)
    assert kept.steps == steps[:2] and removed == 3 and kept.rounds == 1
    assert lab.cut_before(state, 99)[1] == 0
    assert lab.cut_before(state, -3)[0].steps == ()
    # A new round changes every later draw's seed, so the continuation can differ.
    assert lab.step_seed(42, 2, 0) != lab.step_seed(42, 2, 1)


def test_a_new_start_text_clears_the_steps():
    state = lab.Continuation("A", (lab.Step("b", 1, 1.0, 1.0, "picked"),), rounds=3)
    assert lab.restart(state, "New") == lab.Continuation("New")


def test_probability_colours_run_from_red_to_green():
    assert lab.probability_colour(0.0) == "hsl(0, 75%, 82%)"
    assert lab.probability_colour(1.0) == "hsl(120, 75%, 82%)"
    assert lab.probability_colour(float("nan")) == "hsl(0, 75%, 82%)"
    assert lab.probability_colour(7) == "hsl(120, 75%, 82%)"


# --- text in ---------------------------------------------------------------------------------


def test_clean_text_drops_control_characters_but_keeps_newlines_emoji_and_korean():
    assert lab.clean_text("a\x00b\x1b\tc\r\nd 🍕 한글") == "ab\tc\nd 🍕 한글"
    assert lab.clean_text(None) == ""
    assert lab.clean_text("bad \ud800 surrogate") == "bad  surrogate"


def test_empty_means_nothing_but_spaces():
    assert lab.is_empty("") and lab.is_empty("  \n ")
    assert not lab.is_empty(" a")


def test_short_text_is_not_cut():
    fitted = lab.fit_to_context("hello there", lambda s: len(s), 100)
    assert fitted == lab.FittedText("hello there", False, 11, 11)


def test_long_text_keeps_the_longest_ending_that_fits():
    count = FakeEngine().count_tokens  # max(1, len // 4)
    text = "".join(f"{i:05d} " for i in range(3000))
    fitted = lab.fit_to_context(text, count, 256)
    assert fitted.cut and text.endswith(fitted.text)
    assert count(fitted.text) <= 256
    assert count(text[-(len(fitted.text) + 1) :]) > 256, "one more character would not fit"
    assert fitted.tokens_before == count(text)


def test_huge_text_is_cut_with_few_tokenizer_calls():
    calls = []

    def count(s: str) -> int:
        calls.append(len(s))
        return len(s) // 3

    fitted = lab.fit_to_context("x" * 2_000_000, count, 100)
    assert fitted.cut and count(fitted.text) <= 100
    assert len(calls) < 40 and max(calls[1:]) <= 100 * 16


# --- tokens and training pairs ----------------------------------------------------------------


def test_a_korean_syllable_split_into_byte_tokens_stays_one_readable_piece():
    pieces = [TokenPiece("고양이", [1, 2]), TokenPiece("가", [3]), TokenPiece("🍕", [4, 5, 6])]
    rows = lab.piece_rows(pieces)
    assert [(r.text, r.token_count) for r in rows] == [("고양이", 2), ("가", 1), ("🍕", 3)]
    assert lab.token_total(pieces) == 6


def test_characters_vs_tokens_counts_each_sample_and_skips_empty_ones():
    engine = FakeEngine()
    rows = lab.chars_vs_tokens({"en": "The cat sat", "ko": "고양이가 앉았다", "empty": "  "}, engine.tokenize)
    assert [(r.label, r.characters, r.tokens) for r in rows] == [("en", 11, 3), ("ko", 8, 2)]
    assert rows[0].characters_per_token == pytest.approx(11 / 3)


def test_a_sentence_of_n_tokens_gives_n_minus_one_training_pairs():
    pieces = [TokenPiece(x, [i]) for i, x in enumerate(["The", " cat", " sat", " down", "."])]
    pairs = lab.training_pairs(pieces)
    assert [(p.context, p.target) for p in pairs] == [
        ("The", " cat"),
        ("The cat", " sat"),
        ("The cat sat", " down"),
        ("The cat sat down", "."),
    ]
    assert lab.training_pairs(pieces[:1]) == [] and lab.training_pairs([]) == []
    assert len(lab.training_pairs(pieces, limit=2)) == 2


# --- build a tokenizer ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def course_text() -> list[str]:
    return lab.course_sentences([x for code in ("en", "ko") for x in course().in_language(code)])


def test_course_text_has_both_languages_and_no_markdown(course_text):
    joined = "\n".join(course_text)
    assert any("\uac00" <= ch <= "\ud7a3" for ch in joined), "Korean lesson text"
    assert "the" in joined.lower()
    assert "**" not in joined and "](" not in joined


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
@pytest.mark.parametrize("size", [500, 2000])
def test_tokenizer_trained_on_the_lessons_has_the_asked_size_and_rebuilds_the_text(course_text, model_type, size):
    import sentencepiece as spm

    built = lab.train_tokenizer(course_text, size, model_type)
    processor = spm.SentencePieceProcessor(model_proto=built.model_proto)
    assert processor.GetPieceSize() == built.vocab_size
    if not built.shrunk:
        assert built.vocab_size == size
    sentence = "The model predicts the next token."
    pieces = built.split(sentence)
    assert "".join(pieces).replace("▁", " ").strip() == sentence


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_a_bigger_vocabulary_splits_a_sentence_into_fewer_pieces(course_text, model_type):
    sentence = "A language model predicts the next token. 언어 모델은 다음 토큰을 예측합니다."
    counts = [len(lab.train_tokenizer(course_text, size, model_type).split(sentence)) for size in (300, 1000, 3000)]
    assert counts[0] > counts[2] and counts == sorted(counts, reverse=True)


def test_a_vocabulary_too_small_for_every_character_keeps_the_common_ones(course_text):
    built = lab.train_tokenizer(course_text, 100, "bpe")
    assert built.vocab_size == 100 and built.left_out_chars > 0
    pieces = built.split("the 고양이 🦄")
    assert lab.UNKNOWN_PIECE in pieces  # the emoji (and rare syllables) have no piece
    assert "t" in "".join(pieces)


def test_a_run_of_characters_the_vocabulary_lacks_is_one_unknown_piece_that_names_them(course_text):
    built = lab.train_tokenizer(course_text, 100, "bpe")
    pieces = built.pieces("the 🦄🐙 cat")
    assert [p.text for p in pieces] == built.split("the 🦄🐙 cat")
    unknown = [p for p in pieces if p.unknown]
    assert [p.surface for p in unknown] == ["🦄🐙"]  # two characters, one piece
    assert unknown[0].shown == "⁇(🦄🐙)" and pieces[0].shown == pieces[0].text


def test_the_ladder_rises_where_a_run_of_unknown_characters_gets_pieces_and_says_which(course_text):
    """The tokenizer ladder's count went up from 100 to 300 (37 -> 38) although the page promises
    fewer pieces: at 100 two neighbouring characters the vocabulary lacks are one ⁇ together; at
    300 one of them has a piece, so they are two. Here the sentence is made of such characters."""
    small, large = (lab.train_tokenizer(course_text, size, "bpe") for size in (100, 300))
    # Characters the small vocabulary left out (they become ⁇) but the larger one kept.
    lacked = [ch for ch in lab._characters_by_frequency(course_text)
              if "가" <= ch <= "힣" and small.split(ch) == ["▁", lab.UNKNOWN_PIECE] and lab.UNKNOWN_PIECE not in large.split(ch)]
    run = "".join(lacked[:2])
    sentence = f"the {run} cat"
    rungs = [(100, small.pieces(sentence)), (300, large.pieces(sentence))]
    assert len(rungs[1][1]) > len(rungs[0][1])  # more pieces with the larger vocabulary
    assert lab.ladder_rises(rungs) == [lab.LadderRise(100, 300, len(rungs[0][1]), len(rungs[1][1]), (run,))]


def _piece(text: str, start: int, end: int, surface: str | None = None) -> lab.SplitPiece:
    return lab.SplitPiece(text, text if surface is None else surface, start, end)


def test_a_ladder_that_falls_has_no_rise_and_a_rise_without_unknown_runs_names_none():
    short = [_piece("▁cat", 0, 4)]
    long = [_piece("▁c", 0, 2), _piece("at", 2, 4)]
    assert lab.ladder_rises([(100, long), (300, short)]) == []
    assert lab.ladder_rises([(100, short), (300, short)]) == []
    # More pieces, but no ⁇ was split: the larger vocabulary only chose other pieces.
    assert lab.ladder_rises([(1000, short), (3000, long)]) == [lab.LadderRise(1000, 3000, 1, 2, ())]
    # A ⁇ of two characters that the larger vocabulary still writes as one ⁇ explains nothing.
    lost = [_piece(lab.UNKNOWN_PIECE, 0, 6, "앉았")]
    assert lab.ladder_rises([(100, lost), (300, lost + [_piece(".", 6, 7)])])[0].unknown_runs == ()


def test_a_vocabulary_larger_than_the_text_allows_is_shrunk_and_says_so():
    few = ["the cat sat on the mat", "a dog lay on the rug", "고양이가 매트 위에 앉았다"] * 3
    built = lab.train_tokenizer(few, 2000, "bpe")
    assert built.shrunk and built.requested_size == 2000 and built.vocab_size < 2000
    assert built.split("the cat") == ["▁the", "▁cat"]


@pytest.mark.parametrize("size", [50, 9000, 1000.5, "2000", None])
def test_a_vocabulary_size_out_of_range_is_refused_clearly(size):
    with pytest.raises(lab.TokenizerTrainingError) as err:
        lab.train_tokenizer(["some text"], size, "bpe")
    assert err.value.code == "bad_size"


def test_no_text_or_an_unknown_method_is_refused_clearly():
    with pytest.raises(lab.TokenizerTrainingError) as err:
        lab.train_tokenizer(["  ", ""], 500, "bpe")
    assert err.value.code == "no_text"
    with pytest.raises(lab.TokenizerTrainingError) as err:
        lab.train_tokenizer(["text"], 500, "wordpiece")
    assert err.value.code == "bad_type"


def test_regenerate_offers_the_last_step_unless_chosen_for_these_steps():
    assert lab.regenerate_choice(None, None, 5) == 4
    assert lab.regenerate_choice(0, 1, 5) == 4  # chosen when there was one step: the newest now
    assert lab.regenerate_choice(2, 5, 5) == 2  # chosen for these five steps: kept
    assert lab.regenerate_choice(7, 5, 5) == 4  # out of range
    assert lab.regenerate_choice("2", 5, 5) == 4
    assert lab.regenerate_choice(None, None, 0) == 0


def test_a_favourite_piece_of_a_syllable_is_charted_with_the_syllable_it_makes():
    dist = NextTokenDistribution([TokenChoice(" <0xEB><0xA8>", 1, 0.4, 0.4, True), TokenChoice("서", 2, 0.1, 0.1, True)],
                                 0.0, 0.5, 10, 2)
    shaped = lab.reshape(dist, temperature=1.0, top_k=lab.POOL_SIZE, top_p=1.0)
    assert lab.chart_bars(shaped, finished=" 먹")[0].label == "␣<0xEB><0xA8> → ␣먹"
    assert lab.pieces_shown(shaped) == (1, 0.4)


def test_finishing_a_piece_keeps_only_the_character_it_starts():
    assert lab.piece_bytes(" <0xEB><0xA8>") == b" \xeb\xa8"
    assert lab.finish_character(" <0xEB><0xA8>", " 먹고 싶어요") == " 먹"
    assert lab.finish_character(" <0xEB>", " 서울") is None  # 서 starts with EC, not EB
    assert lab.finish_character(" <0xEB>", "") is None


def test_after_top_k_the_cut_rest_of_the_pool_is_exactly_zero():
    shaped = lab.reshape(make_distribution(), temperature=1.0, top_k=3, top_p=0.5)
    rest = lab.chart_bars(shaped, shown=3)[-1]
    assert rest.is_rest and rest.prob == 0.0 and not rest.kept


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("tab", sorted(lab.LESSONS))
def test_each_lab_tab_names_its_lesson_by_number_and_title(tab, lang):
    """"9강: 한 번에 한 토큰씩 글 쓰기" linked to a lesson called "토큰을 하나씩 이어 글 쓰기" (issue 16)."""
    lesson_id, _ = lab.LESSONS[tab]
    lesson = course().get(lang, lesson_id)
    label = t(f"lab.lesson.{tab}", lang)
    number, _, title = label.partition(": ")
    assert number == (f"Lesson {lesson.order}" if lang == "en" else f"{lesson.order}강")
    sections = [s.title.lower() for s in lesson.sections]
    if tab == "controls":  # "temperature, top-k and top-p": each named in a section title
        parts = re.split(r", | and ", title.lower())
        assert all(any(part in s for s in sections) for part in parts), label
    else:
        # A label is UI text (합니다체), so a title's 해요체 ending is left off: "…다음 토큰 예측".
        names = [lesson.title.lower(), *sections]
        assert title.lower() in names + [re.sub(r"(이에요|예요)$", "", n) for n in names], label


def test_the_continued_text_escapes_the_start_and_every_token_and_keeps_line_breaks():
    from tutor.lab_charts import continuation_html

    state = lab.Continuation(start="<b>Hi</b>\n", steps=(
        lab.Step(token="<script>", id=1, prob=0.5, raw_prob=0.5, how="greedy"),
        lab.Step(token=' "x"', id=2, prob=0.1, raw_prob=0.1, how="picked", piece=" <0xEB>"),
    ))
    out = continuation_html(state, "ko")
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;Hi&lt;/b&gt;<br>" in out
    assert out.count("<span") == 2 and "&quot;x&quot;" in out
    assert t("lab.continue.how_greedy", "ko") in out  # the hover says how each token was chosen


def test_token_chips_escape_each_piece_and_count_byte_tokens():
    from tutor.lab_charts import piece_chips_html

    out = piece_chips_html([lab.PieceRow("<img>", (5,)), lab.PieceRow("먹", (101, 102))])
    assert "<img>" not in out and "&lt;img&gt;" in out
    assert "<sup>×2</sup>" in out and "101 102" in out and out.count("<sup>") == 1


@pytest.mark.parametrize("raw, cleaned", [
    ("Mina\u202egnp.exe", "Minagnp.exe"),       # a right-to-left override the chat strips too
    ("a\x85b\u200fc\ufeff", "abc"),               # a C1 control, a direction mark, a byte-order mark
    ("line\r\nnext\rlast\tx", "line\nnext\nlast\tx"),
    ("👩\u200d💻 codes", "👩\u200d💻 codes"),     # the zero-width joiner of an emoji stays
    ("bad \ud800 surrogate", "bad  surrogate"),   # no tokenizer can encode a lone surrogate
])
def test_the_lab_cleans_text_by_the_chats_rule(raw, cleaned):
    from tutor.chat.answer import clean_message

    assert lab.clean_text(raw) == cleaned
    assert clean_message(raw, 2000).text == cleaned.strip()
