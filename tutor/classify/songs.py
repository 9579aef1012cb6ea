"""Songs by tempo and energy: the course's first machine-learning example, made runnable.

Each song is two numbers (tempo in beats per minute, energy from 0 to 1) and a genre label.
Training a classifier means finding a boundary between the genres; a new song is classified by
the side of the boundary it falls on, and the farther it lies from the boundary, the surer the
model is. A straight line (logistic regression) is the simplest boundary; k-nearest neighbours,
an RBF support-vector machine, a small neural network and a decision tree can bend it.

The same data also shows regression: instead of a genre (a fixed set of classes), predict a
number — the energy of a song from its tempo.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

GENRES: tuple[str, ...] = ("reggaeton", "rnb")
THIRD_GENRE = "kpop"
ALL_GENRES: tuple[str, ...] = (*GENRES, THIRD_GENRE)
COLUMNS: tuple[str, ...] = ("tempo", "energy", "genre")

DEFAULT_SEED = 7
DEFAULT_SONGS = 20  # 10 per genre, like the article's example
TEMPO_LIMITS = (20.0, 300.0)  # beats per minute a real song can have
ENERGY_LIMITS = (0.0, 1.0)
MAX_SONGS = 300  # an editable table longer than this is refused (it would also slow every redraw)

# Where each genre's songs sit: (mean tempo, tempo spread, mean energy, energy spread).
# Reggaeton is faster and livelier than R&B; K-pop (the optional third genre) faster still.
_GENRE_CENTRES: dict[str, tuple[float, float, float, float]] = {
    "reggaeton": (100.0, 7.0, 0.76, 0.07),
    "rnb": (74.0, 7.0, 0.38, 0.09),
    "kpop": (128.0, 6.0, 0.58, 0.08),
}


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

def _draw(genre: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n songs of one genre around its centre, rounded the way a music app would show them."""
    tempo_mean, tempo_sd, energy_mean, energy_sd = _GENRE_CENTRES[genre]
    tempo = np.clip(np.round(rng.normal(tempo_mean, tempo_sd, n)), 40, 200)
    energy = np.clip(np.round(rng.normal(energy_mean, energy_sd, n), 2), 0.02, 0.98)
    return pd.DataFrame({"tempo": tempo.astype(float), "energy": energy, "genre": genre})


