"""Classifiers: the songs, pixels and sentences of lessons 2–5 as live experiments.

Widgets return values, tutor.classify computes (through tutor.ui.classify_cache), Altair draws.
`?panel=songs|pixels|sentiment` opens a panel directly; each panel links back to its lesson.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from tutor.classify import PANEL_LESSONS, PANELS, charts, pixels, sentiment, songs
from tutor.i18n import t, t_list
from tutor.lessons import course
from tutor.ui import classify_cache as cache
from tutor.ui.lang import current_lang, uploader_words
from tutor.ui.pages import lesson_link


def _tr(key: str, lang: str, **fmt: Any) -> str:
    return t(f"classifiers.{key}", lang, **fmt)


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _kept(key: str, default: Any) -> str:
    """Give widget `key` its last value back after a page switch (widget keys are dropped then)."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(f"{key}__kept", default)
    return key


def _keep(key: str) -> None:
    st.session_state[f"{key}__kept"] = st.session_state.get(key)


def _lesson_links(panel: str, lang: str) -> None:
    """Links back to the lesson(s) this panel belongs to, titled as in the course."""
    for lesson_id in PANEL_LESSONS[panel]:
        lesson = course().get(lang, lesson_id)
        if lesson is not None:
            lesson_link(lesson_id, lang, label=_tr("lesson_link", lang, order=lesson.order, title=lesson.title))


# ---------------------------------------------------------------------------------------------
# Songs
# ---------------------------------------------------------------------------------------------

def _change_songs(action: str) -> None:
    """Button callback: build a new data set from the last table that made sense, in a fresh editor."""
    good = pd.DataFrame(st.session_state["clf_songs_good"])
    seed = st.session_state["clf_songs_seed"]
    table = {
        "noise": lambda: songs.add_noise(good, seed),
        "more": lambda: songs.add_more_songs(good, 20, seed),
        "third": lambda: songs.add_third_genre(good, 10, seed),
        "curved": lambda: songs.curved_songs(60, seed),
        "reset": lambda: songs.make_songs(),
    }[action]()
    st.session_state["clf_songs_base"] = table.to_dict("records")
    st.session_state["clf_songs_edited"] = table.to_dict("records")
    st.session_state["clf_songs_version"] += 1
    st.session_state["clf_songs_seed"] += 1


def _dataset_buttons_ui(lang: str) -> None:
    """Buttons that change the data set: noise, more songs, a third genre, curved data, start over."""
    with st.container(horizontal=True):  # the buttons wrap onto a second line when space is short
        for name in ("noise", "more", "third", "curved", "reset"):
            st.button(_tr(f"songs.data.{name}", lang), help=_tr(f"songs.data.{name}_help", lang),
                      key=f"clf_btn_{name}", on_click=_change_songs, args=(name,))


def _song_table_ui(lang: str) -> pd.DataFrame:
    """The editable song table; returns what the learner has typed (possibly not valid)."""
    key = f"clf_editor_{st.session_state['clf_songs_version']}"
    if key not in st.session_state:
        # First draw, or back from another page (the editor's state was dropped): start from the
        # learner's latest table so no edit is lost.
        st.session_state["clf_songs_base"] = st.session_state["clf_songs_edited"]
    base = pd.DataFrame(st.session_state["clf_songs_base"], columns=list(songs.COLUMNS))
    edited = st.data_editor(
        base,
        key=key,
        num_rows="dynamic",
        # No index column: a row added with "+" has no index yet and would show "None" there.
        hide_index=True,
        height=280,
        column_config={
            "tempo": st.column_config.NumberColumn(_tr("songs.table.tempo", lang), help=_tr("songs.table.tempo_help", lang),
                                                   min_value=songs.TEMPO_LIMITS[0], max_value=songs.TEMPO_LIMITS[1],
                                                   step=1, format="%d"),
            "energy": st.column_config.NumberColumn(_tr("songs.table.energy", lang), help=_tr("songs.table.energy_help", lang),
                                                    min_value=0.0, max_value=1.0, step=0.01, format="%.2f"),
            "genre": st.column_config.SelectboxColumn(_tr("songs.table.genre", lang), options=list(songs.ALL_GENRES),
                                                      format_func=lambda g: charts.genre_name(g, lang)),
        },
    )
    st.session_state["clf_songs_edited"] = pd.DataFrame(edited).to_dict("records")
    return pd.DataFrame(edited)


