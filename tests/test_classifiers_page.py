"""The Classifiers page through the real router: each panel in both languages, and bad input handled."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tutor.i18n import t

PAGE = "pages/classifiers.py"
LANGS = ("en", "ko")


def _tr(key: str, lang: str, **fmt) -> str:
    return t(f"classifiers.{key}", lang, **fmt)


def _texts(at) -> str:
    """Everything the page wrote as text, in one string."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [s.value for s in at.success] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [m.label + " " + m.value for m in at.metric]
    return "\n".join(parts)


def _open(open_page, lang: str, panel: str, **state):
    """Open the page on a panel; `state` is put in session state before the first run."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.query_params["panel"] = panel
    at.switch_page(PAGE)
    return at.run()


def _edit(edited_rows=None, added_rows=None, deleted_rows=None) -> dict:
    return {"edited_rows": edited_rows or {}, "added_rows": added_rows or [], "deleted_rows": deleted_rows or []}


@pytest.mark.parametrize("lang", LANGS)
def test_songs_panel_shows_the_line_and_a_confident_rnb_answer(open_page, lang):
    at = _open(open_page, lang, "songs")
    assert not at.exception
    assert at.title[0].value == t("common.pages.classifiers", lang)
    assert _tr("songs.intro", lang) in _texts(at)
    answer = at.success[0].value
    assert t("classifiers.genres.rnb", lang) in answer and "97%" in answer
    assert any(link.value.startswith(_tr("lesson_link", lang, order=2, title="")[:6]) for link in at.page_link)
    assert len(at.get("vega_lite_chart")) == 2  # the songs and the confidence-by-distance curve


@pytest.mark.parametrize(
    "lang,edit,problem,fmt",
    [
        ("en", _edit({2: {"energy": None}}), "empty_cell", {"row": 3, "column": "energy"}),
        # The editor turns text typed into a number column into an empty cell; the message covers both.
        ("ko", _edit({4: {"tempo": "fast"}}), "empty_cell", {"row": 5, "column": "tempo"}),
        ("en", _edit({i: {"genre": "rnb"} for i in range(20)}), "one_genre", {"value": "rnb"}),
        ("ko", _edit(deleted_rows=list(range(1, 20))), "too_few_songs", {"value": 1}),
        ("en", _edit({0: {"genre": "polka"}}), "unknown_genre", {"row": 1, "column": "genre", "value": "polka"}),
        ("ko", _edit(added_rows=[{"tempo": 90}]), "empty_cell", {"row": 21, "column": "energy"}),
    ],
)
def test_a_bad_table_says_what_to_fix_and_keeps_the_last_good_model(open_page, lang, edit, problem, fmt):
    at = _open(open_page, lang, "songs")
    good_answer = at.success[0].value
    at.session_state["clf_editor_0"] = edit
    at.run()
    assert not at.exception
    assert at.error, "a message must say what to fix"
    if "column" in fmt:
        fmt = {**fmt, "column": _tr(f"songs.table.{fmt['column']}", lang)}
    message = at.error[0].value
    assert message.startswith(_tr("songs.problems.header", lang))
    assert _tr(f"songs.problems.{problem}", lang, **{"row": "", "column": "", "value": "", **fmt}) in message
    assert at.success[0].value == good_answer  # the last good model is still on screen
    assert len(at.session_state["clf_songs_good"]) == 20


def test_a_fixed_table_trains_again(open_page):
    at = _open(open_page, "en", "songs", clf_editor_0=_edit({2: {"energy": None}}))
    assert at.error
    at.session_state["clf_editor_0"] = _edit({2: {"energy": 0.3}})
    at.run()
    assert not at.error and not at.exception
    assert at.session_state["clf_songs_good"][2]["energy"] == 0.3


def test_third_genre_button_adds_kpop_songs(open_page):
    at = _open(open_page, "en", "songs")
    at.button(key="clf_btn_third").click().run()
    assert not at.exception
    assert len(at.session_state["clf_songs_good"]) == 30
    assert t("classifiers.genres.kpop", "en") in _texts(at)
    assert _tr("songs.distance.not_a_line", "en") in _texts(at)  # three genres: no single line


@pytest.mark.parametrize("kind", ["knn", "svm", "mlp", "tree"])
def test_every_model_draws_a_boundary_and_accuracy(open_page, kind):
    at = _open(open_page, "ko", "songs")
    at.selectbox(key="clf_model").set_value(kind).run()
    assert not at.exception
    assert _tr(f"songs.model.about.{kind}", "ko") in _texts(at)
    assert _tr("songs.accuracy.test", "ko", n=6) in [m.label for m in at.metric]


def test_deep_tree_on_noisy_songs_shows_overfitting(open_page):
    at = _open(open_page, "en", "songs")
    at.button(key="clf_btn_more").click().run()
    at.button(key="clf_btn_noise").click().run()
    at.selectbox(key="clf_model").set_value("tree").run()
    at.select_slider(key="clf_knob_tree_depth").set_value(12).run()
    assert not at.exception
    text = _texts(at)
    assert "overfitting" in text


@pytest.mark.parametrize("lang", LANGS)
def test_regression_toggle_predicts_energy(open_page, lang):
    at = _open(open_page, lang, "songs")
    at.toggle(key="clf_regression").set_value(True).run()
    assert not at.exception
    assert _tr("songs.regression.notice", lang) in _texts(at)
    assert _tr("songs.regression.result", lang, tempo=70, energy="")[:4] in at.success[0].value


def _png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 240)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("lang", LANGS)
def test_pixels_panel_shows_a_digit_and_accuracy_rising_with_data(open_page, lang):
    at = _open(open_page, lang, "pixels")
    assert not at.exception
    assert _tr("pixels.intro", lang) in _texts(at)
    assert _tr("songs.intro", lang) not in _texts(at)  # only the chosen panel runs

    def accuracy() -> float:
        label = _tr("pixels.train.accuracy", lang, n=400)
        return float(next(m.value for m in at.metric if m.label == label).rstrip("%"))

    small = accuracy()
    at.select_slider(key="clf_digit_n").set_value(1397).run()
    assert accuracy() > small


def test_an_uploaded_picture_shows_its_numbers(open_page):
    at = _open(open_page, "en", "pixels")
    at.file_uploader(key="clf_upload").set_value(("photo.png", _png(), "image/png")).run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[_tr("pixels.upload.original", "en", w=40, h=30)] == "3,600"
    assert metrics[_tr("pixels.upload.small", "en", w=16, h=12)] == "576"


@pytest.mark.parametrize(
    "name,data,mime,code",
    [
        ("notes.png", b"this is text pretending to be a picture", "image/png", "not_an_image"),
        ("broken.png", _png()[:70], "image/png", "corrupt"),
        ("huge.jpg", b"\xff\xd8\xff" + bytes(6 * 1024 * 1024), "image/jpeg", "too_big"),
    ],
)
def test_bad_uploads_are_refused_politely(open_page, name, data, mime, code):
    at = _open(open_page, "ko", "pixels")
    at.file_uploader(key="clf_upload").set_value((name, data, mime)).run()
    assert not at.exception
    assert at.error[0].value == _tr(f"pixels.upload.refused.{code}", "ko", mb=5)


@pytest.mark.parametrize("lang", LANGS)
def test_sentiment_panel_scores_a_sentence_word_by_word(open_page, lang):
    plain = {"en": "The food was great and the staff were friendly.", "ko": "음식이 정말 맛있고 직원들도 친절했어요."}
    at = _open(open_page, lang, "sentiment")
    assert not at.exception
    assert not at.metric  # nothing typed yet: nothing shown
    at.text_input(key="clf_sentence").input(plain[lang]).run()
    assert not at.exception
    assert at.metric[0].value.startswith(_tr("sentiment.labels.pos", lang) + " · ")
    assert len(at.get("vega_lite_chart")) == 1


@pytest.mark.parametrize("text", ["", "    ", "?!…"])
def test_an_empty_sentence_does_nothing(open_page, text):
    at = _open(open_page, "en", "sentiment")
    at.text_input(key="clf_sentence").input(text).run()
    assert not at.exception and not at.error
    assert not at.metric and not at.get("vega_lite_chart")


def test_negation_example_fills_the_box_and_the_model_gets_it_wrong(open_page):
    at = _open(open_page, "en", "sentiment")
    at.get("button_group")[0].set_value(2).run()
    assert not at.exception
    assert at.text_input(key="clf_sentence").value == "The food was not good."
    assert at.metric[0].value.startswith(_tr("sentiment.labels.pos", "en") + " · ")


def test_word_order_example_gives_both_sentences_the_same_score(open_page):
    at = _open(open_page, "en", "sentiment")
    at.get("button_group")[0].set_value(3).run()
    assert not at.exception
    scores = [c.value for c in at.caption if c.value.startswith("Score")]
    assert len(scores) == 2 and scores[0] == scores[1]


def test_typed_sentence_survives_a_page_switch(open_page):
    at = _open(open_page, "en", "sentiment")
    at.text_input(key="clf_sentence").input("The concert was amazing.").run()
    at.switch_page("pages/lessons.py").run()
    at.switch_page(PAGE).run()
    assert at.text_input(key="clf_sentence").value == "The concert was amazing."


def test_switching_language_keeps_the_open_panel(open_page):
    at = _open(open_page, "en", "pixels")
    assert at.query_params["panel"] == "pixels"
    at.session_state["lang"] = "ko"
    at.run()
    assert not at.exception
    assert _tr("pixels.intro", "ko") in _texts(at)


def test_an_unknown_panel_in_the_link_opens_the_songs_panel(open_page):
    at = _open(open_page, "en", "nonsense")
    assert not at.exception
    assert _tr("songs.intro", "en") in _texts(at)


@pytest.mark.parametrize("lang", LANGS)
def test_add_row_gives_an_empty_row_without_an_error_and_the_model_keeps_working(open_page, lang):
    at = _open(open_page, lang, "songs")
    good_answer = at.success[0].value
    at.session_state["clf_editor_0"] = _edit(added_rows=[{}])  # what "+" (Add row) sends
    at.run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert _tr("songs.problems.blank_rows", lang, rows="21") in _texts(at)
    assert at.success[0].value == good_answer


@pytest.mark.parametrize("lang, shown", [("ko", True), ("en", False)])
def test_the_korean_uploader_gets_korean_button_and_limit_words(open_page, lang, shown):
    at = _open(open_page, lang, "pixels")
    styles = " ".join(str(h.proto) for h in at.get("html"))
    limits = t("common.uploader.limits", "ko", mb=5, types="PNG, JPG")
    assert (t("common.uploader.button", "ko") in styles and limits in styles) is shown
