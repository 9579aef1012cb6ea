"""Inside the model: its real attention, its guess after every layer, and its word map.

Three tabs (deep link: ?view=attention|lens|map); only the open one runs. The model is a separate
PyTorch copy of the packaged weights (tutor.inside.model), opened the first time a view needs it
and kept once per process; the tutor's own engine keeps answering meanwhile. Results are cached
per text, so moving a slider only redraws.
"""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from tutor.config import load_settings
from tutor.i18n import t
from tutor.inside import VIEWS
from tutor.inside import model as inside_model
from tutor.inside.model import MAX_TOKENS, InsideModel, InsideRegistry, TextRefused
from tutor.llm.base import EngineError
from tutor.ui.lang import current_lang
from tutor.ui.model import chosen_model, error_text, preparing_note
from tutor.ui.pages import lesson_link
from tutor.ui.state import remembered

LESSONS = {  # view -> (lesson id, section anchor)
    "attention": ("what-gpt-means", "attention"),
    "lens": ("neural-networks", "layers"),
    "map": ("text-and-meaning", "word-embeddings"),
}
PRESETS = {
    "attention": ("referent", "korean", "repeat"),
    "lens": ("capital", "korean", "count"),
    "map": ("animals", "royal", "numbers", "days"),
}

lang = current_lang()
ss = st.session_state
ss.setdefault("inside_view", "attention")
ss.setdefault("inside_att_text", t(f"inside.fig.attention.presets.{'korean' if lang == 'ko' else 'referent'}", lang))
ss.setdefault("inside_lens_text", t("inside.fig.lens.presets.capital", lang))
ss.setdefault("inside_word", "cat" if lang == "en" else "고양이")
ss.setdefault("inside_words", t("inside.fig.map.presets.animals", lang))


# --- the model, opened once per process ---------------------------------------------------------


@st.cache_resource(show_spinner=False)
def registry() -> InsideRegistry:
    return InsideRegistry()


def opened_model() -> InsideModel | None:
    """The model for this page, opening it with a progress bar on first use; None after a polite error."""
    reg = registry()
    if reg.model is not None:
        return reg.model
    if preparing_note(lang):  # the background job is preparing the same files
        return None
    name = chosen_model()
    bar = st.progress(0.0, text=t("inside.loading", lang))

    def progress(fraction: float, stage: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=t(f"common.model.stages.{stage}", lang, model=name))

    try:
        return reg.get(lambda: inside_model.load_inside_model(name, progress=progress))
    except MemoryError:
        out_of_memory()
    except EngineError as err:
        if err.code == "out_of_memory":
            out_of_memory()
        else:
            st.error(error_text(err, lang), icon=":material/error:")
    finally:
        bar.empty()
    return None


def out_of_memory() -> None:
    """Give the memory back (the model, if it was open) and say what to do."""
    registry().release()
    st.error(t("inside.out_of_memory", lang), icon=":material/memory:")


def computed(fn, *args):
    """Run one view's computation; a refused text or a failure becomes a message (None returned)."""
    try:
        return fn(*args)
    except TextRefused as err:
        st.info(t(f"inside.refused.{err.reason}", lang, tokens=err.tokens, count=err.tokens, limit=limit_for(err)),
                icon=":material/edit:")
    except MemoryError:
        out_of_memory()
    except RuntimeError as err:  # torch says "can't allocate memory" as a RuntimeError
        if "allocat" in str(err).lower():
            out_of_memory()
        else:
            st.error(f"{t('inside.failed', lang)}\n\n`{err}`", icon=":material/error:")
    return None


def as_text(text: str) -> str:
    """The learner's text for st.markdown, shown as typed (markup and Markdown signs escaped)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text)


def limit_for(err: TextRefused) -> int:
    from tutor.inside.embeddings import MAX_WORDS

    return MAX_WORDS if err.reason == "too_many" else MAX_TOKENS


# --- cached results: a slider move or a rerun only redraws ------------------------------------
# The leading underscore keeps the model out of the cache key; the model name stands for it.


@st.cache_data(max_entries=64, show_spinner=False)
def attention_table(_inside: InsideModel, name: str, text: str, layer: int, head: int | None):
    from tutor.inside.attention import attention_table

    return attention_table(_inside, text, layer, head)


@st.cache_data(max_entries=32, show_spinner=False)
def logit_lens(_inside: InsideModel, name: str, text: str, top_k: int):
    from tutor.inside.lens import logit_lens

    return logit_lens(_inside, text, top_k)


@st.cache_data(max_entries=64, show_spinner=False)
def neighbours(_inside: InsideModel, name: str, word: str, top_k: int):
    from tutor.inside.embeddings import neighbours

    return neighbours(_inside, word, top_k)


@st.cache_data(max_entries=32, show_spinner=False)
def word_map(_inside: InsideModel, name: str, words: tuple[str, ...]):
    from tutor.inside.embeddings import word_map

    return word_map(_inside, list(words))


# --- shared pieces ------------------------------------------------------------------------------


def teaching(view: str) -> None:
    """What the view shows, how to read it, what not to over-read, and the lesson behind it."""
    st.write(t(f"inside.fig.{view}.what", lang))
    st.caption(t(f"inside.fig.{view}.how", lang))
    st.caption(t(f"inside.fig.{view}.not_over_read", lang))
    lesson_id, anchor = LESSONS[view]
    lesson_link(lesson_id, lang, label=t("inside.lesson_link", lang), section=anchor)


def set_from_preset(value_key: str, widget_key: str, view: str) -> None:
    """on_change of a preset pill: its text replaces the learner's; no pill stays selected."""
    choice = ss.get(widget_key)
    if choice:
        ss[value_key] = t(f"inside.fig.{view}.presets.{choice}", lang)
        ss[widget_key] = None


