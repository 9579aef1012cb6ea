"""tutor.inside on the tiny random Qwen2: the views equal what the model computes, checked by hand."""
from __future__ import annotations

import math

import pytest
import torch

from tests.llm_tiny import tiny_model, tiny_tokenizer
from tutor.inside import attention, embeddings, lens
from tutor.inside.model import MAX_TOKENS, InsideRegistry, TextRefused, from_parts
from tutor.inside.reading import read_text
from tutor.llm.backends.pytorch import pytorch_engine

TEXT = "The cat sat on the mat because it was tired."
KOREAN = "고양이가 매트 위에 앉았다. 강아지는 뛰었다."


@pytest.fixture(scope="module")
def inside():
    tokenizer = tiny_tokenizer()
    return from_parts(tiny_model(len(tokenizer)), tokenizer, name="tiny")


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def attention_by_hand(inside, ids: list[int], layer_index: int) -> torch.Tensor:
    """[heads, T, T]: softmax(q·k/√d) with a causal mask, from the layer's own projections.

    Qwen2 rotates queries and keys by their position (rotary embeddings, cos/sin from the model's
    own rotary module) and shares each key head between several query heads (GQA).
    """
    base = inside.model.base_model
    layer = base.layers[layer_index]
    captured = {}
    hook = layer.register_forward_pre_hook(lambda module, args, kwargs: captured.update(h=args[0] if args else kwargs["hidden_states"]), with_kwargs=True)
    with torch.no_grad():
        base(input_ids=torch.tensor([ids]), use_cache=False)
    hook.remove()
    config = inside.model.config
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    width = config.hidden_size // heads
    steps = len(ids)
    with torch.no_grad():
        x = layer.input_layernorm(captured["h"])  # [1, T, hidden]
        q = layer.self_attn.q_proj(x).view(steps, heads, width).transpose(0, 1)  # [H, T, d]
        k = layer.self_attn.k_proj(x).view(steps, kv_heads, width).transpose(0, 1)  # [KV, T, d]
        cos, sin = base.rotary_emb(x, torch.arange(steps)[None])  # [1, T, d]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        future = torch.triu(torch.ones(steps, steps, dtype=torch.bool), diagonal=1)
        rows = []
        for h in range(heads):
            key = k[h // (heads // kv_heads)]  # the key head this query head shares
            scores = q[h] @ key.T / math.sqrt(width)
            rows.append(torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1))
    return torch.stack(rows)


@pytest.mark.parametrize("layer_index", [0, 1])
def test_attention_rows_equal_a_softmax_computed_by_hand_from_the_models_queries_and_keys(inside, layer_index):
    reading = read_text(inside, TEXT)
    expected = attention_by_hand(inside, reading.ids, layer_index)
    assert torch.allclose(reading.attentions[layer_index], expected, atol=1e-5)


def test_attention_table_rows_sum_to_one_and_nothing_lies_above_the_diagonal(inside):
    for head in (None, 1, 4):
        table = attention.attention_table(inside, KOREAN, layer=2, head=head)
        for i, row in enumerate(table.weights):
            assert sum(row) == pytest.approx(1.0, abs=1e-5)
            assert all(w == 0.0 for w in row[i + 1:])


def test_the_average_over_heads_is_the_mean_of_the_heads(inside):
    heads = [attention.attention_table(inside, TEXT, layer=1, head=h).weights for h in range(1, 5)]
    average = attention.attention_table(inside, TEXT, layer=1).weights
    assert torch.allclose(torch.tensor(average), torch.tensor(heads).mean(dim=0), atol=1e-6)


def test_a_korean_syllable_cut_into_byte_tokens_is_one_row_and_one_column(inside):
    reading = read_text(inside, KOREAN)
    assert any(len(p.ids) > 1 for p in reading.pieces), "the tiny tokenizer cuts some syllables into bytes"
    table = attention.attention_table(inside, KOREAN, layer=1, head=2)
    assert "".join(table.tokens).replace("␣", " ") == KOREAN  # every label is readable text
    assert len(table.weights) == len(reading.pieces) < len(reading.ids)
    # a piece's column adds up what its tokens receive, at the row of the row-piece's last token
    tokens = reading.attentions[0, 1]
    ends = torch.cumsum(torch.tensor([len(p.ids) for p in reading.pieces]), 0)
    starts = ends - torch.tensor([len(p.ids) for p in reading.pieces])
    i, j = len(reading.pieces) - 1, 0
    assert table.weights[i][j] == pytest.approx(float(tokens[ends[i] - 1, starts[j]:ends[j]].sum()), abs=1e-6)


def test_strongest_sources_are_the_heaviest_earlier_pieces_in_order(inside):
    table = attention.attention_table(inside, TEXT, layer=2, head=3)
    row = len(table.tokens) - 1
    sources = attention.strongest_sources(table, row, count=3)
    assert [s.weight for s in sources] == sorted(table.weights[row], reverse=True)[:3]
    assert all(s.index <= row and s.token == table.tokens[s.index] for s in sources)


def test_layer_and_head_out_of_range_are_refused_with_the_range(inside):
    with pytest.raises(ValueError, match="between 1 and 2"):
        attention.attention_table(inside, TEXT, layer=3)
    with pytest.raises(ValueError, match="between 1 and 4"):
        attention.attention_table(inside, TEXT, layer=1, head=0)


