"""Next-token lab: watch the real model predict, reshape, sample and continue, one token at a time.

Sections are tabs that only run when open (deep link: ?tab=predict|controls|continue|tokens|pairs|
tokenizer|chat). Every interactive panel is a fragment, so a slider reruns only its panel. The
learner's text, steps and settings live in `lab_*` session keys that survive page switches;
widget keys (`_lab_*_w`) are copies refreshed from them on every run.
"""
from __future__ import annotations

from contextlib import closing, nullcontext

import pandas as pd
import streamlit as st

from tutor import lab
from tutor.i18n import t, t_list
from tutor.lab_charts import continuation_html, percent, piece_chips_html, probability_chart
from tutor.lessons import course
from tutor.llm.base import Engine, EngineError, NextTokenDistribution
from tutor.ui.lang import current_lang
from tutor.ui.model import busy_note, error_text, get_engine, wait_for_turn
from tutor.ui.pages import lesson_link
from tutor.ui.state import copy_back, remembered

SECTIONS = ("predict", "controls", "continue", "tokens", "pairs", "tokenizer", "chat")
SETTINGS = {  # non-widget key -> default
    "lab_temperature": 1.0,
    "lab_top_k": lab.POOL_SIZE,
    "lab_top_p": 1.0,
    "lab_seed": 42,
}
MAX_TEXT_CHARS = 20_000
MEMO_SIZE = 64  # distributions remembered per session (undo and regenerate reuse them)
CHAT_TOKENS = 40

lang = current_lang()
ss = st.session_state
ss.setdefault("lab_state", lab.Continuation(start=t_list("lab.examples", lang)[0]))
ss.setdefault("lab_section", "predict")
ss.setdefault("lab_pairs_text", t("lab.pairs.default", lang))
ss.setdefault("lab_tok_sentence", t("lab.tokenizer.default", lang))
ss.setdefault("lab_tok_size", 1000)
ss.setdefault("lab_tok_type", "bpe")
ss.setdefault("lab_chat_question", t("lab.chat.default_question", lang))
ss.setdefault("lab_chat_results", {})
ss.setdefault("lab_drawn", None)
for key, default in SETTINGS.items():
    ss.setdefault(key, default)


# --- small helpers --------------------------------------------------------------------------


def section_intro(section: str) -> None:
    """What to try and what to notice, plus the lesson that explains it."""
    st.write(t(f"lab.{section}.howto", lang))
    lesson_id, anchor = lab.LESSONS[section]
    lesson_link(lesson_id, lang, label=t(f"lab.lesson.{section}", lang), section=anchor)


def engine_or_stop() -> Engine | None:
    """The shared model, or None after a polite note (get_engine already showed why)."""
    engine = get_engine(lang)
    if engine is None:
        st.info(t("lab.no_model", lang), icon=":material/info:")
    return engine


def model_limit(engine: Engine) -> int:
    return max(1, min(engine.context_window - 1, lab.LAB_MAX_CONTEXT))


def distribution(engine: Engine, text: str) -> tuple[NextTokenDistribution, lab.FittedText]:
    """The model's top candidates after `text` (raw, for the lab to reshape), remembered per text."""
    memo: dict = ss.setdefault("lab_dist_memo", {})
    key = (engine.name, text)
    if key not in memo:
        if lab.is_empty(text):
            # Nothing typed: show the start of a chat reply instead of failing on an empty input.
            context = engine.apply_chat_template(lab.start_of_message_messages())
            fitted = lab.FittedText(context, False, 0, 0)
        else:
            fitted = lab.fit_to_context(text, engine.count_tokens, model_limit(engine))
        note = busy_note(engine, lang)
        with st.spinner(note) if note else nullcontext():
            dist = engine.next_token_distribution(fitted.text, temperature=1.0, top_k=lab.POOL_SIZE, top_p=1.0)
        if len(memo) >= MEMO_SIZE:
            memo.pop(next(iter(memo)))  # forget the oldest
        memo[key] = (dist, fitted)
    return memo[key]


FINISH_TOKENS = 4  # a character is at most 4 bytes, and each piece after the first holds at least one