def text_ui(view: str, value_key: str, *, area: bool = True) -> str:
    """Preset pills and the text box for one view; returns the learner's text."""
    pill_key, box_key = f"_{value_key}_pill_w", f"_{value_key}_w"
    st.pills(
        t("inside.examples", lang),
        PRESETS[view],
        format_func=lambda name: t(f"inside.{view}.preset_names.{name}", lang),
        key=pill_key,
        on_change=set_from_preset,
        args=(value_key, pill_key, view),
    )
    widget = st.text_area if area else st.text_input
    label = t("inside.map.words" if view == "map" else "inside.text", lang)
    help_text = t("inside.map.words_help" if view == "map" else "inside.text_help", lang)
    widget(label, max_chars=2000, help=help_text, **remembered(value_key, box_key))
    return ss[value_key]


# --- the views ----------------------------------------------------------------------------------


def attention_view() -> None:
    teaching("attention")
    text = text_ui("attention", "inside_att_text")
    inside = opened_model()
    if inside is not None:
        attention_panel(inside, text)


@st.fragment
def attention_panel(inside: InsideModel, text: str) -> None:
    from tutor.inside.attention import strongest_sources
    from tutor.inside.charts import attention_heatmap, source_bars

    left, right = st.columns(2)
    layer = left.slider(t("inside.attention.layer", lang), 1, inside.layer_count, value=min(inside.layer_count, 12),
                        key="inside_att_layer", help=t("inside.attention.layer_help", lang))
    heads = [0, *range(1, inside.head_count + 1)]  # 0 = the average over heads
    head = right.selectbox(
        t("inside.attention.head", lang), heads, key="inside_att_head", help=t("inside.attention.head_help", lang),
        format_func=lambda h: t("inside.attention.average", lang) if h == 0 else t("inside.attention.head_name", lang, n=h),
    )
    table = computed(attention_table, inside, inside.name, text, layer, head or None)
    if table is None:
        return
    st.caption(t("inside.tokens_line", lang, tokens=len(inside.encode(text)), pieces=len(table.tokens)))
    titles = dict(row_title=t("inside.attention.row_token", lang), col_title=t("inside.attention.col_token", lang),
                  weight_title=t("inside.attention.weight", lang))
    st.altair_chart(attention_heatmap(table, **titles), width="content")
    st.caption(t("inside.fig.attention.pieces_note", lang))
    st.subheader(t("inside.fig.attention.pick", lang), anchor=False)
    choices = list(range(len(table.tokens)))
    # A new text starts at its own last piece. The choice is keyed, so it outlives its options:
    # it is set here (the browser is told), since dropping it would leave the old choice shown.
    if ss.get("_inside_att_row_text") != text or ss.get("inside_att_row") not in choices:
        ss["inside_att_row"] = choices[-1]
        ss["_inside_att_row_text"] = text
    row = st.selectbox(t("inside.attention.row_token", lang), choices, key="inside_att_row",
                       format_func=lambda i: f"{i + 1} {table.tokens[i]}")
    sources = strongest_sources(table, row, count=5)
    st.markdown(t("inside.attention.strongest", lang, token=as_text(table.tokens[row]), n=row + 1))
    st.dataframe(
        pd.DataFrame({
            t("inside.attention.col_token", lang): [f"{s.index + 1} {s.token}" for s in sources],
            t("inside.attention.weight", lang): [f"{s.weight:.1%}" for s in sources],
        }),
        hide_index=True,
    )
    st.altair_chart(source_bars(table, row, weight_title=titles["weight_title"]), width="stretch")


def lens_view() -> None:
    teaching("lens")
    text = text_ui("lens", "inside_lens_text")
    inside = opened_model()
    if inside is not None:
        lens_panel(inside, text)


