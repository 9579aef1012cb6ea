"""The tutor chat's logic: clean the learner's message, find the lesson passages, build the grounded
prompt, and run the answer in the background so the page can show it as it arrives.

Nothing here imports Streamlit: the page (pages/tutor_chat.py) draws, this module decides.

The prompt has a fixed system message first (so an engine can keep its KV cache between
questions), then the recent conversation, then one user message holding the course notes and
the question:

    system:    You are a tutor ... answer in English ... use the notes ...
    user:      (an earlier question)
    assistant: (the earlier answer)
    user:      Course notes: [1] Lesson "...", section "...": ...  Question: ...
"""
from __future__ import annotations

import functools
import re
import threading
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tutor.chat.checks import ExplanationGuard, Verdict, quote_yes_no
from tutor.chat.quotes import Quote, lesson_sentences, pick_quote
from tutor.chat.retrieval import (
    GROUNDED_THRESHOLD,
    GROUNDED_THRESHOLDS,
    Hit,
    SearchResult,
    SectionIndex,
    nearest_lessons,
    question_language,
    retrieve,
    section_index,
)
from tutor.chat.terms import content_terms, searchable
from tutor.config import load_settings
from tutor.i18n import t
from tutor.llm.base import Engine, EngineError, QueueStatus, TextStream, close_stream
from tutor.text import drop_invisible

# Tokens of lesson text put into one prompt. On a 2-core laptop every prompt token costs time
# before the first word appears (about 6-8 ms each). Measured on 8 grounded questions (4 EN, 4 KO)
# in one run: 300 tokens of notes gave a median first token after 2.7 s, 200 after 1.8 s, with
# answers of the same quality; a section's opening sentences carry its key idea.
PASSAGE_TOKEN_BUDGET = 200
MAX_PASSAGES = 3
# A passage joins the notes only if it scores at least this share of the best one.
RELATIVE_CUTOFF = 0.6
# The model explains a quote that is already on screen, in 1 to 3 sentences: a longer budget only
# gives a small model room to wander.
EXPLANATION_MAX_TOKENS = 150
# At most this many earlier messages go back to the model (3 questions and 3 answers).
MAX_HISTORY_MESSAGES = 6
# Room left for the template's own tokens (role markers, newlines) that count_tokens misses.
TEMPLATE_MARGIN_TOKENS = 32
# What one message adds beyond its text: its role marker and the turn's start and end tokens.
MESSAGE_OVERHEAD_TOKENS = 4

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Special tokens of common chat templates: <|im_start|>, <|endoftext|>, <s>, [INST], <start_of_turn>.
_SPECIAL_TOKEN = re.compile(
    r"<\|[^|<>\n]{0,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>|<\|?(?:begin|end)_of_text\|?>",
    re.IGNORECASE,
)
# A line that starts like a turn of the conversation: "assistant:", "System :", "### user:".
_ROLE_LINE = re.compile(
    r"^(?P<lead>[ \t>#*-]*)(?P<role>system|assistant|user|human|ai|model|시스템|어시스턴트|사용자)(?P<colon>\s*[:：])",
    re.IGNORECASE | re.MULTILINE,
)


# --- the learner's message -------------------------------------------------------------------


@dataclass(frozen=True)
class CleanMessage:
    """A message after cleaning: `text` to send, or `problem` ("empty" / "too_long") to refuse."""

    text: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def clean_message(raw: object, max_chars: int) -> CleanMessage:
    """Cleaned text, or the reason to refuse it. Never raises, whatever `raw` is."""
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    # Invisible characters (direction overrides among them) could make the text display
    # differently from what the model reads.
    text = drop_invisible(unicodedata.normalize("NFC", raw)).strip()
    if not text:
        return CleanMessage("", "empty")
    if len(text) > max_chars:
        return CleanMessage(text, "too_long")
    return CleanMessage(text)


def neutralise_markers(text: str) -> str:
    """Make text that imitates the chat template harmless before it is templated.

    `<|im_start|>` becomes `< |im_start| >`: still readable, but no longer the special token
    the tokenizer would turn into a real turn boundary. A line starting "assistant:" gets its
    role word quoted, so the model does not read it as a new speaker.
    """
    text = _SPECIAL_TOKEN.sub(lambda m: "< " + m.group(0)[1:-1] + " >", text)
    return _ROLE_LINE.sub(lambda m: f'{m["lead"]}"{m["role"]}"{m["colon"]}', text)


