"""progress page: placeholder until its issue lands."""
import streamlit as st

from tutor.i18n import t
from tutor.ui.lang import current_lang

lang = current_lang()
st.title(t("common.pages.progress", lang))
st.info(t("common.not_built", lang), icon=":material/construction:")
