"""Command line: `python -m tutor <command>`.

Commands:
  prepare [--model NAME] [--force]      verify the packaged weights and build the fast-loading cache
          [--background [--build CMD]]    ... as a background job, returning at once (`make run`)
  status [--model NAME]                 ready / needs_prepare / missing, without loading weights
  next-token "TEXT" [--top-k 10] [--temperature T] [--top-p P] [--json]
                                        the model's real probabilities for the next token
  generate "PROMPT" [--chat] [--max-new-tokens N] [--temperature T]
                                        stream a continuation (or a chat answer) to stdout
  bench [--model NAME] [--quick]        print speed and memory figures as JSON
  ask "QUESTION" [--lang ko|en] [--json]
                                        the tutor's answer from the lessons, with its citations
  attention "TEXT" [--layer N] [--head H] [--json]
                                        one layer's attention weights (tutor/inside/cli.py)
  lens "TEXT" [--top-k K] [--json]      the model's guess after every layer
  neighbours WORD [--top-k K] [--json]  nearest tokens in the input embeddings

Exit codes (stable, for scripts and the Makefile; the table is tutor/exit_codes.py):
  0 success · 1 unexpected error · 2 bad command-line usage · 3 model not installed (model_missing,
  part_missing) · 4 corrupt weights (hash_mismatch) · 5 out of memory · 6 generation failed or timed
  out · 7 bad configuration or input (bad_config, bad_input, server_auth, model_not_on_server) ·
  8 model server unreachable, busy or failing (server_unreachable, server_timeout, server_busy,
  server_error, stream_interrupted) · 130 interrupted (Ctrl-C, cancelled)

To add a command: write `add_<name>(subparsers)` that registers a subparser and sets
`func=<runner>` with `set_defaults`, then add it to COMMANDS below.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable

from tutor.exit_codes import (  # noqa: F401 - EXIT_* are this CLI's documented names
    EXIT_BAD_CONFIG,
    EXIT_CODES,
    EXIT_GENERATION_FAILED,
    EXIT_HASH_MISMATCH,
    EXIT_INTERRUPTED,
    EXIT_MODEL_MISSING,
    EXIT_OK,
    EXIT_OUT_OF_MEMORY,
    EXIT_SERVER_FAILED,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    exit_code_for,
)
from tutor.llm.base import EngineError, close_stream


class ProgressBar:
    """A one-line text progress bar on stderr: `[#####.....]  50% dequantize`."""

    def __init__(self, label: str, width: int = 30, stream=None) -> None:
        self.label = label
        self.width = width
        self.stream = stream or sys.stderr
        self._last = (-1, "")

    def __call__(self, fraction: float, stage: str) -> None:
        fraction = min(1.0, max(0.0, fraction))
        percent = int(fraction * 100)
        if (percent, stage) == self._last:
            return
        self._last = (percent, stage)
        filled = int(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {stage:<12}")
        if fraction >= 1.0 and stage == "done":
            self.stream.write("\n")
        self.stream.flush()


def _settings(args: argparse.Namespace):
    from tutor.config import load_settings

    return load_settings()


def _engine(args: argparse.Namespace, quiet: bool = False):
    from tutor.llm.loading import load_engine

    progress = None if quiet else ProgressBar("Loading model")
    return load_engine(args.model, _settings(args), progress)


# ---- commands ----------------------------------------------------------------------------------


def run_prepare(args: argparse.Namespace) -> int:
    """Verify and prepare the model into the cache folder: here, in the background (`make run`),
    or as that background job itself (tutor/llm/background.py)."""
    import shlex

    from tutor.llm import background
    from tutor.llm.loading import engine_status, ensure_prepared

    settings = _settings(args)
    build = shlex.split(args.build) if args.build else None
    if args.job:
        return background.run_job(settings.cache_dir, lambda progress: ensure_prepared(args.model, settings, progress),
                                  build)
    if args.background:
        from tutor.llm.backends.llamacpp import available

        running = background.read_status(settings.cache_dir)
        if running is not None and running.running:
            print(f"The model is already being prepared in the background ({running.percent}%).")
        elif background.needs_job(engine_status(args.model, settings)[0], available()):
            argv = [sys.executable, "-m", "tutor", "prepare", "--job", *(["--model", args.model] if args.model else [])]
            background.start_job(settings.cache_dir, argv + (["--build", args.build] if args.build else []))
            log = background.status_path(settings.cache_dir).with_name(background.LOG_NAME)
            print(f"The model is being prepared in the background (progress in the app's sidebar; log: {log}).")
        else:
            print("The model is ready.")
        return EXIT_OK
    folder = ensure_prepared(args.model, settings, ProgressBar("Preparing model"), force=args.force)
    print(folder)
    return EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    """Print whether the model is ready, without loading it."""
    from tutor.llm.catalog import resolve_source
    from tutor.llm.loading import compute_for, engine_status

    settings = _settings(args)
    state, detail = engine_status(args.model, settings)
    report = {"status": state, "detail": detail}
    if state != "missing" and settings.backend == "local":
        # which arithmetic a load would use: "llama.cpp" unless it is not installed (then PyTorch)
        report["compute"] = compute_for(resolve_source(args.model or settings.model), settings.model_compute)
    print(json.dumps(report, ensure_ascii=False))
    return EXIT_OK if state != "missing" else EXIT_MODEL_MISSING


def run_next_token(args: argparse.Namespace) -> int:
    """Print the top next-token candidates with their probabilities."""
    engine = _engine(args, quiet=args.json)
    dist = engine.next_token_distribution(
        args.text, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p
    )
    rows = [{"token": c.token, "id": c.id, "prob": round(c.prob, 6)} for c in dist.choices]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['prob']:8.4f}  {row['id']:>7}  {row['token']!r}")
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    """Stream a completion (or a chat answer with --chat) to stdout."""
    engine = _engine(args, quiet=True)
    stop = threading.Event()
    options = dict(max_new_tokens=args.max_new_tokens, temperature=args.temperature, stop=stop)
    if args.chat:
        stream = engine.stream_chat([{"role": "user", "content": args.prompt}], **options)
    else:
        sys.stdout.write(args.prompt)
        stream = engine.stream_completion(args.prompt, **options)
    try:
        for piece in stream:
            sys.stdout.write(piece)
            sys.stdout.flush()
    finally:
        stop.set()
        close_stream(stream)  # Ctrl-C mid-answer: the model stops (the server is hung up on) now
    sys.stdout.write("\n")
    return EXIT_OK


def run_bench(args: argparse.Namespace) -> int:
    """Measure load time, memory and speed against plain transformers baselines; print JSON."""
    from tutor.llm.bench import run_benchmark

    figures = run_benchmark(args.model, _settings(args), quick=args.quick, cold=args.cold)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return EXIT_OK


# ---- parser ------------------------------------------------------------------------------------


def _model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="catalog name, model folder or .gguf (default: settings)")


def add_prepare(subparsers) -> None:
    p = subparsers.add_parser("prepare", help="verify the packaged weights and build the cache")
    _model_option(p)
    p.add_argument("--force", action="store_true", help="rebuild even if the cache is ready")
    p.add_argument("--background", action="store_true",
                   help="start the preparation as a background job and return at once (what `make run` does)")
    p.add_argument("--build", default="", help="with --background: a command the job runs first (the Makefile's "
                   "model packages and llama.cpp)")
    p.add_argument("--job", action="store_true", help=argparse.SUPPRESS)  # the background job itself
    p.set_defaults(func=run_prepare)


def add_status(subparsers) -> None:
    p = subparsers.add_parser("status", help="is the model ready? (does not load it)")
    _model_option(p)
    p.set_defaults(func=run_status)


def add_next_token(subparsers) -> None:
    p = subparsers.add_parser("next-token", help="the model's next-token probabilities")
    p.add_argument("text")
    p.add_argument("--top-k", type=int, default=10, help="how many candidates to keep and list")
    p.add_argument("--temperature", type=float, default=1.0, help="1.0 = unchanged, 0 = greedy")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus cut-off (1.0 = off)")
    p.add_argument("--json", action="store_true", help='print [{"token","id","prob"}, ...]')
    _model_option(p)
    p.set_defaults(func=run_next_token)


def add_generate(subparsers) -> None:
    p = subparsers.add_parser("generate", help="stream a continuation to stdout")
    p.add_argument("prompt")
    p.add_argument("--chat", action="store_true", help="answer as the chat assistant")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    _model_option(p)
    p.set_defaults(func=run_generate)


def add_bench(subparsers) -> None:
    p = subparsers.add_parser("bench", help="speed and memory figures as JSON")
    p.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    p.add_argument("--cold", action="store_true", help="also time a cold preparation (into a temp folder)")
    _model_option(p)
    p.set_defaults(func=run_bench)


def add_ask(subparsers) -> None:
    """`ask "QUESTION" [--lang ko|en] [--json]`: the tutor's grounded answer (see tutor/chat/cli.py)."""
    from tutor.chat.cli import add_ask_command

    add_ask_command(subparsers)


