"""Preparing the model in the background, so that `make run` serves the app at once.

On a fresh machine the model needs minutes of work before its first answer: installing its
packages, building llama.cpp (about 13 minutes on 2 cores, once), joining and verifying the
weights and writing the fast-loading copies (`python -m tutor prepare`). Lessons, the glossary
and the classifiers need none of it. So `make run` starts that work as a separate process
(`python -m tutor prepare --background`) and serves the app straight away; the job writes where
it stands to a small JSON file in the cache folder, and the sidebar, the chat and the lab read it
("the model is being prepared: 40%") instead of starting the same work a second time.

The status file is the only link between the job and the app: written atomically (a temporary
file renamed into place), it holds the stage, the share done, the job's process id and, at the
end, "done" or "failed" with the reason. A job that died without saying so (its process is gone)
counts as not running, so a crash never leaves the app waiting forever.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from tutor.llm.base import EngineError

STATUS_NAME = "preparing.json"
LOG_NAME = "preparing.log"
# Building llama.cpp shows no progress of its own: its share of the bar grows with the time it has
# taken against the time it usually takes, and never reaches its end before it is done.
BUILD_SECONDS = 13 * 60
BUILD_SHARE = 0.75  # of the whole bar, when there is something to build (else preparing is all of it)
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Preparation:
    """Where the background preparation stands, as its status file says."""

    stage: str  # "build" (packages, llama.cpp), then tutor.llm.prepare's stages; "done" or "failed" at the end
    fraction: float  # share of the whole job done, 0-1
    pid: int  # the job's process
    started: float  # time.time() when the job began
    error: str = ""  # why it failed ("" unless stage == "failed")

    @property
    def finished(self) -> bool:
        return self.stage in ("done", "failed")

    @property
    def running(self) -> bool:
        """Still working: not finished, and its process is alive."""
        return not self.finished and _alive(self.pid)

    @property
    def percent(self) -> int:
        return int(min(max(self.fraction, 0.0), 1.0) * 100)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def status_path(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir).expanduser() / STATUS_NAME


def read_status(cache_dir: str | os.PathLike) -> Preparation | None:
    """The last status the job wrote, or None when no job ever ran (or its file cannot be read:
    a half-written or foreign file must not stop the app)."""
    try:
        data = json.loads(status_path(cache_dir).read_text(encoding="utf-8"))
        return Preparation(stage=str(data["stage"]), fraction=float(data["fraction"]), pid=int(data["pid"]),
                           started=float(data["started"]), error=str(data.get("error", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_status(cache_dir: str | os.PathLike, status: Preparation) -> None:
    """Replace the status file in one step, so a reader never sees half of it."""
    path = status_path(cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(status)), encoding="utf-8")
    os.replace(tmp, path)


def run_job(cache_dir: str | os.PathLike, prepare: Callable[[Progress], None], build: list[str] | None = None,
            *, now: Callable[[], float] = time.time) -> int:
    """The background job: run `build` (a command: the model's packages and llama.cpp), then
    `prepare(progress)`, reporting both to the status file. A failed build is not the end (the
    model also runs on PyTorch); a failed preparation is, with its reason. Returns an exit code."""
    started = now()
    pid = os.getpid()

    def report(fraction: float, stage: str) -> None:
        write_status(cache_dir, Preparation(stage, fraction, pid, started))

    prepare_from = 0.0
    if build:
        prepare_from = BUILD_SHARE
        report(0.0, "build")
        process = subprocess.Popen(build)  # noqa: S603 - the Makefile's own command
        while process.poll() is None:
            time.sleep(2)
            report(min((now() - started) / BUILD_SECONDS, 0.99) * BUILD_SHARE, "build")
        if process.returncode != 0:
            print(f"build command failed ({process.returncode}); preparing without it", file=sys.stderr)
    try:
        prepare(lambda fraction, stage: report(prepare_from + (1 - prepare_from) * min(max(fraction, 0.0), 1.0),
                                               stage if stage != "done" else "save"))
    except Exception as err:  # noqa: BLE001 - any failure is reported to the app, then re-raised
        message = err.message if isinstance(err, EngineError) else (str(err) or type(err).__name__)
        write_status(cache_dir, Preparation("failed", 1.0, pid, started, message))
        raise
    write_status(cache_dir, Preparation("done", 1.0, pid, started))
    return 0


def start_job(cache_dir: str | os.PathLike, argv: list[str]) -> int:
    """Start `argv` (the job) as its own process, detached from the caller and its terminal, with
    its output in the cache folder's log; returns its process id. A first status is written at
    once, so the app shows the job as running from its first page."""
    folder = Path(cache_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOG_NAME, "ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,  # noqa: S603
                                   start_new_session=True)
    write_status(folder, Preparation("build", 0.0, process.pid, time.time()))
    return process.pid


def needs_job(status: str, llama_cpp_installed: bool) -> bool:
    """Is there anything for a background job to do? The model must be prepared ("ready" from
    tutor.llm.loading.engine_status) and llama.cpp installed; "missing" packages are the job's
    to install too."""
    return status != "ready" or not llama_cpp_installed
