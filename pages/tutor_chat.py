"""Tutor chat: questions answered from the lessons, streamed, with the sections they came from.

State (all non-widget keys, so a rerun or a page switch loses nothing):
- chat_history: [{"role", "content", ...}] - the conversation, answers with their citations;
- chat_queue:   questions waiting for the model (sent while an answer was still streaming);
- chat_job:     the answer being written right now (tutor.chat.answer.AnswerJob), or None;
- chat_refused: the last message refused for length, so the learner can copy it back.
"""
import streamlit as st

from tutor.chat.answer import (
    AnswerJob,
    as_said,
    clean_message,
    fallback_text,
    message_record,
    plan_answer,
    quote_record,
    start_answer,
    starter_questions,
)
from tutor.config import load_settings
from tutor.i18n import t
from tutor.ui.lang import current_lang
from tutor.ui.lessons import ASK_PREFILL_KEY
from tutor.ui.model import TEMPERATURE_KEY, error_text, get_engine, preparing, wait_for_turn
from tutor.ui.pages import lesson_link

HISTORY_KEY = "chat_history"
QUEUE_KEY = "chat_queue"
JOB_KEY = "chat_job"
REFUSED_KEY = "chat_refused"

lang = current_lang()
settings = load_settings()
history: list[dict] = st.session_state.setdefault(HISTORY_KEY, [])
queue: list[dict] = st.session_state.setdefault(QUEUE_KEY, [])
st.session_state.setdefault(JOB_KEY, None)


# --- callbacks (run before the page, on the click's rerun) -----------------------------------


def enqueue(text: str, focus: tuple[str, str] | None = None, *, temperature: float | None = None,
            general: bool = False, explain: bool = False) -> None:
    st.session_state[QUEUE_KEY].append({"text": text, "focus": focus, "temperature": temperature,
                                        "general": general, "explain": explain})


def ask_anyway(index: int) -> None:
    """The learner wants the model's general answer to a question the lessons don't cover: it
    replaces the "not covered" reply, marked as unchecked."""
    past = st.session_state[HISTORY_KEY]
    if 1 <= index < len(past) and past[index - 1]["role"] == "user":
        question = past[index - 1]
        del past[index - 1 : index + 1]
        enqueue(question["content"], general=True)


def explain_answer(index: int) -> None:
    """The learner wants the quote explained in other words: the answer is asked again, this time
    with the small model's checked explanation under the same quote."""
    past = st.session_state[HISTORY_KEY]
    if 1 <= index < len(past) and past[index - 1]["role"] == "user":
        question = past[index - 1]
        del past[index - 1 : index + 1]
        enqueue(question["content"], question.get("focus"), explain=True)


def stop_answer() -> None:
    job: AnswerJob | None = st.session_state[JOB_KEY]
    if job is not None:
        job.stop()


def clear_chat() -> None:
    stop_answer()
    st.session_state[JOB_KEY] = None  # the stopped answer belongs to the conversation being cleared
    st.session_state[HISTORY_KEY].clear()
    st.session_state[QUEUE_KEY].clear()
    st.session_state[REFUSED_KEY] = None


def regenerate() -> None:
    """Ask the last question again, a little more freely (at temperature 0 it would repeat itself)."""
    past = st.session_state[HISTORY_KEY]
    if len(past) >= 2 and past[-1]["role"] == "assistant" and past[-2]["role"] == "user":
        answer = past.pop()
        question = past.pop()
        creativity = max(float(st.session_state.get(TEMPERATURE_KEY, 0.3)), 0.7)
        st.session_state[QUEUE_KEY].insert(0, {"text": question["content"], "focus": question.get("focus"),
                                               "temperature": creativity, "explain": bool(answer.get("explained")),
                                               "general": bool(answer.get("general"))})


# --- drawing ----------------------------------------------------------------------------------