def finished_favourite(engine: Engine, text: str, shaped: lab.Reshaped) -> str | None:
    """When the favourite is a piece of a character: the whole character the model makes of it.

    Asked of the model itself (its greedy continuation of the same text, which starts with the
    favourite), remembered per text. None when the favourite is a whole token or nothing to ask.
    """
    if not shaped.candidates or lab.is_readable(shaped.candidates[0].token) or lab.is_empty(text):
        return None
    return lab.finish_character(shaped.candidates[0].token, greedy_continuation(engine, text))


def greedy_continuation(engine: Engine, text: str) -> str:
    """The model's next few tokens after `text` at temperature 0 (whole characters only)."""
    memo: dict = ss.setdefault("lab_finish_memo", {})
    key = (engine.name, text)
    if key not in memo:
        fitted = distribution(engine, text)[1]  # the same (possibly cut) text the probabilities came from
        if len(memo) >= MEMO_SIZE:
            memo.pop(next(iter(memo)))
        memo[key] = "".join(engine.stream_completion(fitted.text, max_new_tokens=FINISH_TOKENS, temperature=0.0))
    return memo[key]


def show_pieces_note(shaped: lab.Reshaped, finished: str | None) -> None:
    """Under a chart with pieces of characters ('␣<0xEB>'): what they are and what the favourite became."""
    count, share = lab.pieces_shown(shaped)
    if not count:
        return
    st.caption(t("lab.pieces.what", lang, n=count, share=percent(share)))
    if finished:
        favourite = shaped.candidates[0]
        st.caption(
            t("lab.pieces.favourite", lang, piece=lab.visible_token(favourite.token),
              char=lab.visible_token(finished), prob=percent(favourite.raw_prob))
        )


def show_distribution_notes(engine: Engine, text: str, dist: NextTokenDistribution, fitted: lab.FittedText) -> None:
    """Notices about the input (empty, cut, trailing space) and the vocabulary line."""
    if lab.is_empty(text):
        st.info(t("lab.empty_text", lang), icon=":material/edit:")
    if fitted.cut or dist.truncated:
        st.warning(
            t("lab.cut_notice", lang, before=fitted.tokens_before, limit=model_limit(engine), kept=fitted.tokens_kept),
            icon=":material/content_cut:",
        )
    if text.endswith(" ") and not lab.is_empty(text):
        st.caption(t("lab.trailing_space", lang))
    if lab.is_empty(text):
        # None of what the model read is the learner's: it is the chat template around an empty message.
        st.caption(t("lab.vocab_line_no_text", lang, vocab=dist.vocab_size, context=dist.context_tokens))
        with st.expander(t("lab.template_read", lang)):
            st.code(fitted.text, language=None, wrap_lines=True)
    else:
        st.caption(t("lab.vocab_line", lang, vocab=dist.vocab_size, context=dist.context_tokens))
    if dist.alternatives_capped:
        st.caption(t("lab.capped_alternatives", lang, n=dist.alternatives_capped))


def chart(bars: list[lab.Bar], *, reshaped: bool, title: str) -> None:
    spec = probability_chart(
        bars,
        reshaped=reshaped,
        title=title,
        axis_label=t("lab.axis", lang),
        rest_label=t("lab.rest", lang),
        kept_label=t("lab.kept", lang),
        cut_label=t("lab.cut", lang),
    )
    st.altair_chart(spec, width="stretch")


def settings() -> tuple[float, int, float, int]:
    """The learner's temperature, top-k, top-p and seed."""
    return ss["lab_temperature"], int(ss["lab_top_k"]), ss["lab_top_p"], int(ss["lab_seed"])


def controls_ui() -> tuple[float, int, float, int]:
    """Temperature, top-k, top-p and seed widgets; returns their values."""
    widgets = (
        ("lab_temperature", "temperature", dict(min_value=0.0, max_value=2.0, step=0.05)),
        ("lab_top_k", "top_k", dict(min_value=1, max_value=lab.POOL_SIZE, step=1)),
        ("lab_top_p", "top_p", dict(min_value=0.0, max_value=1.0, step=0.05)),
    )
    columns = st.columns(4)
    for column, (key, name, limits) in zip(columns, widgets, strict=False):
        column.slider(t(f"lab.controls.{name}", lang), help=t(f"lab.controls.{name}_help", lang),
                      **limits, **remembered(key))
    columns[3].number_input(
        t("lab.controls.seed", lang),
        min_value=0,
        max_value=999_999,
        step=1,
        help=t("lab.controls.seed_help", lang),
        **remembered("lab_seed"),
    )
    return settings()


