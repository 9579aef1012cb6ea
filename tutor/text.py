"""Text the app shows inside Markdown: what must be escaped so it reads exactly as written."""
from __future__ import annotations

import re


def escape_markdown(text: str) -> str:
    """`text` shown inside Markdown as typed (no links, emphasis, emoji codes, maths): a learner's
    name, or a table cell such as `get_weather(city)` or "→ $3.50"."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|$:~<>])", r"\\\1", text)