def _problem_text(problem: songs.TableProblem, lang: str) -> str:
    column = _tr(f"songs.table.{problem.column}", lang) if problem.column else ""
    return _tr(f"songs.problems.{problem.code}", lang, row=problem.row or "", column=column, value=problem.value)


def _model_ui(lang: str) -> tuple[str, dict[str, float | int]]:
    """Model choice and its plain-language knobs."""
    kind = st.selectbox(_tr("songs.model.label", lang), songs.MODEL_KINDS, key=_kept("clf_model", "logistic"),
                        format_func=lambda k: _tr(f"songs.model.kinds.{k}", lang),
                        help=_tr("songs.model.help", lang))
    _keep("clf_model")
    params: dict[str, float | int] = {}
    for knob in songs.KNOBS[kind]:
        key = _kept(f"clf_knob_{kind}_{knob.name}", knob.default)
        params[knob.name] = st.select_slider(_tr(f"songs.knobs.{kind}.{knob.name}", lang), options=list(knob.options),
                                             key=key, help=_tr(f"songs.knobs.{kind}.{knob.name}_help", lang))
        _keep(key)
    st.caption(_tr(f"songs.model.about.{kind}", lang))
    return kind, params


def _new_song_ui(lang: str) -> tuple[float, float]:
    """Sliders for a song the model has never heard."""
    tempo = st.slider(_tr("songs.new.tempo", lang), 40, 200, key=_kept("clf_new_tempo", 70),
                      help=_tr("songs.new.tempo_help", lang))
    _keep("clf_new_tempo")
    energy = st.slider(_tr("songs.new.energy", lang), 0.0, 1.0, key=_kept("clf_new_energy", 0.2), step=0.01,
                       help=_tr("songs.new.energy_help", lang))
    _keep("clf_new_energy")
    return float(tempo), float(energy)


def _accuracy_ui(lang: str, train_acc: float, test_acc: float | None, n_train: int, n_test: int, kind: str) -> None:
    left, right = st.columns(2)
    left.metric(_tr("songs.accuracy.train", lang, n=n_train), _pct(train_acc), help=_tr("songs.accuracy.train_help", lang))
    if test_acc is None:
        right.metric(_tr("songs.accuracy.test", lang, n=0), "—", help=_tr("songs.accuracy.test_help", lang))
        st.caption(_tr("songs.accuracy.no_test", lang))
        return
    right.metric(_tr("songs.accuracy.test", lang, n=n_test), _pct(test_acc), help=_tr("songs.accuracy.test_help", lang))
    if train_acc - test_acc >= 0.15:
        st.warning(_tr("songs.accuracy.overfit", lang, gap=_pct(train_acc - test_acc)), icon=":material/warning:")
    elif kind == "tree":
        st.caption(_tr("songs.accuracy.tree_notice", lang))