def set_start(text: str) -> None:
    """A new start text (typed or an example): earlier steps belonged to the old text."""
    ss["lab_state"] = lab.restart(ss["lab_state"], lab.clean_text(text))


def on_text_change() -> None:
    set_start(ss["_lab_text_w"])


def on_example() -> None:
    choice = ss.get("_lab_example_w")
    if choice:
        set_start(choice)
        ss["_lab_example_w"] = None  # no pill stays selected: the text box is the truth


def text_box() -> str:
    """The learner's start text, shared by Predict, Controls, Continue and Tokens."""
    st.pills(
        t("lab.text.examples", lang),
        t_list("lab.examples", lang),
        key="_lab_example_w",
        help=t("lab.text.examples_help", lang),
        on_change=on_example,
    )
    ss["_lab_text_w"] = ss["lab_state"].start
    st.text_area(
        t("lab.text.label", lang),
        key="_lab_text_w",
        height=90,
        max_chars=MAX_TEXT_CHARS,
        help=t("lab.text.help", lang),
        on_change=on_text_change,
    )
    return ss["lab_state"].text


def report_failure(err: EngineError) -> None:
    st.error(error_text(err, lang), icon=":material/error:")


# --- sections --------------------------------------------------------------------------------


def predict_section() -> None:
    section_intro("predict")
    text = text_box()
    engine = engine_or_stop()
    if engine is not None:
        predict_panel(engine, text)


@st.fragment
def predict_panel(engine: Engine, text: str) -> None:
    try:
        dist, fitted = distribution(engine, text)
    except EngineError as err:
        report_failure(err)
        return
    show_distribution_notes(engine, text, dist, fitted)
    shaped = lab.reshape(dist, temperature=1.0, top_k=lab.POOL_SIZE, top_p=1.0)
    finished = finished_or_none(engine, text, shaped)
    chart(lab.chart_bars(shaped, finished=finished), reshaped=False, title=t("lab.predict.chart_title", lang))
    show_pieces_note(shaped, finished)


def finished_or_none(engine: Engine, text: str, shaped: lab.Reshaped) -> str | None:
    """finished_favourite, or None (after a polite error) when the model fails."""
    try:
        return finished_favourite(engine, text, shaped)
    except EngineError as err:
        report_failure(err)
        return None


def controls_section() -> None:
    section_intro("controls")
    text = text_box()
    engine = engine_or_stop()
    if engine is not None:
        controls_panel(engine, text)


@st.fragment
def controls_panel(engine: Engine, text: str) -> None:
    temperature, top_k, top_p, seed = controls_ui()
    try:
        dist, fitted = distribution(engine, text)
    except EngineError as err:
        report_failure(err)
        return
    show_distribution_notes(engine, text, dist, fitted)
    shaped = lab.reshape(dist, temperature=temperature, top_k=top_k, top_p=top_p)
    finished = finished_or_none(engine, text, shaped)
    bars = lab.chart_bars(shaped, finished=finished)
    left, right = st.columns(2)
    with left:
        chart(bars, reshaped=False, title=t("lab.controls.raw_title", lang))
    with right:
        chart(bars, reshaped=True, title=t("lab.controls.shaped_title", lang))
    kept = sum(c.kept for c in shaped.candidates)
    st.caption(t("lab.controls.pool_line", lang, kept=kept, pool=len(shaped.candidates)))
    show_pieces_note(shaped, finished)
    st.button(
        t("lab.controls.draw", lang),
        help=t("lab.controls.draw_help", lang),
        key="lab_draw",
        on_click=draw_one,
        args=(shaped, finished),
    )
    if ss["lab_drawn"]:
        token, prob = ss["lab_drawn"]
        st.success(t("lab.controls.drawn", lang, token=lab.visible_token(token), prob=percent(prob)))


