"""The next-token lab's Streamlit side, shared by its tabs: asking the model with a polite error,
drawing notes and charts, the learner's session (what it remembers and the callbacks that change
it) and the trained tokenizers every learner shares.

What these do is decided in tutor/lab/ (plain functions with tests); here it is tied to
st.session_state and drawn. Session keys: see tutor.lab.sections.starting_values.
"""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import streamlit as st

from tutor.i18n import t
from tutor.lab import charts, context, generation, notes, reshaping, sections, tokenizer
from tutor.lab.predictions import Predictions  # (the module's name is this file's function's)
from tutor.lessons import course
from tutor.llm.base import Engine, EngineError
from tutor.ui.model import busy_note, error_text, get_engine
from tutor.ui.pages import lesson_link


def start_session(lang: str) -> None:
    """A learner's first visit: every lab_* key at its starting value (later visits keep theirs)."""
    for key, value in sections.starting_values(lang).items():
        st.session_state.setdefault(key, value)


def open_linked_section(tab: object) -> None:
    """A link like ?tab=tokens opens that tab (a link to no tab leaves the open one)."""
    if linked := sections.section_from_link(tab):
        st.session_state["lab_section"] = linked


def on_tab_change(labels: dict[str, str]) -> None:
    """on_change of the tabs: remember the open one, and name it in the link (?tab=…)."""
    section = sections.section_for_label(st.session_state.get("_lab_tabs_w"), labels)
    st.session_state["lab_section"] = section
    st.query_params["tab"] = section


# --- drawing: a tab's intro, notes, charts, the sentences typed in it ------------------------


def section_intro(section: str, lang: str) -> None:
    """What to try and what to notice in a tab, plus the lesson that explains it."""
    st.write(t(f"lab.{section}.howto", lang))
    lesson_id, anchor = sections.LESSONS[section]
    lesson_link(lesson_id, lang, label=t(f"lab.lesson.{section}", lang), section=anchor)


def show(chosen: list[notes.Note]) -> None:
    """Draw each note as its kind says, in order; a note with details folds them in an expander."""
    for note in chosen:
        if note.kind == "caption":
            st.caption(note.text)
        else:
            draw = {"info": st.info, "warning": st.warning, "success": st.success}[note.kind]
            draw(note.text, icon=note.icon)
        if note.details:
            label, text = note.details
            with st.expander(label):
                st.code(text, language=None, wrap_lines=True)


def chart(bars: list[reshaping.Bar], *, reshaped: bool, title: str, lang: str) -> None:
    """The candidates as bars: the model's own probabilities, or after the learner's reshaping."""
    spec = charts.probability_chart(bars, reshaped=reshaped, title=title, axis_label=t("lab.axis", lang),
                                    rest_label=t("lab.rest", lang), kept_label=t("lab.kept", lang),
                                    cut_label=t("lab.cut", lang))
    st.altair_chart(spec, width="stretch")


def typed(key: str, empty_note: str, lang: str) -> str | None:
    """The sentence the learner typed (kept under `key`), cleaned; None, after saying what to do
    (`empty_note`), when there is nothing in it."""
    text = context.clean_text(st.session_state[key])
    if context.is_empty(text):
        st.info(t(empty_note, lang), icon=":material/edit:")
        return None
    return text


# --- asking the model, with a polite note when it cannot answer --------------------------------


def predictions(engine: Engine, lang: str) -> Predictions:
    """This learner's answers from `engine`, remembered in their session (each learner has their
    own, under lab_dist_memo and lab_finish_memo), with a busy note while the model is shared."""
    ss = st.session_state
    return Predictions(
        engine,
        distributions=ss.setdefault("lab_dist_memo", {}),
        continuations=ss.setdefault("lab_finish_memo", {}),
        waiting=lambda: busy_spinner(engine, lang),
    )


def busy_spinner(engine: Engine, lang: str) -> AbstractContextManager[object]:
    """A spinner saying how long the wait may be while other learners use the model, else nothing."""
    note = busy_note(engine, lang)
    return st.spinner(note) if note else nullcontext()


def engine_or_stop(lang: str) -> Engine | None:
    """The shared model, or None after a polite note (get_engine already showed why)."""
    engine = get_engine(lang)
    if engine is None:
        st.info(t("lab.no_model", lang), icon=":material/info:")
    return engine


def report_failure(err: EngineError, lang: str) -> None:
    """The model's failure, said politely in the learner's language (with what to do)."""
    st.error(error_text(err, lang), icon=":material/error:")