def add_attention(subparsers) -> None:
    """`attention`, `lens`, `neighbours`: the inside-the-model views as JSON (see tutor/inside/cli.py)."""
    from tutor.inside.cli import add_attention_command

    add_attention_command(subparsers)


def add_lens(subparsers) -> None:
    from tutor.inside.cli import add_lens_command

    add_lens_command(subparsers)


def add_neighbours(subparsers) -> None:
    from tutor.inside.cli import add_neighbours_command

    add_neighbours_command(subparsers)


COMMANDS: list[Callable] = [
    add_prepare, add_status, add_next_token, add_generate, add_bench, add_ask, add_attention, add_lens, add_neighbours,
]


def build_parser() -> argparse.ArgumentParser:
    """The `python -m tutor` parser with every registered command."""
    parser = argparse.ArgumentParser(prog="python -m tutor", description="llm-tutor command line")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code; engine failures print a message, not a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except EngineError as err:
        print(f"\nerror [{err.code}]: {err}", file=sys.stderr)
        return exit_code_for(err.code)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ValueError as err:  # e.g. a malformed setting in llm_tutor.toml
        print(f"\nerror [bad_config]: {err}", file=sys.stderr)
        return EXIT_BAD_CONFIG


if __name__ == "__main__":
    sys.exit(main())
