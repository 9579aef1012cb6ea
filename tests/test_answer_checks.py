"""The checks on the model's explanation (tutor/chat/checks.py), each with scripted model output.

A scripted "model" here is just the text a 0.5B model was seen writing (issue 15 lists the real
cases): the guard must cut echoes and loops, catch a yes/no that contradicts the lesson, and keep
sentences the lesson does not support off the screen, while letting a plain paraphrase through.
"""
import threading

import pytest

from tutor.chat.answer import AnswerJob, plan_answer
from tutor.chat.checks import (
    ExplanationGuard,
    is_negated,
    is_yes_no_question,
    judge_all,
    quote_yes_no,
    split_sentences,
    stated_yes_no,
)

NOTES_EN = (
    "Parameters are not neurons. A neuron is a small unit that adds up its weighted inputs. "
    "The numbers the network learns, its weights and biases, are its parameters."
)
QUOTE_EN = "Parameters are not neurons."
NOTES_KO = (
    "파라미터는 뉴런이 아니에요. 뉴런은 입력에 가중치를 곱해 더하는 작은 단위예요. "
    "신경망이 학습하는 숫자인 가중치와 편향이 파라미터예요."
)
QUOTE_KO = "파라미터는 뉴런이 아니에요."


def kinds(guard: ExplanationGuard, text: str) -> list[str]:
    return [v.kind for v in judge_all(guard, [text])]


def guard_en(question: str = "Is a neuron a parameter?", **kw) -> ExplanationGuard:
    return ExplanationGuard(question=question, notes=NOTES_EN, quote=QUOTE_EN,
                            expected_yes_no=quote_yes_no(question, QUOTE_EN), **kw)


def guard_ko(question: str = "뉴런이랑 파라미터는 같은 거예요?", **kw) -> ExplanationGuard:
    return ExplanationGuard(question=question, notes=NOTES_KO, quote=QUOTE_KO,
                            expected_yes_no=quote_yes_no(question, QUOTE_KO), **kw)


# --- yes / no ---------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["Is a neuron a parameter?", "so does the model search the web?",
                                      "temperature 0 means greedy, right?", "뉴런이랑 파라미터는 같은 거예요?",
                                      "LLM은 인터넷을 검색하나요?"])
def test_yes_no_questions_are_recognised(question):
    assert is_yes_no_question(question)


@pytest.mark.parametrize("question", ["What is a token?", "why is it a classification problem",
                                      "토큰이 뭐예요?", "온도를 높이면 어떻게 되나요?"])
def test_open_questions_are_not_yes_no(question):
    assert not is_yes_no_question(question)


def test_a_negated_quote_on_the_questions_topic_answers_no():
    assert quote_yes_no("Is a neuron a parameter?", QUOTE_EN) == "no"
    assert quote_yes_no("뉴런이랑 파라미터는 같은 거예요?", QUOTE_KO) == "no"


def test_a_quote_without_not_gives_no_safe_yes():
    assert quote_yes_no("Can it see later tokens?", "It can only see the tokens before it.") is None


@pytest.mark.parametrize("sentence, said", [("Yes, it is.", "yes"), ("No. It isn't.", "no"),
                                            ("네, 같은 거예요.", "yes"), ("아니요, 달라요.", "no"),
                                            ("Neurons add inputs.", None), ("네트워크는 배워요.", None)])
def test_an_opening_yes_or_no_is_read(sentence, said):
    assert stated_yes_no(sentence) == said


def test_negation_is_found_in_both_languages():
    assert is_negated("It doesn't look ahead.") and is_negated("뉴런이 아니에요.")
    assert not is_negated("It looks at earlier tokens.") and not is_negated("뉴런은 작은 단위예요.")


# --- the four guards, on what the small model really wrote ---------------------------------------


def test_yes_that_contradicts_the_lessons_no_is_never_shown():
    # issue 15: "뉴런이랑 파라미터는 같은 거예요?" -> "네, 뉴런이랑 파라미터는 같은 거예요."
    assert kinds(guard_ko(), "네, 뉴런이랑 파라미터는 같은 거예요.") == ["contradiction"]
    assert kinds(guard_en(), "Yes, a neuron is a parameter.") == ["contradiction"]


def test_no_that_agrees_with_the_lesson_is_kept():
    assert kinds(guard_en(), "No, a neuron adds up its weighted inputs.") == ["kept"]


def test_a_sentence_that_flips_a_lesson_sentence_is_a_contradiction():
    guard = ExplanationGuard(question="What does a neuron do?", notes=NOTES_EN)
    assert kinds(guard, "A neuron does not add up its weighted inputs.") == ["contradiction"]


def test_an_echo_of_the_question_is_cut():
    # issue 15: "토큰이 뭐예요? 단어랑 같은 건가요?" -> "단어랑 같은 건가요?"
    guard = ExplanationGuard(question="토큰이 뭐예요? 단어랑 같은 건가요?", notes="토큰은 글을 나눈 조각이에요.")
    assert kinds(guard, "단어랑 같은 건가요?") == ["echo"]
    guard = ExplanationGuard(question="What is a word embedding?", notes="An embedding is a list of numbers.")
    assert kinds(guard, "What is a word embedding?") == ["echo"]


