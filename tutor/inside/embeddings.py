"""The word map: the model's input embeddings, the first thing it does with every token.

Before any layer runs, each token id is replaced by one row of the embedding matrix: a list of
numbers (896 of them for the default model) learned in training. Tokens used in similar places
end up with similar rows. Two rows are compared by the angle between them (cosine similarity):
1 = the same direction, 0 = unrelated, −1 = opposite.

A word that takes several tokens gets the average of its tokens' rows here (the model itself
never averages: its layers combine the pieces, which this first look does not show).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from tutor.inside.lens import token_label
from tutor.inside.model import MAX_TOKENS, InsideModel, TextRefused
from tutor.lab.context import clean_text

MAX_WORDS = 24  # on the 2-D map
REFINED = 400  # candidates whose similarity is recomputed exactly (bf16 is off by about ±0.004)


@dataclass(frozen=True)
class Neighbour:
    token: str
    similarity: float  # cosine, 1 = same direction


@dataclass(frozen=True)
class MapPoint:
    word: str
    x: float
    y: float
    tokens: int  # how many tokens the word took (averaged when more than one)


@dataclass(frozen=True)
class WordMap:
    points: list[MapPoint]
    explained: tuple[float, float]  # share of the words' spread each axis keeps (0–1)


def word_vector(inside: InsideModel, word: str) -> tuple[torch.Tensor, list[int]]:
    """The embedding row of `word` (the average of its rows if it takes several tokens), and its ids."""
    word = clean_text(word).strip()
    if not word:
        raise TextRefused("empty")
    ids = list(inside.tokenizer.encode(word, add_special_tokens=False))
    if len(ids) > MAX_TOKENS:
        raise TextRefused("too_long", len(ids))
    rows = inside.model.get_input_embeddings().weight.detach()[ids].float()
    return rows.mean(dim=0), ids


def neighbours(inside: InsideModel, word: str, top_k: int = 10) -> list[Neighbour]:
    """The `top_k` tokens whose embedding points most nearly the same way as `word`'s.

    A one-token word comes first itself, at similarity 1. Tokens that are only a piece of a
    character (one byte of a Korean syllable) are skipped: nobody can read them.
    """
    if not 1 <= top_k <= 100:
        raise ValueError(f"top_k must be between 1 and 100, got {top_k}")
    vector, _ = word_vector(inside, word)
    with inside.lock, torch.inference_mode():
        matrix = inside.model.get_input_embeddings().weight.detach()[: inside.vocab_size]
        unit = vector / vector.norm().clamp_min(1e-12)
        # cosine = (row · unit) / |row|. One product over all ~151,000 rows in the weights' own
        # precision (bf16 for the packaged model: half the bytes to read, no fp32 copy), then the
        # best few hundred recomputed exactly in fp32, so the listed similarities are exact.
        rough = (matrix @ unit.to(matrix.dtype)).float() / row_norms(inside)
        candidates = torch.topk(rough, min(len(rough), REFINED)).indices
        exact = _cosines(matrix[candidates].float(), unit)
        order = torch.argsort(exact, descending=True)
    found: list[Neighbour] = []
    # look a little deeper than top_k, since some candidates are unreadable byte pieces
    for score, index in zip(exact[order], candidates[order], strict=True):
        text = inside.decode([int(index)])
        if "\ufffd" in text:
            continue
        found.append(Neighbour(token=token_label(inside, int(index)), similarity=float(score)))
        if len(found) == top_k:
            break
    return found


def word_map(inside: InsideModel, words: list[str]) -> WordMap:
    """Place `words` on a flat map: the two directions along which their embeddings differ most (PCA).

    Raises TextRefused("too_few") for fewer than two different words, ("too_many") beyond MAX_WORDS.
    """
    unique = list(dict.fromkeys(w for w in (clean_text(w).strip() for w in words) if w))
    if len(unique) < 2:
        raise TextRefused("too_few", len(unique))
    if len(unique) > MAX_WORDS:
        raise TextRefused("too_many", len(unique))
    with torch.inference_mode():
        vectors = [word_vector(inside, w) for w in unique]
        matrix = torch.stack([v for v, _ in vectors]).double()
        centred = matrix - matrix.mean(dim=0)
        # the right singular vectors are the directions of greatest spread, the largest first
        _, strengths, directions = torch.linalg.svd(centred, full_matrices=False)
        xy = centred @ directions[:2].T
        spread = (strengths**2) / (strengths**2).sum().clamp_min(1e-12)
    second = float(spread[1]) if len(spread) > 1 else 0.0
    points = [
        MapPoint(word=w, x=float(xy[i, 0]), y=float(xy[i, 1]) if xy.shape[1] > 1 else 0.0, tokens=len(ids))
        for i, (w, (_, ids)) in enumerate(zip(unique, vectors, strict=True))
    ]
    return WordMap(points=points, explained=(float(spread[0]), second))


def row_norms(inside: InsideModel) -> torch.Tensor:
    """The length of every embedding row, computed once per model and kept.

    Only the rough ranking divides by these (neighbours recomputes its best REFINED candidates
    with exact fp32 lengths), so they are computed in the weights' own precision: torch adds the
    squares up in fp32 and rounds each length to bf16 (±0.4%, about ±0.002 on a similarity). An
    fp32 copy of the matrix, chunk by chunk, took 0.3-0.8 s on the first search on 2 busy cores;
    this takes about 20 ms.
    """
    if inside.embedding_norms is None:
        matrix = inside.model.get_input_embeddings().weight.detach()[: inside.vocab_size]
        inside.embedding_norms = matrix.norm(dim=1).float().clamp_min(1e-12)
    return inside.embedding_norms


def _cosines(rows: torch.Tensor, unit: torch.Tensor) -> torch.Tensor:
    return (rows @ unit) / rows.norm(dim=1).clamp_min(1e-12)