def draw_one(shaped: lab.Reshaped, finished: str | None) -> None:
    """on_click: roll the weighted dice once with the learner's seed (same seed, same token)."""
    picked = lab.choose(shaped, "sampled", seed=lab.step_seed(settings()[3], 0, 0), finishable=finished is not None)
    if picked is not None and not lab.is_readable(picked.token):
        ss["lab_drawn"] = (finished, picked.prob)  # the favourite piece, shown as the character it makes
    else:
        ss["lab_drawn"] = (picked.token, picked.prob) if picked else None


def continue_section() -> None:
    section_intro("continue")
    text_box()
    engine = engine_or_stop()
    if engine is not None:
        continue_panel(engine)


def distribution_for(engine: Engine):
    """A text -> distribution function for the generation loop."""
    return lambda text: distribution(engine, text)[0]


def change_state(engine: Engine, action: str, *args) -> None:
    """on_click for every Continue button: update the steps before the panel redraws.

    Callbacks keep a click tied to what the learner saw: a token button appends exactly the
    candidate it showed, even though the next run predicts from the new text.
    """
    state: lab.Continuation = ss["lab_state"]
    temperature, top_k, top_p, seed = settings()
    loop = dict(temperature=temperature, top_k=top_k, top_p=top_p, seed=seed)
    # A favourite that is only a piece of a character is taken too; the model finishes the character.
    loop["finish_for"] = lambda text: greedy_continuation(engine, text)
    try:
        if action == "pick":
            candidate, finished = args
            state = lab.append_step(state, lab.step_from(candidate, "picked", finished))
        elif action in ("greedy", "sampled"):
            state = lab.generate(state, distribution_for(engine), how=action, count=args[0], **loop)
        elif action == "undo":
            state = lab.undo(state)
        elif action == "regenerate":
            kept, removed = lab.cut_before(state, ss.get("_lab_regen_w", len(state.steps) - 1))
            state = lab.generate(kept, distribution_for(engine), how="sampled", count=removed, **loop)
        elif action == "keep":
            state = lab.restart(state, state.text)
            ss["lab_full_rerun"] = True  # the text box outside this panel must show the new start
    except EngineError as err:
        ss["lab_error"] = error_text(err, lang)
    ss["lab_state"] = state