def test_the_last_layer_of_the_lens_is_the_models_own_next_token_distribution(inside):
    reading = read_text(inside, TEXT)
    probs = lens.layer_probabilities(inside, reading.hidden)
    assert probs.shape == (inside.layer_count + 1, inside.vocab_size)
    with torch.no_grad():
        logits = inside.model(input_ids=torch.tensor([reading.ids])).logits[0, -1, : inside.vocab_size]
    assert torch.allclose(probs[-1], torch.softmax(logits, dim=-1), atol=1e-6)
    # and the engine the lab uses, on the same weights, names the same favourite
    engine = pytorch_engine(inside.model, inside.tokenizer, name="tiny")
    favourite = engine.next_token_distribution(TEXT, top_k=1).choices[0]
    found = lens.logit_lens(inside, TEXT, top_k=3)
    assert found.layers[-1].top[0].token == favourite.token == found.answer
    assert found.answer_probs[-1] == pytest.approx(favourite.raw_prob, abs=1e-5)


def test_the_lens_reads_the_hidden_state_after_each_layer_through_the_final_norm_and_output_layer(inside):
    ids = inside.encode(TEXT)
    with torch.no_grad():
        states = inside.model(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states
        reading = read_text(inside, TEXT)
        # transformers' hidden_states: the embedding, then each layer's output (the last one already normed)
        for layer in range(inside.layer_count):
            assert torch.allclose(reading.hidden[layer], states[layer][0, -1], atol=1e-6)
        middle = inside.model.lm_head(inside.model.base_model.norm(states[1][0, -1]))[: inside.vocab_size]
    probs = lens.layer_probabilities(inside, reading.hidden)
    assert torch.allclose(probs[1], torch.softmax(middle, dim=-1), atol=1e-6)
    found = lens.logit_lens(inside, TEXT, top_k=2)
    assert [g.layer for g in found.layers] == list(range(inside.layer_count + 1))
    for g in found.layers:
        assert g.top[0].prob >= g.top[1].prob


def test_neighbours_of_a_one_token_word_start_with_itself_at_similarity_one(inside):
    word = next(w for w in ("The", "cat", "the", "sat") if len(inside.tokenizer.encode(w, add_special_tokens=False)) == 1)
    found = embeddings.neighbours(inside, word, top_k=8)
    assert found[0].token == word
    assert found[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert len(found) == 8
    assert [n.similarity for n in found] == sorted((n.similarity for n in found), reverse=True)
    assert all("\ufffd" not in n.token for n in found)


def test_a_word_map_of_three_words_keeps_every_distance_between_them(inside):
    words = ["cat", "dog", "mat"]
    found = embeddings.word_map(inside, words)
    vectors = torch.stack([embeddings.word_vector(inside, w)[0] for w in words]).double()
    for a in range(3):
        for b in range(3):
            flat = math.dist((found.points[a].x, found.points[a].y), (found.points[b].x, found.points[b].y))
            assert flat == pytest.approx(float((vectors[a] - vectors[b]).norm()), rel=1e-6, abs=1e-9)
    assert sum(found.explained) == pytest.approx(1.0)  # three points lie in one plane


def test_the_word_map_refuses_too_few_and_too_many_words(inside):
    with pytest.raises(TextRefused) as few:
        embeddings.word_map(inside, ["cat", " cat ", ""])
    assert few.value.reason == "too_few"
    with pytest.raises(TextRefused) as many:
        embeddings.word_map(inside, [f"w{i}" for i in range(embeddings.MAX_WORDS + 1)])
    assert many.value.reason == "too_many"


def test_empty_and_too_long_texts_are_refused_and_64_tokens_are_read(inside):
    for empty in ("", "   \n", "\x00\x01"):
        with pytest.raises(TextRefused) as refused:
            read_text(inside, empty)
        assert refused.value.reason == "empty"
    ids = list(range(3, 3 + MAX_TOKENS))
    exactly = inside.decode(ids)
    while len(inside.tokenizer.encode(exactly, add_special_tokens=False)) > MAX_TOKENS:
        exactly = exactly[:-1]
    assert len(read_text(inside, exactly).ids) <= MAX_TOKENS
    with pytest.raises(TextRefused) as long:
        read_text(inside, "cat " * 100)
    assert long.value.reason == "too_long" and long.value.tokens > MAX_TOKENS


def test_markup_and_invisible_characters_get_readable_labels(inside):
    text = "<b>hi</b>\u200b\ttab & 😀"
    labels = attention.attention_table(inside, text, layer=1).tokens
    joined = "".join(labels)
    assert "<b>" in joined  # kept as typed: the chart escapes it
    assert "U+200B" in joined and "⇥" in joined
    assert "\u200b" not in joined


def test_a_text_read_twice_is_computed_once(inside, monkeypatch):
    first = read_text(inside, "The dog sat on the log.")
    monkeypatch.setattr(inside.model.base_model, "forward", lambda *a, **k: pytest.fail("read again"))
    assert read_text(inside, "The dog sat on the log.") is first


def test_the_registry_opens_once_and_releases(inside):
    registry = InsideRegistry()
    calls = []
    assert registry.get(lambda: calls.append(1) or inside) is inside
    assert registry.get(lambda: calls.append(1) or inside) is inside
    assert calls == [1]
    assert registry.release() is True and registry.model is None
    assert registry.release() is False
