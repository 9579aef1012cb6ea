"""Next-token lab: watch the real model predict, reshape, sample and continue, one token at a time.

Sections are tabs that only run when open (deep link: ?tab=predict|controls|continue|tokens|pairs|
tokenizer|chat). Every interactive panel is a fragment, so a slider reruns only its panel. The
learner's text, steps and settings live in `lab_*` session keys that survive page switches;
widget keys (`_lab_*_w`) are copies refreshed from them on every run. What to compute, what each
button does and which note to show come from tutor.lab; this page draws them.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import closing

import streamlit as st

from tutor.i18n import t, t_list
from tutor.lab import charts, context, generation, notes, reshaping, sections, tables, tokenizer, tokens
from tutor.llm.base import Engine, EngineError
from tutor.ui import lab as lab_ui
from tutor.ui.lang import current_lang
from tutor.ui.model import wait_for_turn
from tutor.ui.state import copy_back, remembered

MAX_TEXT_CHARS = 20_000
CHAT_TOKENS = 40

lang = current_lang()
ss = st.session_state
lab_ui.start_session(lang)


# --- widgets shared by several tabs, and the tabs ---------------------------------------------


def controls_ui() -> generation.Settings:
    """Temperature, top-k, top-p and seed widgets; returns their values."""
    widgets = (
        ("lab_temperature", "temperature", dict(min_value=0.0, max_value=2.0, step=0.05)),
        ("lab_top_k", "top_k", dict(min_value=1, max_value=reshaping.POOL_SIZE, step=1)),
        ("lab_top_p", "top_p", dict(min_value=0.0, max_value=1.0, step=0.05)),
    )
    columns = st.columns(4)
    for column, (key, name, limits) in zip(columns, widgets, strict=False):
        column.slider(t(f"lab.controls.{name}", lang), help=t(f"lab.controls.{name}_help", lang),
                      **limits, **remembered(key))
    columns[3].number_input(t("lab.controls.seed", lang), min_value=0, max_value=999_999, step=1,
                            help=t("lab.controls.seed_help", lang), **remembered("lab_seed"))
    return lab_ui.settings()


def text_box() -> str:
    """The learner's start text, shared by Predict, Controls, Continue and Tokens."""
    st.pills(t("lab.text.examples", lang), t_list("lab.examples", lang), key="_lab_example_w",
             help=t("lab.text.examples_help", lang), on_change=lab_ui.on_example)
    ss["_lab_text_w"] = ss["lab_state"].start
    st.text_area(t("lab.text.label", lang), key="_lab_text_w", height=90, max_chars=MAX_TEXT_CHARS,
                 help=t("lab.text.help", lang), on_change=lambda: lab_ui.set_start(ss["_lab_text_w"]))
    return ss["lab_state"].text


def on_the_text(section: str, panel: Callable[[Engine, str], None]) -> None:
    """A tab on the learner's start text: intro, text box, then its panel once a model is there."""
    lab_ui.section_intro(section, lang)
    text = text_box()
    if (engine := lab_ui.engine_or_stop(lang)) is not None:
        panel(engine, text)


def with_model(section: str, panel: Callable[[Engine], None], *, text_first: bool = False) -> None:
    """A tab whose panel reads what it needs itself (Continue: the steps, under the text box)."""
    lab_ui.section_intro(section, lang)
    if text_first:
        text_box()
    if (engine := lab_ui.engine_or_stop(lang)) is not None:
        panel(engine)


@st.fragment
def predict_panel(engine: Engine, text: str) -> None:
    shaped, finished = lab_ui.candidates(engine, text, generation.Settings(), lang)  # raw: nothing reshaped
    if shaped is None:
        return
    bars = reshaping.chart_bars(shaped, finished=finished)
    lab_ui.chart(bars, reshaped=False, title=t("lab.predict.chart_title", lang), lang=lang)
    lab_ui.show(notes.about_the_pieces(shaped, finished, lang))