@st.fragment
def continue_panel(engine: Engine) -> None:
    if ss.pop("lab_full_rerun", False):
        st.rerun()
    with st.expander(t("lab.continue.controls", lang), icon=":material/tune:"):
        temperature, top_k, top_p, seed = controls_ui()
    if error := ss.pop("lab_error", None):
        st.error(error, icon=":material/error:")
    state: lab.Continuation = ss["lab_state"]
    if lab.is_empty(state.text):
        st.info(t("lab.empty_text", lang), icon=":material/edit:")
        return
    try:
        shaped = lab.reshape(distribution(engine, state.text)[0], temperature=temperature, top_k=top_k, top_p=top_p)
    except EngineError as err:
        report_failure(err)
        return

    # The text so far, each added token coloured by the probability it had.
    st.markdown(continuation_html(state, lang), unsafe_allow_html=True)
    st.caption(t("lab.continue.legend" if state.steps else "lab.continue.nothing_yet", lang))

    # What greedy, a draw or a click did with a piece of a character, said once it happened.
    if state.steps and state.steps[-1].piece:
        last_step = state.steps[-1]
        st.info(
            t("lab.continue.finished_note", lang, how=t(f"lab.continue.how_{last_step.how}", lang),
              piece=lab.visible_token(last_step.piece), char=lab.visible_token(last_step.token),
              prob=percent(last_step.raw_prob)),
            icon=":material/join:",
        )

    # Click a token: the learner chooses, whatever its probability (cut-off ones look fainter).
    finished = finished_or_none(engine, state.text, shaped)
    st.caption(t("lab.continue.pick", lang))
    cells = st.columns(5)
    for i, candidate in enumerate(shaped.candidates[: lab.SHOWN_BARS]):
        readable = lab.is_readable(candidate.token)
        pickable = readable or (i == 0 and finished is not None)
        if readable:
            shown, tip = lab.visible_token(candidate.token), t("lab.continue.pick_help", lang)
        elif pickable:
            shown = f"{lab.visible_token(candidate.token)} → {lab.visible_token(finished)}"
            tip = t("lab.continue.piece_help", lang, char=lab.visible_token(finished))
        else:
            shown, tip = t("lab.continue.unreadable", lang), t("lab.continue.unreadable_help", lang)
        cells[i % 5].button(
            f"{shown} · {percent(candidate.raw_prob)}",
            key=f"lab_pick_{i}",
            disabled=not pickable,
            help=tip,
            type="secondary" if candidate.kept else "tertiary",
            on_click=change_state,
            args=(engine, "pick", candidate, finished if i == 0 else None),
        )
    if lab.choose(shaped, "greedy", finishable=finished is not None) is None:
        st.warning(t("lab.continue.no_readable", lang))

    # Or let the loop choose: greedy, one draw, ten draws; undo; keep the text.
    buttons = (
        ("greedy", ("greedy", 1), False),
        ("sample", ("sampled", 1), False),
        ("sample10", ("sampled", 10), False),
        ("undo", ("undo",), not state.steps),
        ("keep", ("keep",), not state.steps),
    )
    # A row that sizes each button to its label and wraps: fixed columns cut long labels off.
    row = st.container(horizontal=True)
    for name, action, disabled in buttons:
        row.button(
            t(f"lab.continue.{name}", lang),
            key=f"lab_{name}",
            help=t(f"lab.continue.{name}_help", lang),
            disabled=disabled,
            on_click=change_state,
            args=(engine, *action),
        )

    # Regenerate from a chosen step: sampling takes a different path each time.
    if state.steps:
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        # The last step, unless the learner chose another one for these same steps.
        ss["_lab_regen_w"] = lab.regenerate_choice(ss.get("_lab_regen_w"), ss.get("lab_regen_for"), len(state.steps))
        ss["lab_regen_for"] = len(state.steps)
        left.selectbox(
            t("lab.continue.regenerate_from", lang),
            list(range(len(state.steps))),
            format_func=lambda i: t(
                "lab.continue.step_label", lang, n=i + 1, token=lab.visible_token(state.steps[i].token)
            ),
            key="_lab_regen_w",
            help=t("lab.continue.regenerate_from_help", lang),
        )
        right.button(
            t("lab.continue.regenerate", lang),
            key="lab_regenerate",
            help=t("lab.continue.regenerate_help", lang),
            on_click=change_state,
            args=(engine, "regenerate"),
        )
        if lab.is_greedy(temperature):
            st.caption(t("lab.continue.greedy_at_zero", lang))


def tokens_section() -> None:
    section_intro("tokens")
    text = text_box()
    engine = engine_or_stop()
    if engine is not None:
        tokens_panel(engine, text)


@st.fragment
def tokens_panel(engine: Engine, text: str) -> None:
    try:
        if not lab.is_empty(text):
            fitted = lab.fit_to_context(text, engine.count_tokens, model_limit(engine))
            if fitted.cut:
                st.warning(
                    t("lab.cut_notice", lang, before=fitted.tokens_before, limit=model_limit(engine), kept=fitted.tokens_kept),
                    icon=":material/content_cut:",
                )
            pieces = engine.tokenize(fitted.text)
            st.subheader(t("lab.tokens.pieces", lang), anchor=False)
            st.caption(t("lab.tokens.summary", lang, chars=len(fitted.text), tokens=lab.token_total(pieces)))
            st.markdown(piece_chips_html(lab.piece_rows(pieces)), unsafe_allow_html=True)
            st.caption(t("lab.tokens.byte_note", lang))
            rows = lab.piece_rows(pieces)
            st.dataframe(
                pd.DataFrame(
                    {
                        t("lab.tokens.piece", lang): [r.text for r in rows],
                        t("lab.tokens.ids", lang): [", ".join(map(str, r.ids)) for r in rows],
                        t("lab.tokens.count", lang): [r.token_count for r in rows],
                    }
                ),
                hide_index=True,
            )
        st.subheader(t("lab.tokens.compare", lang), anchor=False)
        samples = {
            t("lab.tokens.english_sample", lang): t("lab.tokens.english_text", lang),
            t("lab.tokens.korean_sample", lang): t("lab.tokens.korean_text", lang),
            t("lab.tokens.yours", lang): text[:2000],
        }
        counts = lab.chars_vs_tokens(samples, engine.tokenize)
    except EngineError as err:
        report_failure(err)
        return
    per_token = t("lab.tokens.per_token", lang)
    table = pd.DataFrame(
        {
            t("lab.tokens.label", lang): [row.label for row in counts],
            t("lab.tokens.characters", lang): [row.characters for row in counts],
            t("lab.tokens.count", lang): [row.tokens for row in counts],
            per_token: [row.characters_per_token for row in counts],
        }
    )
    # Two decimals are what the comparison needs; st.table shows a float column with four (3.2900).
    st.table(table.style.format({per_token: "{:.2f}"}))


