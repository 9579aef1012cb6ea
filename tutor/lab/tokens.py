"""What a token is: tokens made visible, pieces of a character, and where training examples come from.

A tokenizer cuts text into tokens. Most are whole words or parts of words, but a byte-level
tokenizer may cut one Korean syllable (three UTF-8 bytes) into two or three tokens, each only a
piece of the character; this module spots such pieces and lets the model finish them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tutor.i18n import t
from tutor.lab.context import is_empty
from tutor.llm.base import TokenPiece

# Training pairs listed for one sentence (a long paragraph makes hundreds).
MAX_PAIRS = 60
# The learner's own text in the characters-per-token comparison is cut to this many characters.
COMPARED_CHARS = 2000


def visible_token(token: str) -> str:
    """A token with its invisible parts shown: a leading space as ␣, a newline as ↵, a tab as ⇥."""
    if token == "":
        return "∅"
    return token.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")


_BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")


def is_readable(token: str) -> bool:
    """False for a token that is only a piece of a character (e.g. one byte of a Korean syllable).

    Depending on the tokenizer, such a byte decodes to '\ufffd' or is spelled like '<0xEB>'.
    """
    return "\ufffd" not in token and not _BYTE_TOKEN.search(token)


def piece_bytes(token: str) -> bytes | None:
    """The bytes a piece of a character stands for, from its label: ' <0xEB>' is a space and the
    byte EB, the first of the three UTF-8 bytes of a Korean syllable from 뀀 to 뿿. None when the
    label does not spell its bytes (a '\ufffd' from some servers)."""
    if "\ufffd" in token:
        return None
    parts = re.split(r"(<0x[0-9A-Fa-f]{2}>)", token)
    return b"".join(bytes.fromhex(p[3:5]) if _BYTE_TOKEN.fullmatch(p) else p.encode("utf-8") for p in parts)


def finish_character(piece: str, continuation: str) -> str | None:
    """The piece of a character completed into whole text, from the model's own continuation.

    `continuation` is what the model writes next when it takes this piece (its greedy answer from
    the same text, which starts with the favourite piece and, thanks to the engine's UTF-8 guard,
    finishes the character). Returns the shortest start of it that covers the piece's bytes and
    ends on a whole character, e.g. ' <0xEB>' + ' 뷁니다' -> ' 뷁'; None when the continuation does
    not start with the piece's bytes (then it is not this piece's character).
    """
    wanted = piece_bytes(piece)
    if not continuation or "\ufffd" in continuation:
        return None
    if wanted is not None and not continuation.encode("utf-8").startswith(wanted):
        return None
    need = len(wanted) if wanted else 1
    covered = 0
    for end, ch in enumerate(continuation, start=1):
        covered += len(ch.encode("utf-8"))
        if covered >= need and (wanted is not None or not ch.isspace()):
            return continuation[:end]
    return None



# ---------------------------------------------------------------------------------------------
# The Tokens tab: the pieces of a text, and how many characters each token holds
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PieceRow:
    """One readable piece of tokenized text, for the Tokens table."""

    text: str  # made visible (␣ for spaces)
    ids: tuple[int, ...]

    @property
    def token_count(self) -> int:
        return len(self.ids)


def piece_rows(pieces: Sequence[TokenPiece]) -> list[PieceRow]:
    """Tokenizer pieces as rows; a Korean syllable split into byte tokens stays one row."""
    return [PieceRow(visible_token(p.text), tuple(p.ids)) for p in pieces]


def token_total(pieces: Sequence[TokenPiece]) -> int:
    """How many tokens the pieces hold (one readable piece can be several byte tokens)."""
    return sum(max(1, len(p.ids)) for p in pieces)


@dataclass(frozen=True)
class CharsVsTokens:
    label: str
    text: str
    characters: int
    tokens: int

    @property
    def characters_per_token(self) -> float:
        return self.characters / self.tokens if self.tokens else 0.0


def chars_vs_tokens(samples: dict[str, str], tokenize: Callable[[str], list[TokenPiece]]) -> list[CharsVsTokens]:
    """For each labelled text: how many characters, and how many tokens the model needs for it."""
    rows = []
    for label, text in samples.items():
        if is_empty(text):
            continue
        rows.append(CharsVsTokens(label, text, len(text), token_total(tokenize(text))))
    return rows



def comparison_samples(text: str, lang: str) -> dict[str, str]:
    """The texts whose characters per token the Tokens tab compares: an English and a Korean
    sample of the same sentence, and the start of the learner's own text."""
    return {
        t("lab.tokens.english_sample", lang): t("lab.tokens.english_text", lang),
        t("lab.tokens.korean_sample", lang): t("lab.tokens.korean_text", lang),
        t("lab.tokens.yours", lang): text[:COMPARED_CHARS],
    }


# ---------------------------------------------------------------------------------------------
# Training pairs: every sentence is many "text so far -> next token" examples
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingPair:
    """One training example cut from a sentence: the model sees `context`, must predict `target`."""

    context: str
    target: str


def training_pairs(pieces: Sequence[TokenPiece], limit: int = MAX_PAIRS) -> list[TrainingPair]:
    """Every (text so far → next token) example one sentence gives, for free, with no labelling.

    A sentence of n tokens gives n - 1 examples: the first token has nothing before it to learn from.
    """
    pairs = []
    for i in range(1, min(len(pieces), limit + 1)):
        context = "".join(p.text for p in pieces[:i])
        pairs.append(TrainingPair(context=context, target=pieces[i].text))
    return pairs



def pair_count(pieces: Sequence[TokenPiece]) -> int:
    """How many training pairs a sentence of these pieces gives in all (before MAX_PAIRS)."""
    return max(0, len(pieces) - 1)
