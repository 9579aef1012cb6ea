"""Inside-the-model benchmark: prints JSON figures for the default (or given) model.

Measured, each beside a baseline from the same run:
1. opening the model (tutor.inside.model.load_inside_model), and the extra resident memory it takes
   (split into file-backed pages, the weights mapped from disk, and the process's own memory);
2. the very first attention after opening (what the first learner waits for: it also pays one-off
   costs, reading the weights in from disk and setting up the thread pool);
3. attention for a 32-token text, cold (a forward pass keeping every attention weight, then one
   layer's table by readable piece); baseline: the same forward pass without output_attentions;
4. the guess after every layer for that text (one read, then the output layer on 25 hidden states);
   baseline: the forward pass that gives the model's own next-token scores;
5. neighbours of a word (cosine over the whole embedding matrix), and a word map of 8 words;
6. a cached redraw: another layer and head for a text already read, with the heatmap's Altair spec
   built (what a slider move costs when st.cache_data misses).
Also the 1-minute load average before and after, since other work on the machine slows everything.
Targets (issue 17): attention 32 tokens <= 1.5 s, lens <= 1.5 s, neighbours <= 300 ms, redraw <= 300 ms,
extra memory <= 1.5 GB.

Usage: .venv/bin/python bench/bench_inside.py [--repeat 3] [--model NAME]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

TEXT_32 = "The cat didn't jump on the box because it was too tall. The dog did jump, because the box was not too tall for the dog at all."
WORDS = ["cat", "dog", "chair", "table", "king", "queen", "왕", "여왕"]


def rss_mb() -> float:
    """This process's resident memory now, from /proc (Linux)."""
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_split_mb() -> dict:
    """Resident memory by kind: file-backed (mapped files: the weights, libraries) and anonymous."""
    split = {}
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith(("RssFile:", "RssAnon:")):
                split[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 0)
    return split


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn, repeat: int) -> dict:
    """Median and all runs, in milliseconds."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(runs), 1), "runs_ms": [round(r, 1) for r in runs]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    import torch

    from tutor.inside import attention, charts, embeddings, lens
    from tutor.inside.model import load_inside_model
    from tutor.inside.reading import read_text

    figures: dict = {"load_average_before": os.getloadavg()[0], "threads": torch.get_num_threads()}
    before, split_before = rss_mb(), rss_split_mb()
    started = time.perf_counter()
    inside = load_inside_model(args.model)
    figures["open_s"] = round(time.perf_counter() - started, 2)
    figures["extra_rss_after_open_mb"] = round(rss_mb() - before, 0)
    ids = inside.encode(TEXT_32)
    figures["tokens"] = len(ids)
    if len(ids) != 32:  # the target is for 32 tokens; a tokenizer change must not quietly shorten it
        raise SystemExit(f"TEXT_32 is {len(ids)} tokens with this model, not 32")
    base = inside.model.base_model
    tokens = torch.tensor([ids])

    def forward_plain():
        with torch.inference_mode():
            base(input_ids=tokens, use_cache=False)

    def attention_cold():
        inside.readings.clear()
        attention.attention_table(inside, TEXT_32, layer=12)

    def next_token_scores():
        with torch.inference_mode():
            inside.model(input_ids=tokens, use_cache=False, logits_to_keep=1)

    def lens_warm_reading():
        lens.logit_lens(inside, TEXT_32, top_k=5)

    def lens_cold():
        inside.readings.clear()
        lens.logit_lens(inside, TEXT_32, top_k=5)

    started = time.perf_counter()
    attention.attention_table(inside, TEXT_32, layer=12)
    figures["attention_first_call_after_open_ms"] = round((time.perf_counter() - started) * 1000, 1)
    forward_plain()  # the baseline's own first pass, so both sides are measured warm
    figures["baseline_forward_without_attentions"] = timed(forward_plain, args.repeat)
    figures["attention_32_tokens_cold"] = timed(attention_cold, args.repeat)
    figures["baseline_forward_with_next_token_scores"] = timed(next_token_scores, args.repeat)
    figures["lens_cold"] = timed(lens_cold, args.repeat)
    figures["lens_after_attention_read"] = timed(lens_warm_reading, args.repeat)

    read_text(inside, TEXT_32)
    layer_head = iter([(layer, head) for layer in range(1, inside.layer_count + 1) for head in (None, 1, 2)])

    def redraw():
        layer, head = next(layer_head)
        table = attention.attention_table(inside, TEXT_32, layer=layer, head=head)
        charts.attention_heatmap(table, row_title="r", col_title="c", weight_title="w").to_dict()

    figures["cached_redraw_other_layer_and_head"] = timed(redraw, args.repeat * 3)
    embeddings.neighbours(inside, "cat", 10)  # first call warms the chunked product
    figures["neighbours_cat"] = timed(lambda: embeddings.neighbours(inside, "cat", 10), args.repeat)
    figures["neighbours_korean"] = timed(lambda: embeddings.neighbours(inside, "고양이", 10), args.repeat)
    figures["word_map_8_words"] = timed(lambda: embeddings.word_map(inside, WORDS), args.repeat)
    figures["extra_rss_after_all_mb"] = round(rss_mb() - before, 0)
    split = rss_split_mb()
    figures["extra_rss_after_all_by_kind_mb"] = {kind: split[kind] - split_before[kind] for kind in split}
    figures["peak_rss_process_mb"] = round(peak_rss_mb(), 0)
    figures["rss_before_open_mb"] = round(before, 0)
    figures["load_average_after"] = os.getloadavg()[0]
    figures["top_lens_answer"] = lens.logit_lens(inside, "The capital of France is", 1).answer
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