def pairs_section() -> None:
    section_intro("pairs")
    engine = engine_or_stop()
    if engine is not None:
        pairs_panel(engine)


@st.fragment
def pairs_panel(engine: Engine) -> None:
    st.text_input(t("lab.pairs.sentence", lang), max_chars=2000, help=t("lab.pairs.sentence_help", lang),
                  **remembered("lab_pairs_text", "_lab_pairs_w"))
    sentence = lab.clean_text(ss["lab_pairs_text"])
    if lab.is_empty(sentence):
        st.info(t("lab.pairs.empty", lang), icon=":material/edit:")
        return
    try:
        pieces = engine.tokenize(sentence)
    except EngineError as err:
        report_failure(err)
        return
    pairs = lab.training_pairs(pieces)
    total = max(0, len(pieces) - 1)
    st.caption(t("lab.pairs.count", lang, n=total))
    if total > len(pairs):
        st.caption(t("lab.pairs.capped", lang, n=len(pairs)))
    st.table(
        pd.DataFrame(
            {
                t("lab.pairs.context", lang): [lab.visible_token(p.context) for p in pairs],
                t("lab.pairs.target", lang): [lab.visible_token(p.target) for p in pairs],
            }
        )
    )


@st.cache_data(show_spinner=False, max_entries=40)
def trained_tokenizer(model_type: str, size: int) -> lab.TrainedTokenizer:
    """A sentencepiece model trained on every lesson in both languages (shared by all sessions)."""
    lessons = [lesson for code in ("en", "ko") for lesson in course().in_language(code)]
    return lab.train_tokenizer(lab.course_sentences(lessons), size, model_type)


def tokenizer_section() -> None:
    section_intro("tokenizer")
    tokenizer_panel()


