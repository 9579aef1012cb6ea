"""Build a tokenizer: train a small sentencepiece model on the course's own lessons.

Real tokenizers are learned from text, not written by hand. Training one here, at sizes from 100
to 8,000 pieces, shows what the vocabulary size does: the same sentence in fewer, longer pieces as
the vocabulary grows (the ladder), and characters a small vocabulary has no piece for (⁇).
"""
from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tutor.lab.tokens import visible_token
from tutor.llm.base import TokenPiece

# The vocabulary sizes offered when training your own tokenizer.
MIN_VOCAB, MAX_VOCAB = 100, 8000
# Sizes shown side by side to watch the same sentence split differently as the vocabulary grows.
VOCAB_LADDER = (100, 300, 1000, 3000, 8000)

_MARKDOWN = re.compile(r"\]\([^)]*\)|[*_`#>|\[\]]")


def course_sentences(lessons: Iterable[object]) -> list[str]:
    """Every line of prose in the given lessons (titles, intros, sections), without Markdown marks."""
    lines: list[str] = []
    for lesson in lessons:
        parts = [lesson.title, lesson.summary]  # type: ignore[attr-defined]
        parts += [b.value for b in lesson.intro if b.kind == "markdown"]  # type: ignore[attr-defined]
        for section in lesson.sections:  # type: ignore[attr-defined]
            parts += [section.title, section.text]
        for part in parts:
            for line in part.splitlines():
                line = _MARKDOWN.sub("", line).strip()
                if line:
                    lines.append(line)
    return lines


class TokenizerTrainingError(ValueError):
    """Training could not run; `code` says why in a way the page can translate."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # "bad_type" | "bad_size" | "no_text" | "failed"


@dataclass(frozen=True)
class SplitPiece:
    """One piece of a sentence as a trained tokenizer cut it."""

    text: str  # the piece, ▁ where a space was; UNKNOWN_PIECE when the vocabulary has none for it
    surface: str  # the characters of the sentence it stands for
    start: int  # where those characters are in the sentence (UTF-8 byte offsets, end excluded)
    end: int

    @property
    def unknown(self) -> bool:
        return self.text == UNKNOWN_PIECE

    @property
    def shown(self) -> str:
        """As the page writes it: an unknown piece with the characters it stands for, "⁇(앉았)"."""
        return f"{UNKNOWN_PIECE}({self.surface.strip()})" if self.unknown else self.text


@dataclass(frozen=True)
class TrainedTokenizer:
    """A sentencepiece model trained in memory, kept as bytes (easy to cache and share)."""

    model_type: str  # "bpe" | "unigram"
    requested_size: int
    vocab_size: int  # the size it really has (lower when the text cannot fill the request)
    model_proto: bytes = field(repr=False)
    left_out_chars: int = 0  # rare characters left out to fit a small vocabulary (they become ⁇)

    @property
    def shrunk(self) -> bool:
        return self.vocab_size < self.requested_size

    def split(self, text: str) -> list[str]:
        """How this tokenizer cuts `text` into pieces (▁ marks where a space was)."""
        return [piece.text for piece in self.pieces(text)]

    def pieces(self, text: str) -> list[SplitPiece]:
        """The pieces of `text`, each with the characters it stands for.

        Characters the vocabulary has no piece for come out as the unknown piece ⁇, and
        sentencepiece writes a run of them as *one* ⁇: "앉았" is one piece while neither
        character is known, two once one of them is (see ladder_rises)."""
        import sentencepiece as spm

        processor = spm.SentencePieceProcessor(model_proto=self.model_proto)
        return [
            SplitPiece(UNKNOWN_PIECE if processor.IsUnknown(p.id) else p.piece, p.surface, p.begin, p.end)
            for p in processor.encode(text, out_type="proto").pieces
        ]


UNKNOWN_PIECE = "⁇"
_TOO_BIG = re.compile(r"set it to a value <= (\d+)")
_TOO_SMALL = re.compile(r"smaller than required_chars\. (\d+) vs (\d+)")
_META_PIECES = 1  # only <unk>: no <s> / </s>, to leave room for real pieces in small vocabularies


def train_tokenizer(sentences: Sequence[str], vocab_size: int, model_type: str = "bpe") -> TrainedTokenizer:
    """Learn a vocabulary of `vocab_size` pieces from `sentences`, the way real tokenizers are made.

    BPE starts from single characters and repeatedly glues the most frequent neighbouring pair
    into a new piece; unigram starts from many candidate pieces and drops the least useful ones.

    - A vocabulary too small to hold every character keeps the most frequent characters; the rest
      become the unknown piece ⁇ (`left_out_chars` says how many).
    - A vocabulary larger than the text can fill is shrunk to the largest size it allows
      (`shrunk` is True and `vocab_size` says the size reached).
    """
    if model_type not in ("bpe", "unigram"):
        raise TokenizerTrainingError("bad_type", f"model_type must be 'bpe' or 'unigram', not {model_type!r}")
    if not isinstance(vocab_size, int) or not MIN_VOCAB <= vocab_size <= MAX_VOCAB:
        raise TokenizerTrainingError("bad_size", f"vocab_size must be {MIN_VOCAB}…{MAX_VOCAB}, not {vocab_size!r}")
    sentences = [s for s in sentences if s.strip()]
    if not sentences:
        raise TokenizerTrainingError("no_text", "there is no text to learn from")

    # How many different characters the text uses, most frequent first.
    ranked = _characters_by_frequency(sentences)
    size, margin = vocab_size, 2
    for _attempt in range(5):
        # Room for single characters: the vocabulary minus <unk>, with a small margin.
        room = max(size - _META_PIECES - margin, 1)
        text, left_out = sentences, 0
        if len(ranked) > room:
            # Too many characters for this vocabulary: keep the `room` most frequent ones and turn
            # the rest into spaces, so the tokenizer never learns them (they will show as ⁇).
            keep = set(ranked[:room])
            text = ["".join(ch if ch in keep else " " for ch in s) for s in _normalized(sentences)]
            left_out = len(ranked) - room
        try:
            proto = _train_once(text, size, model_type)
            return TrainedTokenizer(model_type, vocab_size, size, proto, left_out)
        except RuntimeError as err:
            message = str(err)
            if (too_big := _TOO_BIG.search(message)) and int(too_big.group(1)) < size:
                size = int(too_big.group(1))  # the text cannot fill this many pieces: use the most it can
                continue
            if (too_small := _TOO_SMALL.search(message)) and room > 1:
                # sentencepiece counted characters a little differently (it counts ▁ too): keep fewer
                margin += int(too_small.group(2)) - int(too_small.group(1)) + 2
                continue
            raise TokenizerTrainingError("failed", message) from err
    raise TokenizerTrainingError("failed", f"could not train a vocabulary of {vocab_size}")


def _normalized(sentences: Sequence[str]) -> list[str]:
    """The text after the NFKC clean-up sentencepiece does first (e.g. full-width letters to normal)."""
    return [unicodedata.normalize("NFKC", s) for s in sentences]


def _characters_by_frequency(sentences: Sequence[str]) -> list[str]:
    """Every distinct character in the text (spaces aside), most frequent first."""
    counts: dict[str, int] = {}
    for sentence in _normalized(sentences):
        for ch in sentence:
            if not ch.isspace():
                counts[ch] = counts.get(ch, 0) + 1
    return sorted(counts, key=lambda ch: (-counts[ch], ch))


def _train_once(sentences: Sequence[str], vocab_size: int, model_type: str) -> bytes:
    """One sentencepiece training run, entirely in memory."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=1.0,  # every character it sees gets a piece (rare ones were removed above)
        bos_id=-1,
        eos_id=-1,
        num_threads=2,
        minloglevel=2,  # quiet: errors still raise
    )
    return model.getvalue()


