"""Every string the learner reads in the UI comes from here, in Korean or English.

Strings live in `content/ui/<namespace>.toml`, one file per area, each with an `[en]` and a
`[ko]` table. A key is "<namespace>.<dotted path>", e.g. t("common.app_title", "ko").
Lesson text itself lives in content/<lang>/ (see tutor.lessons).
"""
from __future__ import annotations

import functools
import tomllib
from collections.abc import Sequence
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}

UI_DIR = Path(__file__).resolve().parent.parent / "content" / "ui"


def _flatten(table: dict, prefix: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in table.items():
        full = f"{prefix}.{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full))
        else:
            out[full] = value
    return out


@functools.cache
def catalog(ui_dir: Path = UI_DIR) -> dict[str, dict[str, object]]:
    """{lang: {key: value}} for every UI file. Read once per process."""
    merged: dict[str, dict[str, object]] = {lang: {} for lang in LANGUAGES}
    for path in sorted(ui_dir.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path}: not valid TOML: {err}") from err
        for lang in LANGUAGES:
            merged[lang].update(_flatten(data.get(lang, {}), path.stem))
    return merged


def normalize_language(value: str | None) -> str:
    """Map a locale like 'en-US' or 'ko_KR' to one of LANGUAGES (default Korean)."""
    if value:
        code = value.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def t(key: str, lang: str, **fmt: object) -> str:
    """The UI string for `key` in `lang`, with {placeholders} filled from `fmt`.

    A missing key shows the key itself (and the content test fails), never a crash.
    """
    strings = catalog()
    value = strings.get(lang, {}).get(key)
    if value is None:
        value = strings[DEFAULT_LANGUAGE].get(key, key)
    text = str(value)
    return text.format(**fmt) if fmt else text


def t_first(keys: Sequence[str], lang: str, **fmt: object) -> str:
    """The text of the first of `keys` the catalogue has (in `lang`, or in English), else of the
    last one: "the message written for this case, or the general one" (an error code we have
    no sentence for gets the general sentence, never a bare key)."""
    strings = catalog()
    for key in keys:
        if key in strings.get(lang, {}) or key in strings[DEFAULT_LANGUAGE]:
            return t(key, lang, **fmt)
    return t(keys[-1], lang, **fmt)


def t_list(key: str, lang: str) -> list[str]:
    """A list-valued UI entry (e.g. example prompts)."""
    value = catalog().get(lang, {}).get(key, [])
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
