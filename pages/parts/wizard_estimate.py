"""The wizard's time estimate: training tokens x epochs over a rough tokens/s per backbone.

The rates were measured on a 2-core CPU (bench/finetune_throughput.py, the tiny_quick example);
a GPU is taken as GPU_SPEEDUP faster. A guide for choosing epochs, not a promise.
"""

from __future__ import annotations

from engine.config import RunConfig
from pages.parts import calls, fmt
from pages.parts.i18n import t
from storage import queries

# Rough training throughput (tokens/s) on a 2-core CPU; a GPU is taken as GPU_SPEEDUP faster.
TOKENS_PER_S_CPU = {"minilm-l6": 2000.0, "tiny": 9000.0}
OTHER_TOKENS_PER_S_CPU = 1000.0
GPU_SPEEDUP = 20.0


def train_tokens(cfg: RunConfig) -> int | None:
    """Tokens in one pass over the training data, from the catalog or the dataset's counts."""
    spec, limit = cfg.data.train, cfg.data.max_train_sentences
    if spec.startswith("builtin:"):
        entry = next((c for c in calls.builtin_catalog() if c["spec"] == spec), None)
        if entry is None:
            return None
        sentences, tokens = entry["sentences"]["train"], entry["tokens"]["train"]
    else:
        row = next((d for d in calls.read(queries.list_datasets) if d.path == spec), None)
        if row is None:
            return None
        share = 1.0 if cfg.data.dev else 0.9  # 10% held out for dev
        sentences, tokens = int(row.n_sentences * share), int(row.n_tokens * share)
    if limit is not None and sentences > limit:
        tokens = int(tokens * limit / max(sentences, 1))
    return tokens


def estimate_seconds(cfg: RunConfig) -> tuple[float, str] | None:
    """(seconds, explanation): tokens x epochs / a rough tokens/s for the backbone and device."""
    tokens = train_tokens(cfg)
    if tokens is None:
        return None
    rate = TOKENS_PER_S_CPU.get(cfg.backbone, OTHER_TOKENS_PER_S_CPU)
    device = cfg.train.device
    gpu = device == "cuda" or (device in ("auto", "mps") and fmt.has_gpu(calls.machine()))
    if gpu:
        rate *= GPU_SPEEDUP
    total = tokens * cfg.train.epochs
    if cfg.train.max_steps is not None:
        mean_length = 20  # words per sentence, about; only caps the estimate
        total = min(total, cfg.train.max_steps * cfg.train.batch_size * mean_length)
    where = t(
        "train.estimate_help",
        tokens=f"{total:,}",
        rate=f"{rate:,.0f}",
        backbone=cfg.backbone,
        device="GPU" if gpu else "CPU",
    )
    return total / rate, where