def make_songs(n: int = DEFAULT_SONGS, seed: int = DEFAULT_SEED, genres: tuple[str, ...] = GENRES) -> pd.DataFrame:
    """The seeded song table: n songs split evenly over `genres`, interleaved."""
    rng = np.random.default_rng(seed)
    per_genre = [n // len(genres) + (1 if i < n % len(genres) else 0) for i in range(len(genres))]
    parts = [_draw(g, k, rng) for g, k in zip(genres, per_genre, strict=True)]
    table = pd.concat(parts, ignore_index=True)
    order = rng.permutation(len(table))
    return table.iloc[order].reset_index(drop=True)


def add_more_songs(table: pd.DataFrame, n: int = 20, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """`table` plus n new songs drawn from the genres already in it."""
    genres = tuple(g for g in ALL_GENRES if g in set(table["genre"])) or GENRES
    return pd.concat([table, make_songs(n, seed, genres)], ignore_index=True)


def add_third_genre(table: pd.DataFrame, n: int = 10, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """`table` plus n K-pop songs: three classes instead of two (unchanged if already there)."""
    if THIRD_GENRE in set(table["genre"]):
        return table.copy()
    return pd.concat([table, make_songs(n, seed, (THIRD_GENRE,))], ignore_index=True)


def add_noise(table: pd.DataFrame, seed: int = DEFAULT_SEED, flip_share: float = 0.1) -> pd.DataFrame:
    """Messier data: jitter every song's numbers and give a few songs the wrong label."""
    rng = np.random.default_rng(seed)
    noisy = table.copy()
    noisy["tempo"] = np.clip(np.round(noisy["tempo"] + rng.normal(0, 8, len(noisy))), 40, 200)
    noisy["energy"] = np.clip(np.round(noisy["energy"] + rng.normal(0, 0.08, len(noisy)), 2), 0.0, 1.0)
    genres = sorted(set(noisy["genre"]))
    n_flip = max(1, round(flip_share * len(noisy))) if len(genres) > 1 else 0
    for i in rng.choice(len(noisy), size=n_flip, replace=False):
        others = [g for g in genres if g != noisy.at[i, "genre"]]
        noisy.at[i, "genre"] = others[int(rng.integers(len(others)))]
    return noisy


def curved_songs(n: int = 120, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """A data set no straight line can separate: reggaeton sits above a hill-shaped curve.

    Songs of middling tempo need a lot of energy to count as reggaeton, very slow or very fast
    ones need little, so the boundary is a hump — the "reality is messier" example of lesson 3.
    """
    rng = np.random.default_rng(seed)
    tempo = np.round(rng.uniform(60, 140, n))
    energy = np.round(rng.uniform(0.02, 0.98, n), 2)
    hump = 0.85 - 1.4 * ((tempo - 100) / 40) ** 2 * 0.5
    genre = np.where(energy > hump, "reggaeton", "rnb")
    return pd.DataFrame({"tempo": tempo.astype(float), "energy": energy, "genre": genre})


# The page's data-set buttons, in the order shown: each makes a new table from the last valid one.
DATA_ACTIONS: tuple[str, ...] = ("noise", "more", "third", "curved", "reset")


def change_songs(action: str, table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The table a data-set button (one of DATA_ACTIONS) makes from the last valid `table`.

    The page passes a new seed on every press, so pressing "more songs" twice adds two different
    batches and "noise" twice jitters twice.
    """
    if action == "noise":  # messier: every song's numbers jittered, a few labels wrong
        return add_noise(table, seed)
    if action == "more":  # 20 more songs of the genres already there
        return add_more_songs(table, 20, seed)
    if action == "third":  # 10 K-pop songs: three classes
        return add_third_genre(table, 10, seed)
    if action == "curved":  # a new set of 60 songs that no straight line separates
        return curved_songs(60, seed)
    if action == "reset":  # the 20 songs the panel starts with
        return make_songs()
    raise ValueError(f"unknown data-set action {action!r}")


# ---------------------------------------------------------------------------------------------
# Validation of a table the learner edited
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableProblem:
    """One thing to fix in an edited table; the page turns `code` into a sentence."""

    code: str  # too_many_rows | missing_column | empty_cell | not_a_number | out_of_range |
    #            unknown_genre | too_few_songs | one_genre | genre_too_small
    row: int | None = None  # 1-based, as the learner counts rows
    column: str | None = None
    value: str = ""


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_number(value: Any) -> float | None:
    """The value as a finite float, or None if it is text that is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def blank_rows(table: pd.DataFrame | list[dict]) -> list[int]:
    """The rows (1-based) with nothing typed in them yet, such as one just added with "Add row"."""
    frame = pd.DataFrame(table)
    columns = [c for c in COLUMNS if c in frame.columns]
    if not columns:
        return []
    return [i for i, row in enumerate(frame[columns].itertuples(index=False), start=1)
            if all(_is_blank(value) for value in row)]


def validate_songs(table: pd.DataFrame | list[dict], max_rows: int = MAX_SONGS) -> tuple[pd.DataFrame | None, list[TableProblem]]:
    """Check an edited song table; return (clean table, []) or (None, what to fix).

    Every cell must be filled, tempo and energy must be numbers in range, each genre must be a
    known one, there must be at least two genres, and each genre needs at least two songs (one
    song says nothing about where its genre lies). A row with nothing in it yet (just added, see
    blank_rows) is left out rather than scolded: the learner has not had a chance to type.
    """
    frame = pd.DataFrame(table)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        return None, [TableProblem("missing_column", column=c) for c in missing]
    if len(frame) > max_rows:
        return None, [TableProblem("too_many_rows", value=str(max_rows))]

    problems: list[TableProblem] = []
    tempos: list[float] = []
    energies: list[float] = []
    genres: list[str] = []
    limits = {"tempo": TEMPO_LIMITS, "energy": ENERGY_LIMITS}
    blank = set(blank_rows(frame))
    for i, row in enumerate(frame[list(COLUMNS)].itertuples(index=False), start=1):
        if i in blank:
            continue
        numbers: dict[str, float] = {}
        for column in ("tempo", "energy"):
            value = getattr(row, column)
            if _is_blank(value):
                problems.append(TableProblem("empty_cell", row=i, column=column))
                continue
            number = _as_number(value)
            if number is None:
                problems.append(TableProblem("not_a_number", row=i, column=column, value=str(value)[:40]))
                continue
            low, high = limits[column]
            if not low <= number <= high:
                problems.append(TableProblem("out_of_range", row=i, column=column, value=f"{number:g}"))
                continue
            numbers[column] = number
        genre = row.genre
        if _is_blank(genre):
            problems.append(TableProblem("empty_cell", row=i, column="genre"))
        elif str(genre).strip() not in ALL_GENRES:
            problems.append(TableProblem("unknown_genre", row=i, column="genre", value=str(genre)[:40]))
        elif len(numbers) == 2:
            tempos.append(numbers["tempo"])
            energies.append(numbers["energy"])
            genres.append(str(genre).strip())
    if problems:
        return None, problems

    if len(genres) < 4:
        return None, [TableProblem("too_few_songs", value=str(len(genres)))]
    counts = pd.Series(genres).value_counts()
    if len(counts) < 2:
        return None, [TableProblem("one_genre", value=str(counts.index[0]))]
    small = [TableProblem("genre_too_small", value=str(g)) for g, k in counts.items() if k < 2]
    if small:
        return None, small
    clean = pd.DataFrame({"tempo": tempos, "energy": energies, "genre": genres})
    return clean, []


# ---------------------------------------------------------------------------------------------
# Models and their knobs
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Knob:
    """A setting the learner can turn; the page labels it in plain words (toml: knobs.<model>.<name>)."""

    name: str
    options: tuple[float | int, ...]
    default: float | int


MODEL_KINDS: tuple[str, ...] = ("logistic", "knn", "svm", "mlp", "tree")

KNOBS: dict[str, tuple[Knob, ...]] = {
    # C: how closely the line may follow the training songs (small = a cautious, softer line).
    "logistic": (Knob("C", (0.01, 0.1, 1.0, 10.0, 100.0), 1.0),),
    # k: how many of the nearest known songs vote on a new one.
    "knn": (Knob("k", (1, 3, 5, 7, 9, 15), 5),),
    # gamma: how far one song's influence reaches (large = a wiggly boundary); C: as above.
    "svm": (Knob("gamma", (0.1, 0.3, 1.0, 3.0, 10.0, 30.0), 1.0), Knob("C", (0.1, 1.0, 10.0, 100.0), 1.0)),
    # units per hidden layer and number of hidden layers of a small neural network.
    "mlp": (Knob("units", (2, 4, 8, 16, 32), 8), Knob("layers", (1, 2, 3), 1)),
    # depth: how many yes/no questions the tree may ask in a row.
    "tree": (Knob("depth", (1, 2, 3, 4, 6, 8, 12), 3),),
}


def default_params(kind: str) -> dict[str, float | int]:
    """The knob settings a model starts with."""
    return {k.name: k.default for k in KNOBS[kind]}


def _params(kind: str, params: dict[str, Any] | None) -> dict[str, Any]:
    merged = default_params(kind)
    merged.update({k: v for k, v in (params or {}).items() if k in merged})
    return merged


def make_classifier(kind: str, params: dict[str, Any] | None = None, n_train: int = 100) -> Pipeline:
    """An untrained classifier of `kind`. Tempo and energy are rescaled first so that a
    difference of 10 BPM and a difference of 0.1 energy count comparably."""
    p = _params(kind, params)
    model: BaseEstimator
    if kind == "logistic":
        model = LogisticRegression(C=float(p["C"]))
    elif kind == "knn":
        model = KNeighborsClassifier(n_neighbors=max(1, min(int(p["k"]), n_train)))
    elif kind == "svm":
        model = SVC(kernel="rbf", gamma=float(p["gamma"]), C=float(p["C"]))
    elif kind == "mlp":
        hidden = (int(p["units"]),) * int(p["layers"])
        model = MLPClassifier(hidden_layer_sizes=hidden, solver="lbfgs", max_iter=800, random_state=0)
    elif kind == "tree":
        model = DecisionTreeClassifier(max_depth=int(p["depth"]), random_state=0)
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    return make_pipeline(StandardScaler(), model)


def make_regressor(kind: str, params: dict[str, Any] | None = None, n_train: int = 100) -> Pipeline:
    """The same family of model, predicting a number (energy) instead of a class."""
    p = _params(kind, params)
    model: BaseEstimator
    if kind == "logistic":
        # The regression twin of "a straight line": fit energy = a * tempo + b.
        model = LinearRegression() if float(p["C"]) >= 100 else Ridge(alpha=1.0 / float(p["C"]))
    elif kind == "knn":
        model = KNeighborsRegressor(n_neighbors=max(1, min(int(p["k"]), n_train)))
    elif kind == "svm":
        model = SVR(kernel="rbf", gamma=float(p["gamma"]), C=float(p["C"]), epsilon=0.02)
    elif kind == "mlp":
        hidden = (int(p["units"]),) * int(p["layers"])
        model = MLPRegressor(hidden_layer_sizes=hidden, solver="lbfgs", max_iter=800, random_state=0)
    elif kind == "tree":
        model = DecisionTreeRegressor(max_depth=int(p["depth"]), random_state=0)
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    return make_pipeline(StandardScaler(), model)


# ---------------------------------------------------------------------------------------------
# Training, the boundary grid, and predictions
# ---------------------------------------------------------------------------------------------

def split_songs(table: pd.DataFrame, test_share: float, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold back `test_share` of the songs for testing (same genre mix in both parts when possible).

    The test songs are never shown to the model while it trains, so accuracy on them tells how
    well it will do on songs it has not heard. With too few songs, nothing is held back.
    """
    n_test = int(round(test_share * len(table)))
    n_genres = table["genre"].nunique()
    if n_test < 1 or len(table) - n_test < 2 * n_genres:
        return table.reset_index(drop=True), table.iloc[0:0]
    stratify = table["genre"] if n_test >= n_genres and table["genre"].value_counts().min() >= 2 else None
    try:
        train, test = train_test_split(table, test_size=n_test, random_state=seed, stratify=stratify)
    except ValueError:
        train, test = train_test_split(table, test_size=n_test, random_state=seed)
    if train["genre"].nunique() < 2:
        return table.reset_index(drop=True), table.iloc[0:0]
    return train.reset_index(drop=True), test.reset_index(drop=True)


@dataclass(frozen=True)
class Grid:
    """Model output over a rectangle of (tempo, energy) points, for the shaded background."""

    tempo: np.ndarray  # shape (steps,)
    energy: np.ndarray  # shape (steps,)
    genre: np.ndarray  # shape (steps, steps): predicted genre at [energy index, tempo index]
    confidence: np.ndarray  # shape (steps, steps): probability of that genre (0.5–1 for two genres)

    def rows(self) -> pd.DataFrame:
        """The grid as one row per cell, the shape a chart wants."""
        tt, ee = np.meshgrid(self.tempo, self.energy)
        return pd.DataFrame(
            {"tempo": tt.ravel(), "energy": ee.ravel(), "genre": self.genre.ravel(),
             "confidence": self.confidence.ravel()}
        )


@dataclass(frozen=True)
class SongFit:
    """A trained song classifier and what the page shows about it."""

    kind: str
    params: dict[str, Any]
    model: Pipeline
    genres: tuple[str, ...]
    train_accuracy: float
    test_accuracy: float | None  # None when no songs were held back
    n_train: int
    n_test: int


# Training accuracy this far above test accuracy (15 percentage points) means the model learned
# its training songs, noise and all, rather than the pattern: the page calls that overfitting.
OVERFIT_GAP = 0.15


def overfitting_gap(fit: SongFit) -> float | None:
    """How far training accuracy beats test accuracy when the gap says "overfitting", else None
    (also None when no songs were held back: without a test there is nothing to compare)."""
    if fit.test_accuracy is None:
        return None
    gap = fit.train_accuracy - fit.test_accuracy
    return gap if gap >= OVERFIT_GAP else None


def _small_math() -> threadpool_limits:
    """One BLAS thread: these models are tiny, and splitting their maths over threads costs more
    than it saves (about 3× slower on a busy 2-core machine)."""
    return threadpool_limits(limits=1, user_api="blas")


def _features(table: pd.DataFrame) -> np.ndarray:
    return table[["tempo", "energy"]].to_numpy(dtype=float)


def class_probabilities(model: Pipeline, points: np.ndarray) -> np.ndarray:
    """Probability of each class for each point, from any of our models.

    The SVM has no built-in probabilities (turning them on costs a slow internal cross-
    validation); a softmax over its decision values is close enough to show confidence.
    """
    if hasattr(model, "predict_proba") and not isinstance(model[-1], SVC):
        return model.predict_proba(points)
    scores = model.decision_function(points)
    if scores.ndim == 1:  # two classes: one score, positive = the second class
        scores = np.column_stack([-scores, scores])
    scores = 2.0 * scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def train_songs(table: pd.DataFrame, kind: str = "logistic", params: dict[str, Any] | None = None,
                test_share: float = 0.3, seed: int = 0) -> tuple[SongFit, pd.DataFrame, pd.DataFrame]:
    """Train a classifier on a validated table; returns the fit and the (train, test) split."""
    train, test = split_songs(table, test_share, seed)
    model = make_classifier(kind, params, n_train=len(train))
    with _small_math():
        model.fit(_features(train), train["genre"].to_numpy())
        train_acc = float((model.predict(_features(train)) == train["genre"].to_numpy()).mean())
        test_acc = (float((model.predict(_features(test)) == test["genre"].to_numpy()).mean())
                    if len(test) else None)
    fit = SongFit(kind, _params(kind, params), model, tuple(str(c) for c in model.classes_), train_acc,
                  test_acc, len(train), len(test))
    return fit, train, test


def chart_ranges(table: pd.DataFrame, extra: tuple[float, float] | None = None) -> tuple[tuple[float, float], tuple[float, float]]:
    """(tempo range, energy range) that shows every song (and the new one) with a margin."""
    tempos = list(table["tempo"]) + ([extra[0]] if extra else [])
    low, high = min(min(tempos), 55.0), max(max(tempos), 145.0)
    pad = 0.05 * (high - low)
    return (low - pad, high + pad), (0.0, 1.0)


def boundary_grid(model: Pipeline, tempo_range: tuple[float, float], energy_range: tuple[float, float],
                  steps: int = 50) -> Grid:
    """Ask the model about every point of a steps × steps grid: which genre, and how sure."""
    tempo = np.linspace(*tempo_range, steps)
    energy = np.linspace(*energy_range, steps)
    tt, ee = np.meshgrid(tempo, energy)
    with _small_math():
        proba = class_probabilities(model, np.column_stack([tt.ravel(), ee.ravel()]))
    best = proba.argmax(axis=1)
    classes = np.asarray(model.classes_)
    return Grid(tempo, energy, classes[best].reshape(steps, steps), proba.max(axis=1).reshape(steps, steps))


@dataclass(frozen=True)
class SongPrediction:
    genre: str
    probabilities: dict[str, float]  # genre -> probability, summing to 1
    distance: float | None  # signed distance from the line (logistic, two genres only); > 0 = second genre


def line_distance(model: Pipeline, tempo: float, energy: float) -> float | None:
    """Signed distance of a song from the logistic line, in rescaled units (None if not a line).

    The model's score is w·x + b; dividing by |w| turns it into a geometric distance. The
    probability is the logistic function of the score, so the farther from the line, the surer.
    """
    last = model[-1]
    if not isinstance(last, LogisticRegression) or len(last.classes_) != 2:
        return None
    scaled = model[:-1].transform(np.array([[tempo, energy]], dtype=float))
    score = float(last.decision_function(scaled)[0])
    return score / float(np.linalg.norm(last.coef_[0]))


def side_of_line(genres: tuple[str, ...], distance: float) -> str:
    """The genre on a song's side of the two-genre line: a positive distance is the second genre's side."""
    return genres[1] if distance > 0 else genres[0]


def predict_song(model: Pipeline, tempo: float, energy: float) -> SongPrediction:
    """Genre, probability of each genre, and (for a line) distance from it, for one new song."""
    proba = class_probabilities(model, np.array([[tempo, energy]], dtype=float))[0]
    classes = [str(c) for c in model.classes_]
    probabilities = {c: float(p) for c, p in zip(classes, proba, strict=True)}
    return SongPrediction(classes[int(proba.argmax())], probabilities, line_distance(model, tempo, energy))


def confidence_curve(model: Pipeline, farthest: float = 3.0, steps: int = 61) -> tuple[np.ndarray, np.ndarray] | None:
    """(distances from 0 to `farthest`, the confidence at each) for the confidence-by-distance chart;
    None when the model is not a two-genre line."""
    distances = np.linspace(0, farthest, steps)
    confidence = confidence_by_distance(model, distances)
    return None if confidence is None else (distances, confidence)


def confidence_by_distance(model: Pipeline, distances: np.ndarray) -> np.ndarray | None:
    """For a two-genre line: probability of the more likely genre at each distance from the line.

    Probability = logistic(|w| · distance), so this curve is exactly what the model uses.
    """
    last = model[-1]
    if not isinstance(last, LogisticRegression) or len(last.classes_) != 2:
        return None
    slope = float(np.linalg.norm(last.coef_[0]))
    return 1.0 / (1.0 + np.exp(-slope * np.abs(distances)))


# ---------------------------------------------------------------------------------------------
# Regression: predict a song's energy from its tempo
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EnergyFit:
    kind: str
    model: Pipeline
    curve_tempo: np.ndarray  # tempos along the x axis
    curve_energy: np.ndarray  # the model's predicted energy at each
    train_error: float  # mean absolute error in energy units (0–1)
    test_error: float | None


def train_energy(table: pd.DataFrame, kind: str = "logistic", params: dict[str, Any] | None = None,
                 test_share: float = 0.3, seed: int = 0, steps: int = 120) -> tuple[EnergyFit, pd.DataFrame, pd.DataFrame]:
    """Regression: learn energy from tempo alone (genre is ignored)."""
    train, test = split_songs(table, test_share, seed)
    model = make_regressor(kind, params, n_train=len(train))
    with _small_math():
        model.fit(train[["tempo"]].to_numpy(dtype=float), train["energy"].to_numpy(dtype=float))

    def error(part: pd.DataFrame) -> float:
        predicted = model.predict(part[["tempo"]].to_numpy(dtype=float))
        return float(np.abs(predicted - part["energy"].to_numpy(dtype=float)).mean())

    tempo_range, _ = chart_ranges(table)
    curve_tempo = np.linspace(*tempo_range, steps)
    curve_energy = model.predict(curve_tempo.reshape(-1, 1))
    fit = EnergyFit(kind, model, curve_tempo, curve_energy, error(train), error(test) if len(test) else None)
    return fit, train, test


def predict_energy(model: Pipeline, tempo: float) -> float:
    """The energy a regression model expects for a song of this tempo."""
    return float(model.predict(np.array([[tempo]], dtype=float))[0])


def line_points(model: Pipeline, tempo_range: tuple[float, float], steps: int = 2) -> pd.DataFrame | None:
    """Two or more points on the logistic line in (tempo, energy) units, or None if not a 2-genre line.

    The line is where the score w·x + b is zero. Rescaling each axis keeps a line a line, so we
    solve for energy at a few tempos: energy = mean_e - scale_e / w_e · (b + w_t · (t - mean_t) / scale_t).
    """
    last = model[-1]
    if not isinstance(last, LogisticRegression) or len(last.classes_) != 2:
        return None
    scaler = model[0]
    (w_t, w_e), b = last.coef_[0], float(last.intercept_[0])
    if abs(w_e) < 1e-12:
        return None
    tempo = np.linspace(*tempo_range, steps)
    energy = scaler.mean_[1] - scaler.scale_[1] / w_e * (b + w_t * (tempo - scaler.mean_[0]) / scaler.scale_[0])
    return pd.DataFrame({"tempo": tempo, "energy": energy})
