"""Cached training for the Classifiers page: the same inputs never train a model twice.

st.cache_data returns a fresh copy to every caller, so a page may use (not mutate) what it gets.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from tutor.classify import pixels, sentiment, songs


@dataclass(frozen=True)
class SongView:
    """Everything the songs chart needs after training a classifier."""

    fit: songs.SongFit
    train: pd.DataFrame
    test: pd.DataFrame
    grid: songs.Grid
    line: pd.DataFrame | None
    tempo_range: tuple[float, float]


@st.cache_data(max_entries=64, show_spinner=False)
def song_view(table: pd.DataFrame, kind: str, params: tuple[tuple[str, float], ...], test_share: float) -> SongView:
    """Train a genre classifier on a validated table and ask it about the whole chart area."""
    fit, train, test = songs.train_songs(table, kind, dict(params), test_share)
    tempo_range, energy_range = songs.chart_ranges(table)
    grid = songs.boundary_grid(fit.model, tempo_range, energy_range, steps=40)
    return SongView(fit, train, test, grid, songs.line_points(fit.model, tempo_range), tempo_range)


@st.cache_data(max_entries=64, show_spinner=False)
def energy_view(table: pd.DataFrame, kind: str, params: tuple[tuple[str, float], ...],
                test_share: float) -> tuple[songs.EnergyFit, pd.DataFrame, pd.DataFrame]:
    """Train the regression twin (energy from tempo)."""
    return songs.train_energy(table, kind, dict(params), test_share)


@st.cache_data(max_entries=16, show_spinner=False)
def digit_fit(n_train: int) -> pixels.DigitFit:
    """The raw-pixel digit classifier trained on n_train examples."""
    return pixels.train_digits(n_train)


@st.cache_data(show_spinner=False)
def digit_learning_curve() -> list[tuple[int, float]]:
    """Test accuracy at every training size on the slider."""
    return pixels.learning_curve()


@st.cache_data(show_spinner=False)
def sentiment_model(lang: str) -> sentiment.SentimentModel:
    """The bag-of-words model for one language."""
    return sentiment.train_sentiment(lang)
