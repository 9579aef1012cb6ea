"""Images are numbers: scikit-learn's 8×8 handwritten digits, an uploaded photo, and a pixel classifier.

A grey 8×8 digit is 64 numbers (0 = white paper, 16 = full ink). A colour photo is height × width ×
3 numbers (red, green, blue, 0–255 each), so even a small 224×224 photo is 150,528 inputs. The
classifier here learns straight from raw pixels: it compares a new digit with the digits it has
seen, number by number. The more examples it has, the better it gets.
"""
from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError
from sklearn.datasets import load_digits
from sklearn.metrics import confusion_matrix
from sklearn.neighbors import KNeighborsClassifier

DIGITS_SEED = 0
TEST_SIZE = 400  # digits kept aside to measure accuracy; never used for training
TRAIN_SIZES: tuple[int, ...] = (10, 25, 50, 100, 200, 400, 800, 1397)
NEIGHBOURS = 3  # a new digit gets the label most of its 3 most similar training digits have

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # "a small image": a few megabytes
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // (1024 * 1024)  # the same limit as the uploader and its message say it
MAX_UPLOAD_PIXELS = 40_000_000  # refuse images whose header claims more (decompression bombs)
ACCEPTED_FORMATS = ("PNG", "JPEG")
SMALL_SIDES: tuple[int, ...] = (8, 16, 32)  # sizes the learner can shrink an upload to


def input_count(height: int, width: int, channels: int = 3) -> int:
    """How many numbers a model receives for one image: height × width × channels."""
    return height * width * channels


# ---------------------------------------------------------------------------------------------
# The bundled digits
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Digits:
    images: np.ndarray  # (n, 8, 8) ints 0–16
    labels: np.ndarray  # (n,) ints 0–9
    train_order: np.ndarray  # indices of the training pool, shuffled once (first n = training set of size n)
    test_index: np.ndarray  # indices of the fixed test set


@functools.cache
def digits() -> Digits:
    """The 1,797 handwritten digits that ship with scikit-learn, split once with a fixed seed."""
    data = load_digits()
    order = np.random.default_rng(DIGITS_SEED).permutation(len(data.target))
    return Digits(data.images.astype(int), data.target.astype(int), order[TEST_SIZE:], order[:TEST_SIZE])


def digit_grid(index: int) -> tuple[np.ndarray, int]:
    """One digit as its 8×8 grid of ink values (0–16) and its true label."""
    data = digits()
    index = int(index) % len(data.labels)
    return data.images[index], int(data.labels[index])


@dataclass(frozen=True)
class DigitFit:
    n_train: int
    accuracy: float  # share of the test digits labelled correctly
    confusion: np.ndarray  # (10, 10): [true digit, predicted digit] -> count
    predicted: np.ndarray  # predicted label for each test digit


def train_digits(n_train: int) -> DigitFit:
    """Train on the first n_train digits of the pool (raw pixels, nothing else) and test on the rest."""
    data = digits()
    n_train = int(min(max(n_train, NEIGHBOURS), len(data.train_order)))
    train = data.train_order[:n_train]
    flat = data.images.reshape(len(data.images), -1)
    model = KNeighborsClassifier(n_neighbors=NEIGHBOURS)
    model.fit(flat[train], data.labels[train])
    truth = data.labels[data.test_index]
    predicted = model.predict(flat[data.test_index])
    return DigitFit(
        n_train,
        float((predicted == truth).mean()),
        confusion_matrix(truth, predicted, labels=list(range(10))),
        predicted,
    )


def learning_curve(sizes: tuple[int, ...] = TRAIN_SIZES) -> list[tuple[int, float]]:
    """(training size, test accuracy) for each size: how accuracy grows with more examples."""
    return [(n, train_digits(n).accuracy) for n in sizes]


def most_confused(confusion: np.ndarray) -> tuple[int, int, int] | None:
    """(true digit, digit it was taken for, how often) for the most frequent mistake, or None."""
    mistakes = confusion.copy()
    np.fill_diagonal(mistakes, 0)
    if mistakes.max() == 0:
        return None
    true, predicted = np.unravel_index(int(mistakes.argmax()), mistakes.shape)
    return int(true), int(predicted), int(mistakes[true, predicted])


# ---------------------------------------------------------------------------------------------
# An uploaded image, as numbers
# ---------------------------------------------------------------------------------------------

class UploadRefused(ValueError):
    """An upload we will not read; `code` says why (the page words it): empty | too_big |
    not_an_image | wrong_format | too_many_pixels | corrupt."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ImageNumbers:
    original_width: int
    original_height: int
    original_inputs: int  # height × width × 3 of the uploaded picture
    small: np.ndarray  # (side, side', 3) uint8: the picture shrunk, as red/green/blue numbers
    small_inputs: int

    @property
    def small_height(self) -> int:
        return int(self.small.shape[0])

    @property
    def small_width(self) -> int:
        return int(self.small.shape[1])


def read_image(data: bytes, side: int = 16, max_bytes: int = MAX_UPLOAD_BYTES,
               max_pixels: int = MAX_UPLOAD_PIXELS) -> ImageNumbers:
    """Read an uploaded PNG/JPEG in memory and shrink it so its longer side is `side` pixels.

    Raises UploadRefused for empty, huge, non-image, other-format, or corrupt files. Nothing
    touches the disk: the bytes are read from memory and only numbers come back.
    """
    if not data:
        raise UploadRefused("empty")
    if len(data) > max_bytes:
        raise UploadRefused("too_big", f"{len(data)} bytes")
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on giant images; we check the size ourselves below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                width, height = probe.size
                probe.verify()  # checks the file's structure without decoding all pixels
    except UnidentifiedImageError as err:
        raise UploadRefused("not_an_image") from err
    except Image.DecompressionBombError as err:
        raise UploadRefused("too_many_pixels") from err
    except Exception as err:  # truncated or damaged files raise many different errors
        raise UploadRefused("corrupt", type(err).__name__) from err
    if fmt not in ACCEPTED_FORMATS:
        raise UploadRefused("wrong_format", str(fmt))
    if width * height > max_pixels or width < 1 or height < 1:
        raise UploadRefused("too_many_pixels", f"{width}×{height}")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.draft("RGB", (side * 4, side * 4))  # JPEG: decode at a reduced size, much faster
            rgb = picture.convert("RGB")
            scale = side / max(width, height)
            small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = np.asarray(rgb.resize(small_size, Image.Resampling.BOX), dtype=np.uint8)
    except Exception as err:
        raise UploadRefused("corrupt", type(err).__name__) from err
    return ImageNumbers(width, height, input_count(height, width), small,
                        input_count(small.shape[0], small.shape[1]))
