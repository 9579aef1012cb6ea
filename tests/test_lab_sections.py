"""tutor.lab.sections: the lab's tabs and the lesson each one links to."""
from __future__ import annotations

import re

import pytest

from tutor.i18n import t, t_list
from tutor.lab import sections
from tutor.lab.generation import Continuation
from tutor.lab.reshaping import POOL_SIZE
from tutor.lab.sections import LESSONS
from tutor.lessons import course


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("tab", sorted(LESSONS))
def test_each_lab_tab_names_its_lesson_by_number_and_title(tab, lang):
    """"9강: 한 번에 한 토큰씩 글 쓰기" linked to a lesson called "토큰을 하나씩 이어 글 쓰기" (issue 16)."""
    lesson_id, _ = LESSONS[tab]
    lesson = course().get(lang, lesson_id)
    label = t(f"lab.lesson.{tab}", lang)
    number, _, title = label.partition(": ")
    assert number == (f"Lesson {lesson.order}" if lang == "en" else f"{lesson.order}강")
    sections = [s.title.lower() for s in lesson.sections]
    if tab == "controls":  # "temperature, top-k and top-p": each named in a section title
        parts = re.split(r", | and ", title.lower())
        assert all(any(part in s for s in sections) for part in parts), label
    else:
        # A label is UI text (합니다체), so a title's 해요체 ending is left off: "…다음 토큰 예측".
        names = [lesson.title.lower(), *sections]
        assert title.lower() in names + [re.sub(r"(이에요|예요)$", "", n) for n in names], label


def test_a_link_opens_a_lab_tab_only_when_it_names_one():
    assert sections.section_from_link("tokens") == "tokens"
    assert sections.section_from_link("nope") is None and sections.section_from_link(None) is None
    assert set(LESSONS) == set(sections.SECTIONS)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_first_visit_starts_from_the_first_example_and_neutral_settings(lang):
    values = sections.starting_values(lang)
    assert values["lab_state"] == Continuation(start=t_list("lab.examples", lang)[0])
    assert values["lab_section"] == "predict"
    assert (values["lab_temperature"], values["lab_top_k"], values["lab_top_p"]) == (1.0, POOL_SIZE, 1.0)
    assert values["lab_tok_sentence"] == t("lab.tokenizer.default", lang)
    assert all(key.startswith("lab_") for key in values)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_each_tab_label_leads_back_to_its_section(lang):
    labels = sections.tab_labels(lang)
    assert list(labels) == list(sections.SECTIONS)
    assert all(sections.section_for_label(label, labels) == section for section, label in labels.items())
    assert sections.section_for_label("no such tab", labels) == "predict"