def sources_ui(message: dict) -> None:
    """Links to the cited sections, and their scores on demand."""
    citations = message.get("citations") or []
    if not citations:
        return
    st.caption(t("chat.sources", lang))
    for c in citations:
        lesson_link(c["lesson"], lang, label=t("chat.source_label", lang, lesson=c["lesson_title"], section=c["title"]),
                    section=c["section"])
    with st.expander(t("chat.why_sources", lang), icon=":material/manage_search:"):
        st.caption(t("chat.why_explain", lang, threshold=f"{message.get('threshold', 0):.2f}"))
        st.table(
            [
                {
                    t("chat.score_lesson", lang): c["lesson_title"],
                    t("chat.score_section", lang): c["title"],
                    t("chat.score_value", lang): f"{c['score']:.3f}",
                }
                for c in citations
            ]
        )


def not_covered_ui(message: dict, index: int | None = None) -> None:
    """The reply to a question the lessons don't cover: that, the nearest sections, and a button
    for the model's general answer (nothing is generated without that click)."""
    nearest = message.get("nearest") or []
    names = ", ".join(f"“{c['lesson_title']}”" for c in nearest) or "—"
    st.info(t("chat.not_covered", lang, lessons=names), icon=":material/travel_explore:")
    for c in nearest:
        lesson_link(c["lesson"], lang, label=t("chat.open_section", lang, section=c["title"]), section=c["section"])
    if message.get("general"):
        st.markdown(t("chat.general_label", lang))
    elif index is not None:
        st.button(t("chat.ask_anyway", lang), key=f"chat_anyway_{index}", icon=":material/help:",
                  help=t("chat.ask_anyway_help", lang), on_click=ask_anyway, args=(index,))


def quote_ui(quote: dict | None) -> None:
    """The lesson's own words, first, with a link to where they stand."""
    if not quote:
        return
    st.caption(t("chat.quote_label", lang))
    st.markdown("> " + quote["text"].replace("\n", "\n> "))
    lesson_link(quote["lesson"], lang, label=t("chat.source_label", lang, lesson=quote["lesson_title"],
                                               section=quote["section_title"]), section=quote["section"])


def left_out_ui(message: dict) -> None:
    """Sentences the checks kept off the screen for want of support in the lesson, greyed and
    marked as not from the lesson. A sentence that contradicts the lesson is never shown, not even
    here: a learner skimming would still read it."""
    left = [x for x in message.get("left_out") or [] if x.get("kind") == "unsupported"]
    if message.get("looped"):
        st.caption(t("chat.looped", lang))
    if not left:
        return
    with st.expander(t("chat.left_out_title", lang, n=len(left)), icon=":material/visibility_off:"):
        st.caption(t("chat.left_out_help", lang))
        for x in left:
            st.caption(x["text"])


def answer_ui(message: dict, index: int | None = None) -> None:
    """One finished assistant message: the lesson's quote, then the model's checked explanation."""
    if message.get("fallback") and message.get("preparing"):  # not broken: still being prepared
        st.info(t("chat.model_preparing", lang), icon=":material/hourglass_top:")
    elif message.get("fallback"):
        st.warning(t("chat.model_failed", lang), icon=":material/cloud_off:")
    if message.get("fallback"):
        quote_ui(message.get("quote"))
        st.markdown(message["content"])
        sources_ui(message)
        return
    if not message.get("grounded", True):
        not_covered_ui(message, index)
        if message.get("general"):
            st.markdown(message["content"] or t("chat.empty_answer", lang))
            left_out_ui(message)
        return
    quote_ui(message.get("quote"))
    if message["content"]:
        st.caption(t("chat.model_label", lang))
        st.markdown(message["content"])
    elif message.get("explained") and message.get("quote") and not message.get("error"):
        st.caption(t("chat.nothing_kept", lang))
    elif index is not None and message.get("quote"):
        st.button(t("chat.explain", lang), key=f"chat_explain_{index}", icon=":material/record_voice_over:",
                  help=t("chat.explain_help", lang), on_click=explain_answer, args=(index,))
    after_answer_ui(message)


