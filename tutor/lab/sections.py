"""The lab's tabs: their order and labels, the lesson each one links to, and where a learner starts."""
from __future__ import annotations

from tutor.i18n import t, t_list
from tutor.lab.generation import Continuation
from tutor.lab.reshaping import POOL_SIZE

# The tabs in the order they are shown; a link like ?tab=tokens opens one of them.
SECTIONS = ("predict", "controls", "continue", "tokens", "pairs", "tokenizer", "chat")

# Each lab tab links to the lesson that explains it: tab -> (lesson id, section anchor or None).
# Its label (content/ui/lab.toml, [*.lesson]) names that lesson's number and title or section title.
LESSONS = {
    "predict": ("next-token-prediction", None),
    "controls": ("generating-text", "temperature"),
    "continue": ("generating-text", "why-answers-differ"),
    "tokens": ("next-token-prediction", None),
    "pairs": ("training-data", None),
    "tokenizer": ("next-token-prediction", None),
    "chat": ("completer-to-assistant", None),
}


def section_from_link(tab: object) -> str | None:
    """The section a link's ?tab= names, or None when it names none of them."""
    return tab if isinstance(tab, str) and tab in SECTIONS else None


def starting_values(lang: str) -> dict[str, object]:
    """What a learner's first visit starts from (session key -> value): the first example text,
    the first tab, the default sentences of the other tabs, and the sampling settings at their
    neutral values (temperature 1 and top-p 1 change nothing; top-k keeps the whole pool)."""
    return {
        "lab_state": Continuation(start=t_list("lab.examples", lang)[0]),
        "lab_section": "predict",
        "lab_pairs_text": t("lab.pairs.default", lang),
        "lab_tok_sentence": t("lab.tokenizer.default", lang),
        "lab_tok_size": 1000,
        "lab_tok_type": "bpe",
        "lab_chat_question": t("lab.chat.default_question", lang),
        "lab_chat_results": {},
        "lab_drawn": None,
        "lab_temperature": 1.0,
        "lab_top_k": POOL_SIZE,
        "lab_top_p": 1.0,
        "lab_seed": 42,
    }


def tab_labels(lang: str) -> dict[str, str]:
    """Each section's tab label in the learner's language, in tab order."""
    return {section: t(f"lab.sections.{section}", lang) for section in SECTIONS}


def section_for_label(label: object, labels: dict[str, str]) -> str:
    """The section whose tab says `label` (the tabs widget gives back labels); Predict when none does."""
    return next((section for section, shown in labels.items() if shown == label), "predict")