def answer_language(question: str, ui_lang: str) -> str:
    """Answer in the language the learner wrote in; when that is unclear, in the UI language.

    A question with Korean words in it is Korean, however many English terms it mixes in
    ("that was a great fall 무슨뜻", "RLHF가 뭐예요"): an English speaker does not write Hangul."""
    if question_language(question) == "ko" or len(_HANGUL.findall(searchable(question))) >= 2:
        return "ko"
    latin_words = re.findall(r"[A-Za-z]{2,}", question)
    return "en" if len(latin_words) >= 3 else ui_lang


# --- citations and the plan for one answer ---------------------------------------------------


@dataclass(frozen=True)
class Citation:
    """A lesson section the answer used (or, when not grounded, a lesson to suggest)."""

    lesson: str
    section: str
    title: str
    lesson_title: str
    score: float

    @classmethod
    def of(cls, hit: Hit) -> Citation:
        return cls(hit.lesson, hit.section, hit.title, hit.passage.lesson_title, hit.score)


@dataclass(frozen=True)
class AnswerPlan:
    """Everything needed to answer one question: the messages for the model and what to cite."""

    question: str
    lang: str  # language of the answer
    grounded: bool
    messages: list[dict[str, str]]
    citations: tuple[Citation, ...]  # sections put into the prompt (grounded answers)
    nearest: tuple[Citation, ...]  # lessons to suggest (answers the lessons don't cover)
    passages: tuple[Hit, ...]  # the best passages, for the no-model fallback
    best_score: float
    threshold: float = GROUNDED_THRESHOLD
    # The lesson's own sentence(s) that answer the question, shown before the model writes
    # (grounded answers only), and what that quote answers to a yes/no question.
    quote: Quote | None = None
    quote_answer: str | None = None
    notes: str = ""  # the lesson text given to the model, which its sentences are checked against
    # True when the learner asked the model anyway about something the lessons don't cover:
    # the model answers from general knowledge, marked unverified.
    general: bool = False
    # True when the learner asked the model to explain the quote in other words.
    explain: bool = False

    @property
    def writes(self) -> bool:
        """Does this plan run the model? Only when the learner asked for its words.

        A grounded answer is the lesson's quote. The 0.5B model's explanations of it, even after
        the checks of tutor/chat/checks.py, were wrong in about a third of the answers read on
        the tuning half ("temperature가 높이면, 모델이 낸 확률을 그대로 써요", "AI, 머신러닝, 딥러닝은
        모두 같은 뜻입니다"), while adding the key fact to only 3 in 100: so the model explains on
        request, marked as the model's. A question the lessons don't cover gets no model text
        unless the learner asks for it anyway: a tutor that invents is worse than none."""
        return (self.grounded and self.explain) or self.general

    def guard(self) -> ExplanationGuard:
        """The checks the model's text goes through before it is shown (tutor/chat/checks.py)."""
        titles = tuple(c.title for c in self.citations) + tuple(c.lesson_title for c in self.citations)
        return ExplanationGuard(
            question=self.question,
            notes=self.notes,
            quote=self.quote.text if self.quote else "",
            titles=titles,
            expected_yes_no=self.quote_answer,
            check_support=not self.general,
        )


def system_prompt(lang: str) -> str:
    """The tutor's standing instructions, in the answer language (the same for every question)."""
    return t("chat.prompt.system", lang)


def worked_example(lang: str) -> list[dict[str, str]]:
    """One grounded question and a good answer, shown to the model before a grounded question
    (few-shot prompting, as the prompting lesson teaches); [] for a language without one."""
    answer = t("chat.prompt.example_answer", lang)
    if not answer:
        return []
    header = t(
        "chat.prompt.note_header", lang, n=1,
        lesson=t("chat.prompt.example_lesson", lang), section=t("chat.prompt.example_section", lang),
    )
    note = t("chat.prompt.example_note", lang)
    notes = f"{header}\n{note}"
    question = t("chat.prompt.grounded_user", lang, notes=notes, quote=_sentences(note)[0],
                 question=t("chat.prompt.example_question", lang))
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。])\s+", text.strip()) if s]


