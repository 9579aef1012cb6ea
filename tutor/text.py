"""Text a learner types or sees: the one rule for invisible characters in what they type, and
what must be escaped so text shown inside Markdown reads exactly as written."""
from __future__ import annotations

import re


def escape_markdown(text: str) -> str:
    """`text` shown inside Markdown as typed (no links, emphasis, emoji codes, maths): a learner's
    name, or a table cell such as `get_weather(city)` or "→ $3.50"."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|$:~<>])", r"\\\1", text)


# Characters that change how text looks or reads without being seen: C0 and C1 controls (newline
# and tab excepted), direction marks, embeddings, overrides and isolates (U+202E can show "exe.gnp"
# as "png.exe"), and the byte-order mark. Zero-width joiners stay: emoji sequences such as 👩‍💻
# are made with them.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def drop_invisible(text: str) -> str:
    """What a learner typed, as it will be shown and read: line breaks made "\\n", the invisible
    characters above removed, and lone surrogates (which no tokenizer can encode) dropped. The one
    rule for every place learners type into the model: the chat and the lab."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.encode("utf-8", "ignore").decode("utf-8")
    return _INVISIBLE.sub("", text)
