"""Shared Streamlit widgets. The only part of `tutor` that imports streamlit."""