def trim_to_tokens(text: str, budget: int, engine: Engine, *, may_cut: bool = True) -> str:
    """The longest run of whole sentences from the start of `text` that fits `budget` tokens.

    When not even one sentence fits, the first one is cut by characters, or with `may_cut`
    False nothing is returned."""
    if budget <= 0:
        return ""
    if engine.count_tokens(text) <= budget:
        return text
    kept: list[str] = []
    for sentence in _sentences(text):
        if engine.count_tokens(" ".join(kept + [sentence])) > budget:
            break
        kept.append(sentence)
    if kept:
        return " ".join(kept)
    if not may_cut:
        return ""
    # Not even one sentence fits: cut the first one by characters (halving until it fits).
    cut = text
    while cut and engine.count_tokens(cut + "…") > budget:
        cut = cut[: len(cut) // 2]
    return cut + "…" if cut else ""


def notes_for(hits: list[Hit], engine: Engine, budget: int, lang: str) -> tuple[str, list[Hit]]:
    """The course notes block for the prompt, and the hits it actually includes."""
    parts: list[str] = []
    used: list[Hit] = []
    left = budget
    for hit in hits:
        header = t("chat.prompt.note_header", lang, n=len(used) + 1, lesson=hit.passage.lesson_title, section=hit.title)
        room = left - engine.count_tokens(header) - 2
        # Only the best passage may be cut mid-sentence. A later one that does not fit one whole
        # sentence is left out: the small model copied such fragments ("- 학습…") into its answers.
        body = trim_to_tokens(hit.passage.text, room, engine, may_cut=not used)
        if not body:
            break
        parts.append(f"{header}\n{body}")
        used.append(hit)
        left -= engine.count_tokens(parts[-1]) + 2
    return "\n\n".join(parts), used


def as_said(message: dict) -> str:
    """A message as the learner saw it: an answer's quote comes before the model's words."""
    quote = message.get("quote") or {}
    text = str(message.get("content") or "")
    return f"{quote['text']} {text}".strip() if quote.get("text") else text


def trim_history(history: list[dict], budget: int, engine: Engine) -> list[dict[str, str]]:
    """The most recent messages that fit `budget` tokens, oldest dropped first, never starting
    with an assistant message (a reply without its question confuses a small model)."""
    recent = [
        {"role": m["role"], "content": neutralise_markers(as_said(m))}
        for m in history
        if m.get("role") in ("user", "assistant") and (m.get("content") or m.get("quote")) and not m.get("fallback")
    ][-MAX_HISTORY_MESSAGES:]
    kept: list[dict[str, str]] = []
    used = 0
    for message in reversed(recent):
        cost = engine.count_tokens(message["content"]) + MESSAGE_OVERHEAD_TOKENS
        if used + cost > budget:
            break
        kept.insert(0, message)
        used += cost
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return kept


def build_messages(
    question: str,
    history: list[dict],
    result: SearchResult,
    lang: str,
    engine: Engine,
    *,
    max_new_tokens: int,
    passage_budget: int = PASSAGE_TOKEN_BUDGET,
    quote: str = "",
) -> tuple[list[dict[str, str]], list[Hit], str]:
    """The chat messages for the model, the passages that made it into the notes, and the notes.

    A grounded question carries the course notes and the lesson's quote: the model is asked to
    explain the quote, which is already on screen, not to find the answer itself. Any other
    question (asked anyway, after the tutor said the lessons don't cover it) goes without notes."""
    system = system_prompt(lang)
    safe_question = neutralise_markers(question)
    example = worked_example(lang) if result.grounded else []
    room = engine.context_window - max_new_tokens - TEMPLATE_MARGIN_TOKENS - engine.count_tokens(system)
    room -= sum(engine.count_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in example)
    used: list[Hit] = []
    notes = ""
    if result.grounded:
        best = result.hits[0].score
        candidates = [h for h in result.hits[:MAX_PASSAGES] if h.score >= best * RELATIVE_CUTOFF]
        question_cost = engine.count_tokens(safe_question) + engine.count_tokens(quote) + 40
        notes, used = notes_for(candidates, engine, min(passage_budget, room - question_cost), lang)
        final = t("chat.prompt.grounded_user", lang, notes=notes, quote=quote, question=safe_question)
    else:
        final = t("chat.prompt.general_user", lang, question=safe_question)
    room -= engine.count_tokens(final)
    messages = [{"role": "system", "content": system}, *example]
    messages += trim_history(history, room, engine)
    messages.append({"role": "user", "content": final})
    return messages, used, notes


class TokenEstimate:
    """Stands in for a missing model while a prompt is planned: only token counts are needed."""

    name = "none"
    vocab_size = 0
    context_window = 4096

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 3)


