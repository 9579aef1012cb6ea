"""Sentiment with a bag of words: each word carries a weight, a sentence's score is their sum.

The model learns one number per word from the course's labelled sentences (content/sentiment/):
"great" pushes towards positive, "boring" towards negative. Adding the weights of a sentence's
words (plus a starting value) gives its score; the logistic function turns the score into a
probability. Because the model only counts words, it cannot see negation ("not good" is "not" +
"good"), word order ("dog bites man" = "man bites dog") or sarcasm ("that was a great fall") —
exactly why the course moves on to deep learning, which reads words in context.

Words are what sits between spaces, lower-cased and stripped of punctuation. In Korean that is
the eojeol, endings included: "좋다" and "좋았다" are different words to this model.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

SENTIMENT_DIR = Path(__file__).resolve().parent.parent.parent / "content" / "sentiment"
LABELS: tuple[str, ...] = ("neg", "pos")
MAX_SENTENCE_CHARS = 500  # longer input is cut here (the model only counts words anyway)

_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$")


def words(text: str) -> list[str]:
    """Split a sentence into the words the model counts."""
    out = []
    for piece in text.lower().split():
        word = _EDGE_PUNCTUATION.sub("", piece)
        if word:
            out.append(word)
    return out


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # "pos" | "neg"


def load_examples(lang: str, directory: Path = SENTIMENT_DIR) -> list[Example]:
    """The labelled sentences for a language: `<label>\\t<sentence>` lines, '#' starts a comment."""
    examples = []
    path = directory / f"{lang}.tsv"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in LABELS or not text.strip():
            raise ValueError(f"{path}:{number}: expected '<pos|neg><TAB><sentence>', got {line!r}")
        examples.append(Example(text.strip(), label))
    return examples


@dataclass(frozen=True)
class SentimentModel:
    lang: str
    vocabulary: dict[str, int]  # word -> column
    weights: np.ndarray  # one weight per word; > 0 pushes towards positive
    bias: float  # the score of a sentence with no known words
    n_examples: int


@functools.cache
def train_sentiment(lang: str, C: float = 1.0) -> SentimentModel:
    """Fit the bag-of-words logistic regression on the course's sentences for `lang`."""
    examples = load_examples(lang)
    vectorizer = CountVectorizer(tokenizer=words, lowercase=False, token_pattern=None, binary=True)
    counts = vectorizer.fit_transform([e.text for e in examples])
    targets = np.array([LABELS.index(e.label) for e in examples])
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(counts, targets)
    vocabulary = {str(w): int(i) for w, i in vectorizer.vocabulary_.items()}
    return SentimentModel(lang, vocabulary, model.coef_[0].copy(), float(model.intercept_[0]), len(examples))


@dataclass(frozen=True)
class WordContribution:
    word: str
    weight: float  # what this word adds to the score (0 if the model never saw it)
    known: bool


@dataclass(frozen=True)
class SentimentResult:
    text: str
    label: str  # "pos" | "neg"
    probability_positive: float
    score: float  # bias + sum of word weights; > 0 means positive
    bias: float
    contributions: tuple[WordContribution, ...]

    @property
    def confidence(self) -> float:
        """How sure the model is of its answer: the probability of the label it gave (0.5 to 1)."""
        return self.probability_positive if self.label == "pos" else 1 - self.probability_positive

    @property
    def unknown_share(self) -> float:
        """Share of the sentence's words the model has never seen."""
        if not self.contributions:
            return 0.0
        return sum(not c.known for c in self.contributions) / len(self.contributions)

    @property
    def mostly_unknown(self) -> bool:
        """At least half the sentence's words are new to the model: its answer is mostly a guess."""
        return self.unknown_share >= 0.5


def score_sentence(model: SentimentModel, text: str) -> SentimentResult | None:
    """Score a sentence word by word; None for an empty (or punctuation-only) sentence."""
    text = text[:MAX_SENTENCE_CHARS]
    tokens = words(text)
    if not tokens:
        return None
    contributions = []
    seen: set[str] = set()
    for word in tokens:
        column = model.vocabulary.get(word)
        # The model counts each word once per sentence (binary bag of words), so a repeat adds nothing.
        weight = float(model.weights[column]) if column is not None and word not in seen else 0.0
        seen.add(word)
        contributions.append(WordContribution(word, weight, column is not None))
    score = model.bias + sum(c.weight for c in contributions)
    probability = 1.0 / (1.0 + math.exp(-score))
    return SentimentResult(text, "pos" if score > 0 else "neg", probability, score, model.bias, tuple(contributions))


def strongest_words(model: SentimentModel, n: int = 8) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The n most positive and n most negative words the model learned."""
    ranked = sorted(model.vocabulary.items(), key=lambda item: model.weights[item[1]])
    negative = [(w, float(model.weights[i])) for w, i in ranked[:n]]
    positive = [(w, float(model.weights[i])) for w, i in reversed(ranked[-n:])]
    return positive, negative
