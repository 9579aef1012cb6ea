"""How the model does its arithmetic on a laptop CPU.

The prepared weights are bf16: each number takes 2 bytes (fp32 takes 4). Laptop CPUs without
native bf16 instructions (most AVX2 machines) are fast at fp32 matrix products and slow at bf16
ones — except when the product is a single row, where the time goes into *reading* the weights
from memory, and reading half the bytes wins. So the two phases of generation want different
arithmetic:

- reading a prompt (many tokens at once: a big matrix product) → fp32 is several times faster;
- writing an answer (one token at a time: a matrix-vector product) → bf16 weights are faster.

`use_mixed_precision` keeps every weight matrix in bf16 (half the memory of fp32) and picks per
call: a multiply over more than SMALL_STEP_TOKENS rows copies the matrix to fp32 for that one
product; a smaller one multiplies in bf16. Everything between the matrix products (norms,
attention, the residual stream) stays in fp32.

A bf16 product rounds its result to about 3 significant digits. For the output layer that is too
coarse: the scores (logits) reach 20–30, where bf16 steps by 0.125, enough to shift a shown
probability by several percent. So the output layer recomputes its REFINED_CANDIDATES highest
scores exactly in fp32; every probability the next-token lab lists comes from exact scores.

Measured on the default model (2 cores, AVX2, no native bf16), against fp32 everywhere:
mean KL 0.00007 and top-1 agreement 6/6 on six prompts (largest probability difference 0.4
points), 2.0 GB peak memory instead of 4.1 GB. See `python -m tutor bench` for speed.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

COMPUTE_MODES = ("mixed", "fp32", "bf16")

SMALL_STEP_TOKENS = 4  # a product over at most this many token rows counts as a "one-token step"
REFINED_CANDIDATES = 64  # output scores recomputed exactly (the lab lists at most 40 candidates)


def _rows(x: torch.Tensor) -> int:
    """How many token rows a product multiplies (batch × sequence)."""
    return x.numel() // x.shape[-1]


class Bf16Linear(nn.Module):
    """A linear layer whose weights stay in bf16; fp32 in, fp32 out."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.weight = nn.Parameter(linear.weight.detach().to(torch.bfloat16), requires_grad=False)
        bias = linear.bias
        self.bias = None if bias is None else nn.Parameter(bias.detach().float(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _rows(x) <= SMALL_STEP_TOKENS:
            y = F.linear(x.to(torch.bfloat16), self.weight).float()  # half the bytes to read
        else:
            y = F.linear(x, self.weight.float())  # a big product: fp32 is the fast path
        return y if self.bias is None else y + self.bias


class RefinedOutputLayer(nn.Module):
    """The output layer (hidden state → one score per vocabulary token), exact where it matters.

    One-token steps score all ~151,000 tokens in bf16, then recompute the highest
    REFINED_CANDIDATES scores exactly. bf16 is accurate to about ±0.1 at these magnitudes, so a
    token outside the approximate top 64 cannot be among the exact top few.
    """

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.weight = nn.Parameter(linear.weight.detach().to(torch.bfloat16), requires_grad=False)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        if _rows(hidden) > SMALL_STEP_TOKENS:
            return F.linear(hidden, self.weight.float())
        scores = F.linear(hidden.to(torch.bfloat16), self.weight).float()
        flat_scores = scores.view(-1, scores.shape[-1])
        flat_hidden = hidden.reshape(-1, hidden.shape[-1]).float()
        for row in range(flat_scores.shape[0]):
            best = flat_scores[row].topk(min(REFINED_CANDIDATES, flat_scores.shape[-1])).indices
            flat_scores[row, best] = self.weight[best].float() @ flat_hidden[row]
        return scores


class Bf16Embedding(nn.Module):
    """Token embeddings stored in bf16, handed on as fp32 (a lookup reads only a few rows)."""

    def __init__(self, embedding: nn.Embedding) -> None:
        super().__init__()
        self.weight = nn.Parameter(embedding.weight.detach().to(torch.bfloat16), requires_grad=False)
        self.padding_idx = embedding.padding_idx

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.weight, self.padding_idx).float()


def use_mixed_precision(model: nn.Module) -> nn.Module:
    """Swap the model's big layers for the mixed ones above (in place) and make the rest fp32."""
    output_layer = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if child is output_layer and isinstance(child, nn.Linear):
                setattr(parent, name, RefinedOutputLayer(child))
            elif isinstance(child, nn.Linear):
                setattr(parent, name, Bf16Linear(child))
            elif isinstance(child, nn.Embedding):
                setattr(parent, name, Bf16Embedding(child))
    # what is left is small (norm weights, rotary frequencies): fp32, like the residual stream
    for tensor in list(model.parameters()) + list(model.buffers()):
        if tensor.dtype == torch.bfloat16 and tensor.dim() <= 1:
            tensor.data = tensor.data.float()
    model.config.dtype = torch.float32
    return model
