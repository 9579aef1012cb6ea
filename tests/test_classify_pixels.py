"""Images as numbers: the bundled digits, uploaded pictures read in memory, a raw-pixel classifier."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from tutor.classify import pixels


def _picture(fmt: str, size=(40, 30), colour=(200, 30, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def test_a_digit_is_an_8_by_8_grid_of_ink_values():
    grid, label = pixels.digit_grid(0)
    assert grid.shape == (8, 8)
    assert grid.min() >= 0 and grid.max() <= 16
    assert 0 <= label <= 9


def test_a_224_pixel_photo_has_150528_inputs():
    assert pixels.input_count(224, 224) == 150_528


def test_digits_accuracy_rises_with_training_size():
    curve = dict(pixels.learning_curve((10, 100, 1397)))
    assert curve[10] < curve[100] < curve[1397]
    assert curve[1397] > 0.9


def test_confusion_matrix_counts_every_test_digit_once():
    fit = pixels.train_digits(200)
    assert fit.confusion.shape == (10, 10)
    assert fit.confusion.sum() == pixels.TEST_SIZE
    assert np.trace(fit.confusion) / pixels.TEST_SIZE == pytest.approx(fit.accuracy)


def test_most_confused_names_the_largest_off_diagonal_cell():
    confusion = np.eye(10, dtype=int) * 5
    confusion[8, 1] = 3
    confusion[3, 5] = 2
    assert pixels.most_confused(confusion) == (8, 1, 3)
    assert pixels.most_confused(np.eye(10, dtype=int)) is None


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_confusion_chart_leaves_empty_cells_white_and_colours_only_what_happened():
    from tutor.classify import charts

    confusion = np.eye(10, dtype=int) * 5
    confusion[2, 2] = 0  # a digit the model never got right: an empty cell on the diagonal
    confusion[8, 1], confusion[3, 5], confusion[9, 4] = 6, 1, 3
    spec = charts.confusion_chart(confusion, "en").to_dict()
    rects = spec["layer"][0]
    assert rects["encoding"]["color"] == {"field": "fill", "type": "nominal", "scale": None}  # drawn as given
    cells = {(row["true"], row["predicted"]): row for row in next(iter(spec["datasets"].values()))}
    assert len(cells) == 100
    empty = [c for c in cells.values() if c["count"] == 0]
    assert len(empty) == 100 - 9 - 3 and all(c["fill"] == charts.EMPTY_CELL for c in empty)
    assert all(cells[d, d]["fill"] == charts.RIGHT_CELL for d in range(10) if d != 2)
    mistakes = [cells[8, 1], cells[9, 4], cells[3, 5]]  # most frequent first
    assert all(c["fill"] not in (charts.EMPTY_CELL, charts.RIGHT_CELL) for c in mistakes)
    assert (cells[8, 1]["fill"], cells[3, 5]["fill"]) == (charts.MISTAKE_DARK, charts.MISTAKE_LIGHT)
    shades = [_luminance(c["fill"]) for c in mistakes]
    assert shades == sorted(shades) and _luminance(charts.EMPTY_CELL) > shades[-1]  # more often = darker


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_an_upload_is_shrunk_to_its_rgb_numbers(fmt):
    picture = pixels.read_image(_picture(fmt), side=16)
    assert (picture.original_width, picture.original_height) == (40, 30)
    assert picture.original_inputs == 40 * 30 * 3
    assert picture.small.shape == (12, 16, 3)
    assert picture.small_inputs == 12 * 16 * 3
    red, green, blue = picture.small[6, 8]
    assert red > 150 and green < 80 and blue < 60


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "empty"),
        (b"just some text, not a picture", "not_an_image"),
        (_picture("PNG")[:60], "corrupt"),
        (_picture("GIF"), "wrong_format"),
        (b"\x89PNG\r\n\x1a\n" + bytes(pixels.MAX_UPLOAD_BYTES), "too_big"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(data, code):
    with pytest.raises(pixels.UploadRefused) as refused:
        pixels.read_image(data)
    assert refused.value.code == code


def test_an_upload_with_too_many_pixels_is_refused_before_decoding():
    with pytest.raises(pixels.UploadRefused) as refused:
        pixels.read_image(_picture("PNG", size=(400, 300)), max_pixels=100_000)
    assert refused.value.code == "too_many_pixels"


def test_reading_an_upload_writes_nothing_to_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pixels.read_image(_picture("JPEG"), side=8)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_most_common_mistake_reads_right_for_every_pair_of_digits(lang):
    """It said "a 1 read as a 8" (an 8), and in Korean wrote both particles: 1을(를) 8(으)로."""
    import re

    from tutor.i18n import t

    for true in range(10):
        for predicted in range(10):
            text = t("classifiers.pixels.train.confusion_notice", lang, true=true, predicted=predicted, count=2)
            assert f"{true}" in text and f"{predicted}" in text
            assert not re.search(r"\b(a|an) [0-9]", text), text  # no article to get wrong before a digit
            assert not re.search(r"[0-9]\(|\)[가-힣]", text), text  # no particle written both ways


@pytest.mark.parametrize("side,numbers,cell", [(8, True, 30), (16, True, 30), (32, False, 14)])
def test_an_uploads_chart_prints_numbers_only_in_a_small_grid(side, numbers, cell):
    from tutor.classify import charts

    picture = pixels.read_image(_picture("PNG"), side=side)
    spec = charts.picture_chart(picture, 1, side, "en").to_dict()
    assert (len(spec["layer"]) == 2) is numbers
    assert spec["width"] == picture.small_width * cell
    values = [row["value"] for row in next(iter(spec["datasets"].values()))]
    assert values == picture.small[:, :, 1].ravel().astype(int).tolist()  # the green channel's numbers