@st.fragment
def controls_panel(engine: Engine, text: str) -> None:
    chosen = controls_ui()
    shaped, finished = lab_ui.candidates(engine, text, chosen, lang)
    if shaped is None:
        return
    bars = reshaping.chart_bars(shaped, finished=finished)
    left, right = st.columns(2)
    with left:
        lab_ui.chart(bars, reshaped=False, title=t("lab.controls.raw_title", lang), lang=lang)
    with right:
        lab_ui.chart(bars, reshaped=True, title=t("lab.controls.shaped_title", lang), lang=lang)
    lab_ui.show([notes.pool_line(shaped, lang), *notes.about_the_pieces(shaped, finished, lang)])
    st.button(t("lab.controls.draw", lang), help=t("lab.controls.draw_help", lang), key="lab_draw",
              on_click=lab_ui.draw_one, args=(shaped, finished))
    lab_ui.show(notes.drawn_note(ss["lab_drawn"], lang))


@st.fragment
def continue_panel(engine: Engine) -> None:
    if ss.pop("lab_full_rerun", False):
        st.rerun()
    with st.expander(t("lab.continue.controls", lang), icon=":material/tune:"):
        chosen = controls_ui()
    if error := ss.pop("lab_error", None):
        st.error(error, icon=":material/error:")
    state: generation.Continuation = ss["lab_state"]
    if context.is_empty(state.text):
        st.info(t("lab.empty_text", lang), icon=":material/edit:")
        return
    if (shaped := lab_ui.reshaped_candidates(engine, state.text, chosen, lang)) is None:
        return

    # The text so far, each added token coloured by the probability it had.
    st.markdown(charts.continuation_html(state, lang), unsafe_allow_html=True)
    lab_ui.show(notes.about_the_steps(state, lang))

    # Click a token: the learner chooses, whatever its probability (cut-off ones look fainter).
    finished = lab_ui.finished_or_none(engine, state.text, shaped, lang)
    st.caption(t("lab.continue.pick", lang))
    cells = st.columns(5)
    for i, button in enumerate(notes.pick_buttons(shaped, finished, lang)):
        cells[i % 5].button(button.label, key=f"lab_pick_{i}", disabled=not button.pickable, help=button.help,
                            type="secondary" if button.kept else "tertiary", on_click=lab_ui.act,
                            args=(engine, lang, generation.Pick(button.candidate, button.finished)))
    lab_ui.show(notes.nothing_to_add(shaped, finished, lang))

    # Or let the loop choose: greedy, one draw, ten draws; undo; keep the text.
    # A row that sizes each button to its label and wraps: fixed columns cut long labels off.
    row = st.container(horizontal=True)
    for name, action, disabled in generation.loop_buttons(state):
        row.button(t(f"lab.continue.{name}", lang), key=f"lab_{name}", disabled=disabled,
                   help=t(f"lab.continue.{name}_help", lang), on_click=lab_ui.act, args=(engine, lang, action))
    if state.steps:
        regenerate_ui(engine, state, chosen)


def regenerate_ui(engine: Engine, state: generation.Continuation, chosen: generation.Settings) -> None:
    """Regenerate from a chosen step: sampling takes a different path each time."""
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    lab_ui.offer_regenerate_step(state)  # the last step, unless the learner chose another one for these steps
    left.selectbox(t("lab.continue.regenerate_from", lang), list(range(len(state.steps))), key="_lab_regen_w",
                   format_func=lambda i: t("lab.continue.step_label", lang, n=i + 1,
                                           token=tokens.visible_token(state.steps[i].token)),
                   help=t("lab.continue.regenerate_from_help", lang))
    right.button(t("lab.continue.regenerate", lang), key="lab_regenerate",
                 help=t("lab.continue.regenerate_help", lang),
                 on_click=lambda: lab_ui.act(engine, lang, generation.Regenerate(ss.get("_lab_regen_w"))))
    lab_ui.show(notes.about_regenerating(chosen.temperature, lang))


