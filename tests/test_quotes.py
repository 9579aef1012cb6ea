"""The quote picker (tutor/chat/quotes.py): which lesson sentences a grounded answer starts with."""
from tutor.chat.quotes import MAX_QUOTE_CHARS_UNSURE, pick_quote
from tutor.chat.retrieval import Hit, Passage

FILLER = [
    "Bread rises in a warm kitchen.",
    "Rivers carry sand towards the sea.",
    "A violin has four strings.",
    "Snow covers the hills in winter.",
    "Owls hunt at night.",
    "Copper conducts heat well.",
]


def _section(sentences: list[str]) -> Hit:
    text = " ".join(sentences)
    return Hit(Passage("en", "lesson", "A lesson", 1, "section", "A section", text, text), similarity=0.5)


def test_an_unsure_pick_quotes_both_likely_sentences_after_an_ellipsis():
    first = "Temperature divides the scores before the softmax."
    last = "Temperature changes how surprising the sampled text becomes."
    quote = pick_quote("what does temperature do", [_section([first, *FILLER, last])], "en")
    assert quote is not None
    assert first in quote.text and last in quote.text and " … " in quote.text
    assert len(quote.text) <= MAX_QUOTE_CHARS_UNSURE


def test_a_sure_pick_quotes_only_the_best_sentence_and_its_neighbours():
    answer = "Temperature divides the scores of the tokens before the softmax turns them into probabilities."
    weak = "Scores matter for owls."
    quote = pick_quote("what does temperature do to the token scores before the softmax",
                       [_section([answer, *FILLER, weak])], "en")
    assert quote is not None and quote.text.startswith(answer)
    assert " … " not in quote.text and weak not in quote.text
