"""One read of the learner's text, keeping what the model computed on the way.

A language model reads a text in one forward pass: every token goes through every layer at once.
On the way, each layer's attention builds a table "how much does token i look at token j", and
each layer hands a new *hidden state* (one vector of numbers per token) to the next. Normally all
of that is thrown away and only the scores for the next token are kept. Here we keep:

- every layer's attention weights, for every head (the attention view);
- the hidden state at the last position after every layer (the guess after every layer).

The attention and the lens views are both drawn from one `Reading`, so moving a slider only
picks another slice of numbers already computed (remembered per text on the InsideModel).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from tutor.inside.model import InsideModel, give_back_memory
from tutor.llm.base import TokenPiece


@dataclass(frozen=True)
class Reading:
    """What the model computed while reading one text."""

    ids: list[int]  # the text's token ids
    pieces: list[TokenPiece]  # the same tokens grouped into readable pieces
    attentions: torch.Tensor  # [layers, heads, tokens, tokens] float32: row i = how token i spreads its attention
    hidden: torch.Tensor  # [layers + 1, width] float32: at the last position, before any layer (0) and after each


def read_text(inside: InsideModel, text: str) -> Reading:
    """Run the model once over `text` (at most MAX_TOKENS tokens) and keep its insides.

    Raises TextRefused for an empty or too long text. The result is remembered per text, so a
    second call with the same text costs nothing.
    """
    remembered = inside.recall(text)
    if remembered is not None:
        return remembered
    ids = inside.encode(text)
    base = inside.model.base_model  # the stack of layers, without the output layer
    last_states: list[torch.Tensor] = []

    def keep_last(_module, _inputs, output) -> None:
        # a decoder layer returns the new hidden states (older transformers: a tuple starting with them)
        states = output[0] if isinstance(output, tuple) else output
        last_states.append(states[0, -1].float())

    hooks = [layer.register_forward_hook(keep_last) for layer in base.layers]
    try:
        with inside.lock, torch.inference_mode():
            tokens = torch.tensor([ids], dtype=torch.long)
            embedded = inside.model.get_input_embeddings()(tokens)
            # the base model only (no output layer): the views apply it themselves, to what they need
            out = base(inputs_embeds=embedded, output_attentions=True, use_cache=False)
    finally:
        for hook in hooks:
            hook.remove()
    attentions = torch.stack([layer[0].float() for layer in out.attentions])
    hidden = torch.stack([embedded[0, -1].float(), *last_states])
    reading = Reading(ids=ids, pieces=inside.pieces(ids), attentions=attentions, hidden=hidden)
    inside.remember(text, reading)
    give_back_memory()
    return reading