def test_a_section_title_repeated_as_an_answer_is_an_echo():
    guard = ExplanationGuard(question="What are embeddings for?", notes="An embedding is a list of numbers.",
                             titles=("Word embeddings: meaning as numbers",))
    assert kinds(guard, "Word embeddings: meaning as numbers.") == ["echo"]


def test_a_copy_of_the_quote_is_not_shown_twice():
    assert kinds(guard_en("What is the difference between neurons and parameters?"), QUOTE_EN) == ["repeat"]


def test_a_repeated_sentence_stops_the_model():
    # issue 15: "사전 학습과 인스트럭션 튜닝의 차이는?" got one sentence five times
    guard = ExplanationGuard(question="What does a neuron do?", notes=NOTES_EN)
    sentence = "A neuron adds up its weighted inputs. "
    out = kinds(guard, sentence * 5)
    assert out[0] == "kept" and "loop" in out
    assert guard.stop_model
    assert guard.kept == [sentence.strip()]


def test_a_run_of_words_repeated_inside_one_sentence_is_a_loop():
    guard = ExplanationGuard(question="What does a neuron do?", notes=NOTES_EN)
    assert kinds(guard, "It adds the inputs and the inputs and the inputs and the inputs and more.") == ["loop"]
    assert guard.stop_model


def test_a_sentence_that_never_ends_is_a_loop():
    guard = ExplanationGuard(question="What does a neuron do?", notes=NOTES_EN)
    verdicts = guard.feed("weights " * 80)
    assert [v.kind for v in verdicts] == ["loop"] and guard.stop_model


def test_a_claim_the_notes_do_not_support_is_left_out():
    # issue 15: "Why is predicting the next word a classification problem?" -> "it can never be perfect"
    guard = ExplanationGuard(question="What does a neuron do?", notes=NOTES_EN)
    assert kinds(guard, "Paris is the capital of France and famous for cheese.") == ["unsupported"]


def test_a_paraphrase_in_the_notes_words_is_kept():
    guard = ExplanationGuard(question="What does a neuron do?", notes=NOTES_EN)
    assert kinds(guard, "Each neuron adds up weighted inputs, and the weights are parameters.") == ["kept"]


def test_a_general_answer_skips_the_support_check_but_not_the_loop_guard():
    guard = ExplanationGuard(question="What's the weather in Seoul?", notes="", check_support=False)
    assert kinds(guard, "Seoul is often cold in winter.") == ["kept"]
    guard = ExplanationGuard(question="김치찌개 만드는 법?", notes="", check_support=False)
    assert "loop" in kinds(guard, "김치를 넣어요. " * 6)


def test_streamed_pieces_get_the_same_verdicts_as_the_whole_text():
    text = "No, a neuron adds up its weighted inputs. Paris is the capital of France and famous for cheese."
    whole = [(v.kind, v.text) for v in judge_all(guard_en(), [text])]
    streamed = [(v.kind, v.text) for v in judge_all(guard_en(), list(text))]
    assert whole == streamed == [("kept", "No, a neuron adds up its weighted inputs."),
                                 ("unsupported", "Paris is the capital of France and famous for cheese.")]


def test_sentences_split_at_stops_and_line_breaks():
    assert split_sentences("One. Two? 셋이에요.\n- four") == ["One.", "Two?", "셋이에요.", "- four"]


# --- the guard inside a running answer -------------------------------------------------------------


def test_an_answer_job_shows_only_what_passed_and_stops_a_looping_model():
    plan = plan_answer("What is a token?", [], "en", None, max_new_tokens=50)
    assert plan.grounded and plan.quote is not None
    produced: list[str] = []

    def produce(stop: threading.Event):
        def pieces():
            for piece in ["What is a token? ", *["Tokens are tokens are tokens are tokens. "] * 50]:
                if stop.is_set():
                    return
                produced.append(piece)
                yield piece
        return pieces()

    job = AnswerJob(plan=plan, produce=produce).start()
    assert job.wait(5)
    assert "What is a token?" not in job.text
    assert job.looped and not job.stopped
    assert len(produced) < 10, "the model is stopped once it loops, not left to the token limit"
    assert {"echo", "loop"} <= set(job.checks())


def test_a_not_about_something_else_in_the_quote_is_no_answer():
    """From the checking half: "모든 LLM은 딥러닝 모델인가요?" must not get "no" from a quote whose
    "아니에요" is about the words being different, while another sentence says every LLM is one."""
    quote = ("인공지능, 머신러닝, 딥러닝, LLM이라는 말은 흔히 섞어 쓰이지만 서로 같은 뜻은 아니에요. "
             "그래서 모든 LLM은 딥러닝 모델이고, 모든 딥러닝 모델은 머신러닝 모델이에요.")
    assert quote_yes_no("모든 LLM은 딥러닝 모델인가요?", quote) is None
