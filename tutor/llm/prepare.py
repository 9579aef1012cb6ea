"""Prepare a model once: GGUF (quantized, slow to load) → bf16 safetensors folder (fast to load).

transformers can read a GGUF file directly, but it de-quantizes every tensor on each load
(15–60 s on a laptop CPU). We do that once and keep the result in the cache folder, so later
loads take a few seconds.

The cache is written atomically: everything goes into a temporary folder beside the target,
and only a complete folder is renamed into place with os.replace. A crash midway leaves at most
a `.tmp-*` folder, which is never loaded and is swept away by the next preparation.

Progress is reported as `progress(fraction, stage)` with stage one of
"verify", "tokenizer", "dequantize", "save", "done" (the UI translates these).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from tutor.llm.base import EngineError
from tutor.llm.catalog import ModelSource
from tutor.llm.packaged import assemble_gguf

Progress = Callable[[float, str], None]
MARKER = "tutor-prepared.json"  # written last; a folder without it is not a prepared model
FORMAT_VERSION = 1  # bump when the prepared layout changes, so old caches are rebuilt

# Share of the progress bar each stage takes (verify + join is quick, de-quantizing is slow).
_STAGES = {"verify": (0.0, 0.2), "tokenizer": (0.2, 0.45), "dequantize": (0.45, 0.85), "save": (0.85, 1.0)}


def prepared_path(cache_dir: str | os.PathLike, name: str) -> Path:
    """Where the prepared copy of a model lives in the cache."""
    return Path(cache_dir).expanduser() / name


def is_prepared(folder: Path) -> bool:
    """True when `folder` holds a complete prepared model of the current format."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("format") == FORMAT_VERSION and (folder / "config.json").is_file()


def model_dir_for(source: ModelSource, cache_dir: str | os.PathLike) -> Path:
    """The folder transformers loads for this source (prepared copy, or the user's own HF folder)."""
    if source.kind == "hf_dir" and source.path is not None:
        return source.path
    return prepared_path(cache_dir, source.name)


def needs_prepare(source: ModelSource, cache_dir: str | os.PathLike) -> bool:
    """True when loading this source must first run `prepare_model` (cheap: reads one small file)."""
    return source.kind != "hf_dir" and not is_prepared(prepared_path(cache_dir, source.name))