@st.fragment
def tokens_panel(engine: Engine, text: str) -> None:
    try:
        if not context.is_empty(text):
            pieces_ui(engine, text)
        st.subheader(t("lab.tokens.compare", lang), anchor=False)
        counts = tokens.chars_vs_tokens(tokens.comparison_samples(text, lang), engine.tokenize)
    except EngineError as err:
        lab_ui.report_failure(err, lang)
        return
    st.table(tables.comparison_table(counts, lang))


def pieces_ui(engine: Engine, text: str) -> None:
    """The text (cut to fit) as the model's tokens: chips, then a piece / ids / count table."""
    limit = context.model_limit(engine.context_window)
    fitted = context.fit_to_context(text, engine.count_tokens, limit)
    lab_ui.show(notes.cut_notice(fitted, limit, lang))
    pieces = engine.tokenize(fitted.text)
    rows = tokens.piece_rows(pieces)
    st.subheader(t("lab.tokens.pieces", lang), anchor=False)
    st.caption(t("lab.tokens.summary", lang, chars=len(fitted.text), tokens=tokens.token_total(pieces)))
    st.markdown(charts.piece_chips_html(rows), unsafe_allow_html=True)
    st.caption(t("lab.tokens.byte_note", lang))
    st.dataframe(tables.pieces_table(rows, lang), hide_index=True)


@st.fragment
def pairs_panel(engine: Engine) -> None:
    st.text_input(t("lab.pairs.sentence", lang), max_chars=2000, help=t("lab.pairs.sentence_help", lang),
                  **remembered("lab_pairs_text", "_lab_pairs_w"))
    if (sentence := lab_ui.typed("lab_pairs_text", "lab.pairs.empty", lang)) is None:
        return
    try:
        pieces = engine.tokenize(sentence)
    except EngineError as err:
        lab_ui.report_failure(err, lang)
        return
    pairs = tokens.training_pairs(pieces)
    lab_ui.show(notes.about_the_pairs(tokens.pair_count(pieces), len(pairs), lang))
    st.table(tables.pairs_table(pairs, lang))


def tokenizer_section() -> None:
    lab_ui.section_intro("tokenizer", lang)
    tokenizer_panel()  # needs no model


@st.fragment
def tokenizer_panel() -> None:
    left, middle = st.columns([1, 3])
    model_type = left.radio(t("lab.tokenizer.kind", lang), ("bpe", "unigram"),
                            format_func=lambda kind: t(f"lab.tokenizer.{kind}", lang),
                            help=t("lab.tokenizer.kind_help", lang), **remembered("lab_tok_type"))
    size = middle.slider(t("lab.tokenizer.size", lang), min_value=tokenizer.MIN_VOCAB,
                         max_value=tokenizer.MAX_VOCAB, step=100, help=t("lab.tokenizer.size_help", lang),
                         **remembered("lab_tok_size"))
    st.text_input(t("lab.tokenizer.sentence", lang), max_chars=500, help=t("lab.tokenizer.sentence_help", lang),
                  **remembered("lab_tok_sentence"))
    if (sentence := lab_ui.typed("lab_tok_sentence", "lab.tokenizer.empty", lang)) is None:
        return
    try:
        with st.spinner(t("lab.tokenizer.training", lang)):
            chosen = lab_ui.trained_tokenizer(model_type, int(size))
            ladder = [lab_ui.trained_tokenizer(model_type, s) for s in tokenizer.VOCAB_LADDER]
    except tokenizer.TokenizerTrainingError as err:
        st.error(t("lab.tokenizer.failed", lang, why=str(err)), icon=":material/error:")
        return
    pieces = chosen.pieces(sentence)
    st.write(t("lab.tokenizer.result", lang, size=chosen.vocab_size, n=len(pieces)))
    st.code(tokenizer.visible_pieces([p.shown for p in pieces]), language=None, wrap_lines=True)
    lab_ui.show(notes.about_the_tokenizer(chosen, lang))

    st.subheader(t("lab.tokenizer.ladder", lang), anchor=False)
    rungs = tokenizer.ladder_rungs(ladder, sentence)
    st.table(tables.ladder_table(lab_ui.ladder_rows(rungs, sentence, lang), lang))
    lab_ui.show(notes.about_the_rises(tokenizer.ladder_rises(rungs), lang))