def _classification_ui(lang: str, table: pd.DataFrame, kind: str, params: dict, test_share: float,
                       new: tuple[float, float]) -> None:
    view = cache.song_view(table, kind, tuple(sorted(params.items())), test_share)
    prediction = songs.predict_song(view.fit.model, *new)
    chart = charts.song_chart(view.train, lang, grid=view.grid, line=view.line, new_song=new,
                              test_songs=view.test, tempo_range=view.tempo_range)
    st.altair_chart(chart, width="stretch")
    st.caption(_tr("songs.chart_notice_line" if view.line is not None else "songs.chart_notice_curve", lang))

    genre = charts.genre_name(prediction.genre, lang)
    st.success(_tr("songs.new.result", lang, genre=genre, prob=_pct(prediction.probabilities[prediction.genre])),
               icon=":material/music_note:")
    st.caption(" · ".join(f"{charts.genre_name(g, lang)} {_pct(p)}" for g, p in prediction.probabilities.items()))
    if prediction.distance is not None:
        side = charts.genre_name(view.fit.genres[1] if prediction.distance > 0 else view.fit.genres[0], lang)
        st.markdown(_tr("songs.distance.value", lang, distance=f"{abs(prediction.distance):.2f}", side=side))
        distances = np.linspace(0, 3, 61)
        confidence = songs.confidence_by_distance(view.fit.model, distances)
        st.altair_chart(charts.confidence_chart(distances, confidence, lang, marker=prediction.distance), width="stretch")
        st.caption(_tr("songs.distance.notice", lang))
    else:
        st.caption(_tr("songs.distance.not_a_line", lang))
    _accuracy_ui(lang, view.fit.train_accuracy, view.fit.test_accuracy, view.fit.n_train, view.fit.n_test, kind)


def _regression_ui(lang: str, table: pd.DataFrame, kind: str, params: dict, test_share: float,
                   new: tuple[float, float]) -> None:
    fit, train, test = cache.energy_view(table, kind, tuple(sorted(params.items())), test_share)
    expected = songs.predict_energy(fit.model, new[0])
    st.altair_chart(charts.energy_chart(table, fit.curve_tempo, fit.curve_energy, lang, new[0], expected),
                    width="stretch")
    st.caption(_tr("songs.regression.notice", lang))
    st.success(_tr("songs.regression.result", lang, tempo=f"{new[0]:.0f}", energy=f"{expected:.2f}"),
               icon=":material/show_chart:")
    left, right = st.columns(2)
    left.metric(_tr("songs.regression.train_error", lang), f"{fit.train_error:.3f}",
                help=_tr("songs.regression.error_help", lang))
    right.metric(_tr("songs.regression.test_error", lang), "—" if fit.test_error is None else f"{fit.test_error:.3f}",
                 help=_tr("songs.regression.error_help", lang))


@st.fragment
def songs_panel(lang: str) -> None:
    """Panel 1: the genre classifier on an editable table of songs."""
    st.session_state.setdefault("clf_songs_base", songs.make_songs().to_dict("records"))
    st.session_state.setdefault("clf_songs_edited", st.session_state["clf_songs_base"])
    st.session_state.setdefault("clf_songs_version", 0)
    st.session_state.setdefault("clf_songs_seed", songs.DEFAULT_SEED)
    st.session_state.setdefault("clf_songs_good", st.session_state["clf_songs_base"])

    st.markdown(_tr("songs.intro", lang))
    _lesson_links("songs", lang)
    data_col, model_col = st.columns([5, 4], gap="large")
    with data_col:
        st.subheader(_tr("songs.data.title", lang))
        good = pd.DataFrame(st.session_state["clf_songs_good"])
        _dataset_buttons_ui(lang)
        edited = _song_table_ui(lang)
        clean, problems = songs.validate_songs(edited)
        if blank := songs.blank_rows(edited):
            st.caption(_tr("songs.problems.blank_rows", lang, rows=", ".join(map(str, blank))))
        if clean is not None:
            st.session_state["clf_songs_good"] = clean.to_dict("records")
            good = clean
        else:
            lines = "\n".join(f"- {_problem_text(p, lang)}" for p in problems[:6])
            st.error(_tr("songs.problems.header", lang) + "\n\n" + lines, icon=":material/edit_note:")
            st.caption(_tr("songs.problems.kept", lang))
    with model_col:
        st.subheader(_tr("songs.model.title", lang))
        regression = st.toggle(_tr("songs.regression.toggle", lang), key=_kept("clf_regression", False),
                               help=_tr("songs.regression.toggle_help", lang))
        _keep("clf_regression")
        kind, params = _model_ui(lang)
        test_share = st.slider(_tr("songs.split.label", lang), 0, 50, step=5, key=_kept("clf_test_share", 30),
                               format="%d%%", help=_tr("songs.split.help", lang)) / 100
        _keep("clf_test_share")
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
                            key=_kept("clf_digit_index", 0), help=_tr("pixels.digit.pick_help", lang))
    _keep("clf_digit_index")
    grid, label = pixels.digit_grid(int(index))
    st.altair_chart(charts.number_grid_chart(grid, lang), width="content")
    st.caption(_tr("pixels.digit.notice", lang, label=label, count=grid.size))