def prepare_model(
    source: ModelSource,
    cache_dir: str | os.PathLike,
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Make sure a loadable bf16 copy of `source` exists in the cache; return its folder."""
    report = progress or (lambda fraction, stage: None)
    if source.kind == "hf_dir" and source.path is not None:
        report(1.0, "done")
        return source.path
    cache = Path(cache_dir).expanduser()
    target = prepared_path(cache, source.name)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise EngineError(
            "bad_config", f"Cannot create the model cache folder {cache}: {err}", hint="Set `cache_dir`."
        ) from err
    with _exclusive(cache / f".{source.name}.lock"):
        if is_prepared(target) and not force:
            report(1.0, "done")
            return target
        _sweep_leftovers(cache, source.name)
        work = cache / f".tmp-{source.name}-{uuid.uuid4().hex[:8]}"
        try:
            out = work / "model"
            out.mkdir(parents=True)
            gguf_path = _source_gguf(source, cache, report)
            convert_gguf(gguf_path, out, progress=report)
            _write_marker(out, source)
            _replace_dir(out, target)
        except EngineError:
            raise
        except MemoryError as err:
            raise EngineError(
                "out_of_memory", "Not enough memory to prepare the model.", hint="Close other programs."
            ) from err
        except Exception as err:  # any failure in transformers/gguf/disk: polite, no half cache
            raise EngineError(
                "generation_failed" if not isinstance(err, OSError) else "bad_config",
                f"Preparing model '{source.name}' failed: {type(err).__name__}: {err}",
                hint="Check free disk space in the cache folder and try `python -m tutor prepare` again.",
            ) from err
        finally:
            shutil.rmtree(work, ignore_errors=True)
    report(1.0, "done")
    return target


def _source_gguf(source: ModelSource, cache: Path, report: Progress) -> Path:
    """The GGUF file to convert: verified (and joined) from packages, or the user's own file."""
    start, end = _STAGES["verify"]
    path = gguf_for(source, cache, lambda f, stage: report(start + f * (end - start), stage))
    if path is None:
        raise EngineError("bad_config", f"Cannot prepare model source of kind '{source.kind}'.")
    report(end, "verify")
    return path


def gguf_for(source: ModelSource, cache_dir: str | os.PathLike, progress: Progress | None = None) -> Path | None:
    """The model's GGUF file (what llama.cpp computes with), or None for a Hugging Face folder.

    A model split across packages is joined once into `<cache_dir>/gguf/<name>.gguf`, verified by
    sha256 while joining, and renamed into place only after that; later calls reuse the file.
    A single-package model is verified where it lies. A user's own .gguf file is used as it is.
    """
    if source.kind == "gguf_file":
        return source.path
    if source.kind != "catalog" or source.spec is None:
        return None
    spec = source.spec
    if len(spec.parts) == 1:
        return assemble_gguf(spec, Path(cache_dir), progress)  # verified where it lies, no copy
    target = Path(cache_dir).expanduser() / "gguf" / spec.gguf_filename
    if target.is_file() and target.stat().st_size == spec.size_bytes:
        return target
    # join into a private folder, then rename: a crash midway never leaves a half file at `target`
    work = target.parent / f".tmp-{uuid.uuid4().hex[:8]}"
    try:
        os.replace(assemble_gguf(spec, work, progress), target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def convert_gguf(gguf_path: Path, out_dir: Path, *, progress: Progress | None = None) -> None:
    """De-quantize a GGUF file into a bf16 safetensors model + tokenizer folder at `out_dir`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    report = progress or (lambda fraction, stage: None)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    folder, filename = str(gguf_path.parent), gguf_path.name
    verbosity = hf_logging.get_verbosity()
    bars_were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # its GGUF notices are about GPU kernels we do not use
    hf_logging.disable_progress_bar()  # we report progress ourselves
    try:
        report(_STAGES["tokenizer"][0], "tokenizer")
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
        report(_STAGES["dequantize"][0], "dequantize")
        with _dequantize_progress(report):
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename, dtype=torch.bfloat16)
        report(_STAGES["save"][0], "save")
        # The weights are plain bf16 tensors now; drop the GGUF "quantizer" so save_pretrained accepts it.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars_were_on:
            hf_logging.enable_progress_bar()
    report(_STAGES["save"][1], "save")


@contextlib.contextmanager
def _dequantize_progress(report: Progress) -> Iterator[None]:
    """Turn transformers' per-tensor GGUF progress bar (a terminal tqdm) into our progress reports."""
    try:
        import transformers.modeling_gguf_pytorch_utils as gguf_utils

        original = gguf_utils.tqdm
    except (ImportError, AttributeError):  # a transformers version without that loop: coarse progress
        yield
        return
    start, end = _STAGES["dequantize"]

    def reporting(iterable, *args, **kwargs):
        items = list(iterable)
        for done, item in enumerate(items):
            report(start + (end - start) * done / max(1, len(items)), "dequantize")
            yield item

    gguf_utils.tqdm = reporting
    try:
        yield
    finally:
        gguf_utils.tqdm = original


def _write_marker(out: Path, source: ModelSource) -> None:
    import transformers

    info = {
        "format": FORMAT_VERSION,
        "name": source.name,
        "kind": source.kind,
        "sha256": source.spec.sha256 if source.spec else None,
        "source_path": str(source.path) if source.path else None,
        "transformers": transformers.__version__,
        "dtype": "bfloat16",
    }
    (out / MARKER).write_text(json.dumps(info, indent=2), encoding="utf-8")


def _replace_dir(new: Path, target: Path) -> None:
    """Put the finished folder at `target`; an old copy is moved aside first, then deleted."""
    old = None
    if target.exists():
        old = target.with_name(f".tmp-{target.name}-old-{uuid.uuid4().hex[:8]}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _sweep_leftovers(cache: Path, name: str) -> None:
    """Delete temporary folders a crashed earlier preparation of `name` left behind."""
    for leftover in cache.glob(f".tmp-{name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive file lock, so two processes never prepare the same model at once."""
    try:
        import fcntl
    except ImportError:  # Windows: no fcntl; preparation is still atomic, only not de-duplicated
        yield
        return
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
