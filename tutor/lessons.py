"""The lesson engine: lessons are Markdown files with TOML front matter.

A lesson file `content/<lang>/NN-<id>.md` looks like this:

    +++
    id = "where-llms-fit"          # same id in every language
    order = 1
    title = "Where LLMs fit"
    summary = "One sentence for the lesson list."
    related = ["classifiers"]      # page ids the lesson lets you try (see PAGE_IDS)

    [[quiz]]                       # 3-5 multiple-choice questions
    id = "q1"
    question = "..."
    choices = ["...", "...", "..."]
    answer = 0                     # index into choices
    explain = "One line on why."
    section = "nested-layers"      # anchor of the section that teaches it
    +++

    An optional intro paragraph.

    ## A section heading {#stable-anchor}
    Markdown text...

    [[figure:nested-layers]]       # drawn by a registered function (tutor.figures)
    [[try:classifiers]]            # a link to the page where the learner can try it
    [[try:inside/map]]             # ... opened at one of its views (see PAGE_VIEWS)

Sections are `##` headings with an explicit `{#anchor}`, so links and the tutor's citations stay
stable across languages and edits. Markers stand alone on their line.
"""
from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tutor.inside import VIEWS as INSIDE_VIEWS

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

# Pages a lesson may link to; streamlit_app.py routes each of these ids.
PAGE_IDS: tuple[str, ...] = (
    "lessons",
    "glossary",
    "tutor",
    "lab",
    "classifiers",
    "inside",
    "prompting",
    "progress",
)
# Pages with views a link can open directly ([[try:inside/map]] -> the page at ?view=map).
PAGE_VIEWS: dict[str, tuple[str, ...]] = {"inside": INSIDE_VIEWS}

_HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*\{#(?P<anchor>[a-z0-9][a-z0-9-]*)\}\s*$")
_BAD_HEADING = re.compile(r"^##\s+")
_MARKER = re.compile(r"^\[\[(?P<kind>figure|try):(?P<name>[a-z0-9][a-z0-9_/-]*)\]\]\s*$")


class LessonError(ValueError):
    """A lesson file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class Block:
    """A piece of a section: Markdown text, a figure, or a "try it" link."""

    kind: str  # "markdown" | "figure" | "try"
    value: str  # the Markdown text, the figure name, or the page id (with "/view" for a page's view)


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        """The section's prose alone (for search and word counts)."""
        return "\n\n".join(b.value for b in self.blocks if b.kind == "markdown")


@dataclass(frozen=True)
class QuizQuestion:
    id: str
    question: str
    choices: tuple[str, ...]
    answer: int
    explain: str
    section: str


@dataclass(frozen=True)
class Lesson:
    id: str
    lang: str
    order: int
    title: str
    summary: str
    related: tuple[str, ...]
    intro: tuple[Block, ...]
    sections: tuple[Section, ...]
    quiz: tuple[QuizQuestion, ...] = field(default_factory=tuple)
    path: str = ""

    def section(self, anchor: str) -> Section | None:
        return next((s for s in self.sections if s.anchor == anchor), None)

    @property
    def figures(self) -> list[str]:
        blocks = list(self.intro) + [b for s in self.sections for b in s.blocks]
        return [b.value for b in blocks if b.kind == "figure"]

    @property
    def try_links(self) -> list[str]:
        blocks = list(self.intro) + [b for s in self.sections for b in s.blocks]
        return [b.value for b in blocks if b.kind == "try"]

    @property
    def word_count(self) -> int:
        """Words for English; for Korean, space-separated eojeol (the usual Korean count)."""
        text = " ".join([b.value for b in self.intro if b.kind == "markdown"])
        text += " " + " ".join(s.title + " " + s.text for s in self.sections)
        return len(re.findall(r"[^\s#*_>`|\-]+", text))


def _split_front_matter(raw: str, where: str) -> tuple[dict, str, int]:
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "+++":
        raise LessonError(f"{where}: must start with a '+++' line (TOML front matter)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise LessonError(f"{where}: front matter is not closed with '+++'") from None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as err:
        raise LessonError(f"{where}: front matter is not valid TOML: {err}") from err
    return meta, "\n".join(lines[end + 1 :]), end + 2


def try_target(value: str) -> tuple[str, str | None]:
    """A try marker's page id and view: "inside/map" -> ("inside", "map"), "lab" -> ("lab", None)."""
    page, _, view = value.partition("/")
    return page, view or None


def _blocks(lines: list[str]) -> tuple[Block, ...]:
    blocks: list[Block] = []
    text: list[str] = []

    def flush() -> None:
        joined = "\n".join(text).strip()
        if joined:
            blocks.append(Block("markdown", joined))
        text.clear()

    in_code = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
        marker = None if in_code else _MARKER.match(line.strip())
        if marker:
            flush()
            blocks.append(Block(marker["kind"], marker["name"]))
        else:
            text.append(line)
    flush()
    return tuple(blocks)


def _quiz(meta: dict, where: str) -> tuple[QuizQuestion, ...]:
    questions = []
    for i, q in enumerate(meta.get("quiz", [])):
        try:
            choices = tuple(str(c) for c in q["choices"])
            answer = int(q["answer"])
            if not 0 <= answer < len(choices):
                raise LessonError(f"{where}: quiz {i + 1}: answer {answer} is not a choice index")
            questions.append(
                QuizQuestion(
                    id=str(q["id"]),
                    question=str(q["question"]),
                    choices=choices,
                    answer=answer,
                    explain=str(q["explain"]),
                    section=str(q["section"]),
                )
            )
        except KeyError as err:
            raise LessonError(f"{where}: quiz {i + 1} lacks the key {err}") from None
    return tuple(questions)


def parse_lesson(raw: str, *, lang: str, path: str = "<text>") -> Lesson:
    """Parse one lesson file's text. Raises LessonError naming `path` on any problem."""
    meta, body, first_body_line = _split_front_matter(raw, path)
    for key in ("id", "order", "title", "summary"):
        if key not in meta:
            raise LessonError(f"{path}: front matter lacks '{key}'")
    related = tuple(meta.get("related", []))
    for page in related:
        if page not in PAGE_IDS:
            raise LessonError(f"{path}: related page '{page}' is not one of {PAGE_IDS}")

    intro_lines: list[str] = []
    sections: list[tuple[str, str, list[str]]] = []
    in_code = False
    for offset, line in enumerate(body.splitlines()):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        heading = None if in_code else _HEADING.match(line)
        if heading:
            sections.append((heading["anchor"], heading["title"], []))
        elif not in_code and _BAD_HEADING.match(line):
            raise LessonError(
                f"{path}:{first_body_line + offset}: section heading needs an anchor, "
                f"like '## Title {{#some-anchor}}': {line.strip()!r}"
            )
        elif sections:
            sections[-1][2].append(line)
        else:
            intro_lines.append(line)

    anchors = [a for a, _, _ in sections]
    if not anchors:
        raise LessonError(f"{path}: has no '## Title {{#anchor}}' sections")
    duplicates = {a for a in anchors if anchors.count(a) > 1}
    if duplicates:
        raise LessonError(f"{path}: duplicate section anchors {sorted(duplicates)}")

    lesson = Lesson(
        id=str(meta["id"]),
        lang=lang,
        order=int(meta["order"]),
        title=str(meta["title"]),
        summary=str(meta["summary"]),
        related=related,
        intro=_blocks(intro_lines),
        sections=tuple(Section(a, t, _blocks(lines)) for a, t, lines in sections),
        quiz=_quiz(meta, path),
        path=path,
    )
    for link in lesson.try_links:
        page, view = try_target(link)
        if page not in PAGE_IDS:
            raise LessonError(f"{path}: [[try:{link}]] names no page; use one of {PAGE_IDS}")
        if view is not None and view not in PAGE_VIEWS.get(page, ()):
            raise LessonError(f"{path}: [[try:{link}]] names no view of '{page}'; use one of {PAGE_VIEWS.get(page, ())}")
    for q in lesson.quiz:
        if lesson.section(q.section) is None:
            raise LessonError(f"{path}: quiz {q.id} points at unknown section '{q.section}'")
    return lesson


@dataclass(frozen=True)
class Course:
    """All lessons of all languages, plus the files that could not be read."""

    lessons: dict[str, tuple[Lesson, ...]]  # lang -> lessons in order
    errors: tuple[str, ...]

    def in_language(self, lang: str) -> tuple[Lesson, ...]:
        return self.lessons.get(lang, ())

    def get(self, lang: str, lesson_id: str) -> Lesson | None:
        return next((x for x in self.in_language(lang) if x.id == lesson_id), None)

    def neighbours(self, lang: str, lesson_id: str) -> tuple[Lesson | None, Lesson | None]:
        lessons = self.in_language(lang)
        ids = [x.id for x in lessons]
        if lesson_id not in ids:
            return None, None
        i = ids.index(lesson_id)
        return (lessons[i - 1] if i > 0 else None, lessons[i + 1] if i + 1 < len(lessons) else None)


def load_course(content_dir: Path = CONTENT_DIR, languages: tuple[str, ...] = ("ko", "en")) -> Course:
    """Read every lesson. A malformed file is reported in `errors` and skipped, so one bad
    file never takes the whole app down."""
    lessons: dict[str, tuple[Lesson, ...]] = {}
    errors: list[str] = []
    for lang in languages:
        found = []
        for path in sorted((content_dir / lang).glob("*.md")):
            try:
                found.append(parse_lesson(path.read_text(encoding="utf-8"), lang=lang, path=str(path)))
            except (LessonError, UnicodeDecodeError) as err:
                errors.append(str(err))
        lessons[lang] = tuple(sorted(found, key=lambda x: (x.order, x.id)))
    return Course(lessons=lessons, errors=tuple(errors))


@functools.cache
def course() -> Course:
    """The course as shipped, read once per process."""
    return load_course()
