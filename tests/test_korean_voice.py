"""One Korean voice: the term sheet's chosen words, and one politeness level per string.

What counts as what (the rule this test enforces):
- Learning text is 해요체: lessons (content/ko/*.md: title, summary, quiz, body), the glossary
  (content/ko/glossary.toml), lesson figures (every [ko] string of content/ui/figures*.toml and the
  classifier figures under [ko.fig] of content/ui/classifiers.toml), the lines that teach how to
  read a chart on a page (keys `caption`, `what`, `how`, `not_over_read`), what the learner sends
  the tutor and the tutor's worked answer (`starter`, `ask_template`, `example_note`,
  `example_question`, `example_answer`), the prompting cards and exercises
  (content/prompting/ko.toml: what the learner reads), and the chat's starter questions
  (content/starters.toml [[ko]], when that file exists).
- UI chrome is 합니다체: every other [ko] string of content/ui/*.toml (page titles and intros,
  buttons, notices, page help, errors, the tutor's instructions to the model).
- Not read: sample texts a page hands the model or a classifier (SAMPLE_KEYS), and in the prompting
  file the prompts and checking rules (PROMPT_FIELDS).
- No string mixes the two.

The check reads sentence-final endings only, which is simple and honest about what it sees: a
sentence ending in 요 or 죠 (이에요, 해요, 할까요?, 있죠) is 해요체; one ending in 니다 or 니까? is
합니다체. Requests ending in 세요 (하세요, 보세요) are left out: Korean UI pairs 합니다 with 하세요,
since the 합니다체 imperative 하십시오 reads stiff, and lessons use 세요 too, so they fit both.
Text the learner reads as a quotation, not as our voice (a prompt the learner may type, a model's
output, a memo given to the model), may be in any register; it is allowed through QUOTED below,
one snippet at a time, and the fields that hold prompts sent to the model are not read at all.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

CONTENT = Path(__file__).resolve().parent.parent / "content"
TERMS = tomllib.loads((CONTENT / "ko" / "terms.toml").read_text(encoding="utf-8"))["term"]

# Fields of content/prompting/ko.toml that are sent to the model or read by code, not read as our
# voice: the cards' prompts, an exercise's reference prompt, its checking rules, ids.
PROMPT_FIELDS = {"prompt", "model_answer", "rules", "id", "lesson", "lesson_section", "kind", "needs"}

# Keys of content/ui/*.toml that hold learning text wherever they are (see the module docstring).
TEACHING_KEYS = {
    "caption", "what", "how", "not_over_read",
    "starter", "ask_template", "example_note", "example_question", "example_answer",
}

# Keys of content/ui/*.toml whose strings are sample texts a page hands the model or a classifier
# (the learner's input, not our voice), in whatever register the sample needs.
SAMPLE_KEYS = ("presets", "examples", "default_question")

# Quoted text that may use another register, with why. Matched exactly inside the string.
QUOTED: dict[str, str] = {
    # L11 and the chat-template card: the Korean of the question the model is given, in 합니다체.
    "당신의 이름은 무엇입니까?": "a prompt shown as the model's input",
    # Exercise memos: the text the learner pastes into the prompt, written as a notice would be.
    "궤도 로봇 동아리는 매주 수요일 오후 5시에 B12 실습실에서 모입니다. 노트북을 가져오세요.": "a memo for the model",
    "우리 팀은 주간 보고서를 금요일에서 월요일로 옮겼습니다. 데이터 대부분이 주말에 들어오기 때문에 "
    "월요일 보고서가 더 완전합니다. 보고서에는 아직 남은 위험 목록도 짧게 들어갑니다.": "a memo for the model",
    "시립 도서관은 책을 3주 동안 빌려줍니다. 회원은 최대 10권까지 빌릴 수 있습니다. "
    "2층에는 조용한 열람실이 있습니다.": "a memo for the model",
    "메모에 없습니다": "the exact answer the exercise asks the model to write",
    "안녕하세요, 박미나입니다. mina@example.com으로 연락 주세요. 부산에 살아요.": "a memo for the model",
    # The prompting cards' notes quote what the 0.5B model wrote, word for word.
    "죄송합니다, 저는 AI를 생성하지 못합니다…": "the model's output",
    "새 회원은 별자리 지도를 가져와야 합니다.": "the model's output",
    "당신의 이름은 Qwen입니다.": "the model's output",
    "성은 무엇입니까?": "a base model's likely continuation",
    "콘서트는 처음부터 끝까지 최고였어요.": "an example sentence for the sentiment classifier",
    "위 참고 자료만 사용해 한 문장으로 답하세요: 동아리는 어디서 모이나요?": "a prompt the learner types",
}

_PLACEHOLDER = re.compile(r"\{[a-z_0-9]*\}")
# A sentence end: the ending, then optional closing quotes/brackets, then . ? ! … or the string's end.
_CLOSE = r"[)\]”’\"'」』]*"
_END = re.compile(rf"(요|죠|니다|니까(?=\?))(?={_CLOSE}(?:[.?!…]|\s*$|\s*\n))")
_JONG_B = 17  # the final consonant ㅂ: 합니다체 is 입니다, 합니다, 습니다 (ㅂ니다), never 아니다
# Nouns that end in 요 and can close a label without being 해요체.
_NOUN_YO = ("필요", "중요", "개요", "수요", "요요")


def registers(text: str) -> set[str]:
    """The politeness levels whose sentence endings appear in text: "해요체", "합니다체"."""
    for snippet in QUOTED:
        text = text.replace(snippet, " ")
    text = _PLACEHOLDER.sub("X", text)
    found = set()
    for m in _END.finditer(text):
        before = text[max(0, m.start() - 1) : m.start()]
        if m.group(1) == "요" and (before == "세" or before + "요" in _NOUN_YO):
            continue
        if m.group(1) in ("요", "죠"):
            found.add("해요체")
        elif "가" <= before <= "힣" and (ord(before) - 0xAC00) % 28 == _JONG_B:
            found.add("합니다체")
    return found


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _lesson_strings(path: Path) -> Iterator[tuple[str, str]]:
    raw = path.read_text(encoding="utf-8")
    _, front, body = raw.split("+++", 2)
    meta = tomllib.loads(front)
    for key in ("title", "summary"):
        yield key, meta[key]
    for q in meta.get("quiz", []):
        for key in ("question", "choices", "explain"):
            yield from _strings(q[key], f"quiz.{q['id']}.{key}")
    line = raw[: raw.index(body)].count("\n") + 1
    for para in body.split("\n\n"):
        if para.strip() and not para.strip().startswith("[["):
            yield f"line {line + 1}", para.strip()
        line += para.count("\n") + 2


def korean_strings() -> Iterator[tuple[str, str, str]]:
    """Every Korean string a learner reads: (where, register it must have, text)."""
    for path in sorted((CONTENT / "ko").glob("*.md")):
        for where, text in _lesson_strings(path):
            yield f"{path.name} {where}", "해요체", text
    glossary = tomllib.loads((CONTENT / "ko" / "glossary.toml").read_text(encoding="utf-8"))
    for where, text in _strings(glossary, "glossary"):
        yield f"ko/glossary.toml {where}", "해요체", text
    for path in sorted((CONTENT / "ui").glob("*.toml")):
        ko = tomllib.loads(path.read_text(encoding="utf-8")).get("ko", {})
        for where, text in _strings(ko, "ko"):
            key = where.rsplit(".", 1)[-1].split("[")[0]
            if any(f".{k}" in where for k in SAMPLE_KEYS):
                continue
            teaches = path.name.startswith("figures") or where.startswith("ko.fig.") or key in TEACHING_KEYS
            yield f"ui/{path.name} {where}", "해요체" if teaches else "합니다체", text
    prompting = tomllib.loads((CONTENT / "prompting" / "ko.toml").read_text(encoding="utf-8"))
    for group in ("tips", "exercises"):
        for item in prompting[group]:
            for key, value in item.items():
                if key in PROMPT_FIELDS or key in ("before", "after") and not isinstance(value, dict):
                    continue
                if key in ("before", "after"):
                    value = {k: v for k, v in value.items() if k not in PROMPT_FIELDS}
                for where, text in _strings(value, f"{group}.{item['id']}.{key}"):
                    yield f"prompting/ko.toml {where}", "해요체", text
    starters = CONTENT / "starters.toml"
    if starters.exists():
        ko = tomllib.loads(starters.read_text(encoding="utf-8")).get("ko", [])
        for where, text in _strings(ko, "ko"):
            yield f"starters.toml {where}", "해요체", text


STRINGS = list(korean_strings())


def _avoided(text: str) -> list[tuple[str, str]]:
    """(variant, chosen word) for each term-sheet variant that begins a word in text."""
    hits = []
    for term in TERMS:
        # Other words that begin with a variant (절대, 절반 for 절) are not that variant.
        rest = text
        for word in term.get("except", []):
            rest = rest.replace(word, " ")
        for variant in term["avoid"]:
            if re.search(rf"(?<![가-힣]){re.escape(variant)}", rest):
                hits.append((variant, term["use"]))
    return hits


def test_the_term_sheet_names_one_word_per_concept_and_its_variants_are_not_chosen_words():
    chosen = [t["use"] for t in TERMS]
    assert len(chosen) == len(set(chosen))
    for term in TERMS:
        assert term["use"] not in term["avoid"], term["concept"]


def test_the_voice_check_tells_the_two_levels_apart():
    assert registers("모델은 토큰을 하나씩 골라요. 그래서 답이 달라지죠.") == {"해요체"}
    assert registers("모델을 불러오는 중입니다. 잠시 기다려 주십시오.") == {"합니다체"}
    assert registers("준비됐습니다. 이 컴퓨터에서 {runtime}(으)로 계산해요.") == {"해요체", "합니다체"}
    assert registers("다시 시도하세요.") == set()
    assert registers("학습 현황") == set() and registers("파라미터는 뉴런이 아니다") == set()
    assert registers("설정 필요") == set()
    assert registers("정말 끝낼까요?") == {"해요체"} and registers("정말 끝낼까요? 무엇입니까?") == {"해요체", "합니다체"}
    assert registers("모델은 \"당신의 이름은 무엇입니까?\"를 이어 써요.") == {"해요체"}


def test_a_term_sheet_variant_is_found_only_where_it_begins_a_word():
    assert _avoided("이 절에서는") == [("절", "섹션")]
    assert _avoided("관련 구절을 찾아요") == [] and _avoided("절대 나오지 않아요") == []
    assert ("부류", "범주") in _avoided("부류가 셋이 돼요")


@pytest.mark.parametrize(("where", "register", "text"), STRINGS, ids=[s[0] for s in STRINGS])
def test_korean_string_uses_the_term_sheet_words(where, register, text):
    assert not _avoided(text), f"{where}: {_avoided(text)} in {text!r}"


@pytest.mark.parametrize(("where", "register", "text"), STRINGS, ids=[s[0] for s in STRINGS])
def test_korean_string_keeps_one_politeness_level(where, register, text):
    found = registers(text)
    assert found <= {register}, f"{where}: should be {register}, has {sorted(found)}: {text!r}"


# A particle written both ways, 을(를), 은(는), 이(가), (으)로 ...: the mark of a template that did
# not know the word before it. Korean readers see it as machine text; every such sentence is
# written so that the particle follows a word we know ("'{name}' 그림을", "값({value})이").
_MECHANICAL = re.compile(r"(은\(는\)|는\(은\)|이\(가\)|가\(이\)|을\(를\)|를\(을\)|\(으\)로|과\(와\)|와\(과\)"
                         r"|아\(야\)|야\(아\)|\(이\)[가-힣])")
_ROOT = CONTENT.parent
# Everything a learner may read in Korean: lessons, glossary, UI strings (samples included), the
# prompting cards, the chat's starter questions, and the pages and tutor code that build text.
SEEN_FILES = sorted(
    [*CONTENT.glob("ko/*"), *CONTENT.glob("ui/*.toml"), *CONTENT.glob("prompting/*.toml"),
     *CONTENT.glob("starters.toml"), *_ROOT.glob("pages/*.py"), *_ROOT.glob("tutor/**/*.py"),
     _ROOT / "streamlit_app.py"]
)


def test_the_mechanical_particle_check_finds_both_way_particles_only():
    assert _MECHANICAL.search("그림 '{name}'을(를) 그리지 못했습니다.")
    assert _MECHANICAL.search("{runtime}(으)로 계산합니다.") and _MECHANICAL.search("{value}이(가)")
    assert not _MECHANICAL.search("'{name}' 그림을 그리지 못했습니다. 값({value})이 큽니다.")
    assert not _MECHANICAL.search(r"(이)?라고만")  # a regular expression in code, not a sentence


@pytest.mark.parametrize("path", SEEN_FILES, ids=[str(p.relative_to(_ROOT)) for p in SEEN_FILES])
def test_no_korean_text_a_learner_reads_writes_a_particle_both_ways(path):
    found = [(n, m.group(0)) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for m in _MECHANICAL.finditer(line)]
    assert not found, f"{path.relative_to(_ROOT)}: {found}"
