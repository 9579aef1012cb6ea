"""A tiny, randomly initialised Qwen2 model and a byte-level BPE tokenizer, built offline in tests.

The tokenizer is trained on a few English and Korean sentences with a small vocabulary, so many
Korean syllables stay split into byte tokens (each alone decodes to U+FFFD) — exactly the case
`tokenize` must group into readable pieces.
"""
from __future__ import annotations

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "The cat sat on the mat. The dog sat on the log.",
    "Language models predict the next token, one token at a time.",
    "안녕하세요. 언어 모델은 다음 토큰을 예측합니다.",
    "고양이가 매트 위에 앉았다.",
] * 20


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level BPE with 300 tokens: the 256 bytes plus a few merges plus chat specials."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token=None
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def tiny_model(vocab_size: int, *, seed: int = 0, padded_vocab: int = 8) -> Qwen2ForCausalLM:
    """A 2-layer Qwen2 with random weights; its embedding has `padded_vocab` spare rows, like Qwen's."""
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=vocab_size + padded_vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        eos_token_id=None,
        bos_token_id=None,
        pad_token_id=None,
        tie_word_embeddings=False,
    )
    model = Qwen2ForCausalLM(config)
    # bigger-than-default weights make the random distribution less flat, so sampling tests bite
    with torch.no_grad():
        model.lm_head.weight.normal_(0.0, 0.5)
    return model.eval()


def tiny_engine(**kwargs):
    """A TransformersEngine over the tiny model (float32: exact comparisons in tests)."""
    from tutor.llm.local import TransformersEngine

    tokenizer = tiny_tokenizer()
    model = tiny_model(len(tokenizer))
    return TransformersEngine(model, tokenizer, name="tiny", **kwargs)