def after_answer_ui(message: dict) -> None:
    """What follows an answer's text: stopped / failed notes, left-out sentences, the sources."""
    if message.get("stopped"):
        st.caption(t("chat.stopped", lang))
    if message.get("error"):
        st.error(message["error"], icon=":material/error:")
        st.markdown(message.get("passages", ""))
    left_out_ui(message)
    sources_ui(message)


def history_ui() -> None:
    for i, message in enumerate(st.session_state[HISTORY_KEY]):
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(message["content"])
                if message.get("focus"):
                    st.caption(t("chat.asked_from", lang, section=message.get("focus_title", message["focus"][1])))
            else:
                answer_ui(message, i)


def follow_job(job: AnswerJob) -> None:
    """Show the answer being written (from its start: a rerun replays what arrived), then file it.

    The lesson's quote is on screen before the model writes anything; the model's sentences
    appear only once the checks have passed them."""
    with st.chat_message("assistant"):
        if job.plan.grounded:
            quote_ui(quote_record(job.plan.quote))
        else:
            not_covered_ui(message_record(job.plan, ""))
        label = st.empty()  # "the tutor explains", drawn with the first sentence that passes the checks
        slot = st.empty()
        slot.button(t("chat.stop", lang), key=f"chat_stop_{len(history)}", icon=":material/stop_circle:",
                    on_click=stop_answer)
        st.write_stream(labelled(wait_for_turn(job, lang).follow(), label, job.plan.grounded))
        slot.empty()
        extra: dict = {"stopped": job.stopped, "left_out": job.left_out, "looped": job.looped}
        if job.error is not None:
            extra["error"] = t("chat.model_failed_during", lang) + "\n\n" + error_text(job.error, lang)
            extra["passages"] = fallback_text(job.plan)
        record = message_record(job.plan, job.text.strip(), **extra)
        history.append(record)
        st.session_state[JOB_KEY] = None
        if job.plan.grounded and not record["content"] and not job.error:
            st.caption(t("chat.nothing_kept", lang))
        after_answer_ui(record)


def labelled(pieces, label, grounded: bool):
    """The pieces, with the model's label put above them once the first one arrives: a label over
    nothing would read as if the model had said nothing worth checking."""
    for piece in pieces:
        if grounded:
            label.caption(t("chat.model_label", lang))
        yield piece


def answer_next(item: dict) -> None:
    """Move one queued question into the conversation and start its answer."""
    question = {"role": "user", "content": item["text"]}
    focus = tuple(item["focus"]) if item.get("focus") else None
    if focus:
        question["focus"] = list(focus)
    earlier = list(history)
    history.append(question)
    with st.chat_message("user"):
        st.markdown(item["text"])
    general, explain = bool(item.get("general")), bool(item.get("explain"))
    plan = plan_answer(item["text"], earlier, lang, None, max_new_tokens=settings.max_new_tokens, focus=focus,
                       general=general, explain=explain)
    engine = None
    if plan.writes:  # the model is loaded only for an answer it will write
        engine = get_engine(lang)  # None after a polite error: then the quote and passages stand in
        if engine is not None:
            plan = plan_answer(item["text"], earlier, lang, engine, max_new_tokens=settings.max_new_tokens,
                               focus=focus, general=general, explain=explain)
    if focus and plan.citations:
        question["focus_title"] = plan.citations[0].title
    if not plan.writes:
        # The lesson's quote (or, not covered by the lessons, that and the nearest sections); no
        # model text unless the learner asks for it with the buttons under the answer.
        record = message_record(plan, "")
        history.append(record)
        with st.chat_message("assistant"):
            answer_ui(record, len(history) - 1)
        return
    if engine is None:
        record = message_record(plan, fallback_text(plan), fallback=True)
        record["citations"] = record["citations"] or record["nearest"]
        record["preparing"] = preparing() is not None
        history.append(record)
        with st.chat_message("assistant"):
            answer_ui(record)
        return
    temperature = item.get("temperature")
    if temperature is None:
        temperature = float(st.session_state.get(TEMPERATURE_KEY, 0.3))
    st.session_state[JOB_KEY] = start_answer(
        plan,
        engine,
        temperature=temperature,
        max_new_tokens=settings.max_new_tokens,
        timeout_s=settings.generation_timeout_s,
    )
    follow_job(st.session_state[JOB_KEY])


