"""The neural part of the `transformer` baseline: a HuggingFace encoder with one IOB2 head per span layer.

Only `baselines.transformer` imports this module, and only when a transformer model is
trained or run, so torch and transformers stay out of every other command.

Words (the project's proclitic-split tokens) are aligned to subwords with the fast
tokenizer's `word_ids`: a word's first subword carries its tag, the others are ignored
by the loss (-100). Documents go through the encoder in overlapping windows of whole
words (`baselines.windows`); a word seen in several windows gets the mean of its
tag probabilities. Weights are read and written as safetensors only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ittifaq.baselines.windows import word_windows
from ittifaq.evaluate.io.errors import InputError

IGNORE = -100


class TokenTagger(nn.Module):
    """Encoder + a linear tag head per layer (layers overlap, so each has its own IOB2 sequence)."""

    def __init__(self, encoder: nn.Module, n_tags: dict[str, int], dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({layer: nn.Linear(hidden, n) for layer, n in n_tags.items()})

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        hidden = self.dropout(hidden)
        return {layer: head(hidden) for layer, head in self.heads.items()}

    def head_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items() if k.startswith("heads.")}


def check_device(device: str) -> torch.device:
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available to torch (install a CUDA build of torch, or use cpu)")
    return torch.device(device)


def load_encoder(name_or_path: str | Path) -> tuple[Any, nn.Module]:
    """Tokenizer and encoder of a HuggingFace model; safetensors weights only (no pickle is ever read)."""
    from huggingface_hub.utils import disable_progress_bars
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    disable_progress_bars()  # huggingface_hub's (writing shards)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(name_or_path))
        encoder = AutoModel.from_pretrained(str(name_or_path), use_safetensors=True)
    except (OSError, ValueError) as exc:
        raise InputError(f"--model {name_or_path}: cannot load a tokenizer and safetensors encoder ({exc})") from None
    if not getattr(tokenizer, "is_fast", False):
        raise InputError(f"--model {name_or_path}: needs a fast (Rust) tokenizer to align words with subwords")
    return tokenizer, encoder


class Windows:
    """The encoder inputs of one document: windows of whole words and where each word's first subword sits."""

    def __init__(self, tokenizer: Any, words: Sequence[str], max_length: int, overlap: int) -> None:
        self.n_words = len(words)
        specials = tokenizer.num_special_tokens_to_add(pair=False)
        budget = max(1, max_length - specials)
        lengths = [0] * len(words)
        if words:
            whole = tokenizer(list(words), is_split_into_words=True, add_special_tokens=False)
            for w in whole.word_ids():
                if w is not None:
                    lengths[w] += 1
        self.spans = word_windows([max(1, n) for n in lengths], budget, overlap)
        self.inputs: list[list[int]] = []
        self.firsts: list[list[tuple[int, int]]] = []  # (position in window, word index)
        for a, b in self.spans:
            enc = tokenizer(list(words[a:b]), is_split_into_words=True, truncation=True, max_length=max_length)
            seen: set[int] = set()
            firsts = []
            for pos, w in enumerate(enc.word_ids()):
                if w is not None and w not in seen:
                    seen.add(w)
                    firsts.append((pos, a + w))
            self.inputs.append(list(enc["input_ids"]))
            self.firsts.append(firsts)


