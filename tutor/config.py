"""Configuration, in one home.

Every setting has a default, can be set in a TOML file (`llm_tutor.toml` in the working
directory, or the file named by LLM_TUTOR_CONFIG), and can be overridden by an environment
variable LLM_TUTOR_<NAME> (upper case). Environment wins over the file, the file over defaults.
Secrets (e.g. `openai_api_key`) may also sit in Streamlit's `.streamlit/secrets.toml` (or the
file named by LLM_TUTOR_SECRETS), read below llm_tutor.toml so they stay out of it.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs


def _default_cache_dir() -> str:
    return str(Path(platformdirs.user_cache_dir("llm-tutor")) / "models")


def _default_data_dir() -> str:
    return platformdirs.user_data_dir("llm-tutor")


@dataclass(frozen=True)
class Settings:
    # Which model the tutor and labs use: a name from tutor.llm.catalog, a local Hugging Face
    # model folder, or a .gguf file.
    model: str = "qwen2.5-coder-0.5b-instruct"
    # Where prepared (de-quantized) models are kept.
    cache_dir: str = dataclasses.field(default_factory=_default_cache_dir)
    # Where learner progress is stored (SQLite), unless progress_db_url is set.
    data_dir: str = dataclasses.field(default_factory=_default_data_dir)
    # Empty: progress in SQLite inside data_dir. "postgresql://user:password@host:5432/db": progress
    # in that PostgreSQL database, shared by every app replica (see tutor/progress/postgres.py).
    # Set, a name no longer finds a learner: each sign-in is new, the private link brings one back.
    progress_db_url: str = dataclasses.field(default="", repr=False)  # may hold the password
    # True when the app is served to other people (a classroom, the internet) with progress in
    # SQLite: a name is then only a label, as with progress_db_url, so typing "Mina" never opens
    # another Mina's progress; each sign-in is new and the private link brings a learner back.
    # False (on one computer): a name typed again is the way back to that learner's progress.
    progress_shared: bool = False
    # CPU threads for torch; 0 = one per core.
    threads: int = 0
    # Longest chat message a learner may send, in characters.
    max_message_chars: int = 2000
    # Longest answer the model may write, in tokens.
    max_new_tokens: int = 320
    # Seconds before a generation is stopped.
    generation_timeout_s: float = 180.0
    # How the model computes on the CPU: "auto" (llama.cpp when installed, else "mixed"),
    # "llama.cpp" (on the GGUF file itself: ~4x faster writing; tutor/llm/backends/llamacpp.py), or PyTorch on
    # the prepared bf16 copy: "mixed" (bf16 weights, fp32 prompt reading, exact output scores),
    # "fp32" (twice the memory) or "bf16" (slow prompts); see tutor/llm/compute.py.
    model_compute: str = "auto"
    # Where the model runs: "local" (inside this process) or "openai" (a shared inference server
    # speaking the OpenAI-compatible API: llama.cpp's server, vLLM, Ollama, TGI).
    backend: str = "local"
    # The server's API root, with its version prefix (backend "openai").
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    # The model name the server knows (llama.cpp's server: its --model_alias).
    openai_model: str = "qwen2.5-coder-0.5b-instruct"
    # Sent as a bearer token when set; better kept in .streamlit/secrets.toml or the environment.
    openai_api_key: str = dataclasses.field(default="", repr=False)
    # Longest silence, in seconds, we wait for the server before giving up.
    openai_timeout_s: float = 60.0
    # Extra attempts (with doubling waits) when the server cannot be reached.
    openai_max_retries: int = 2
    # Tokens the server's model takes per request (prompt + answer), e.g. llama.cpp's --n_ctx.
    openai_context_window: int = 4096


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _coerce(field: dataclasses.Field, raw: object) -> object:
    kind = field.type if isinstance(field.type, type) else {"int": int, "float": float, "str": str, "bool": bool}.get(
        str(field.type), str
    )
    if kind is bool:
        # bool("false") is True, so a switch is read by its words (TOML gives a real true/false).
        word = str(raw).strip().lower()
        if isinstance(raw, bool) or word in _TRUE + _FALSE:
            return raw if isinstance(raw, bool) else word in _TRUE
        raise ValueError(f"setting '{field.name}' must be true or false, got {raw!r}")
    try:
        return kind(raw)
    except (TypeError, ValueError) as err:
        raise ValueError(f"setting '{field.name}' must be {kind.__name__}, got {raw!r}") from err


def load_settings(
    environ: dict[str, str] | None = None, config_file: str | None = None, secrets_file: str | None = None
) -> Settings:
    """Read settings from defaults, then secrets.toml, then the TOML file, then the environment."""
    env = os.environ if environ is None else environ
    path = Path(config_file or env.get("LLM_TUTOR_CONFIG", "llm_tutor.toml"))
    secrets = Path(secrets_file or env.get("LLM_TUTOR_SECRETS", ".streamlit/secrets.toml"))
    file_values: dict[str, object] = {}
    if secrets.is_file():
        file_values.update(tomllib.loads(secrets.read_text(encoding="utf-8")))
    if path.is_file():
        file_values.update(tomllib.loads(path.read_text(encoding="utf-8")))
    values: dict[str, object] = {}
    for field in dataclasses.fields(Settings):
        raw = env.get(f"LLM_TUTOR_{field.name.upper()}", file_values.get(field.name))
        if raw is not None:
            values[field.name] = _coerce(field, raw)
    return Settings(**values)
