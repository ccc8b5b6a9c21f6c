"""A tiny randomly initialised BERT encoder, for testing the `transformer` baseline without downloading weights.

The WordPiece vocabulary is trained with `tokenizers` on the words of the given
documents (the training split), the encoder has 2 layers and hidden size 32. It
learns little; it exists so the whole path (alignment, windows, training, saving,
loading, predicting, importing token output) runs on a CPU in seconds, in CI too.
"""

from __future__ import annotations

from pathlib import Path

from ittifaq.evaluate.io.staged import write_dir_staged
from ittifaq.evaluate.schema import Document

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_encoder(docs: list[Document], out: str | Path, vocab_size: int = 2000, max_length: int = 128,
                       seed: int = 12345) -> Path:
    """Write tokenizer and encoder (safetensors) to `out`, a folder `--model` accepts."""
    import torch
    from huggingface_hub.utils import disable_progress_bars
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    disable_progress_bars()  # huggingface_hub's (writing shards)
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator((d.text or "" for d in docs),
                            trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=max_length)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=max_length, pad_token_id=tok.token_to_id("[PAD]"))
    encoder = BertModel(config)

    def write(tmp: Path) -> None:
        encoder.save_pretrained(tmp)
        fast.save_pretrained(tmp)

    write_dir_staged(out, write, "baseline tiny-encoder")
    return Path(out)