@st.fragment
def tokenizer_panel() -> None:
    left, middle = st.columns([1, 3])
    model_type = left.radio(
        t("lab.tokenizer.kind", lang),
        ("bpe", "unigram"),
        format_func=lambda kind: t(f"lab.tokenizer.{kind}", lang),
        help=t("lab.tokenizer.kind_help", lang),
        **remembered("lab_tok_type"),
    )
    size = middle.slider(
        t("lab.tokenizer.size", lang),
        min_value=lab.MIN_VOCAB,
        max_value=lab.MAX_VOCAB,
        step=100,
        help=t("lab.tokenizer.size_help", lang),
        **remembered("lab_tok_size"),
    )
    st.text_input(t("lab.tokenizer.sentence", lang), max_chars=500, help=t("lab.tokenizer.sentence_help", lang),
                  **remembered("lab_tok_sentence"))
    sentence = lab.clean_text(ss["lab_tok_sentence"])
    if lab.is_empty(sentence):
        st.info(t("lab.tokenizer.empty", lang), icon=":material/edit:")
        return
    try:
        with st.spinner(t("lab.tokenizer.training", lang)):
            chosen = trained_tokenizer(model_type, int(size))
            ladder = [trained_tokenizer(model_type, s) for s in lab.VOCAB_LADDER]
    except lab.TokenizerTrainingError as err:
        st.error(t("lab.tokenizer.failed", lang, why=str(err)), icon=":material/error:")
        return
    pieces = chosen.pieces(sentence)
    st.write(t("lab.tokenizer.result", lang, size=chosen.vocab_size, n=len(pieces)))
    st.code(lab.visible_pieces([p.shown for p in pieces]), language=None, wrap_lines=True)
    if chosen.shrunk:
        st.warning(t("lab.tokenizer.shrunk", lang, asked=chosen.requested_size, actual=chosen.vocab_size))
    if chosen.left_out_chars:
        st.caption(t("lab.tokenizer.left_out", lang, n=chosen.left_out_chars, size=chosen.vocab_size))

    st.subheader(t("lab.tokenizer.ladder", lang), anchor=False)
    labels, counts, splits = [], [], []
    rungs = [(tok.vocab_size, tok.pieces(sentence)) for tok in ladder]
    for size, split in rungs:
        labels.append(f"{size:,}")
        counts.append(len(split))
        splits.append(lab.visible_pieces([p.shown for p in split]))
    engine = get_engine(lang)
    if engine is not None:
        try:
            real = [p.text for p in engine.tokenize(sentence)]
            labels.append(t("lab.tokenizer.real_model", lang, name=engine.name, vocab=engine.vocab_size))
            counts.append(len(real))
            splits.append(lab.visible_pieces([lab.visible_token(p) for p in real]))
        except EngineError as err:
            report_failure(err)
    st.table(
        pd.DataFrame(
            {
                t("lab.tokenizer.ladder_size", lang): labels,
                t("lab.tokenizer.ladder_count", lang): counts,
                t("lab.tokenizer.ladder_split", lang): splits,
            }
        )
    )
    # The text promises fewer pieces as the vocabulary grows; where this sentence goes the other
    # way, say why instead of leaving the table to contradict it.
    for rise in lab.ladder_rises(rungs):
        why = "unknown_runs" if rise.unknown_runs else "retrained"
        runs = ", ".join(f"‘{run}’" for run in rise.unknown_runs)
        st.caption(t(f"lab.tokenizer.rise_{why}.what", lang, smaller=rise.smaller, larger=rise.larger,
                     before=rise.before, after=rise.after, runs=runs))


def chat_section() -> None:
    section_intro("chat")
    engine = engine_or_stop()
    if engine is not None:
        chat_panel(engine)


@st.fragment
def chat_panel(engine: Engine) -> None:
    st.text_input(t("lab.chat.question", lang), max_chars=500, help=t("lab.chat.question_help", lang),
                  **remembered("lab_chat_question"))
    question = lab.clean_text(ss["lab_chat_question"]).strip()
    st.button(
        t("lab.chat.run", lang),
        key="lab_chat_run",
        help=t("lab.chat.run_help", lang),
        type="primary",
        on_click=copy_back,
        args=("lab_chat_pending", "lab_chat_run"),  # the button's value (True) marks a run to do
    )
    run = ss.pop("lab_chat_pending", False)
    if lab.is_empty(question):
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
            with left, closing(engine.stream_completion(question, max_new_tokens=CHAT_TOKENS, temperature=0.0)) as stream:
                completion = st.write_stream(wait_for_turn(stream, lang))
            with right, closing(engine.stream_chat(messages, max_new_tokens=CHAT_TOKENS, temperature=0.0)) as stream:
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
        report_failure(err)


# --- the page --------------------------------------------------------------------------------

RUNNERS = {
    "predict": predict_section,
    "controls": controls_section,
    "continue": continue_section,
    "tokens": tokens_section,
    "pairs": pairs_section,
    "tokenizer": tokenizer_section,
    "chat": chat_section,
}
labels = {section: t(f"lab.sections.{section}", lang) for section in SECTIONS}
by_label = {label: section for section, label in labels.items()}

# A link like ?tab=tokens opens that section.
if st.query_params.get("tab") in SECTIONS:
    ss["lab_section"] = st.query_params["tab"]


def on_tab_change() -> None:
    section = by_label.get(ss.get("_lab_tabs_w"), "predict")
    ss["lab_section"] = section
    st.query_params["tab"] = section


st.title(t("lab.title", lang))
st.write(t("lab.intro", lang))
ss["_lab_tabs_w"] = labels[ss["lab_section"]]
tabs = st.tabs(list(labels.values()), key="_lab_tabs_w", on_change=on_tab_change)
for section, tab in zip(SECTIONS, tabs, strict=True):
    if tab.open:  # only the open section runs: the others cost nothing
        with tab:
            RUNNERS[section]()
