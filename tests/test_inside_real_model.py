"""Inside the real packaged model: a few checks that only its trained weights can pass."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def inside():
    from tutor.inside.model import load_inside_model

    return load_inside_model()


def test_the_capital_of_france_emerges_in_the_upper_layers_and_matches_the_engines_next_token(inside, real_engine):
    from tutor.inside.lens import logit_lens

    text = "The capital of France is"
    found = logit_lens(inside, text, top_k=5)
    assert found.answer == " Paris"
    assert found.answer_probs[0] < 0.01  # the embedding alone does not know it
    first = next(g.layer for g in found.layers if g.top[0].token == " Paris")
    assert first > inside.layer_count // 2  # it takes shape in the upper half
    # the tutor's own engine (llama.cpp on the packaged GGUF) names the same next token
    assert real_engine.next_token_distribution(text, top_k=1).choices[0].token == " Paris"


def test_a_korean_syllable_stays_one_readable_piece_in_the_attention_table(inside):
    from tutor.inside.attention import attention_table

    text = "고양이가 상자 위로 뛰어오르지 않았어요. 너무 높았거든요."
    table = attention_table(inside, text, layer=inside.layer_count // 2)
    assert "".join(table.tokens).replace("␣", " ") == text
    assert all("\ufffd" not in token for token in table.tokens)
    for i, row in enumerate(table.weights):
        assert sum(row) == pytest.approx(1.0, abs=1e-3)
        assert max(row[i + 1:], default=0.0) == 0.0


def test_neighbours_of_cat_start_with_cat_and_include_a_related_word(inside):
    from tutor.inside.embeddings import neighbours

    found = neighbours(inside, "cat", top_k=15)
    assert found[0].token == "cat" and found[0].similarity == pytest.approx(1.0, abs=1e-3)
    related = {n.token.strip().lower() for n in found[1:]}
    assert related & {"cats", "dog", "kitten", "cat", "kitty"}, related


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_word_map_presets_labels_overlap_no_other_label_or_dot(inside, lang):
    from tests.test_inside_charts import overlaps
    from tutor.i18n import t
    from tutor.inside.charts import word_map_labels
    from tutor.inside.embeddings import word_map

    for preset in ("animals", "royal", "numbers", "days"):
        found = word_map(inside, [w.strip() for w in t(f"inside.fig.map.presets.{preset}", lang).split(",")])
        _, placed = word_map_labels(found)
        assert overlaps(placed, [p.dot for p in placed]) == [], preset


@pytest.mark.parametrize("word", ["cat", "king", "Paris", "고양이", "월요일"])
def test_neighbours_are_the_exact_fp32_cosine_ranking_of_the_whole_vocabulary(inside, word):
    """The search ranks in bf16 (product and row lengths) and recomputes its best 400 in fp32:
    its top 100 must be exactly what a plain fp32 search over every row finds."""
    import torch

    from tutor.inside.embeddings import neighbours, word_vector
    from tutor.inside.lens import token_label

    vector, _ = word_vector(inside, word)
    matrix = inside.model.get_input_embeddings().weight.detach()[: inside.vocab_size]
    with torch.inference_mode():
        cosines = torch.cat([
            torch.nn.functional.cosine_similarity(matrix[s : s + 8192].float(), vector[None, :], dim=1, eps=1e-12)
            for s in range(0, matrix.shape[0], 8192)
        ])
    expected = []
    for index in torch.argsort(cosines, descending=True).tolist():
        if "\ufffd" not in inside.decode([index]):  # byte pieces are skipped, as the search does
            expected.append((token_label(inside, index), float(cosines[index])))
        if len(expected) == 100:
            break
    found = neighbours(inside, word, top_k=100)
    assert [n.token for n in found] == [token for token, _ in expected]
    assert [n.similarity for n in found] == pytest.approx([sim for _, sim in expected], abs=1e-5)
