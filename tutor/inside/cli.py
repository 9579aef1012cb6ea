"""`python -m tutor attention | lens | neighbours`: the inside-the-model views as JSON, for tests and scripts.

    attention TEXT [--layer N] [--head H] --json  -> {"tokens", "layer", "head", "weights"}
    lens TEXT [--top-k K] --json                  -> [{"layer", "top": [{"token", "prob"}]}]
    neighbours WORD [--top-k K] --json            -> [{"token", "similarity"}]

Layers and heads count from 1 (as on the page); lens layer 0 is the embedding before any layer.
Tokens are the readable pieces the page shows (a Korean syllable cut into bytes is one piece).
Without --json the same figures are printed as plain lines.
"""
from __future__ import annotations

import argparse
import json
import sys

from tutor.llm.base import EngineError


def _inside(args: argparse.Namespace):
    from tutor.__main__ import ProgressBar
    from tutor.inside import model

    progress = None if args.json else ProgressBar("Opening model")
    return model.load_inside_model(args.model, progress=progress)


def _refused(err: Exception) -> EngineError:
    return EngineError("bad_input", f"The text was refused: {err}.", hint="Give a non-empty text of at most 64 tokens.")


def run_attention(args: argparse.Namespace) -> int:
    """Print one layer's attention weights (one head, or the average of all heads)."""
    from tutor.inside.attention import attention_table
    from tutor.inside.model import TextRefused

    inside = _inside(args)
    layer = args.layer if args.layer is not None else inside.layer_count
    try:
        table = attention_table(inside, args.text, layer, args.head)
    except TextRefused as err:
        raise _refused(err) from err
    report = {"tokens": table.tokens, "layer": table.layer, "head": table.head,
              "weights": [[round(w, 6) for w in row] for row in table.weights]}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for token, row in zip(table.tokens, table.weights, strict=True):
            print(f"{token!r:>16}  " + " ".join(f"{w:5.2f}" for w in row))
    return 0


def run_lens(args: argparse.Namespace) -> int:
    """Print the top next tokens the model would guess after each layer."""
    from tutor.inside.lens import logit_lens
    from tutor.inside.model import TextRefused

    inside = _inside(args)
    try:
        lens = logit_lens(inside, args.text, args.top_k)
    except TextRefused as err:
        raise _refused(err) from err
    rows = [{"layer": g.layer, "top": [{"token": c.token, "prob": round(c.prob, 6)} for c in g.top]} for g in lens.layers]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['layer']:>3}  " + "  ".join(f"{c['token']!r} {c['prob']:.3f}" for c in row["top"]))
    return 0


def run_neighbours(args: argparse.Namespace) -> int:
    """Print the tokens nearest to a word in the input embedding matrix."""
    from tutor.inside.embeddings import neighbours
    from tutor.inside.model import TextRefused

    inside = _inside(args)
    try:
        found = neighbours(inside, args.word, args.top_k)
    except TextRefused as err:
        raise _refused(err) from err
    rows = [{"token": n.token, "similarity": round(n.similarity, 6)} for n in found]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            sys.stdout.write(f"{row['similarity']:7.4f}  {row['token']!r}\n")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--model", default=None, help="catalog name, model folder or .gguf (default: settings)")


def add_attention_command(subparsers) -> None:
    p = subparsers.add_parser("attention", help="one layer's attention weights for a text (JSON)")
    p.add_argument("text")
    p.add_argument("--layer", type=int, default=None, help="1 = the first layer (default: the last)")
    p.add_argument("--head", type=int, default=None, help="1 = the first head (default: the average of all)")
    _common(p)
    p.set_defaults(func=run_attention)


def add_lens_command(subparsers) -> None:
    p = subparsers.add_parser("lens", help="the model's guess after every layer (JSON)")
    p.add_argument("text")
    p.add_argument("--top-k", type=int, default=5, help="tokens per layer (1-100)")
    _common(p)
    p.set_defaults(func=run_lens)


def add_neighbours_command(subparsers) -> None:
    p = subparsers.add_parser("neighbours", help="nearest tokens in the input embeddings (JSON)")
    p.add_argument("word")
    p.add_argument("--top-k", type=int, default=10, help="how many neighbours (1-100)")
    _common(p)
    p.set_defaults(func=run_neighbours)