def plan_answer(
    question: str,
    history: list[dict],
    ui_lang: str,
    engine: Engine | None,
    *,
    max_new_tokens: int,
    focus: tuple[str, str] | None = None,
    index: SectionIndex | None = None,
    passage_budget: int = PASSAGE_TOKEN_BUDGET,
    general: bool = False,
    explain: bool = False,
) -> AnswerPlan:
    """Retrieve, decide grounded or not, pick the lesson's quote and build the prompt for one question.

    `focus` = (lesson id, section anchor) when the learner asked from a lesson section: that
    section leads the notes whatever its score. `general` = the learner asked the model anyway
    about a question the lessons don't cover; `explain` = the learner asked the model to explain
    the lesson's quote in other words. Without an engine (the model failed) the prompt is
    planned with estimated token counts, so the quote and the passages can still be shown.
    """
    engine = engine or TokenEstimate()
    lang = answer_language(question, ui_lang)
    result = retrieve(question, lang, history=history, k=MAX_PASSAGES + 2, index=index)
    if focus:
        result = _with_focus(result, focus, lang, index or section_index())
    # The quote answers the message itself; a follow-up too short to say what it asks ("why?")
    # is read together with the question before it, as retrieval did.
    asked = question if len(content_terms(question)) >= 2 else result.query
    if asked is result.query:
        asked = result.searched or result.query
    quote = pick_quote(asked, result.hits[:MAX_PASSAGES], lang) if result.grounded else None
    quote_text = quote.text if quote else ""
    messages, used, notes = build_messages(
        question, history, result, lang, engine, max_new_tokens=max_new_tokens, passage_budget=passage_budget,
        quote=quote_text,
    )
    return AnswerPlan(
        question=question,
        lang=lang,
        grounded=result.grounded,
        messages=messages,
        citations=tuple(Citation.of(h) for h in used),
        nearest=() if result.grounded else tuple(Citation.of(h) for h in nearest_lessons(result)),
        passages=result.hits[:2],
        best_score=result.best_score,
        threshold=GROUNDED_THRESHOLDS.get(lang, GROUNDED_THRESHOLD),
        quote=quote,
        quote_answer=quote_yes_no(question, quote_text) if quote else None,
        notes=notes,
        general=general and not result.grounded,
        explain=explain and result.grounded,
    )


def _with_focus(result: SearchResult, focus: tuple[str, str], lang: str, index: SectionIndex) -> SearchResult:
    """The result with the focus section first (scored at least as high as the best hit)."""
    rows = index.rows.get(focus)
    if not rows:
        return result
    passage = index.passages[rows.get(lang, next(iter(rows.values())))]
    pinned = Hit(passage, result.best_score)
    others = tuple(h for h in result.hits if (h.lesson, h.section) != focus)
    return SearchResult(hits=(pinned,) + others, grounded=True, query=result.query)


def not_covered_text(plan: AnswerPlan) -> str:
    """What the tutor says to a question the lessons don't cover: that, and the nearest lessons."""
    nearest = ", ".join(f"“{c.lesson_title}”" for c in plan.nearest) or "—"
    return t("chat.not_covered", plan.lang, lessons=nearest)


