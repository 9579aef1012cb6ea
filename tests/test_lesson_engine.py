"""The lesson engine: front matter, sections, anchors, markers, and polite errors."""
import pytest

from tutor.lessons import LessonError, load_course, parse_lesson, try_target

GOOD = """+++
id = "demo"
order = 3
title = "Demo"
summary = "A demo lesson."
related = ["lab"]

[[quiz]]
id = "q1"
question = "Which?"
choices = ["a", "b"]
answer = 1
explain = "Because."
section = "second-part"
+++

Intro text.

## First part {#first-part}
Some *text*.

[[figure:nested-layers]]

## Second part {#second-part}
```
## not a heading inside code
[[figure:not-a-marker]]
```
[[try:lab]]
"""


def test_front_matter_fields_are_read():
    lesson = parse_lesson(GOOD, lang="en", path="demo.md")
    assert (lesson.id, lesson.order, lesson.title, lesson.summary) == ("demo", 3, "Demo", "A demo lesson.")
    assert lesson.related == ("lab",)
    assert lesson.quiz[0].answer == 1 and lesson.quiz[0].section == "second-part"


def test_sections_split_on_level_two_headings_with_explicit_anchors():
    lesson = parse_lesson(GOOD, lang="en")
    assert [s.anchor for s in lesson.sections] == ["first-part", "second-part"]
    assert [s.title for s in lesson.sections] == ["First part", "Second part"]
    assert lesson.intro[0].value == "Intro text."


def test_markers_become_blocks_but_not_inside_code_fences():
    lesson = parse_lesson(GOOD, lang="en")
    assert lesson.figures == ["nested-layers"]
    assert lesson.try_links == ["lab"]
    assert "## not a heading inside code" in lesson.sections[1].text


def test_a_try_marker_can_name_one_view_of_a_page():
    lesson = parse_lesson(GOOD.replace("[[try:lab]]", "[[try:inside/map]]"), lang="en")
    assert lesson.try_links == ["inside/map"]
    assert try_target("inside/map") == ("inside", "map")
    assert try_target("lab") == ("lab", None)


@pytest.mark.parametrize(
    "broken, message",
    [
        ("no front matter\n## A {#a}\n", "must start with"),
        ("+++\nid = 'x'\n", "not closed"),
        ("+++\nid = = 'x'\n+++\n", "not valid TOML"),
        ("+++\nid='x'\norder=1\ntitle='t'\n+++\n## A {#a}\n", "lacks 'summary'"),
        ("+++\nid='x'\norder=1\ntitle='t'\nsummary='s'\n+++\n## Heading without anchor\n", "needs an anchor"),
        ("+++\nid='x'\norder=1\ntitle='t'\nsummary='s'\n+++\n## A {#a}\n## B {#a}\n", "duplicate"),
        ("+++\nid='x'\norder=1\ntitle='t'\nsummary='s'\nrelated=['nowhere']\n+++\n## A {#a}\n", "related page"),
        ("+++\nid='x'\norder=1\ntitle='t'\nsummary='s'\n+++\n## A {#a}\n[[try:nowhere]]\n", "names no page"),
        ("+++\nid='x'\norder=1\ntitle='t'\nsummary='s'\n+++\n## A {#a}\n[[try:inside/nowhere]]\n", "names no view"),
        ("+++\nid='x'\norder=1\ntitle='t'\nsummary='s'\n+++\n## A {#a}\n[[try:lab/map]]\n", "names no view"),
        ("+++\nid='x'\norder=1\ntitle='t'\nsummary='s'\n+++\nonly intro\n", "no '## Title"),
    ],
)
def test_malformed_lesson_gives_an_error_naming_the_file(broken, message):
    with pytest.raises(LessonError) as err:
        parse_lesson(broken, lang="en", path="content/en/99-broken.md")
    assert "content/en/99-broken.md" in str(err.value)
    assert message in str(err.value)


def test_quiz_pointing_at_a_missing_section_is_rejected():
    bad = GOOD.replace('section = "second-part"', 'section = "nowhere"')
    with pytest.raises(LessonError, match="unknown section 'nowhere'"):
        parse_lesson(bad, lang="en", path="x.md")


def test_one_malformed_file_is_skipped_and_reported_not_fatal(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "01-good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "en" / "02-bad.md").write_text("garbage", encoding="utf-8")
    (tmp_path / "en" / "03-binary.md").write_bytes(b"\xff\xfe\x00bad")
    loaded = load_course(tmp_path, languages=("en",))
    assert [x.id for x in loaded.in_language("en")] == ["demo"]
    assert len(loaded.errors) == 2 and "02-bad.md" in loaded.errors[0]


def test_neighbours_give_previous_and_next_in_order(tmp_path):
    (tmp_path / "en").mkdir()
    for n in (1, 2, 3):
        text = GOOD.replace('id = "demo"', f'id = "l{n}"').replace("order = 3", f"order = {n}")
        (tmp_path / "en" / f"0{n}.md").write_text(text, encoding="utf-8")
    loaded = load_course(tmp_path, languages=("en",))
    prev, nxt = loaded.neighbours("en", "l2")
    assert (prev.id, nxt.id) == ("l1", "l3")
    assert loaded.neighbours("en", "l1")[0] is None and loaded.neighbours("en", "l3")[1] is None


def test_the_scroll_script_keeps_markup_in_the_anchor_inside_its_javascript_string():
    import json

    from tutor.ui.lessons import js_string, scroll_script

    anchor = 'x</script><script>alert(1)</script><!--&'
    script = scroll_script(anchor)
    assert script.count("</script>") == 1 and script.endswith("</script>")  # only its own end tag
    assert "<!--" not in script
    assert json.loads(js_string(anchor)) == anchor  # JavaScript still reads the same string
