"""The Progress page's activity chart, as a Vega-Lite spec (no Streamlit here)."""
from __future__ import annotations

import functools

import altair as alt

from tutor.i18n import t


@functools.cache
def activity_chart_spec(lang: str) -> dict:
    """The activity bar chart, written in Altair once per language and process (Altair's checks cost
    ~50 ms a draw; the data is put in per learner). It lives here, not in the page: a page file is
    run afresh on every rerun, so a cache defined in it would start empty each time. Callers copy
    the dict before adding data (the cached one is shared).
    """
    chart = (
        alt.Chart(alt.NamedData("days"))
        .mark_bar()
        .encode(
            # Vega writes month names in English ("December"); the date format comes from the
            # learner's language instead (content/ui/progress.toml: chart_date_format, d3 style).
            x=alt.X("day:T", title=t("progress.page.chart_day", lang),
                    axis=alt.Axis(format=t("progress.page.chart_date_format", lang), labelAngle=0)),
            y=alt.Y("count:Q", title=t("progress.page.chart_count", lang)),
            tooltip=[alt.Tooltip("day:T", title=t("progress.page.chart_day", lang),
                                 format=t("progress.page.chart_date_format", lang)),
                     alt.Tooltip("count:Q", title=t("progress.page.chart_count", lang))],
        )
        .properties(height=220)
    )
    return chart.to_dict()
