"""Learners' own questions per section (content/<lang>/asked.toml, tutor/chat/asked.py): each names a
real section and an answer that is one of its sentences; the search and the quote use them."""
from __future__ import annotations

import pytest

from tutor.chat.asked import AskedError, AskedGroup, asked_groups, parse_asked, same_sentence, sentence_groups
from tutor.chat.quotes import lesson_sentences, pick_quote
from tutor.chat.retrieval import SectionIndex, passages_of, retrieve
from tutor.lessons import Course, course


@pytest.mark.parametrize("load", [asked_groups, sentence_groups])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_group_names_a_section_and_one_of_its_sentences(lang, load):
    sections = {(lesson.id, s.anchor): s for lesson in course().lessons[lang] for s in lesson.sections}
    groups = load(lang)
    assert len(groups) >= 100, "every section but the summaries has questions"
    for g in groups:
        section = sections.get((g.lesson, g.section))
        assert section is not None, f"{g.lesson}#{g.section}"
        assert any(same_sentence(g.answer, s) for s in lesson_sentences(section.text)), g.answer
        assert 3 <= len(g.questions) <= 8, g


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_section_but_the_summaries_has_questions(lang):
    asked = {(g.lesson, g.section) for g in asked_groups(lang)}
    missing = [f"{lesson.id}#{s.anchor}" for lesson in course().lessons[lang] for s in lesson.sections
               if s.anchor != "key-ideas" and (lesson.id, s.anchor) not in asked]
    assert missing == []


@pytest.mark.parametrize("raw", ['[[asked]]\nat = "no-hash"\nanswer = "x"\nquestions = ["q"]',
                                 '[[asked]]\nat = "a#b"\nanswer = ""\nquestions = ["q"]',
                                 '[[asked]]\nat = "a#b"\nanswer = "x"\nquestions = []',
                                 "not toml ["])
def test_a_malformed_group_is_refused_with_its_file_named(raw):
    with pytest.raises(AskedError, match="here.toml"):
        parse_asked(raw, "en", "here.toml")


def _small_index(asked: list[AskedGroup], sentence_asked: list[AskedGroup] | None = None) -> SectionIndex:
    one = course().get("en", "strengths-and-hallucinations")
    return SectionIndex(passages_of(Course(lessons={"en": (one,)}, errors=())), asked=asked,
                        sentence_asked=sentence_asked or [])


def test_a_question_in_other_words_finds_the_section_whose_learners_ask_it():
    """"make stuff up" shares no word with the hallucination section; its asked questions do."""
    answer = lesson_sentences(course().get("en", "strengths-and-hallucinations").section("hallucinations").text)[0]
    group = AskedGroup("en", "strengths-and-hallucinations", "hallucinations", answer,
                       ("why do chatbots make stuff up", "does it invent fake sources"))
    question = "why would a chatbot make stuff up"
    without = retrieve(question, "en", index=_small_index([]))
    with_asked = retrieve(question, "en", index=_small_index([group]))
    assert with_asked.hits[0].section == "hallucinations"
    assert with_asked.hits[0].asked > 0 and with_asked.hits[0].answer == answer
    assert without.hits[0].asked == 0
    quote = pick_quote(question, with_asked.hits, "en")
    assert quote is not None and quote.section == "hallucinations" and answer.split("**")[0] in quote.text


def test_sentence_questions_choose_the_quoted_sentence_but_not_the_section_or_coverage():
    """asked_sentences.toml only helps the picker: the same sections, scores and "covered" with or
    without it, while the sentence its questions name is the one quoted."""
    sentences = lesson_sentences(course().get("en", "strengths-and-hallucinations").section("hallucinations").text)
    named = sentences[6]  # "Look at the loop again: there is no step that checks facts."
    group = AskedGroup("en", "strengths-and-hallucinations", "hallucinations", named,
                       ("does it double check stuff before answering", "doesnt it verify what it says"))
    question = "hallucinations: does it double check stuff first"
    without = retrieve(question, "en", index=_small_index([]))
    with_sentences = retrieve(question, "en", index=_small_index([], [group]))
    assert [(h.section, h.score) for h in with_sentences.hits] == [(h.section, h.score) for h in without.hits]
    assert with_sentences.grounded == without.grounded
    assert with_sentences.hits[0].section == "hallucinations" and with_sentences.hits[0].answer == named
    before = pick_quote(question, without.hits, "en")
    after = pick_quote(question, with_sentences.hits, "en")
    assert before is not None and after is not None
    assert before.text.startswith(sentences[0][:20])  # without them: the section's opening
    assert after.text.startswith(sentences[5][:20]) and named in after.text  # with: the named one, after the one it follows
