"""Classifiers benchmark: prints JSON figures.

1. Songs panel, per model: one change (a table edit or a knob turn) = retrain on the edited table,
   ask the model about the whole chart area, predict the new song, and build the chart the way
   st.altair_chart does (Altair → Vega-Lite spec with Arrow data). Every repetition uses a
   different table, so nothing comes from a cache. Target: p50 <= 300 ms for every model.
2. Digits panel: one training-size change = train on raw pixels, test on 400 digits, build the
   learning-curve and confusion-matrix charts (the curve's points are computed once per process,
   as the page caches them). Target: p50 <= 1 s.

The machine is shared, so a baseline is measured in the same run: a fixed piece of numeric work
(a logistic regression on fixed data), and every figure is also given as a multiple of it.

Usage: .venv/bin/python bench/bench_classifiers.py [--repeats 9]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec  # noqa: E402

from tutor.classify import charts, pixels, songs  # noqa: E402

SONGS_TARGET_MS = 300.0
DIGITS_TARGET_MS = 1000.0


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _cpu_ms(fn) -> float:
    """CPU time of this process: what the work costs, less skewed by other people's jobs."""
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1000


def baseline_ms(repeats: int) -> float:
    """p50 of a fixed reference job, to read the other figures against this machine's load."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 20))
    y = (x[:, 0] + rng.normal(size=400) > 0).astype(int)
    return statistics.median(_ms(lambda: LogisticRegression(max_iter=500).fit(x, y)) for _ in range(repeats))


def song_change(table, kind: str) -> None:
    """What the songs panel does after a change (the same calls as tutor.ui.classify_cache + page)."""
    table, _ = songs.validate_songs(table)
    fit, train, test = songs.train_songs(table, kind, None, 0.3)
    tempo_range, energy_range = songs.chart_ranges(table)
    grid = songs.boundary_grid(fit.model, tempo_range, energy_range, steps=40)
    line = songs.line_points(fit.model, tempo_range)
    prediction = songs.predict_song(fit.model, 70, 0.2)
    chart = charts.song_chart(train, "en", grid=grid, line=line, new_song=(70, 0.2), test_songs=test,
                              tempo_range=tempo_range)
    _convert_altair_to_vega_lite_spec(chart)
    if prediction.distance is not None:  # the line also gets its distance → confidence curve
        distances = np.linspace(0, 3, 61)
        confidence = songs.confidence_by_distance(fit.model, distances)
        _convert_altair_to_vega_lite_spec(charts.confidence_chart(distances, confidence, "en", prediction.distance))


def digits_change(n_train: int, curve: list[tuple[int, float]]) -> None:
    """What the digits panel does after the training-size slider moves."""
    fit = pixels.train_digits(n_train)
    pixels.most_confused(fit.confusion)
    _convert_altair_to_vega_lite_spec(charts.learning_curve_chart(curve, "en", (fit.n_train, fit.accuracy)))
    _convert_altair_to_vega_lite_spec(charts.confusion_chart(fit.confusion, "en"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()

    # Warm up imports, Altair's schema and sklearn's first-call costs (a running app has paid them).
    song_change(songs.make_songs(), "logistic")
    curve = pixels.learning_curve()
    base = baseline_ms(args.repeats)

    per_model: dict[str, float] = {}
    per_model_cpu: dict[str, float] = {}
    for kind in songs.MODEL_KINDS:
        tables = [songs.add_noise(songs.make_songs(), seed=i) for i in range(2 * args.repeats)]
        times = [_ms(lambda tb=tb, kind=kind: song_change(tb, kind)) for tb in tables[: args.repeats]]
        cpu = [_cpu_ms(lambda tb=tb, kind=kind: song_change(tb, kind)) for tb in tables[args.repeats:]]
        per_model[kind] = round(statistics.median(times), 1)
        per_model_cpu[kind] = round(statistics.median(cpu), 1)

    sizes = [pixels.TRAIN_SIZES[i % len(pixels.TRAIN_SIZES)] for i in range(args.repeats)]
    digit_times = [_ms(lambda n=n: digits_change(n, curve)) for n in sizes]
    digit_cpu = [_cpu_ms(lambda n=n: digits_change(n, curve)) for n in sizes]
    digits_worst = max(_ms(lambda: digits_change(pixels.TRAIN_SIZES[-1], curve)) for _ in range(3))

    songs_worst = max(per_model.values())
    digits_p50 = statistics.median(digit_times)
    report = {
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "repeats": args.repeats,
        "baseline_ms": round(base, 1),
        "songs_p50_ms": per_model,
        "songs_p50_cpu_ms": per_model_cpu,
        "songs_p50_ms_worst_model": songs_worst,
        "songs_target_ms": SONGS_TARGET_MS,
        "songs_ok": songs_worst <= SONGS_TARGET_MS,
        "songs_worst_in_baselines": round(songs_worst / base, 2),
        "digits_p50_ms": round(digits_p50, 1),
        "digits_p50_cpu_ms": round(statistics.median(digit_cpu), 1),
        "digits_largest_training_set_ms": round(digits_worst, 1),
        "digits_target_ms": DIGITS_TARGET_MS,
        "digits_ok": digits_p50 <= DIGITS_TARGET_MS,
        "digits_in_baselines": round(digits_p50 / base, 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