# --- the page ---------------------------------------------------------------------------------

st.title(t("common.pages.tutor", lang))
st.caption(t("chat.intro", lang))

# New input: the chat box, or a question sent from a lesson section ("Ask the tutor about this").
# The box stops typing at the limit; the check below also covers anything that arrives otherwise.
submitted = st.chat_input(t("chat.placeholder", lang), max_chars=settings.max_message_chars, key="chat_input")
prefill = st.session_state.pop(ASK_PREFILL_KEY, None)
arrivals: list[tuple[object, tuple[str, str] | None]] = []
if submitted is not None:
    arrivals.append((submitted, None))
if isinstance(prefill, dict) and prefill.get("question"):
    where = (str(prefill["lesson"]), str(prefill["section"])) if prefill.get("lesson") and prefill.get("section") else None
    arrivals.append((prefill["question"], where))
for raw, focus in arrivals:
    cleaned = clean_message(raw, settings.max_message_chars)
    if cleaned.problem == "too_long":
        st.session_state[REFUSED_KEY] = cleaned.text
    elif cleaned.ok:
        st.session_state[REFUSED_KEY] = None
        enqueue(cleaned.text, focus)

if history or queue or st.session_state[JOB_KEY] is not None:
    st.button(t("chat.clear", lang), key="chat_clear", icon=":material/delete_sweep:", on_click=clear_chat)

job = st.session_state[JOB_KEY]
if job is None and history and history[-1]["role"] == "user":
    # A run was interrupted after the question was filed but before its answer started
    # (for example while the model was loading): ask it again rather than lose it.
    unanswered = history.pop()
    queue.insert(0, {"text": unanswered["content"], "focus": unanswered.get("focus"), "temperature": None})

history_ui()

if job is not None:
    # A rerun while an answer was streaming (a click, a new message): the model kept writing.
    follow_job(job)
while queue and st.session_state[JOB_KEY] is None:
    answer_next(queue.pop(0))

for waiting in queue:
    with st.chat_message("user"):
        st.markdown(waiting["text"])
        st.caption(t("chat.queued", lang))

refused = st.session_state.get(REFUSED_KEY)
if refused:
    st.warning(t("chat.refused.too_long", lang, length=len(refused), limit=settings.max_message_chars),
               icon=":material/block:")
    with st.expander(t("chat.refused.your_text", lang)):
        st.code(refused, language=None, wrap_lines=True)

if history and history[-1]["role"] == "assistant" and st.session_state[JOB_KEY] is None:
    last = history[-1]
    left, right = st.columns([1, 1], gap="small", width=320)
    if last.get("explained") or last.get("general"):  # only the model's words can come out differently
        left.button(t("chat.regenerate", lang), key="chat_regenerate", icon=":material/refresh:", on_click=regenerate)
    with right.popover(t("chat.copy", lang), icon=":material/content_copy:"):
        st.caption(t("chat.copy_help", lang))
        st.code(as_said(last), language=None, wrap_lines=True)

if not history and not queue:
    st.write(t("chat.starters_title", lang))
    for i, starter in enumerate(starter_questions(lang)):
        st.button(starter.text, key=f"chat_starter_{i}", icon=":material/lightbulb:", on_click=enqueue,
                  args=(starter.text, (starter.lesson, starter.section)))