@st.fragment
def lens_panel(inside: InsideModel, text: str) -> None:
    from tutor.inside.charts import answer_by_layer, compact_runs, table_height
    from tutor.lab.tokens import visible_token

    def shown(token: str) -> str:
        return compact_runs(visible_token(token))

    top_k = st.slider(t("inside.lens.top_k", lang), 1, 10, value=5, key="inside_lens_k")
    lens = computed(logit_lens, inside, inside.name, text, top_k)
    if lens is None:
        return
    layer_title, prob_title = t("inside.lens.layer_col", lang), t("inside.lens.prob_col", lang)
    st.altair_chart(
        answer_by_layer(lens.answer_probs, title=t("inside.lens.chart_title", lang, token=visible_token(lens.answer)),
                        layer_title=layer_title, prob_title=prob_title),
        width="stretch",
    )
    first_title, others_title = t("inside.lens.first_col", lang), t("inside.lens.others_col", lang)
    st.dataframe(
        pd.DataFrame({
            layer_title: [t("inside.lens.layer_zero", lang) if g.layer == 0 else str(g.layer) for g in lens.layers],
            first_title: [shown(g.top[0].token) for g in lens.layers],
            prob_title: [f"{g.top[0].prob:.1%}" for g in lens.layers],
            others_title: ["  ·  ".join(f"{shown(c.token)} {c.prob:.0%}" for c in g.top[1:]) for g in lens.layers],
        }),
        hide_index=True,
        height=table_height(len(lens.layers)),
        # wide enough for "0 (embedding)" and a guess; the other guesses take the rest
        column_config={layer_title: st.column_config.TextColumn(width=110),
                       first_title: st.column_config.TextColumn(width=150),
                       prob_title: st.column_config.TextColumn(width=90)},
    )


def map_view() -> None:
    teaching("map")
    inside = opened_model()
    if inside is not None:
        neighbours_panel(inside)
        st.divider()
        words = text_ui("map", "inside_words", area=False)
        map_panel(inside, words)


@st.fragment
def neighbours_panel(inside: InsideModel) -> None:
    from tutor.lab.tokens import visible_token

    left, right = st.columns([3, 1])
    left.text_input(t("inside.map.word", lang), max_chars=200, help=t("inside.map.word_help", lang),
                    **remembered("inside_word"))
    top_k = right.number_input(t("inside.map.top_k", lang), 1, 50, value=10, key="inside_word_k")
    word = ss["inside_word"]
    found = computed(neighbours, inside, inside.name, word, int(top_k))
    if found is None:
        return
    st.markdown(f"**{t('inside.map.neighbours', lang, word=as_text(word.strip()))}**")
    tokens = len(inside.tokenizer.encode(word.strip(), add_special_tokens=False))
    if tokens > 1:
        st.caption(t("inside.fig.map.multi_token", lang, word=word.strip(), tokens=tokens))
    st.dataframe(
        pd.DataFrame({
            t("inside.map.token_col", lang): [visible_token(n.token) for n in found],
            t("inside.map.similarity_col", lang): [round(n.similarity, 3) for n in found],
        }),
        hide_index=True,
    )


@st.fragment
def map_panel(inside: InsideModel, words_text: str) -> None:
    from tutor.inside.charts import word_map_chart

    words = tuple(w for w in (part.strip() for part in words_text.replace("\n", ",").split(",")) if w)
    found = computed(word_map, inside, inside.name, words)
    if found is None:
        return
    st.altair_chart(word_map_chart(found), width="content")  # its labels are placed for its own size
    x, y = (round(100 * share) for share in found.explained)
    st.caption(t("inside.fig.map.explained", lang, x=x, y=y))
    averaged = [p.word for p in found.points if p.tokens > 1]
    if averaged:
        st.caption(t("inside.fig.map.averaged", lang, words=", ".join(averaged)))


# --- the page -----------------------------------------------------------------------------------

st.title(t("inside.title", lang))
st.write(t("inside.fig.intro", lang))

if load_settings().backend != "local":
    st.info(t("inside.needs_local", lang), icon=":material/computer:")
    st.stop()

if st.query_params.get("view") in VIEWS:  # a link like ?view=map opens that view
    ss["inside_view"] = st.query_params["view"]

labels = {view: t(f"inside.views.{view}", lang) for view in VIEWS}
by_label = {label: view for view, label in labels.items()}


def on_tab_change() -> None:
    ss["inside_view"] = by_label.get(ss.get("_inside_tabs_w"), "attention")
    st.query_params["view"] = ss["inside_view"]


def on_release() -> None:
    registry().release()
    ss["inside_released"] = True


RUNNERS = {"attention": attention_view, "lens": lens_view, "map": map_view}
ss["_inside_tabs_w"] = labels[ss["inside_view"]]
tabs = st.tabs(list(labels.values()), key="_inside_tabs_w", on_change=on_tab_change)
released = ss.pop("inside_released", False)
for view, tab in zip(VIEWS, tabs, strict=True):
    if tab.open:  # only the open view runs
        with tab:
            if released:
                st.success(t("inside.released", lang), icon=":material/check:")
            else:
                RUNNERS[view]()

st.button(t("inside.release", lang), key="inside_release", help=t("inside.release_help", lang),
          icon=":material/memory:", on_click=on_release, disabled=registry().model is None)