def candidates(
    engine: Engine, text: str, chosen: generation.Settings, lang: str
) -> tuple[reshaping.Reshaped | None, str | None]:
    """The model's candidates after `text` reshaped by `chosen` (after the notes about the text),
    and the character a favourite piece makes; (None, None) after a polite error."""
    try:
        dist, fitted = predictions(engine, lang).distribution(text)
    except EngineError as err:
        report_failure(err, lang)
        return None, None
    show(notes.about_the_text(text, dist, fitted, context.model_limit(engine.context_window), lang))
    shaped = reshaping.reshape(dist, temperature=chosen.temperature, top_k=chosen.top_k, top_p=chosen.top_p)
    return shaped, finished_or_none(engine, text, shaped, lang)


def reshaped_candidates(
    engine: Engine, text: str, chosen: generation.Settings, lang: str
) -> reshaping.Reshaped | None:
    """The model's candidates after `text` reshaped by `chosen`; None after a polite error."""
    try:
        dist = predictions(engine, lang).candidates(text)
    except EngineError as err:
        report_failure(err, lang)
        return None
    return reshaping.reshape(dist, temperature=chosen.temperature, top_k=chosen.top_k, top_p=chosen.top_p)


def finished_or_none(engine: Engine, text: str, shaped: reshaping.Reshaped, lang: str) -> str | None:
    """The character the favourite piece makes, or None (after a polite error when the model fails)."""
    try:
        return predictions(engine, lang).finished_favourite(text, shaped)
    except EngineError as err:
        report_failure(err, lang)
        return None


@st.cache_data(show_spinner=False, max_entries=40)
def trained_tokenizer(model_type: str, size: int) -> tokenizer.TrainedTokenizer:
    """A sentencepiece model trained on every lesson in both languages (shared by all sessions)."""
    lessons = [lesson for code in ("en", "ko") for lesson in course().in_language(code)]
    return tokenizer.train_tokenizer(tokenizer.course_sentences(lessons), size, model_type)


def ladder_rows(rungs: list[tokenizer.Rung], sentence: str, lang: str) -> list[tokenizer.LadderRow]:
    """The ladder table's rows: each trained size, then the real model's own tokenizer when the
    model is there (the tab works without it; a model that fails gets a polite error)."""
    rows = tokenizer.ladder_rows(rungs)
    if (engine := get_engine(lang)) is not None:
        try:
            label = t("lab.tokenizer.real_model", lang, name=engine.name, vocab=engine.vocab_size)
            rows.append(tokenizer.real_model_row(label, engine.tokenize(sentence)))
        except EngineError as err:
            report_failure(err, lang)
    return rows


# --- the learner's settings and steps, and the callbacks that change them ----------------------


def settings() -> generation.Settings:
    """The learner's temperature, top-k, top-p and seed."""
    ss = st.session_state
    return generation.Settings(ss["lab_temperature"], int(ss["lab_top_k"]), ss["lab_top_p"], int(ss["lab_seed"]))


def set_start(text: str) -> None:
    """A new start text (typed or an example): earlier steps belonged to the old text."""
    st.session_state["lab_state"] = generation.restart(st.session_state["lab_state"], context.clean_text(text))


def on_example() -> None:
    """on_change of the example pills: the chosen example becomes the start text."""
    if choice := st.session_state.get("_lab_example_w"):
        set_start(choice)
        st.session_state["_lab_example_w"] = None  # no pill stays selected: the text box is the truth


def act(engine: Engine, lang: str, action: generation.Action) -> None:
    """on_click for every Continue button: update the steps before the panel redraws.

    Callbacks keep a click tied to what the learner saw: a token button appends exactly the
    candidate it showed, even though the next run predicts from the new text. A model error is
    kept for the panel to show (lab_error); the steps then stay as they were.
    """
    ss = st.session_state
    state: generation.Continuation = ss["lab_state"]
    asked = predictions(engine, lang)
    try:
        # A favourite that is only a piece of a character is taken too; the model finishes the character.
        ss["lab_state"] = generation.apply(state, action, settings=settings(), distribution_for=asked.candidates,
                                           finish_for=asked.greedy_continuation)
    except EngineError as err:
        ss["lab_error"] = error_text(err, lang)
    if ss["lab_state"].start != state.start:
        ss["lab_full_rerun"] = True  # the text box outside the panel must show the new start


def draw_one(shaped: reshaping.Reshaped, finished: str | None) -> None:
    """on_click of "draw": roll the weighted dice once with the learner's seed (same seed, same token)."""
    st.session_state["lab_drawn"] = generation.draw_once(shaped, seed=settings().seed, finished=finished)


def offer_regenerate_step(state: generation.Continuation) -> None:
    """Before drawing "Regenerate from step": the last step, unless the learner chose another one
    for these same steps (lab_regen_for remembers how many steps there were when they chose)."""
    ss = st.session_state
    steps = len(state.steps)
    ss["_lab_regen_w"] = generation.regenerate_choice(ss.get("_lab_regen_w"), ss.get("lab_regen_for"), steps)
    ss["lab_regen_for"] = steps
