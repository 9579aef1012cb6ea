"""The guess after every layer (the "logit lens").

After the last layer, the model turns the hidden state at the last position into one score per
vocabulary token: a final normalisation (RMSNorm), then the output layer, then softmax. Nothing
stops us from doing the same to the hidden state after layer 1, 2, 3, …: it shows what the model
"would say" if it stopped reading there. Early layers usually guess something shallow (often the
last token again); the answer tends to take shape in the upper layers.

The lens at the last layer is exactly the model's own next-token distribution.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from tutor.inside.model import InsideModel, give_back_memory
from tutor.inside.reading import read_text

OUTPUT_CHUNK = 8_192  # vocabulary rows multiplied at a time: the fp32 copy of a chunk is ~30 MB, not 540


@dataclass(frozen=True)
class Guess:
    token: str  # readable text of the token (bytes of a partial character shown as <0xNN>)
    prob: float


@dataclass(frozen=True)
class LayerGuess:
    layer: int  # 0 = before any layer (the token's own embedding), then 1 … the last layer
    top: list[Guess]


@dataclass(frozen=True)
class Lens:
    """The guess after every layer for one text."""

    layers: list[LayerGuess]  # layer 0 (embedding only), then after each layer
    answer: str  # the last layer's favourite: the model's real next-token prediction
    answer_probs: list[float]  # that token's probability after each layer, same order as `layers`


def logit_lens(inside: InsideModel, text: str, top_k: int = 5) -> Lens:
    """For each layer, the top `top_k` next tokens the model would predict if it stopped there."""
    if not 1 <= top_k <= 100:
        raise ValueError(f"top_k must be between 1 and 100, got {top_k}")
    probs = layer_probabilities(inside, read_text(inside, text).hidden)
    best = torch.topk(probs, top_k, dim=-1)
    layers = [
        LayerGuess(
            layer=layer,
            top=[Guess(token_label(inside, int(i)), float(p)) for p, i in zip(values, indices, strict=True)],
        )
        for layer, (values, indices) in enumerate(zip(best.values, best.indices, strict=True))
    ]
    answer = int(best.indices[-1, 0])
    return Lens(layers=layers, answer=token_label(inside, answer), answer_probs=probs[:, answer].tolist())


def layer_probabilities(inside: InsideModel, hidden: torch.Tensor) -> torch.Tensor:
    """[layers + 1, vocab] probabilities: final norm, output layer, softmax, applied to each hidden state."""
    with inside.lock, torch.inference_mode():
        normed = inside.model.base_model.norm(hidden)
        output = inside.model.get_output_embeddings()
        weight = output.weight[: inside.vocab_size]  # padding rows beyond the tokenizer never count
        # scores = normed · weightᵀ, a chunk of the vocabulary at a time and exactly in fp32: the
        # prepared weights are bf16, and a bf16 product would round scores near 20 by ±0.06
        scores = torch.cat(
            [normed @ weight[start : start + OUTPUT_CHUNK].float().T for start in range(0, weight.shape[0], OUTPUT_CHUNK)],
            dim=-1,
        )
        bias = getattr(output, "bias", None)
        if bias is not None:
            scores = scores + bias[: inside.vocab_size].float()
        probs = torch.softmax(scores, dim=-1)
    give_back_memory()
    return probs


def token_label(inside: InsideModel, token_id: int) -> str:
    """One token's text; a token that is only part of a character shows its bytes (e.g. <0xEC>)."""
    from tutor.llm.local import _token_bytes  # the engine's own byte spelling of a token

    text = inside.decode([token_id])
    if "\ufffd" not in text:
        return text
    raw = _token_bytes(inside.tokenizer, token_id)
    if raw is None:
        return text
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"<0x{b:02X}>" for b in raw)