def _batch(inputs: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in inputs)
    ids = torch.full((len(inputs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(inputs), width), dtype=torch.long)
    for i, x in enumerate(inputs):
        ids[i, : len(x)] = torch.tensor(x, dtype=torch.long)
        mask[i, : len(x)] = 1
    return ids.to(device), mask.to(device)


def train_tagger(
    model: TokenTagger,
    examples: list[tuple[Windows, dict[str, list[int]]]],
    *,
    pad_id: int,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    device: torch.device,
    evaluate: Callable[[int], float] | None,
    progress: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """Fine-tune on (windows, word tag ids per layer); keep the epoch `evaluate` scores best.

    Returns the chosen epoch (1-based) and one log entry per epoch; the model ends holding
    the chosen epoch's weights.
    """
    from tqdm.auto import tqdm

    torch.manual_seed(seed)
    rng = random.Random(seed)
    items: list[tuple[list[int], dict[str, list[int]]]] = []
    for windows, tags in examples:
        for inp, firsts in zip(windows.inputs, windows.firsts, strict=True):
            labels = {layer: [IGNORE] * len(inp) for layer in tags}
            for pos, w in firsts:
                for layer, seq in tags.items():
                    labels[layer][pos] = seq[w]
            items.append((inp, labels))
    steps_per_epoch = max(1, (len(items) + batch_size - 1) // batch_size)
    total = steps_per_epoch * epochs
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORE)
    log: list[dict[str, Any]] = []
    best: tuple[float, int, dict[str, torch.Tensor] | None] = (-1.0, epochs, None)
    model.to(device)
    for epoch in range(1, epochs + 1):
        model.train()
        order = list(range(len(items)))
        rng.shuffle(order)
        t0 = time.perf_counter()
        total_loss = 0.0
        bar = tqdm(range(0, len(order), batch_size), desc=f"transformer: epoch {epoch}", disable=not progress)
        for start in bar:
            chunk = [items[i] for i in order[start : start + batch_size]]
            ids, mask = _batch([c[0] for c in chunk], pad_id, device)
            logits = model(ids, mask)
            loss = torch.zeros((), device=device)
            for layer, out in logits.items():
                gold = torch.full(ids.shape, IGNORE, dtype=torch.long)
                for i, (_, labels) in enumerate(chunk):
                    gold[i, : len(labels[layer])] = torch.tensor(labels[layer], dtype=torch.long)
                loss = loss + loss_fn(out.reshape(-1, out.shape[-1]), gold.to(device).reshape(-1))
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            total_loss += float(loss.detach())
        entry: dict[str, Any] = {"epoch": epoch, "train_loss": round(total_loss / steps_per_epoch, 4),
                                 "train_seconds": round(time.perf_counter() - t0, 2), "windows": len(items)}
        if evaluate is not None:
            f1 = evaluate(epoch)
            entry["validation_f1"] = f1
            if f1 > best[0]:
                best = (f1, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
        log.append(entry)
    if best[2] is not None:
        model.load_state_dict(best[2])
    return best[1], log


@torch.no_grad()
def tag_and_embed(model: TokenTagger, windows: Windows, pad_id: int, batch_size: int,
                  device: torch.device) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One pass over a document's windows: per layer a (words x tags) array of tag probabilities,
    and a (words x hidden) array of word vectors (the encoder's last hidden state at each word's
    first subword); both averaged over the windows that hold the word."""
    model.eval()
    model.to(device)
    hidden = int(model.encoder.config.hidden_size)
    sums = {layer: torch.zeros((windows.n_words, head.out_features)) for layer, head in model.heads.items()}
    vectors = torch.zeros((windows.n_words, hidden))
    counts = torch.zeros((windows.n_words, 1))
    for start in range(0, len(windows.inputs), batch_size):
        inputs = windows.inputs[start : start + batch_size]
        ids, mask = _batch(inputs, pad_id, device)
        states = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        probs = {layer: head(states).softmax(-1).float().cpu() for layer, head in model.heads.items()}
        states = states.float().cpu()
        for i, firsts in enumerate(windows.firsts[start : start + batch_size]):
            if not firsts:
                continue
            pos = torch.tensor([p for p, _ in firsts])
            words = torch.tensor([w for _, w in firsts])
            for layer, p in probs.items():
                sums[layer][words] += p[i, pos]
            vectors[words] += states[i, pos]
            counts[words] += 1
    n = counts.clamp(min=1)
    return {layer: (s / n).numpy() for layer, s in sums.items()}, (vectors / n).numpy()
