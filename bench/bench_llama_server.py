"""Decode speed and time to first token: our local engine vs llama.cpp's server, same GGUF, same run.

Both continue the same ~300-token prompt greedily for up to 48 new tokens, alternating engine by
engine so a busy machine slows both alike. Each round starts the prompt with its own number:
llama.cpp reuses the cached prompt prefix of the previous request, which would hide the prefill.
The server runs twice: as the tests run it (`logits_all` on, needed for the lab's logprobs) and
with `--logits_all false` (enough for chat only). Prints JSON; the figure that matters is
`server_over_local_decode` (how many times faster llama.cpp decodes than our engine).

    .venv/bin/python bench/bench_llama_server.py [--rounds 3] [--new-tokens 48]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tutor.config import Settings, load_settings  # noqa: E402
from tutor.llm import load_engine  # noqa: E402
from tutor.llm.base import Engine  # noqa: E402
from tutor.llm.catalog import DEFAULT_MODEL  # noqa: E402
from tutor.llm.llama_server import LLAMA_CPP_PYTHON_VERSION, served_gguf, start_llama_server  # noqa: E402

PARAGRAPH = (
    "A large language model reads text as tokens, small pieces of words. For every position it "
    "computes a score for each token in its vocabulary, turns the scores into probabilities, and "
    "picks the next token. Repeating this step one token at a time produces whole answers. "
)


def prompt_of(engine: Engine, tokens: int) -> str:
    """A prompt of about `tokens` tokens, cut at a word boundary."""
    text = PARAGRAPH * (tokens // 40 + 2)
    words = text.split(" ")
    while engine.count_tokens(" ".join(words)) > tokens:
        words = words[:-1]
    return " ".join(words)


def measure(engine: Engine, prompt: str, new_tokens: int) -> dict:
    """Time to first piece, and decode tokens per second after it."""
    started = time.perf_counter()
    first = last = None
    pieces: list[str] = []
    for piece in engine.stream_completion(prompt, max_new_tokens=new_tokens, temperature=0.0, timeout_s=900):
        last = time.perf_counter()
        first = first or last
        pieces.append(piece)
    generated = engine.count_tokens("".join(pieces))
    decode_s = (last or started) - (first or started)
    return {
        "ttft_s": round((first or started) - started, 3),
        "new_tokens": generated,
        "decode_tok_s": round((generated - 1) / decode_s, 2) if decode_s > 0 and generated > 1 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--prompt-tokens", type=int, default=300)
    args = parser.parse_args()
    settings = load_settings()

    started = time.perf_counter()
    local = load_engine(DEFAULT_MODEL, settings=settings)
    local_load_s = time.perf_counter() - started
    gguf = served_gguf(DEFAULT_MODEL, settings.cache_dir)
    logs = Path(tempfile.mkdtemp(prefix="bench-llama-"))
    servers = {
        "llama_server": start_llama_server(gguf, model_alias=DEFAULT_MODEL, log_path=logs / "server.log"),
        "llama_server_chat_only": start_llama_server(
            gguf, model_alias=DEFAULT_MODEL, log_path=logs / "chat-only.log", extra_args=("--logits_all", "false")
        ),
    }
    try:
        engines: dict[str, Engine] = {"local": local}
        for name, server in servers.items():
            engines[name] = load_engine(
                settings=Settings(
                    backend="openai", openai_base_url=server.base_url, openai_model=DEFAULT_MODEL,
                    openai_context_window=2048, openai_timeout_s=900, cache_dir=settings.cache_dir,
                )
            )  # fmt: skip
        base_prompt = prompt_of(local, args.prompt_tokens - 4)
        for engine in engines.values():  # warm all: first calls pay for lazy set-up
            measure(engine, "Hello", 2)
        runs: dict[str, list[dict]] = {name: [] for name in engines}
        for round_number in range(args.rounds):
            prompt = f"Note {round_number + 1}. {base_prompt}"
            for name, engine in engines.items():
                runs[name].append(measure(engine, prompt, args.new_tokens))
    finally:
        for server in servers.values():
            server.stop()

    def median(name: str, key: str) -> float | None:
        values = [run[key] for run in runs[name] if run[key] is not None]
        return round(statistics.median(values), 3) if values else None

    local_decode, server_decode = median("local", "decode_tok_s"), median("llama_server", "decode_tok_s")
    summary = {name: {"ttft_s": median(name, "ttft_s"), "decode_tok_s": median(name, "decode_tok_s")} for name in runs}
    print(json.dumps({
        "model": DEFAULT_MODEL,
        "gguf": str(gguf),
        "llama_cpp_python": LLAMA_CPP_PYTHON_VERSION,
        "cpu_count": os.cpu_count(),
        "local_compute": settings.model_compute,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "prompt_tokens": local.count_tokens(prompt),
        "max_new_tokens": args.new_tokens,
        "local_load_s": round(local_load_s, 2),
        "server_start_s": round(servers["llama_server"].start_s, 2),
        **summary,
        "server_over_local_decode": round(server_decode / local_decode, 2) if local_decode and server_decode else None,
        "runs": runs,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