def fallback_text(plan: AnswerPlan) -> str:
    """The best lesson passages as Markdown, shown when the model cannot answer."""
    parts = []
    for hit in plan.passages:
        # the lesson's sentences as written (its bold kept): the plain text made for matching has
        # its Markdown marks turned into spaces ("**로짓**이라고" would show as "로짓 이라고")
        excerpt = " ".join(lesson_sentences(hit.passage.markdown or hit.passage.text)[:3])
        parts.append(f"**{hit.passage.lesson_title} — {hit.title}**\n\n{excerpt}")
    return "\n\n".join(parts)


def quote_record(quote: Quote | None) -> dict | None:
    """The quote as plain data, for the history and `ask --json`."""
    return asdict(quote) if quote else None


def shown_answer(quote: Quote | None, model_text: str) -> str:
    """The whole answer as a learner reads it: the lesson's quote, then the model's explanation.

    No "Yes."/"No." is put before the quote: read off the quote's "not", it was wrong in 2 of 5
    Korean yes/no answers of the checking half ("모든 LLM은 딥러닝 모델인가요?" got "아니요." from
    "...같은 뜻은 아니에요"), and a wrong bold "No." is worse than none. The quote's own words answer."""
    parts = []
    if quote:
        parts.append("> " + quote.text.replace("\n", "\n> "))
    if model_text:
        parts.append(model_text)
    return "\n\n".join(parts)


def message_record(plan: AnswerPlan, content: str, **extra: object) -> dict:
    """The history entry for an answer: the chat-template shape plus what the page needs.

    `content` is what the model wrote and the checks kept; the quote is stored beside it, and the
    history the model sees later gets both (see `trim_history`)."""
    return {
        "role": "assistant",
        "content": content,
        "quote": quote_record(plan.quote),
        "grounded": plan.grounded,
        "general": plan.general,
        "explained": plan.explain,
        "citations": [asdict(c) for c in plan.citations],
        "nearest": [asdict(c) for c in plan.nearest],
        "best_score": plan.best_score,
        "threshold": plan.threshold,
        "lang": plan.lang,
        **extra,
    }


# --- answering in the background -------------------------------------------------------------


