"""The glossary: the same terms in both languages, each linking to a lesson section that exists,
a search that forgives case and odd input, and a page that renders in Korean and English."""

from __future__ import annotations

import re

import pytest

from tutor.glossary import (
    MAX_QUERY_CHARS,
    GlossaryError,
    Term,
    broken_links,
    clean_query,
    index_letter,
    load_glossary,
    parse_glossary,
    search,
)
from tutor.lessons import load_course

HANGUL = re.compile(r"[\uac00-\ud7a3]")
REQUIRED_IDS = {
    "token", "tokenizer", "vocabulary", "parameter", "neuron", "layer", "embedding", "logit", "softmax",
    "probability-distribution", "temperature", "top-k", "top-p", "greedy-decoding", "sampling",
    "context-window", "prompt", "transformer", "attention", "pre-training", "fine-tuning",
    "instruction-tuning", "rlhf", "self-supervised-learning", "classification", "regression",
    "decision-boundary", "training-data", "hallucination", "grounding", "rag", "zero-shot", "few-shot",
    "chain-of-thought", "overfitting",
}  # fmt: skip


def _term(name: str, definition: str = "A definition.", id_: str | None = None) -> Term:
    return Term(id=id_ or name.lower(), term=name, definition=definition, lesson="l", section="s")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_glossary_has_thirty_plus_terms_including_the_core_ones(lang: str) -> None:
    ids = {term.id for term in load_glossary(lang)}
    assert len(ids) >= 30
    assert REQUIRED_IDS <= ids, sorted(REQUIRED_IDS - ids)


def test_both_languages_define_the_same_terms_pointing_at_the_same_sections() -> None:
    en = {t.id: (t.lesson, t.section) for t in load_glossary("en")}
    ko = {t.id: (t.lesson, t.section) for t in load_glossary("ko")}
    assert en == ko


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_glossary_link_opens_an_existing_lesson_section(lang: str) -> None:
    # Fails until every lesson a term points at exists in this language: that is intended.
    assert broken_links(load_glossary(lang), load_course(), lang) == []


def test_korean_glossary_is_written_in_korean_and_english_one_is_not() -> None:
    assert all(HANGUL.search(t.definition) for t in load_glossary("ko"))
    assert not any(HANGUL.search(t.term + t.definition) for t in load_glossary("en"))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_glossary_is_listed_alphabetically_ignoring_case(lang: str) -> None:
    names = [t.term.casefold() for t in load_glossary(lang)]
    assert names == sorted(names)


def test_search_lists_name_matches_before_definition_matches() -> None:
    terms = (_term("Logit", "A raw score per token."), _term("Token", "A piece of text."))
    assert [t.term for t in search(terms, "token")] == ["Token", "Logit"]


def test_search_ignores_case_extra_spaces_and_control_characters() -> None:
    terms = (_term("Top-p sampling"), _term("Temperature"))
    assert [t.term for t in search(terms, "  TOP-P\x00\u200b ")] == ["Top-p sampling"]


def test_search_needs_every_word_of_the_query() -> None:
    terms = (_term("Greedy decoding", "Always take the most likely token."), _term("Sampling"))
    assert [t.term for t in search(terms, "likely greedy")] == ["Greedy decoding"]
    assert search(terms, "likely zebra") == ()


@pytest.mark.parametrize("query", ["", "   ", None, 42, ["token"]])
def test_empty_or_non_text_query_lists_every_term(query: object) -> None:
    terms = (_term("A"), _term("B"))
    assert search(terms, query) == terms


def test_korean_search_matches_decomposed_hangul_input() -> None:
    import unicodedata

    terms = load_glossary("ko")
    typed = unicodedata.normalize("NFD", "토큰")  # some keyboards send jamo sequences
    assert clean_query(typed) == "토큰"
    assert any(t.id == "token" for t in search(terms, typed))


def test_parse_glossary_names_the_file_and_the_missing_field() -> None:
    with pytest.raises(GlossaryError, match=r"bad\.toml: term 1 lacks definition"):
        parse_glossary('[[term]]\nid = "x"\nterm = "X"\nlesson = "l"\nsection = "s"\n', "bad.toml")


def test_parse_glossary_rejects_duplicate_ids_and_broken_toml() -> None:
    entry = '[[term]]\nid = "x"\nterm = "X"\ndefinition = "d"\nlesson = "l"\nsection = "s"\n'
    with pytest.raises(GlossaryError, match="duplicate"):
        parse_glossary(entry + entry)
    with pytest.raises(GlossaryError, match="not valid TOML"):
        parse_glossary("[[term]\nid = ")


def test_broken_links_reports_a_missing_section() -> None:
    course = load_course()
    lesson = course.in_language("en")[0]
    good = Term("a", "A", "d", lesson.id, lesson.sections[0].anchor)
    bad = Term("b", "B", "d", lesson.id, "no-such-section")
    assert broken_links((good, bad), course, "en") == [
        f"en: 'b' points at missing section '{lesson.id}#no-such-section'"
    ]


def test_index_letter_groups_korean_by_first_consonant_and_english_by_letter() -> None:
    assert index_letter(_term("토큰 (token)")) == "ㅌ"
    assert index_letter(_term("까치")) == "ㄱ"  # tense consonants file under the plain one
    assert index_letter(_term("attention")) == "A"
    assert index_letter(_term("RLHF (인간 피드백 기반 강화 학습)")) == "R"


@pytest.mark.parametrize("lang,expected", [("en", "Glossary"), ("ko", "용어집")])
def test_glossary_page_lists_every_term_with_a_link_in_each_language(
    open_page, lang: str, expected: str
) -> None:
    at = open_page("pages/glossary.py", lang=lang)
    assert not at.exception
    assert at.title[0].value == expected
    links = [el.proto for el in at.main.get("page_link") if el.proto.query_string.startswith("lesson=")]
    assert len(links) == len(load_glossary(lang))
    assert all("section=" in link.query_string for link in links)


def test_glossary_search_box_filters_the_list(open_page) -> None:
    at = open_page("pages/glossary.py", lang="en")
    at.text_input(key="_glossary_query_widget").input("temperature").run()
    shown = [el for el in at.main.markdown if el.value.startswith("**")]
    assert shown and shown[0].value.startswith("**Temperature**")
    assert len(shown) < len(load_glossary("en"))


def test_glossary_search_with_no_match_says_so(open_page) -> None:
    at = open_page("pages/glossary.py", lang="ko")
    at.text_input(key="_glossary_query_widget").input("얼룩말").run()
    assert not at.exception
    assert "얼룩말" in at.info[0].value


def test_overlong_glossary_search_is_refused_and_shows_every_term(open_page) -> None:
    at = open_page("pages/glossary.py", lang="en")
    at.text_input(key="_glossary_query_widget").input("token " * MAX_QUERY_CHARS).run()
    assert not at.exception
    assert str(MAX_QUERY_CHARS) in at.warning[0].value
    shown = [el for el in at.main.markdown if el.value.startswith("**")]
    assert len(shown) == len(load_glossary("en"))


def test_glossary_search_survives_a_page_switch(open_page) -> None:
    at = open_page("pages/glossary.py", lang="en")
    at.text_input(key="_glossary_query_widget").input("attention").run()
    at.switch_page("pages/lessons.py").run()
    at.switch_page("pages/glossary.py").run()
    assert at.text_input(key="_glossary_query_widget").value == "attention"