def visible_pieces(pieces: Sequence[str]) -> str:
    """sentencepiece pieces joined with a thin separator, ▁ kept so learners see the spaces."""
    return " | ".join(pieces)


@dataclass(frozen=True)
class LadderRise:
    """Two neighbouring sizes of the vocabulary ladder where the larger one needs more pieces for
    the sentence, and why."""

    smaller: int  # vocabulary sizes
    larger: int
    before: int  # pieces at the smaller size
    after: int  # pieces at the larger size
    # Runs of characters that were one ⁇ together at the smaller size and are cut into several
    # pieces at the larger one, which knows some of them. Empty: the vocabularies simply chose
    # different pieces (each size is trained on its own).
    unknown_runs: tuple[str, ...]


def ladder_rises(rungs: Sequence[tuple[int, Sequence[SplitPiece]]]) -> list[LadderRise]:
    """Every step of the ladder (vocabulary size, the sentence's pieces), smallest size first, where
    the piece count goes up instead of down.

    A bigger vocabulary usually means fewer, longer pieces. The exception a learner meets is the
    unknown piece: a small vocabulary writes a whole run of characters it lacks as one ⁇, so it
    looks short because it lost those characters. A larger vocabulary that knows some of them
    writes them as pieces of their own: more pieces, more of the sentence kept."""
    rises = []
    for (smaller, before), (larger, after) in zip(rungs, rungs[1:], strict=False):  # neighbours
        if len(after) <= len(before):
            continue
        runs = []
        for piece in before:
            if piece.unknown and len(piece.surface.strip()) > 1:
                # How many pieces the larger vocabulary needs for these same characters.
                over = [p for p in after if p.start < piece.end and p.end > piece.start]
                if len(over) > 1:
                    runs.append(piece.surface.strip())
        rises.append(LadderRise(smaller, larger, len(before), len(after), tuple(dict.fromkeys(runs))))
    return rises


# ---------------------------------------------------------------------------------------------
# The ladder: one sentence cut by each vocabulary size, and by the real model's tokenizer
# ---------------------------------------------------------------------------------------------

Rung = tuple[int, list[SplitPiece]]  # a vocabulary size, and the sentence's pieces at that size


def ladder_rungs(tokenizers: Iterable[TrainedTokenizer], sentence: str) -> list[Rung]:
    """The sentence cut by each tokenizer of the ladder, smallest vocabulary first."""
    return [(tokenizer.vocab_size, tokenizer.pieces(sentence)) for tokenizer in tokenizers]


@dataclass(frozen=True)
class LadderRow:
    """One row of the ladder table: a tokenizer, how many pieces it cuts the sentence into, and them."""

    label: str  # the vocabulary size ("1,000"), or the real model's name
    count: int
    split: str  # the pieces as the page writes them, "▁The | ▁cat | …"


def ladder_rows(rungs: Sequence[Rung]) -> list[LadderRow]:
    """The trained tokenizers' rows of the ladder table."""
    return [LadderRow(f"{size:,}", len(split), visible_pieces([p.shown for p in split])) for size, split in rungs]


def real_model_row(label: str, pieces: Sequence[TokenPiece]) -> LadderRow:
    """The real model's row, under the trained ones: its own tokenizer's pieces of the sentence
    (spaces as ␣, since its pieces have no ▁)."""
    return LadderRow(label, len(pieces), visible_pieces([visible_token(p.text) for p in pieces]))