@dataclass
class AnswerJob:
    """One answer being written by the model on a background thread, checked as it is written.

    The model's text goes through the plan's guard (tutor/chat/checks.py) one sentence at a
    time: only sentences that pass reach `parts`, the text the page shows; the others are kept in
    `verdicts`. A loop stops the model at once.

    The page's script run may be interrupted at any moment (a click, a new message, a page
    switch); the generation is not. Each script run follows the job with `follow()`, a fresh
    generator that reads what has arrived so far, so no generator is ever shared between runs
    (which is what raises "generator already executing").

    When the job ends early (a stop, a loop, an error) it closes the model's stream itself, so the
    model is let go at once rather than when the garbage collector finds the stream. An answer the
    engine cut at its time limit ends with EngineError("timeout") in `error`, on either engine.
    """

    plan: AnswerPlan
    produce: Callable[[threading.Event], Iterator[str]]
    stop_event: threading.Event = field(default_factory=threading.Event)
    parts: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)  # everything the model wrote, checked or not
    error: EngineError | None = None
    done: threading.Event = field(default_factory=threading.Event)
    started_at: float = 0.0
    first_piece_s: float | None = None  # seconds to the model's first piece, for the benchmark
    first_shown_s: float | None = None  # seconds to the first sentence that passed the checks
    stream: Iterator[str] | None = None
    looped: bool = False  # the checks stopped the model because it repeated itself

    def start(self) -> AnswerJob:
        self.started_at = time.perf_counter()
        try:
            # asked for here, not on the thread: the answer is in the model's line from now on
            self.stream = self.produce(self.stop_event)
        except EngineError as err:
            self.error = err
            self.done.set()
            return self
        try:
            threading.Thread(target=self._run, name="tutor-answer", daemon=True).start()
        except RuntimeError as err:  # no thread: nobody would ever read the stream, which holds its place in line
            close_stream(self.stream)
            self.error = EngineError("generation_failed", f"The answer could not be started: {err}")
            self.done.set()
        return self

    def queue_status(self) -> QueueStatus | None:
        """While waiting for the shared model: place in line and rough wait (None once writing)."""
        # an engine's stream declares where it stands; pieces from something else (a test's
        # script) never wait for the model
        if self.done.is_set() or self.raw or not isinstance(self.stream, TextStream):
            return None
        return self.stream.queue_status()

    def _take(self, verdicts: list[Verdict]) -> None:
        for verdict in verdicts:
            self.verdicts.append(verdict)
            if verdict.kept:
                if self.first_shown_s is None:
                    self.first_shown_s = time.perf_counter() - self.started_at
                self.parts.append(("" if not self.parts else " ") + verdict.text)

    def _run(self) -> None:
        guard = self.plan.guard()
        try:
            for piece in self.stream:
                if self.first_piece_s is None:
                    self.first_piece_s = time.perf_counter() - self.started_at
                self.raw.append(piece)
                self._take(guard.feed(piece))
                if guard.stop_model:
                    self.looped = True
                    self.stop_event.set()  # no need to wait for the token limit
                if self.stop_event.is_set():
                    break
        except EngineError as err:
            self.error = err
        except Exception as err:  # noqa: BLE001 - any model failure becomes a readable message
            self.error = EngineError("generation_failed", f"{type(err).__name__}: {err}")
        finally:
            close_stream(self.stream)  # read to the end: a no-op; ended early: the model stops now
            self._take(guard.finish())
            self.done.set()

    def stop(self) -> None:
        """Ask the model to stop; the answer so far is kept."""
        self.stop_event.set()

    @property
    def stopped(self) -> bool:
        """Stopped by the learner (a loop the checks cut is not the learner's stop)."""
        return self.stop_event.is_set() and not self.looped

    @property
    def text(self) -> str:
        """What the checks let through: the model's explanation as shown."""
        return "".join(self.parts)

    @property
    def left_out(self) -> list[dict[str, str]]:
        """Sentences the checks kept off the screen, and why (for the "not from the lesson" note)."""
        return [{"kind": v.kind, "text": v.text} for v in self.verdicts if not v.kept and v.kind != "empty"]

    def checks(self) -> dict[str, int]:
        """How many sentences each check let through or stopped."""
        counts: dict[str, int] = {}
        for v in self.verdicts:
            counts[v.kind] = counts.get(v.kind, 0) + 1
        return counts

    def follow(self, poll_s: float = 0.1) -> Iterator[str]:
        """Everything shown so far, then what is new every `poll_s`, until the job ends.

        Pieces that arrive together are shown together: each piece shown is a message to the
        browser and a redraw there, and on a 2-core laptop those take CPU from the model."""
        shown = 0
        while True:
            finished = self.done.is_set()
            arrived = len(self.parts)
            if arrived > shown:
                yield "".join(self.parts[shown:arrived])
                shown = arrived
            if finished:
                return
            time.sleep(poll_s)

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


def start_answer(
    plan: AnswerPlan, engine: Engine, *, temperature: float, max_new_tokens: int, timeout_s: float
) -> AnswerJob:
    """Start the model on `plan` in the background."""
    if plan.grounded:
        max_new_tokens = min(max_new_tokens, EXPLANATION_MAX_TOKENS)

    def produce(stop: threading.Event) -> Iterator[str]:
        return engine.stream_chat(
            plan.messages, max_new_tokens=max_new_tokens, temperature=temperature, stop=stop, timeout_s=timeout_s
        )

    return AnswerJob(plan=plan, produce=produce).start()


# --- one question, no page: what `python -m tutor ask` calls (tutor/chat/cli.py) -------------