@st.fragment
def chat_panel(engine: Engine) -> None:
    st.text_input(t("lab.chat.question", lang), max_chars=500, help=t("lab.chat.question_help", lang),
                  **remembered("lab_chat_question"))
    question = context.clean_text(ss["lab_chat_question"]).strip()
    st.button(t("lab.chat.run", lang), key="lab_chat_run", help=t("lab.chat.run_help", lang), type="primary",
              on_click=copy_back, args=("lab_chat_pending", "lab_chat_run"))  # its value (True) marks a run to do
    run = ss.pop("lab_chat_pending", False)
    if context.is_empty(question):
        st.info(t("lab.chat.empty", lang), icon=":material/edit:")
        return
    messages = [{"role": "user", "content": question}]
    results: dict = ss["lab_chat_results"]
    left, right = st.columns(2)
    left.subheader(t("lab.chat.completion", lang), anchor=False)
    right.subheader(t("lab.chat.chat", lang), anchor=False)
    try:
        if run:
            # closed however the writing ends: a click mid-answer must let go of the model at once
            completion_stream = engine.stream_completion(question, max_new_tokens=CHAT_TOKENS, temperature=0.0)
            with left, closing(completion_stream) as stream:
                completion = st.write_stream(wait_for_turn(stream, lang))
            chat_stream = engine.stream_chat(messages, max_new_tokens=CHAT_TOKENS, temperature=0.0)
            with right, closing(chat_stream) as stream:
                chat = st.write_stream(wait_for_turn(stream, lang))
            results = ss["lab_chat_results"] = {"question": question, "completion": completion, "chat": chat}
        elif results.get("question") == question:
            left.markdown(f"{question}**{results['completion']}**" if results["completion"] else question)
            right.write(results["chat"])
        else:
            st.caption(t("lab.chat.not_run", lang))
        left.caption(t("lab.chat.completion_input", lang))
        left.code(question, language=None, wrap_lines=True)
        right.caption(t("lab.chat.template", lang), help=t("lab.chat.template_help", lang))
        right.code(engine.apply_chat_template(messages), language=None, wrap_lines=True)
    except EngineError as err:
        lab_ui.report_failure(err, lang)


# --- the page --------------------------------------------------------------------------------

RUNNERS = {
    "predict": lambda: on_the_text("predict", predict_panel),
    "controls": lambda: on_the_text("controls", controls_panel),
    "continue": lambda: with_model("continue", continue_panel, text_first=True),
    "tokens": lambda: on_the_text("tokens", tokens_panel),
    "pairs": lambda: with_model("pairs", pairs_panel),
    "tokenizer": tokenizer_section,
    "chat": lambda: with_model("chat", chat_panel),
}
lab_ui.open_linked_section(st.query_params.get("tab"))  # a link like ?tab=tokens opens that tab
labels = sections.tab_labels(lang)
st.title(t("lab.title", lang))
st.write(t("lab.intro", lang))
ss["_lab_tabs_w"] = labels[ss["lab_section"]]
tabs = st.tabs(list(labels.values()), key="_lab_tabs_w", on_change=lab_ui.on_tab_change, args=(labels,))
for section, tab in zip(sections.SECTIONS, tabs, strict=True):
    if tab.open:  # only the open section runs: the others cost nothing
        with tab:
            RUNNERS[section]()
