"""llm-tutor: the logic behind the app. Nothing in this package imports Streamlit except tutor.ui."""
