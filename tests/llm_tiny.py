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
    """A LocalEngine on PyTorch over the tiny model (float32: exact comparisons in tests)."""
    from tutor.llm.backends.pytorch import pytorch_engine

    tokenizer = tiny_tokenizer()
    model = tiny_model(len(tokenizer))
    return pytorch_engine(model, tokenizer, name="tiny", **kwargs)


def write_tiny_gguf(model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, path) -> None:
    """Write the tiny model as a float32 GGUF that llama.cpp can run (what convert_hf_to_gguf.py
    does for Qwen2, cut down to the keys and tensors llama.cpp needs)."""
    import json

    import gguf

    config = model.config
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(float(config.rope_theta if hasattr(config, "rope_theta") else 10000.0))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    # the vocabulary, padded like the embedding (llama.cpp wants one entry per row)
    vocab = tokenizer.get_vocab()
    tokens = [""] * config.vocab_size
    types = [gguf.TokenType.NORMAL] * config.vocab_size
    for token, index in vocab.items():
        tokens[index] = token
        if token in SPECIALS:
            types[index] = gguf.TokenType.CONTROL
    for index in range(len(vocab), config.vocab_size):
        tokens[index], types[index] = f"[PAD{index}]", gguf.TokenType.UNUSED
    merges = json.loads(tokenizer.backend_tokenizer.to_str())["model"]["merges"]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    writer.add_eos_token_id(vocab["<|im_end|>"])
    writer.add_add_bos_token(False)
    weights = {name: tensor.detach().float().numpy() for name, tensor in model.state_dict().items()}
    names = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
             "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
             "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"}
    writer.add_tensor("token_embd.weight", weights["model.embed_tokens.weight"])
    for layer in range(config.num_hidden_layers):
        for hf_name, gguf_name in names.items():
            for kind in ("weight", "bias"):
                key = f"model.layers.{layer}.{hf_name}.{kind}"
                if key in weights:
                    writer.add_tensor(f"blk.{layer}.{gguf_name}.{kind}", weights[key])
    writer.add_tensor("output_norm.weight", weights["model.norm.weight"])
    writer.add_tensor("output.weight", weights["lm_head.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def stall_on_pass(engine, which: int, seconds: float):
    """Make the engine's `which`-th forward pass from now take `seconds`: a model that goes slow in
    the middle of an answer (pass 1 reads the prompt, pass n + 1 feeds back token n). Returns the
    hook's handle; `handle.remove()` ends it."""
    import time

    calls: list[int] = []

    def hook(*args) -> None:
        calls.append(1)
        if len(calls) == which:
            time.sleep(seconds)

    return engine.backend.model.register_forward_pre_hook(hook)
