"""The next-token lab page through the real router, with the fake model, in both languages."""
from __future__ import annotations

import pytest

from tutor.i18n import LANGUAGES, t, t_list
from tutor.lab import context, generation, reshaping, tokenizer, tokens
from tutor.lessons import course
from tutor.llm.base import EngineError

PAGE = "pages/next_token_lab.py"
SECTIONS = ("predict", "controls", "continue", "tokens", "pairs", "tokenizer", "chat")


def open_lab(open_page, section: str, lang: str = "en"):
    return open_page(PAGE, lang=lang, query={"tab": section}, timeout=90)


def texts(at) -> str:
    """Everything readable on the page, for 'is this shown' checks."""
    parts = [x.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "code") for x in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def lab_state(at) -> generation.Continuation:
    return at.session_state["lab_state"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_renders_with_its_lesson_link_in_both_languages(open_page, fake_engine, section, lang):
    at = open_lab(open_page, section, lang)
    assert not at.exception, at.exception
    assert at.title[0].value == t("lab.title", lang)
    links = [link.label for link in at.page_link]
    assert t(f"lab.lesson.{section}", lang) in links
    assert t(f"lab.{section}.howto", lang) in texts(at)


def test_predict_draws_the_bar_chart_and_the_vocabulary_size(open_page, fake_engine):
    at = open_lab(open_page, "predict")
    assert not at.exception
    shown = texts(at)
    assert f"{fake_engine.vocab_size:,}" in shown
    # The page asked the model once, for the raw pool of candidates of the start text.
    asks = [c for c in fake_engine.calls if c["kind"] == "next"]
    assert asks and asks[-1]["text"] == t_list("lab.examples", "en")[0]
    assert asks[-1]["top_k"] == reshaping.POOL_SIZE and asks[-1]["temperature"] == 1.0


def test_choosing_an_example_replaces_the_text(open_page, fake_engine):
    at = open_lab(open_page, "predict", "ko")
    korean = next(x for x in t_list("lab.examples", "ko") if "고양이" in x)
    at.pills(key="_lab_example_w").set_value(korean).run()
    assert not at.exception
    assert lab_state(at).start == korean
    assert at.text_area(key="_lab_text_w").value == korean


def test_empty_text_shows_what_to_do_and_the_start_of_a_reply(open_page, fake_engine):
    at = open_lab(open_page, "predict")
    at.text_area(key="_lab_text_w").set_value("").run()
    assert not at.exception
    assert t("lab.empty_text", "en") in texts(at)
    # The model was asked about the chat template's start of a reply, not about "".
    last = [c for c in fake_engine.calls if c["kind"] == "next"][-1]
    assert "assistant" in last["text"]


def test_very_long_text_is_cut_to_the_lab_context_with_a_notice(open_page, fake_engine):
    at = open_lab(open_page, "predict")
    long_text = "word " * 5000  # the fake counts 4 characters per token: 6,250 tokens
    at.text_area(key="_lab_text_w").set_value(long_text.strip()).run()
    assert not at.exception
    assert any(f"{context.LAB_MAX_CONTEXT:,}" in w.value for w in at.warning), "a notice about the cut"
    last = [c for c in fake_engine.calls if c["kind"] == "next"][-1]
    assert fake_engine.count_tokens(last["text"]) <= context.LAB_MAX_CONTEXT


def test_emoji_and_control_characters_do_not_break_the_page(open_page, fake_engine):
    at = open_lab(open_page, "tokens")
    at.text_area(key="_lab_text_w").set_value("I love 🍕 and 김치\x00\x07 ok").run()
    assert not at.exception
    assert lab_state(at).start == "I love 🍕 and 김치 ok"


def test_temperature_and_top_p_at_the_slider_ends_give_numbers_not_nan(open_page, fake_engine):
    at = open_lab(open_page, "controls")
    calls_before = len(fake_engine.calls)
    temperature, top_p = at.slider(key="_lab_temperature_w"), at.slider(key="_lab_top_p_w")
    temperature.set_value(0.0).run()
    top_p.set_value(0.0).run()
    assert not at.exception
    at.slider(key="_lab_temperature_w").set_value(2.0).run()
    at.slider(key="_lab_top_k_w").set_value(1).run()
    assert not at.exception
    assert at.session_state["lab_temperature"] == 2.0 and at.session_state["lab_top_k"] == 1
    assert "nan" not in texts(at).lower()
    # Reshaping happens in the lab: moving sliders did not ask the model again for the same text.
    assert len(fake_engine.calls) == calls_before


def test_drawing_with_the_same_seed_gives_the_same_token(open_page, fake_engine):
    at = open_lab(open_page, "controls")
    at.button(key="lab_draw").click().run()
    first = at.session_state["lab_drawn"]
    at.button(key="lab_draw").click().run()
    assert at.session_state["lab_drawn"] == first
    assert any(tokens.visible_token(first[0]) in s.value for s in at.success)


def test_greedy_appends_the_top_token_and_undo_removes_it(open_page, fake_engine):
    at = open_lab(open_page, "continue")
    start = lab_state(at).start
    at.button(key="lab_greedy").click().run()
    assert not at.exception
    state = lab_state(at)
    assert [s.token for s in state.steps] == [" mat"]  # the fake's favourite
    assert state.steps[0].how == "greedy"
    at.button(key="lab_undo").click().run()
    assert lab_state(at).steps == () and lab_state(at).start == start


def test_clicking_a_token_appends_exactly_that_token(open_page, fake_engine):
    at = open_lab(open_page, "continue")
    at.button(key="lab_pick_2").click().run()
    steps = lab_state(at).steps
    assert [(s.token, s.how) for s in steps] == [(" bed", "picked")]


def test_sample_10_adds_ten_tokens_and_shows_them_coloured(open_page, fake_engine):
    at = open_lab(open_page, "continue")
    at.button(key="lab_sample10").click().run()
    assert not at.exception
    steps = lab_state(at).steps
    assert len(steps) == 10 and all(s.how == "sampled" for s in steps)
    assert any("hsl(" in m.value for m in at.markdown)


def test_sampling_is_repeatable_with_the_seed(open_page, fake_engine):
    runs = []
    for _ in range(2):
        at = open_lab(open_page, "continue")
        at.button(key="lab_sample10").click().run()
        runs.append([s.token for s in lab_state(at).steps])
    assert runs[0] == runs[1]


def test_regenerate_from_a_step_keeps_the_steps_before_it(open_page, fake_engine):
    at = open_lab(open_page, "continue")
    at.slider(key="_lab_temperature_w").set_value(2.0).run()  # a hot temperature so draws differ
    at.button(key="lab_sample10").click().run()
    before = lab_state(at).steps
    at.selectbox(key="_lab_regen_w").set_value(4).run()
    at.button(key="lab_regenerate").click().run()
    after = lab_state(at)
    assert not at.exception
    assert after.steps[:4] == before[:4] and len(after.steps) == 10
    assert after.rounds == 1


def test_steps_survive_a_page_switch(open_page, fake_engine):
    at = open_lab(open_page, "continue")
    at.button(key="lab_greedy").click().run()
    at.switch_page("pages/glossary.py").run()
    at.switch_page(PAGE).run()
    assert [s.token for s in lab_state(at).steps] == [" mat"]


def test_editing_the_text_starts_a_new_continuation(open_page, fake_engine):
    at = open_lab(open_page, "continue")
    at.button(key="lab_greedy").click().run()
    at.text_area(key="_lab_text_w").set_value("Once upon a time").run()
    assert lab_state(at) == generation.Continuation(start="Once upon a time")


def test_tokens_lists_pieces_and_compares_korean_with_english(open_page, fake_engine):
    at = open_lab(open_page, "tokens", "ko")
    assert not at.exception
    table = at.table[0].value
    labels = list(table.iloc[:, 0])
    assert t("lab.tokens.english_sample", "ko") in labels and t("lab.tokens.korean_sample", "ko") in labels
    assert at.dataframe, "the piece / id table"


def test_training_pairs_lists_one_example_per_token_after_the_first(open_page, fake_engine):
    at = open_lab(open_page, "pairs")
    at.text_input(key="_lab_pairs_w").set_value("the cat sat down").run()
    table = at.table[0].value
    assert list(table.iloc[:, 1]) == ["cat", "sat", "down"]
    assert t("lab.pairs.count", "en", n=3) in texts(at)


def test_training_pairs_with_an_empty_sentence_says_what_to_do(open_page, fake_engine):
    at = open_lab(open_page, "pairs")
    at.text_input(key="_lab_pairs_w").set_value("   ").run()
    assert not at.exception
    assert t("lab.pairs.empty", "en") in texts(at)
    assert not at.table


def test_build_a_tokenizer_splits_the_sentence_and_compares_with_the_real_model(open_page, fake_engine):
    at = open_lab(open_page, "tokenizer")
    assert not at.exception
    table = at.table[0].value
    assert len(table) == len(tokenizer.VOCAB_LADDER) + 1  # ladder + the real model's tokenizer
    assert fake_engine.name in table.iloc[-1, 0]
    counts = list(table.iloc[: len(tokenizer.VOCAB_LADDER), 1])
    assert counts[0] > counts[-1], "a bigger vocabulary splits the sentence into fewer pieces"


def test_build_a_tokenizer_at_the_largest_size_with_unigram_explains_the_shrink(open_page, fake_engine):
    at = open_lab(open_page, "tokenizer")
    at.radio(key="_lab_tok_type_w").set_value("unigram").run()
    at.slider(key="_lab_tok_size_w").set_value(tokenizer.MAX_VOCAB).run()
    assert not at.exception
    assert at.session_state["lab_tok_size"] == tokenizer.MAX_VOCAB
    built = tokenizer.train_tokenizer(
        tokenizer.course_sentences([x for code in ("en", "ko") for x in course().in_language(code)]),
        tokenizer.MAX_VOCAB,
        "unigram",
    )
    if built.shrunk:
        assert any(f"{built.vocab_size:,}" in w.value for w in at.warning)


def test_build_a_tokenizer_works_without_the_model(open_page, monkeypatch):
    import tutor.ui.model as model_ui

    def broken(name, progress):
        raise EngineError("model_missing", "no model")

    monkeypatch.setattr(model_ui, "_load_engine", broken)
    model_ui.reset_engines()
    try:
        at = open_lab(open_page, "tokenizer")
        assert not at.exception
        assert len(at.table[0].value) == len(tokenizer.VOCAB_LADDER)
        at = open_lab(open_page, "predict")
        assert not at.exception
        assert at.error and t("lab.no_model", "en") in texts(at)
    finally:
        model_ui.reset_engines()


def test_completion_vs_chat_streams_both_and_shows_the_chat_template(open_page, fake_engine):
    at = open_lab(open_page, "chat")
    question = t("lab.chat.default_question", "en")
    assert any("<|im_start|>user" in c.value and question in c.value for c in at.code)
    at.button(key="lab_chat_run").click().run()
    assert not at.exception
    kinds = [c["kind"] for c in fake_engine.calls]
    assert "completion" in kinds and "chat" in kinds
    chat_call = next(c for c in fake_engine.calls if c["kind"] == "chat")
    assert chat_call["messages"] == [{"role": "user", "content": question}]
    results = at.session_state["lab_chat_results"]
    assert results["chat"] == fake_engine.reply and results["question"] == question


def test_completion_vs_chat_with_an_empty_question_asks_for_one(open_page, fake_engine):
    at = open_lab(open_page, "chat", "ko")
    at.text_input(key="_lab_chat_question_w").set_value("").run()
    at.button(key="lab_chat_run").click().run()
    assert not at.exception
    assert t("lab.chat.empty", "ko") in texts(at)
    assert not [c for c in fake_engine.calls if c["kind"] in ("chat", "completion")]


def test_a_model_error_while_generating_is_shown_politely(open_page, fake_engine, monkeypatch):
    def fails(*args, **kwargs):
        raise EngineError("generation_failed", "boom")

    at = open_lab(open_page, "continue")
    monkeypatch.setattr(fake_engine, "next_token_distribution", fails)
    at.text_area(key="_lab_text_w").set_value("A brand new text").run()
    assert not at.exception
    assert at.error
    assert lab_state(at).steps == ()


def test_regenerate_from_step_defaults_to_the_last_step_as_steps_are_added(open_page, fake_engine):
    at = open_lab(open_page, "continue")
    at.button(key="lab_pick_2").click().run()  # a token picked by hand
    at.button(key="lab_sample10").click().run()
    assert at.selectbox(key="_lab_regen_w").value == 10  # the 11th step: only the newest is redrawn
    at.selectbox(key="_lab_regen_w").set_value(4).run()
    assert at.selectbox(key="_lab_regen_w").value == 4  # the learner's own choice stays
    at.button(key="lab_greedy").click().run()
    assert at.selectbox(key="_lab_regen_w").value == 11  # new steps: back to the last one
    at.button(key="lab_regenerate").click().run()
    assert lab_state(at).steps[0].how == "picked"  # one click kept the hand-picked token


# --- a favourite that is only a piece of a Korean syllable (issue 20, item 4) ------------------------

from tests.fakes import FakeEngine  # noqa: E402
from tutor.llm.base import NextTokenDistribution, TokenChoice  # noqa: E402

PIECE = " <0xEB><0xA8>"  # a space and the first two bytes of 먹 (EB A8 B9), as the engine labels them


class PieceFavouriteEngine(FakeEngine):
    """Like the real model after "오늘 점심으로": its favourite is a piece of the syllable 먹."""

    def __init__(self, continuation: str = " 먹고 싶어요"):
        super().__init__(reply=continuation)

    def next_token_distribution(self, text, *, temperature=1.0, top_k=10, top_p=1.0):
        self.calls.append({"kind": "next", "text": text, "temperature": temperature, "top_k": top_k, "top_p": top_p})
        pool = [(PIECE, 0.40), ("서", 0.10), (" <0xEC><0xA0>", 0.08), (" 뭐", 0.05), ("은", 0.04)]
        choices = [TokenChoice(tok, 100 + i, p, p, True) for i, (tok, p) in enumerate(pool)]
        return NextTokenDistribution(choices, 0.0, 0.33, self.vocab_size, len(text.split()))


@pytest.fixture
def piece_engine(monkeypatch):
    import tutor.ui.model as model_ui

    engine = PieceFavouriteEngine()
    monkeypatch.setattr(model_ui, "_load_engine", lambda name, progress: engine)
    model_ui.reset_engines()
    yield engine
    model_ui.reset_engines()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_greedy_takes_the_real_favourite_even_when_it_is_a_piece_of_a_syllable(open_page, piece_engine, lang):
    at = open_lab(open_page, "continue", lang)
    at.button(key="lab_greedy").click().run()
    assert not at.exception
    step = lab_state(at).steps[0]
    assert (step.token, step.piece, step.how, step.raw_prob) == (" 먹", PIECE, "greedy", 0.40)
    assert lab_state(at).text.endswith(" 먹")  # whole text, never half a character
    note = t("lab.continue.finished_note", lang, how=t("lab.continue.how_greedy", lang), piece="␣<0xEB><0xA8>",
             char="␣먹", prob="40.0%")
    assert note in [i.value for i in at.info]
    # the model was asked to finish the character from the same text, greedily
    asks = [c for c in piece_engine.calls if c["kind"] == "completion"]
    assert asks and asks[0]["temperature"] == 0.0


def test_the_favourite_piece_is_a_button_that_names_its_syllable_and_others_stay_disabled(open_page, piece_engine):
    at = open_lab(open_page, "continue", "ko")
    favourite, other = at.button(key="lab_pick_0"), at.button(key="lab_pick_2")
    assert not favourite.disabled and "→ ␣먹" in favourite.label
    assert other.disabled and other.label.startswith(t("lab.continue.unreadable", "ko"))
    favourite.click().run()
    assert [(s.token, s.how) for s in lab_state(at).steps] == [(" 먹", "picked")]


def test_when_the_model_does_not_finish_that_piece_greedy_takes_the_best_whole_token(open_page, piece_engine):
    piece_engine.reply = "다른 말"  # its continuation does not start with the piece's bytes
    at = open_lab(open_page, "continue", "ko")
    at.button(key="lab_greedy").click().run()
    assert [(s.token, s.piece) for s in lab_state(at).steps] == [("서", "")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_predict_chart_explains_raw_byte_pieces_and_names_the_favourites_syllable(open_page, piece_engine, lang):
    at = open_lab(open_page, "predict", lang)
    shown = texts(at)
    assert t("lab.pieces.what", lang, n=2, share="48.0%") in shown
    assert t("lab.pieces.favourite", lang, piece="␣<0xEB><0xA8>", char="␣먹", prob="40.0%") in shown


# --- issue 20, item 10: what a learner trips over in the lab -------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_with_no_text_the_lab_says_it_read_only_the_chat_template_and_shows_it(open_page, fake_engine, lang):
    at = open_lab(open_page, "predict", lang)
    at.text_area(key="_lab_text_w").set_value("").run()
    assert not at.exception
    template = fake_engine.apply_chat_template(context.start_of_message_messages())
    read = fake_engine.next_token_distribution(template, top_k=reshaping.POOL_SIZE).context_tokens
    captions = [c.value for c in at.caption]
    assert t("lab.vocab_line_no_text", lang, vocab=fake_engine.vocab_size, context=read) in captions
    assert t("lab.vocab_line", lang, vocab=fake_engine.vocab_size, context=read) not in captions  # "of your text"
    assert t("lab.template_read", lang) in [e.label for e in at.expander]
    assert template.rstrip() in [c.value.rstrip() for c in at.code]  # st.code drops the last newline


@pytest.mark.parametrize("lang", LANGUAGES)
def test_one_token_left_after_top_k_reads_as_one(open_page, fake_engine, lang):
    at = open_lab(open_page, "controls", lang)
    at.slider(key="_lab_top_k_w").set_value(1).run()
    assert not at.exception
    pool = len(reshaping.reshape(fake_engine.next_token_distribution("x", top_k=reshaping.POOL_SIZE), temperature=1.0,
                           top_k=1, top_p=1.0).candidates)
    line = t("lab.controls.pool_line", lang, kept=1, pool=pool)
    assert line in [c.value for c in at.caption]
    assert " are left" not in line and "1개가" in t("lab.controls.pool_line", "ko", kept=1, pool=pool)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_characters_per_token_are_shown_with_two_decimals(open_page, fake_engine, lang):
    import pyarrow as pa

    at = open_lab(open_page, "tokens", lang)
    assert not at.exception
    table = at.table[0]
    shown = pa.ipc.open_stream(table.proto.arrow_data.styler.display_values).read_all().to_pandas()
    column = t("lab.tokens.per_token", lang)
    expected = [f"{c / n:.2f}" for c, n in zip(table.value[t("lab.tokens.characters", lang)],
                                                table.value[t("lab.tokens.count", lang)], strict=True)]
    assert list(shown[column]) == expected  # e.g. 3.29, not 3.2900


@pytest.mark.parametrize("lang", LANGUAGES)
def test_where_the_tokenizer_ladder_rises_the_page_says_why(open_page, fake_engine, lang):
    """The default sentence ends in 앉았다: at 100 pieces 앉았 is one ⁇, at 300 it is two pieces."""
    at = open_lab(open_page, "tokenizer", lang)
    assert not at.exception
    sentence = t("lab.tokenizer.default", lang)
    text = tokenizer.course_sentences([x for code in ("en", "ko") for x in course().in_language(code)])
    rungs = [(size, tokenizer.train_tokenizer(text, size, "bpe").pieces(sentence)) for size in tokenizer.VOCAB_LADDER]
    rises = tokenizer.ladder_rises(rungs)
    assert rises, "the default sentence shows the rise this note explains"
    table = at.table[0].value
    assert list(table.iloc[: len(tokenizer.VOCAB_LADDER), 1]) == [len(pieces) for _, pieces in rungs]
    captions = [c.value for c in at.caption]
    for rise in rises:
        why = "unknown_runs" if rise.unknown_runs else "retrained"
        runs = ", ".join(f"‘{run}’" for run in rise.unknown_runs)
        assert t(f"lab.tokenizer.rise_{why}.what", lang, smaller=rise.smaller, larger=rise.larger,
                 before=rise.before, after=rise.after, runs=runs) in captions
    # The ⁇ says which characters it stands for, so the table itself shows the run being split.
    assert any(f"{tokenizer.UNKNOWN_PIECE}(" in split for split in table.iloc[:, 2])


@pytest.mark.parametrize("section, widget, kind, value", [
    ("tokenizer", "_lab_tok_sentence_w", "text_input", "하늘이 맑아요"),
    ("pairs", "_lab_pairs_w", "text_input", "the dog ran home"),
    ("controls", "_lab_top_k_w", "slider", 7),
])
def test_what_the_learner_set_in_a_tab_survives_a_page_switch(open_page, fake_engine, section, widget, kind, value):
    at = open_lab(open_page, section)
    getattr(at, kind)(key=widget).set_value(value).run()
    at.switch_page("pages/glossary.py").run()
    at.switch_page(PAGE).run()
    assert getattr(at, kind)(key=widget).value == value
