"""Attention: for each token, how much it looks at every earlier token, in one layer and head.

Inside one attention head, each token asks a question (its *query*), every token offers a label
(its *key*), and the match between them, scaled and passed through softmax, says how much of each
earlier token's information (its *value*) this token takes in:

    weights[i, j] = softmax over j ≤ i of (query_i · key_j / √head_width)

Each row sums to 1, and nothing lies above the diagonal: a token can only look back, because
when the model writes, the later tokens do not exist yet.

Tokens are shown as readable pieces: when the tokenizer cuts a Korean syllable into two or three
byte tokens, the syllable is one row and one column. Its column adds up the attention its byte
tokens receive, and its row is the row of its last byte token, the first position at which the
model has read the whole syllable. Rows still sum to 1 and stay causal.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import torch

from tutor.inside.model import InsideModel
from tutor.inside.reading import Reading, read_text
from tutor.lab.tokens import visible_token


@dataclass(frozen=True)
class AttentionTable:
    """Attention weights between the readable pieces of a text, for one layer."""

    tokens: list[str]  # readable pieces, spaces shown as ␣
    layer: int  # 1 = the first layer
    head: int | None  # 1 = the first head; None = the average over every head of the layer
    weights: list[list[float]]  # weights[i][j]: how much piece i looks at piece j (0 when j > i)


@dataclass(frozen=True)
class Source:
    """An earlier piece a token looks at, and how much."""

    index: int
    token: str
    weight: float


def token_labels(reading: Reading) -> list[str]:
    """Readable labels for the pieces: invisible characters made visible (␣ for a space, ↵ for a
    newline, as in the next-token lab), other control or format characters spelled as U+XXXX."""
    return [_spell_invisible(visible_token(piece.text)) for piece in reading.pieces]


def attention_table(inside: InsideModel, text: str, layer: int, head: int | None = None) -> AttentionTable:
    """The attention weights of one layer (and one head, or the average of all heads) for `text`."""
    reading = read_text(inside, text)
    layers, heads = reading.attentions.shape[0], reading.attentions.shape[1]
    if not 1 <= layer <= layers:
        raise ValueError(f"layer must be between 1 and {layers}, got {layer}")
    if head is not None and not 1 <= head <= heads:
        raise ValueError(f"head must be between 1 and {heads}, got {head}")
    per_token = reading.attentions[layer - 1]
    # averaging rows that each sum to 1 gives rows that sum to 1
    weights = per_token.mean(dim=0) if head is None else per_token[head - 1]
    return AttentionTable(
        tokens=token_labels(reading), layer=layer, head=head, weights=by_piece(weights, reading).tolist()
    )


def by_piece(weights: torch.Tensor, reading: Reading) -> torch.Tensor:
    """Token × token weights as piece × piece: columns of one piece summed, rows taken at its last token."""
    lengths = [len(piece.ids) for piece in reading.pieces]
    owner = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))  # token -> piece
    membership = torch.zeros(len(lengths), weights.shape[1])
    membership[owner, torch.arange(weights.shape[1])] = 1.0  # membership[p, t] = 1 when token t is in piece p
    last_token = torch.cumsum(torch.tensor(lengths), 0) - 1
    return weights[last_token] @ membership.T


def strongest_sources(table: AttentionTable, row: int, count: int = 5) -> list[Source]:
    """The earlier pieces (itself included) that piece `row` weighs most, heaviest first."""
    weights = table.weights[row][: row + 1]
    order = sorted(range(len(weights)), key=lambda j: weights[j], reverse=True)[:count]
    return [Source(index=j, token=table.tokens[j], weight=weights[j]) for j in order]


def _spell_invisible(label: str) -> str:
    return "".join(
        f"U+{ord(ch):04X}" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in label
    )