def _upload_ui(lang: str) -> None:
    st.subheader(_tr("pixels.upload.title", lang))
    st.markdown(_tr("pixels.upload.intro", lang, big=f"{pixels.input_count(224, 224):,}"))
    uploader_words("clf_upload", lang, t("common.uploader.limits", lang, mb=pixels.MAX_UPLOAD_BYTES // (1024 * 1024),
                                         types="PNG, JPG"))
    uploaded = st.file_uploader(_tr("pixels.upload.label", lang), type=["png", "jpg", "jpeg"], key="clf_upload",
                                max_upload_size=pixels.MAX_UPLOAD_BYTES // (1024 * 1024),
                                help=_tr("pixels.upload.help", lang))
    if uploaded is None:
        return
    side = st.select_slider(_tr("pixels.upload.side", lang), options=list(pixels.SMALL_SIDES),
                            key=_kept("clf_upload_side", 16), help=_tr("pixels.upload.side_help", lang))
    _keep("clf_upload_side")
    try:
        picture = pixels.read_image(uploaded.getvalue(), side=int(side))
    except pixels.UploadRefused as refused:
        st.error(_tr(f"pixels.upload.refused.{refused.code}", lang, mb=pixels.MAX_UPLOAD_BYTES // (1024 * 1024)),
                 icon=":material/block:")
        return
    left, right = st.columns(2)
    left.metric(_tr("pixels.upload.original", lang, w=picture.original_width, h=picture.original_height),
                f"{picture.original_inputs:,}")
    right.metric(_tr("pixels.upload.small", lang, w=picture.small_width, h=picture.small_height),
                 f"{picture.small_inputs:,}")
    channel = st.radio(_tr("pixels.upload.channel", lang), (0, 1, 2), horizontal=True, key=_kept("clf_channel", 0),
                       format_func=lambda c: _tr(f"pixels.upload.channels.{c}", lang))
    _keep("clf_channel")
    st.altair_chart(charts.number_grid_chart(picture.small[:, :, int(channel)], lang, colours=picture.small,
                                             show_numbers=side <= 16, cell=30 if side <= 16 else 14),
                    width="content")
    st.caption(_tr("pixels.upload.notice", lang))


def _digit_classifier_ui(lang: str) -> None:
    st.subheader(_tr("pixels.train.title", lang))
    n_train = st.select_slider(_tr("pixels.train.size", lang), options=list(pixels.TRAIN_SIZES),
                               key=_kept("clf_digit_n", 100), help=_tr("pixels.train.size_help", lang))
    _keep("clf_digit_n")
    fit = cache.digit_fit(int(n_train))
    st.metric(_tr("pixels.train.accuracy", lang, n=pixels.TEST_SIZE), _pct(fit.accuracy))
    curve_col, confusion_col = st.columns(2, gap="large")
    with curve_col:
        st.altair_chart(charts.learning_curve_chart(cache.digit_learning_curve(), lang, (fit.n_train, fit.accuracy)),
                        width="stretch")
        st.caption(_tr("pixels.train.curve_notice", lang))
    with confusion_col:
        st.altair_chart(charts.confusion_chart(fit.confusion, lang), width="content")
        worst = pixels.most_confused(fit.confusion)
        if worst is None:
            st.caption(_tr("pixels.train.no_mistakes", lang))
        else:
            st.caption(_tr("pixels.train.confusion_notice", lang, true=worst[0], predicted=worst[1], count=worst[2]))


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
    choice = st.session_state.get("clf_example")
    if choice is not None:
        first, _, second = t_list("classifiers.sentiment.examples", lang)[choice].partition(" | ")
        st.session_state["clf_sentence"] = first
        st.session_state["clf_sentence_b"] = second
        _keep("clf_sentence")
        _keep("clf_sentence_b")
        st.session_state["clf_example"] = None


def _sentence_result_ui(lang: str, model: sentiment.SentimentModel, text: str) -> None:
    result = sentiment.score_sentence(model, text)
    if result is None:  # punctuation only: nothing to score, nothing to show
        return
    label = _tr(f"sentiment.labels.{result.label}", lang)
    sure = result.probability_positive if result.label == "pos" else 1 - result.probability_positive
    st.metric(_tr("sentiment.prediction", lang), f"{label} · {_pct(sure)}", help=_tr("sentiment.prediction_help", lang))
    st.altair_chart(charts.contributions_chart(result, lang), width="stretch")
    st.caption(_tr("sentiment.score_line", lang, score=f"{result.score:+.2f}", prob=_pct(result.probability_positive)))
    if result.unknown_share >= 0.5:
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
        text = st.text_input(_tr("sentiment.input", lang), key=_kept("clf_sentence", ""),
                             max_chars=sentiment.MAX_SENTENCE_CHARS, placeholder=_tr("sentiment.placeholder", lang))
        _keep("clf_sentence")
        if text.strip():
            _sentence_result_ui(lang, model, text)
        else:
            st.caption(_tr("sentiment.empty", lang))
    with right:
        other = st.text_input(_tr("sentiment.input_b", lang), key=_kept("clf_sentence_b", ""),
                              max_chars=sentiment.MAX_SENTENCE_CHARS, help=_tr("sentiment.input_b_help", lang))
        _keep("clf_sentence_b")
        if other.strip():
            _sentence_result_ui(lang, model, other)
    st.caption(_tr("sentiment.notice", lang))
    with st.expander(_tr("sentiment.learned.title", lang)):
        positive, negative = sentiment.strongest_words(model, 10)
        pos_col, neg_col = st.columns(2)
        pos_col.dataframe(pd.DataFrame(positive, columns=[_tr("sentiment.learned.word", lang),
                                                          _tr("sentiment.learned.weight", lang)]), hide_index=True)
        neg_col.dataframe(pd.DataFrame(negative, columns=[_tr("sentiment.learned.word", lang),
                                                          _tr("sentiment.learned.weight", lang)]), hide_index=True)
        st.caption(_tr("sentiment.learned.notice", lang, n=model.n_examples, words=len(model.vocabulary)))


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------

PANEL_UI = {"songs": songs_panel, "pixels": pixels_panel, "sentiment": sentiment_panel}

lang = current_lang()
st.title(t("common.pages.classifiers", lang))
st.caption(_tr("intro", lang))

labels = [_tr(f"panels.{p}", lang) for p in PANELS]
wanted = st.query_params.get("panel")
start = PANELS.index(wanted) if wanted in PANELS else 0
tabs_key = f"clf_tabs_{lang}"  # labels differ per language, so each language keeps its own tab state
tabs = st.tabs(labels, default=labels[start], key=tabs_key, on_change="rerun")
active = PANELS[labels.index(st.session_state[tabs_key])] if st.session_state.get(tabs_key) in labels else PANELS[start]
if wanted != active:
    st.query_params["panel"] = active  # a shareable link, and the same panel after a language switch
for tab, panel in zip(tabs, PANELS, strict=True):
    if panel == active:
        with tab:
            PANEL_UI[panel](lang)
