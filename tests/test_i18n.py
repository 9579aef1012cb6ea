"""UI strings: one catalog, every key in both languages, locale mapping."""
import pytest

from tutor.i18n import catalog, normalize_language, t


def test_every_ui_key_exists_in_both_languages():
    strings = catalog()
    assert set(strings["ko"]) == set(strings["en"]), set(strings["ko"]) ^ set(strings["en"])


def test_placeholders_match_between_languages():
    import string

    strings = catalog()
    for key, en_value in strings["en"].items():
        if isinstance(en_value, str):
            fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
            assert fields(en_value) == fields(str(strings["ko"][key])), key


def test_browser_locale_maps_to_a_supported_language_defaulting_to_korean():
    assert normalize_language("en-US") == "en"
    assert normalize_language("ko_KR") == "ko"
    assert normalize_language("fr-FR") == "ko"
    assert normalize_language(None) == "ko"


def test_missing_key_shows_the_key_instead_of_crashing():
    assert t("common.no_such_key", "en") == "common.no_such_key"
    assert t("common.model.loading", "en", model="m").count("m") >= 1


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_model_loading_stage_has_words_in_both_languages(lang):
    import tutor.llm.loading as loading

    stages = ("verify", "tokenizer", "dequantize", "save", "reader", "load", "warmup", "done")
    assert all(f'"{stage}"' in loading.__doc__ for stage in stages)  # the stages load_engine reports
    for stage in stages:
        assert not t(f"common.model.stages.{stage}", lang, model="m").startswith("common.")


def test_t_first_takes_the_first_written_message_else_the_general_one():
    from tutor.i18n import t, t_first

    assert t_first(["common.model.errors.no_such_code", "common.model.errors.generic"], "ko") == t(
        "common.model.errors.generic", "ko")
    assert t_first(["progress.import_errors.too_large", "progress.import_errors.wrong_format"], "ko") == t(
        "progress.import_errors.too_large", "ko") != t("progress.import_errors.wrong_format", "ko")