def ask(
    question: str,
    lang: str = "en",
    *,
    engine: Engine | None = None,
    temperature: float = 0.0,
    history: list[dict] | None = None,
    anyway: bool = False,
    explain: bool = False,
    use_model: bool = True,
) -> dict:
    """Answer one question from the lessons, through the same pipeline as the chat page.

    Returns {"answer", "quote", "model_text", "model_raw", "checks", "left_out", "citations", "grounded"}
    (plus "error" and "error_code" when something went wrong). `answer` is what a learner reads:
    the lesson's quote, then, with `explain` (the chat's "explain in other words" button), the
    model's checked explanation. A question the lessons don't cover gets no model text unless
    `anyway` (the chat's "ask the model anyway" button); with
    `use_model` False no model runs at all (the quote alone, for fast evaluation). Without an
    engine the installed default model is loaded; if it fails, the quote and the best lesson
    passages stand in and "error" says why.
    """
    settings = load_settings()
    history = history or []
    cleaned = clean_message(question, settings.max_message_chars)
    if not cleaned.ok:
        why = t(f"chat.refused.{cleaned.problem}", lang, limit=settings.max_message_chars, length=len(cleaned.text))
        return {"answer": "", "quote": None, "model_text": "", "checks": {}, "left_out": [], "citations": [],
                "grounded": False, "error": why, "error_code": "bad_input"}
    started = time.perf_counter()
    plan = plan_answer(cleaned.text, history, lang, engine or TokenEstimate(),
                       max_new_tokens=settings.max_new_tokens, general=anyway,
                       explain=explain)
    first_text_s = time.perf_counter() - started
    error: EngineError | None = None
    if engine is None and plan.writes and use_model:
        try:
            from tutor.llm import load_engine  # imported late: torch is slow to import

            engine = load_engine(settings.model)
            plan = plan_answer(cleaned.text, history, lang, engine, max_new_tokens=settings.max_new_tokens,
                               general=anyway, explain=explain)
        except EngineError as err:
            error = err
    job: AnswerJob | None = None
    if plan.writes and use_model and engine is not None and error is None:
        job = start_answer(plan, engine, temperature=temperature, max_new_tokens=settings.max_new_tokens,
                           timeout_s=settings.generation_timeout_s)
        job.wait()
        error = job.error
    model_text = job.text.strip() if job else ""
    if plan.grounded:
        answer = shown_answer(plan.quote, model_text)
        if error is not None:
            answer = shown_answer(plan.quote, "") + "\n\n" + fallback_text(plan)
    else:
        answer = not_covered_text(plan)
        if plan.general and model_text:
            answer += "\n\n" + t("chat.general_label", plan.lang) + " " + model_text
    shown = plan.citations if plan.grounded else plan.nearest
    if plan.quote and not any((c.lesson, c.section) == (plan.quote.lesson, plan.quote.section) for c in shown):
        shown = (Citation(plan.quote.lesson, plan.quote.section, plan.quote.section_title,
                          plan.quote.lesson_title, plan.quote.score), *shown)
    out: dict = {
        "answer": answer.strip(),
        "quote": quote_record(plan.quote),
        "model_text": model_text,
        "model_raw": "".join(job.raw) if job else "",  # everything the model wrote, before the checks
        "checks": job.checks() if job else {},
        "left_out": job.left_out if job else [],
        "citations": [{"lesson": c.lesson, "section": c.section, "score": c.score} for c in shown],
        "grounded": plan.grounded,
        "lang": plan.lang,
        "first_text_s": round(first_text_s, 4),
        "first_model_piece_s": round(job.first_piece_s, 3) if job and job.first_piece_s is not None else None,
        "model_s": round(time.perf_counter() - job.started_at, 3) if job else None,
    }
    if error is not None:
        out["error"] = str(error)
        out["error_code"] = error.code
    return out


# --- starter questions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Starter:
    """A question offered on an empty chat, tied to the section that answers it."""

    text: str
    lesson: str
    section: str


STARTERS_FILE = Path(__file__).resolve().parents[2] / "content" / "starters.toml"


@functools.cache
def _starters() -> dict[str, list[Starter]]:
    """The questions of content/starters.toml by language (learners' wording, one section each)."""
    with open(STARTERS_FILE, "rb") as f:
        data = tomllib.load(f)
    return {lang: [Starter(r["question"], r["lesson"], r["section"]) for r in rows] for lang, rows in data.items()}


def starter_questions(lang: str, count: int = 4) -> list[Starter]:
    """Questions spread over the course: one from every few lessons, in course order."""
    from tutor.lessons import course

    order = {lesson.id: lesson.order for lesson in course().in_language(lang)}
    by_lesson: dict[str, Starter] = {}
    for starter in _starters().get(lang, []):
        if starter.lesson in order:
            by_lesson.setdefault(starter.lesson, starter)
    lessons = sorted(by_lesson, key=order.__getitem__)
    if not lessons:
        return []
    step = max(1, len(lessons) // count)
    return [by_lesson[lesson] for lesson in lessons[::step]][:count]
