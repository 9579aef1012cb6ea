"""Display names: what a learner types on first visit, cleaned before it is stored or shown."""
from __future__ import annotations

import re
import unicodedata

from tutor.progress.base import NameRejected

MAX_NAME_CHARS = 40  # after cleaning; long enough for a full Korean or English name
MAX_RAW_CHARS = 1000  # anything longer is refused before we spend time cleaning it

_TAG = re.compile(r"<[^>]{0,200}>")
# Invisible or control characters: C0/C1 controls, format characters (bidi overrides, zero-width
# spaces), surrogates, private use, unassigned. They can hide or reorder what a name looks like.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_display_name(raw: object) -> str:
    """The name to store: HTML tags and hidden characters removed, spaces collapsed.

    Raises NameRejected("empty") when nothing is left and NameRejected("too_long") when it is
    longer than MAX_NAME_CHARS.
    """
    if not isinstance(raw, str):
        raise NameRejected("empty")
    if len(raw) > MAX_RAW_CHARS:
        raise NameRejected("too_long")
    text = unicodedata.normalize("NFC", raw)
    text = _TAG.sub(" ", text)
    # Tabs and newlines become spaces; other hidden characters disappear.
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _HIDDEN_CATEGORIES
    )
    text = text.replace("<", "").replace(">", "")
    text = " ".join(text.split())
    if not text:
        raise NameRejected("empty")
    if len(text) > MAX_NAME_CHARS:
        raise NameRejected("too_long")
    return text


def name_match_key(name: str) -> str:
    """How two names are compared: 'Mina' and 'mina' are the same learner."""
    return unicodedata.normalize("NFKC", name).casefold()
