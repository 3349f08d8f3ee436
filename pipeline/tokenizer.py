"""The tiny model's tokenizer: byte-level BPE trained on the training corpus, Llama-3 chat format.

Trained with the `tokenizers` library on the rendered training conversations (prompts with
their RAG contexts, and SQL) — never on the golden sets — and saved as a transformers
`PreTrainedTokenizerFast`, so `AutoTokenizer.from_pretrained` and `apply_chat_template`
work on it exactly as on a real Llama-3 checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

BOS, EOS, EOT, PAD = "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|pad|>"
HEADER_START, HEADER_END = "<|start_header_id|>", "<|end_header_id|>"
SPECIAL_TOKENS = (BOS, EOS, HEADER_START, HEADER_END, EOT, PAD)

# Llama-3's layout: each turn is `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>`.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    " + message['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)


def corpus(records: Iterable[dict[str, Any]]) -> Iterable[str]:
    """The texts a tokenizer is trained on: every turn of every conversation."""
    for record in records:
        for turn in record["conversations"]:
            yield turn["content"]


def train_tokenizer(texts: Iterable[str], out_dir: str | Path, *, vocab_size: int,
                    min_frequency: int = 2) -> Any:
    """Train byte-level BPE on `texts`, save it to `out_dir` and return the HF tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    # Byte level: any text (Unicode names, odd SQL literals) encodes without an unknown token.
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                  special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    core.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token=BOS, eos_token=EOT, pad_token=PAD,
        additional_special_tokens=[EOS, HEADER_START, HEADER_END])
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.model_max_length = 8192
    tokenizer.save_pretrained(str(out_dir))
    return tokenizer
