"""Classifiers: the songs, pixels and sentences of lessons 2–5 as live experiments.

Widgets return values, tutor.classify computes (through tutor.ui.classify_cache) and words the
results (tutor.classify.wording), Altair draws. `?panel=songs|pixels|sentiment` opens a panel
directly; each panel links back to its lesson.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tutor import classify
from tutor.classify import charts, pixels, sentiment, song_table, songs, wording
from tutor.i18n import t, t_list
from tutor.lessons import course
from tutor.ui import classify_cache as cache
from tutor.ui.lang import current_lang, uploader_words
from tutor.ui.pages import lesson_link
from tutor.ui.song_editor import song_editor_ui
from tutor.ui.state import remembered


def _tr(key: str, lang: str, **fmt: Any) -> str:
    return t(f"classifiers.{key}", lang, **fmt)


def _remember(key: str, start: Any) -> dict:
    """tutor.ui.state.remembered for widget `key`: its value, `start` at first, lives under "<key>__kept"."""
    st.session_state.setdefault(f"{key}__kept", start)
    return remembered(f"{key}__kept", key)


def _lesson_links(panel: str, lang: str) -> None:
    """Links back to the lesson(s) this panel belongs to, titled as in the course."""
    for lesson_id in classify.PANEL_LESSONS[panel]:
        lesson = course().get(lang, lesson_id)
        if lesson is not None:
            lesson_link(lesson_id, lang, label=_tr("lesson_link", lang, order=lesson.order, title=lesson.title))


# ---------------------------------------------------------------------------------------------
# Songs
# ---------------------------------------------------------------------------------------------

def _model_ui(lang: str) -> tuple[str, dict[str, float | int]]:
    """Model choice and its plain-language knobs."""
    kind = st.selectbox(_tr("songs.model.label", lang), songs.MODEL_KINDS, **_remember("clf_model", "logistic"),
                        format_func=lambda k: _tr(f"songs.model.kinds.{k}", lang),
                        help=_tr("songs.model.help", lang))
    params: dict[str, float | int] = {}
    for knob in songs.KNOBS[kind]:
        params[knob.name] = st.select_slider(_tr(f"songs.knobs.{kind}.{knob.name}", lang), options=list(knob.options),
                                             **_remember(f"clf_knob_{kind}_{knob.name}", knob.default),
                                             help=_tr(f"songs.knobs.{kind}.{knob.name}_help", lang))
    st.caption(_tr(f"songs.model.about.{kind}", lang))
    return kind, params


def _new_song_ui(lang: str) -> tuple[float, float]:
    """Sliders for a song the model has never heard."""
    tempo = st.slider(_tr("songs.new.tempo", lang), 40, 200, **_remember("clf_new_tempo", 70),
                      help=_tr("songs.new.tempo_help", lang))
    energy = st.slider(_tr("songs.new.energy", lang), 0.0, 1.0, **_remember("clf_new_energy", 0.2), step=0.01,
                       help=_tr("songs.new.energy_help", lang))
    return float(tempo), float(energy)


def _accuracy_ui(lang: str, fit: songs.SongFit) -> None:
    """Training and test accuracy side by side, and what their difference says."""
    left, right = st.columns(2)
    left.metric(_tr("songs.accuracy.train", lang, n=fit.n_train), wording.percent(fit.train_accuracy),
                help=_tr("songs.accuracy.train_help", lang))
    right.metric(_tr("songs.accuracy.test", lang, n=fit.n_test), wording.accuracy_value(fit.test_accuracy),
                 help=_tr("songs.accuracy.test_help", lang))
    note = wording.accuracy_note(fit, lang)
    if note is not None and note.warn:
        st.warning(note.text, icon=":material/warning:")
    elif note is not None:
        st.caption(note.text)


def _classification_ui(lang: str, table: pd.DataFrame, kind: str, params: dict, test_share: float,
                       new: tuple[float, float]) -> None:
    view = cache.song_view(table, kind, tuple(sorted(params.items())), test_share)
    prediction = songs.predict_song(view.fit.model, *new)
    chart = charts.song_chart(view.train, lang, grid=view.grid, line=view.line, new_song=new,
                              test_songs=view.test, tempo_range=view.tempo_range)
    st.altair_chart(chart, width="stretch")
    st.caption(_tr("songs.chart_notice_line" if view.line is not None else "songs.chart_notice_curve", lang))
    st.success(wording.song_answer(prediction, lang), icon=":material/music_note:")
    st.caption(wording.probabilities_line(prediction.probabilities, lang))
    curve = songs.confidence_curve(view.fit.model)
    if prediction.distance is not None and curve is not None:
        st.markdown(wording.distance_text(prediction.distance, view.fit.genres, lang))
        st.altair_chart(charts.confidence_chart(*curve, lang, marker=prediction.distance), width="stretch")
        st.caption(_tr("songs.distance.notice", lang))
    else:
        st.caption(_tr("songs.distance.not_a_line", lang))
    _accuracy_ui(lang, view.fit)


def _regression_ui(lang: str, table: pd.DataFrame, kind: str, params: dict, test_share: float,
                   new: tuple[float, float]) -> None:
    fit, train, test = cache.energy_view(table, kind, tuple(sorted(params.items())), test_share)
    expected = songs.predict_energy(fit.model, new[0])
    st.altair_chart(charts.energy_chart(table, fit.curve_tempo, fit.curve_energy, lang, new[0], expected),
                    width="stretch")
    st.caption(_tr("songs.regression.notice", lang))
    st.success(wording.energy_answer(new[0], expected, lang), icon=":material/show_chart:")
    left, right = st.columns(2)
    left.metric(_tr("songs.regression.train_error", lang), wording.error_value(fit.train_error),
                help=_tr("songs.regression.error_help", lang))
    right.metric(_tr("songs.regression.test_error", lang), wording.error_value(fit.test_error),
                 help=_tr("songs.regression.error_help", lang))


@st.fragment
def songs_panel(lang: str) -> None:
    """Panel 1: the genre classifier on an editable table of songs."""
    song_table.start(st.session_state)
    st.markdown(_tr("songs.intro", lang))
    _lesson_links("songs", lang)
    data_col, model_col = st.columns([5, 4], gap="large")
    with data_col:
        st.subheader(_tr("songs.data.title", lang))
        edited = song_editor_ui(lang)
        good, problems = song_table.accept(st.session_state, edited)  # the last good table if this one is not
        if blank := songs.blank_rows(edited):
            st.caption(wording.blank_rows_text(blank, lang))
        if problems:
            st.error(wording.problems_message(problems, lang), icon=":material/edit_note:")
            st.caption(_tr("songs.problems.kept", lang))
    with model_col:
        st.subheader(_tr("songs.model.title", lang))
        regression = st.toggle(_tr("songs.regression.toggle", lang), **_remember("clf_regression", False),
                               help=_tr("songs.regression.toggle_help", lang))
        kind, params = _model_ui(lang)
        test_share = st.slider(_tr("songs.split.label", lang), 0, 50, step=5, **_remember("clf_test_share", 30),
                               format="%d%%", help=_tr("songs.split.help", lang)) / 100
        st.subheader(_tr("songs.new.title", lang))
        new = _new_song_ui(lang)
    st.divider()
    if regression:
        _regression_ui(lang, good, kind, params, test_share, new)
    else:
        _classification_ui(lang, good, kind, params, test_share, new)


# ---------------------------------------------------------------------------------------------
# Pixels
# ---------------------------------------------------------------------------------------------

def _digit_ui(lang: str) -> None:
    st.subheader(_tr("pixels.digit.title", lang))
    index = st.number_input(_tr("pixels.digit.pick", lang), 0, len(pixels.digits().labels) - 1, step=1,
                            **_remember("clf_digit_index", 0), help=_tr("pixels.digit.pick_help", lang))
    grid, label = pixels.digit_grid(int(index))
    st.altair_chart(charts.number_grid_chart(grid, lang), width="content")
    st.caption(_tr("pixels.digit.notice", lang, label=label, count=grid.size))


def _upload_ui(lang: str) -> None:
    st.subheader(_tr("pixels.upload.title", lang))
    st.markdown(_tr("pixels.upload.intro", lang, big=wording.count(pixels.input_count(224, 224))))
    uploader_words("clf_upload", lang, t("common.uploader.limits", lang, mb=pixels.MAX_UPLOAD_MB, types="PNG, JPG"))
    uploaded = st.file_uploader(_tr("pixels.upload.label", lang), type=["png", "jpg", "jpeg"], key="clf_upload",
                                max_upload_size=pixels.MAX_UPLOAD_MB, help=_tr("pixels.upload.help", lang))
    if uploaded is None:
        return
    side = st.select_slider(_tr("pixels.upload.side", lang), options=list(pixels.SMALL_SIDES),
                            **_remember("clf_upload_side", 16), help=_tr("pixels.upload.side_help", lang))
    try:
        picture = pixels.read_image(uploaded.getvalue(), side=int(side))
    except pixels.UploadRefused as refused:
        st.error(_tr(f"pixels.upload.refused.{refused.code}", lang, mb=pixels.MAX_UPLOAD_MB), icon=":material/block:")
        return
    left, right = st.columns(2)
    left.metric(_tr("pixels.upload.original", lang, w=picture.original_width, h=picture.original_height),
                wording.count(picture.original_inputs))
    right.metric(_tr("pixels.upload.small", lang, w=picture.small_width, h=picture.small_height),
                 wording.count(picture.small_inputs))
    channel = st.radio(_tr("pixels.upload.channel", lang), (0, 1, 2), horizontal=True, **_remember("clf_channel", 0),
                       format_func=lambda c: _tr(f"pixels.upload.channels.{c}", lang))
    st.altair_chart(charts.picture_chart(picture, int(channel), int(side), lang), width="content")
    st.caption(_tr("pixels.upload.notice", lang))


def _digit_classifier_ui(lang: str) -> None:
    st.subheader(_tr("pixels.train.title", lang))
    n_train = st.select_slider(_tr("pixels.train.size", lang), options=list(pixels.TRAIN_SIZES),
                               **_remember("clf_digit_n", 100), help=_tr("pixels.train.size_help", lang))
    fit = cache.digit_fit(int(n_train))
    st.metric(_tr("pixels.train.accuracy", lang, n=pixels.TEST_SIZE), wording.percent(fit.accuracy))
    curve_col, confusion_col = st.columns(2, gap="large")
    with curve_col:
        st.altair_chart(charts.learning_curve_chart(cache.digit_learning_curve(), lang, (fit.n_train, fit.accuracy)),
                        width="stretch")
        st.caption(_tr("pixels.train.curve_notice", lang))
    with confusion_col:
        st.altair_chart(charts.confusion_chart(fit.confusion, lang), width="content")
        st.caption(wording.confusion_notice(fit.confusion, lang))


@st.fragment
def pixels_panel(lang: str) -> None:
    """Panel 2: images as numbers, and a classifier trained on raw pixels."""
    st.markdown(_tr("pixels.intro", lang))
    _lesson_links("pixels", lang)
    left, right = st.columns(2, gap="large")
    with left:
        _digit_ui(lang)
    with right:
        _upload_ui(lang)
    st.divider()
    _digit_classifier_ui(lang)


# ---------------------------------------------------------------------------------------------
# Sentiment
# ---------------------------------------------------------------------------------------------

def _use_example(lang: str) -> None:
    """Pill callback: put the example in the sentence boxes; no pill stays selected (the boxes are the truth)."""
    if (choice := st.session_state.get("clf_example")) is not None:
        first, second = wording.example_sentences(choice, lang)
        st.session_state.update({"clf_sentence__kept": first, "clf_sentence_b__kept": second, "clf_example": None})


def _sentence_result_ui(lang: str, model: sentiment.SentimentModel, text: str) -> None:
    result = sentiment.score_sentence(model, text)
    if result is None:  # punctuation only: nothing to score, nothing to show
        return
    st.metric(_tr("sentiment.prediction", lang), wording.sentiment_verdict(result, lang),
              help=_tr("sentiment.prediction_help", lang))
    st.altair_chart(charts.contributions_chart(result, lang), width="stretch")
    st.caption(wording.score_line(result, lang))
    if result.mostly_unknown:
        st.info(_tr("sentiment.many_unknown", lang), icon=":material/help:")


@st.fragment
def sentiment_panel(lang: str) -> None:
    """Panel 3: a bag-of-words sentiment model and the sentences it gets wrong."""
    model = cache.sentiment_model(lang)
    st.markdown(_tr("sentiment.intro", lang, n=model.n_examples))
    _lesson_links("sentiment", lang)
    examples = t_list("classifiers.sentiment.examples", lang)
    st.pills(_tr("sentiment.examples_label", lang), range(len(examples)), key="clf_example",
             format_func=lambda i: t_list("classifiers.sentiment.example_names", lang)[i],
             on_change=_use_example, args=(lang,), help=_tr("sentiment.examples_help", lang))
    left, right = st.columns(2, gap="large")
    with left:
        text = st.text_input(_tr("sentiment.input", lang), **_remember("clf_sentence", ""),
                             max_chars=sentiment.MAX_SENTENCE_CHARS, placeholder=_tr("sentiment.placeholder", lang))
        if text.strip():
            _sentence_result_ui(lang, model, text)
        else:
            st.caption(_tr("sentiment.empty", lang))
    with right:
        other = st.text_input(_tr("sentiment.input_b", lang), **_remember("clf_sentence_b", ""),
                              max_chars=sentiment.MAX_SENTENCE_CHARS, help=_tr("sentiment.input_b_help", lang))
        if other.strip():
            _sentence_result_ui(lang, model, other)
    st.caption(_tr("sentiment.notice", lang))
    with st.expander(_tr("sentiment.learned.title", lang)):
        positive, negative = sentiment.strongest_words(model, 10)
        pos_col, neg_col = st.columns(2)
        pos_col.dataframe(wording.learned_words(positive, lang), hide_index=True)
        neg_col.dataframe(wording.learned_words(negative, lang), hide_index=True)
        st.caption(_tr("sentiment.learned.notice", lang, n=model.n_examples, words=len(model.vocabulary)))


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------

PANEL_UI = {"songs": songs_panel, "pixels": pixels_panel, "sentiment": sentiment_panel}

lang = current_lang()
st.title(t("common.pages.classifiers", lang))
st.caption(_tr("intro", lang))

labels = {panel: _tr(f"panels.{panel}", lang) for panel in classify.PANELS}
wanted = st.query_params.get("panel")
start = classify.linked_panel(wanted)
tabs_key = f"clf_tabs_{lang}"  # labels differ per language, so each language keeps its own tab state
tabs = st.tabs(list(labels.values()), default=labels[start], key=tabs_key, on_change="rerun")
by_label = {label: panel for panel, label in labels.items()}
active = by_label.get(st.session_state.get(tabs_key), start)  # the tab the learner chose, else the link's
if wanted != active:
    st.query_params["panel"] = active  # a shareable link, and the same panel after a language switch
for tab, panel in zip(tabs, classify.PANELS, strict=True):
    if panel == active:
        with tab:
            PANEL_UI[panel](lang)
