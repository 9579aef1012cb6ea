"""Start and stop llama.cpp's OpenAI-compatible server on a packaged model (tests, benchmarks, classrooms).

llama.cpp's server comes from PyPI as `llama-cpp-python[server]`. It compiles from source, so it
lives in its own virtual environment (`.venv-llama`, built by `make llama-server`) and the app's
own environment never imports it. It serves a GGUF file: for a catalogued model we join the
packaged parts once into `<cache_dir>/gguf/<name>.gguf` (verified by sha256 while joining) and
reuse that file afterwards.

    python -m tutor.llm.llama_server --port 8080     # serve the default model until Ctrl-C
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tutor.llm.base import EngineError
from tutor.llm.catalog import CATALOG, DEFAULT_MODEL, resolve_source
from tutor.llm.packaged import Progress
from tutor.llm.prepare import gguf_for

# The version the tests and the README were checked with (also pinned in the Makefile).
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
ROOT = Path(__file__).resolve().parents[2]
# n_ctx: prompt + answer tokens per request. The server keeps logits for every context position
# (logits_all, needed for logprobs): n_ctx x vocab (151 936) x 4 bytes = 1.2 GB at 2048.
DEFAULT_N_CTX = 2048


def llama_python() -> Path:
    """The Python of the environment that has llama-cpp-python (LLM_TUTOR_LLAMA_PYTHON overrides)."""
    return Path(os.environ.get("LLM_TUTOR_LLAMA_PYTHON") or ROOT / ".venv-llama" / "bin" / "python")


def served_gguf(model: str, cache_dir: str | os.PathLike, progress: Progress | None = None) -> Path:
    """One GGUF file for a catalogued model, joined and verified once, then reused (see gguf_for)."""
    if model not in CATALOG:
        raise EngineError("bad_config", f"'{model}' is not a catalogued model.", hint=f"Use one of: {', '.join(CATALOG)}.")
    path = gguf_for(resolve_source(model), cache_dir, progress)
    assert path is not None  # a catalogued model always has one
    return path


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LlamaServer:
    """A running llama.cpp server process."""

    process: subprocess.Popen
    base_url: str  # ends in /v1
    model: str  # the name it serves the model under (--model_alias)
    log_path: Path
    start_s: float  # seconds from launch until it answered /v1/models

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask it to exit; kill it if it does not."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout_s)

    def kill(self) -> None:
        """End it at once, the way a crash would (no goodbye to open connections)."""
        self.process.kill()
        self.process.wait(10)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_llama_server(
    gguf: Path,
    *,
    model_alias: str,
    log_path: Path,
    port: int | None = None,
    n_ctx: int = DEFAULT_N_CTX,
    n_threads: int | None = None,
    python: Path | None = None,
    startup_timeout_s: float = 180.0,
    interrupt_requests: bool = False,
    extra_args: tuple[str, ...] = (),
) -> LlamaServer:
    """Launch `python -m llama_cpp.server` on loopback and wait until it lists the model.

    interrupt_requests=False makes concurrent requests wait their turn; llama-cpp-python's default
    (True) ends a running answer early, with a normal-looking [DONE], whenever another one arrives.

    Its output goes to `log_path` (a pipe nobody reads would fill up and freeze the server).
    Raises EngineError("server_failed") with the log's tail if it exits or does not come up.
    """
    python = python or llama_python()
    if not Path(python).is_file():
        raise EngineError(
            "server_failed", f"llama.cpp's server is not installed ({python} is missing).", hint="Run: make llama-server"
        )
    port = port or free_port()
    threads = n_threads or os.cpu_count() or 1
    command = [
        str(python), "-m", "llama_cpp.server",
        "--model", str(gguf), "--model_alias", model_alias,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--n_threads_batch", str(threads),
        "--interrupt_requests", "true" if interrupt_requests else "false",
        *extra_args,
    ]  # fmt: skip
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = LlamaServer(process, f"http://127.0.0.1:{port}/v1", model_alias, log_path, 0.0)
    while time.monotonic() - started < startup_timeout_s:
        if process.poll() is not None:
            raise EngineError("server_failed", f"llama.cpp's server exited ({process.returncode}):\n{server.log_tail()}")
        try:
            if requests.get(server.base_url + "/models", timeout=2).status_code == 200:
                server.start_s = time.monotonic() - started
                return server
        except requests.exceptions.RequestException:
            pass  # not listening yet
        time.sleep(0.2)
    server.stop()
    raise EngineError("server_failed", f"llama.cpp's server did not come up in {startup_timeout_s:g} s:\n{server.log_tail()}")


def main(argv: list[str] | None = None) -> int:
    """Serve a catalogued model with llama.cpp's server until interrupted."""
    from tutor.config import load_settings

    parser = argparse.ArgumentParser(prog="python -m tutor.llm.llama_server", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(CATALOG))
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--n-ctx", type=int, default=DEFAULT_N_CTX)
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        gguf = served_gguf(args.model, settings.cache_dir)
        server = start_llama_server(
            gguf, model_alias=args.model, port=args.port, n_ctx=args.n_ctx,
            log_path=Path(settings.cache_dir) / "llama-server.log",
        )  # fmt: skip
    except EngineError as err:
        print(err, file=sys.stderr)
        return 2
    print(f"Serving '{args.model}' at {server.base_url} (log: {server.log_path}); Ctrl-C stops it.")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
