"""The lab's tables, as pandas data frames with headers in the learner's language (no Streamlit)."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.io.formats.style import Styler

from tutor.i18n import t
from tutor.lab.tokenizer import LadderRow
from tutor.lab.tokens import CharsVsTokens, PieceRow, TrainingPair, visible_token


def pieces_table(rows: Sequence[PieceRow], lang: str) -> pd.DataFrame:
    """Each readable piece of the text, its token id(s) and how many tokens it is."""
    return pd.DataFrame({
        t("lab.tokens.piece", lang): [row.text for row in rows],
        t("lab.tokens.ids", lang): [", ".join(map(str, row.ids)) for row in rows],
        t("lab.tokens.count", lang): [row.token_count for row in rows],
    })


def comparison_table(counts: Sequence[CharsVsTokens], lang: str) -> Styler:
    """Characters, tokens and characters per token for each sample, side by side."""
    per_token = t("lab.tokens.per_token", lang)
    table = pd.DataFrame({
        t("lab.tokens.label", lang): [row.label for row in counts],
        t("lab.tokens.characters", lang): [row.characters for row in counts],
        t("lab.tokens.count", lang): [row.tokens for row in counts],
        per_token: [row.characters_per_token for row in counts],
    })
    # Two decimals are what the comparison needs; st.table shows a float column with four (3.2900).
    return table.style.format({per_token: "{:.2f}"})


def pairs_table(pairs: Sequence[TrainingPair], lang: str) -> pd.DataFrame:
    """The training examples of a sentence: what the model sees, and the token it must predict."""
    return pd.DataFrame({
        t("lab.pairs.context", lang): [visible_token(pair.context) for pair in pairs],
        t("lab.pairs.target", lang): [visible_token(pair.target) for pair in pairs],
    })


def ladder_table(rows: Sequence[LadderRow], lang: str) -> pd.DataFrame:
    """One sentence cut by each vocabulary size (and by the real model): size, piece count, pieces."""
    return pd.DataFrame({
        t("lab.tokenizer.ladder_size", lang): [row.label for row in rows],
        t("lab.tokenizer.ladder_count", lang): [row.count for row in rows],
        t("lab.tokenizer.ladder_split", lang): [row.split for row in rows],
    })
