"""The benchmark sides, shared by bench/finetune_throughput.py, profile_step.py and gpu_check.py.

One run of the engine's own loop (`engine_fit`) and one of `transformers.Trainer`
(`trainer_fit`, plain or tuned), each returning the real (non-pad) tokens it trained on and the
time it took; `scores` rates any side's model by the same windows, decoding and seqeval call.

    res = engine_fit(model, windows, cfg=cfg, device=device, dtype=dtype, pad_id=pad)
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from engine.config import DataConfig, TrainConfig
from engine.data.alignment import SpecialIds, encode_sentences
from engine.training.loop import fit
from engine.training.predict import evaluate

WNUT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "wnut17"
DEVICE_MODULES = ("engine.device", "engine.training.device", "engine.jobs.device")


def engine_attr(name: str, *modules: str) -> Any:
    """`name` from the first of `modules` that has it: engine modules at the root of engine/ are
    moving into packages (engine/tracker.py -> engine/tracking/tracker.py, ...), and a bench
    script should run on either side of such a move."""
    for module in modules:
        try:
            found = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name is None or not module.startswith(err.name):
                raise  # the module exists but something it imports is missing
            continue
        if hasattr(found, name):
            return getattr(found, name)
    raise ImportError(f"none of {', '.join(modules)} has {name}")


def memory_tracker() -> Any:
    """The engine's in-memory tracker (tests and benchmarks keep everything in lists)."""
    cls = engine_attr(
        "MemoryTracker", "engine.tracking", "engine.tracking.tracker", "engine.tracker"
    )
    return cls()


def data_config(choice: str) -> DataConfig:
    """auto: WNUT-17 when ../shared/datasets has it, else builtin:news."""
    if choice == "auto":
        choice = "wnut17" if WNUT.is_dir() else "builtin:news"
    if choice.startswith("builtin:"):
        return DataConfig(train=choice)
    folder = WNUT if choice == "wnut17" else Path(choice)
    if not folder.is_dir():
        raise SystemExit(f"no data at {folder} (use --data builtin:news)")
    return DataConfig(
        train=str(folder / "train.txt"), dev=str(folder / "dev.txt"), test=str(folder / "test.txt")
    )


def scores(model, tok, splits, device: torch.device | None = None) -> dict:
    """Dev and test F1 of any side, by the same windows, decoding and seqeval call (fp32)."""
    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    device = device or torch.device("cpu")
    model.to(device)
    out = {}
    for name, sents in (("dev", splits.dev), ("test", splits.test or [])):
        if not sents:
            out[f"{name}_f1"] = None
            continue
        windows = encode_sentences(sents, tok, label2id, 128)
        report = evaluate(
            model,
            sents,
            windows,
            dict(enumerate(splits.labels)),
            device,
            torch.float32,
            SpecialIds.of(tok).pad,
        )
        out[f"{name}_f1"] = report.f1
    return out


def no_sync() -> None:
    return None


def engine_fit(
    model,
    windows,
    *,
    cfg: TrainConfig,
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    sync: Callable[[], None] = no_sync,
) -> dict:
    """One run of the engine's own loop; real tokens over step time and over the call's wall."""
    sync()
    started = time.perf_counter()
    res = fit(
        model,
        windows,
        cfg=cfg,
        device=device,
        dtype=dtype,
        pad_id=pad_id,
        tracker=memory_tracker(),
        progress=False,
    )
    sync()
    wall = time.perf_counter() - started
    return {
        "tokens": res.train_tokens,
        "steps": res.steps,
        "step_seconds": res.train_seconds,
        "call_seconds": wall,
        "tokens_per_s": res.tokens_per_s,
        "call_tokens_per_s": res.train_tokens / wall if wall > 0 else 0.0,
        "last_loss": res.last_loss,
        "precision": str(dtype).removeprefix("torch."),
    }


def trainer_fit(
    model,
    tokenizer,
    train_data: Sequence[dict] | Any,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    tuned: bool,
    use_cpu: bool,
    output_dir: str = "/tmp/bench_trainer",
    sync: Callable[[], None] = no_sync,
) -> dict:
    """`transformers.Trainer` on `train_data` (a datasets.Dataset or a list of feature dicts).

    tuned: bf16 autocast and length-grouped sampling; else TrainingArguments defaults (fp32,
    random batches). The same warmup ratio (0.1) + linear decay and weight decay 0 as the
    engine side. Real tokens are counted by wrapping the data collator: the count of each batch
    it built is kept, and the first `global_step` of them are the ones trained on (accelerate's
    loader builds one batch ahead, which is never stepped on when max_steps ends mid-epoch).
    """
    from transformers import (
        DataCollatorForTokenClassification,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    per_batch: list[int] = []
    base = DataCollatorForTokenClassification(tokenizer)

    def collator(features):
        batch = base(features)
        per_batch.append(int(batch["attention_mask"].sum()))
        return batch

    class StepTimer(TrainerCallback):
        """Time inside each optimizer step, like the engine's LoopResult.train_seconds."""

        seconds = 0.0
        began = 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            sync()
            self.began = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            sync()
            self.seconds += time.perf_counter() - self.began

    timer = StepTimer()
    targs = TrainingArguments(
        output_dir=output_dir,
        per_device_train_batch_size=batch_size,
        max_steps=steps,
        learning_rate=lr,
        warmup_steps=0.1,  # transformers 5: a float < 1 is a ratio
        weight_decay=0.0,
        lr_scheduler_type="linear",
        bf16=tuned,
        train_sampling_strategy="group_by_length" if tuned else "random",
        save_strategy="no",
        eval_strategy="no",
        report_to=[],
        logging_steps=10**6,
        seed=seed,
        use_cpu=use_cpu,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(
        model=model,
        args=targs,
        train_dataset=train_data,
        data_collator=collator,
        callbacks=[timer],
    )
    sync()
    started = time.perf_counter()
    out = trainer.train()
    sync()
    wall = time.perf_counter() - started
    done = trainer.state.global_step
    tokens = sum(per_batch[:done])
    return {
        "tokens": tokens,
        "steps": done,
        "step_seconds": timer.seconds,
        "call_seconds": wall,
        "tokens_per_s": tokens / timer.seconds if timer.seconds > 0 else 0.0,
        "call_tokens_per_s": tokens / wall if wall > 0 else 0.0,
        "last_loss": float(out.training_loss),
        "precision": "bfloat16" if tuned else "float32",
        "sampling": targs.train_sampling_strategy,
    }


def trainer_dataset(splits, tok, label2id: dict[str, int]) -> Any:
    """WNUT-style training data as a user feeds the Trainer: a datasets.Dataset tokenised with
    word_ids alignment (first sub-token labelled, the rest -100), truncated at 128."""
    from datasets import Dataset

    def encode(batch):
        enc = tok(batch["tokens"], is_split_into_words=True, truncation=True, max_length=128)
        labels = []
        for i, tags in enumerate(batch["tags"]):
            prev, row = None, []
            for w in enc.word_ids(i):
                row.append(-100 if w is None or w == prev else label2id[tags[w]])
                prev = w
            labels.append(row)
        enc["labels"] = labels
        return enc

    raw = Dataset.from_dict(
        {
            "tokens": [list(s.tokens) for s in splits.train],
            "tags": [list(s.tags) for s in splits.train],
        }
    )
    return raw.map(encode, batched=True, remove_columns=["tokens", "tags"])
