"""Fine-tuning: full, frozen encoder (head / top-k layers) or LoRA, on one labelled dataset.

Steps: load splits -> tokenizer + model with a fresh head -> windows -> train with dev
evaluation and early stopping (best checkpoint kept) -> test evaluation with the best weights.
"""

from __future__ import annotations

import shutil
from typing import Any

from engine.config import FinetuneStrategy
from engine.data.alignment import SpecialIds, encode_sentences
from engine.data.sources import Splits, load_splits
from engine.metrics.confusion import type_confusion
from engine.metrics.ner import NerReport, entity_report
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.models.checkpoint import save_checkpoint
from engine.models.modes import apply_mode, count_parameters
from engine.probe.capture import start_mapping
from engine.strategies.base import RunContext, StrategyKind, register_strategy
from engine.strategies.base import seed_everything as seed_everything  # re-exported
from engine.training.loop import fit
from engine.training.predict import evaluate, predict_tags
from engine.training.train_state import TRAIN_STATE_DIR


def final_test(
    ctx: RunContext, model: Any, splits: Splits, windows: list, id2label: dict, pad: int, step: int
) -> NerReport:
    """Test scores with the best weights, plus the word-level type confusion for the run page."""
    pred = predict_tags(model, splits.test or [], windows, id2label, ctx.device, ctx.dtype, pad)
    gold = [list(s.tags) for s in splits.test or []]
    report = entity_report(gold, pred)
    ctx.tracker.log_evaluation("test", "final", report, step=step)
    labels, matrix = type_confusion(gold, pred)
    ctx.tracker.log_record("confusion", "final", {"labels": labels, "matrix": matrix})
    return report


@register_strategy(StrategyKind.FINETUNE)
def run_finetune(ctx: RunContext) -> dict[str, Any]:
    cfg, strategy = ctx.config, ctx.begin(FinetuneStrategy)
    splits: Splits = load_splits(cfg.data, seed=cfg.train.seed)
    ctx.notes(splits.notes)
    ctx.say(
        f"data: {len(splits.train)} train / {len(splits.dev)} dev / "
        f"{len(splits.test) if splits.test is not None else 0} test sentences, "
        f"types {', '.join(splits.entity_types)}"
    )
    backbone = resolve_backbone(cfg.backbone)
    tokenizer = load_tokenizer(backbone, corpus=[s.tokens for s in splits.train])
    model = load_token_classifier(backbone, splits.labels, vocab_size=len(tokenizer))
    model = apply_mode(model, strategy).to(ctx.device)
    trainable, total = count_parameters(model)
    ctx.say(f"model: {cfg.backbone}, {trainable:,} of {total:,} parameters train ({strategy.mode})")

    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    id2label = dict(enumerate(splits.labels))
    pad = SpecialIds.of(tokenizer).pad
    windows = {
        name: encode_sentences(sents, tokenizer, label2id, cfg.train.max_length)
        for name, sents in (
            ("train", splits.train),
            ("dev", splits.dev),
            ("test", splits.test or []),
        )
    }

    capture = start_mapping(ctx, splits.dev, tokenizer)  # the embedding mapping, stage by stage
    capture.capture(model, "initial")

    def eval_dev() -> NerReport:
        return evaluate(model, splits.dev, windows["dev"], id2label, ctx.device, ctx.dtype, pad)

    checkpoint_dir = ctx.run_dir / "checkpoint"
    # Written each epoch so a killed run can be resumed (`python -m engine resume ID`).
    state_dir = ctx.run_dir / TRAIN_STATE_DIR if cfg.train.save_checkpoint else None

    def on_improve(step: int, report: NerReport) -> None:
        if cfg.train.save_checkpoint:
            save_checkpoint(model, tokenizer, checkpoint_dir, cfg.to_dict())

    result = fit(
        model,
        windows["train"],
        cfg=cfg.train,
        device=ctx.device,
        dtype=ctx.dtype,
        pad_id=pad,
        tracker=ctx.tracker,
        evaluate_dev=eval_dev if splits.dev else None,
        on_improve=on_improve,
        progress=ctx.progress,
        state_dir=state_dir,
        resume_from=ctx.resume_from,
    )
    summary: dict[str, Any] = {
        "dev_f1": max(result.best_f1, 0.0) if splits.dev else None,
        "best_step": result.best_step,
        "steps": result.steps,
        "train_seconds": round(result.train_seconds, 3),
        "train_tokens": result.train_tokens,
        "train_tokens_per_s": round(result.tokens_per_s, 1),
        "trainable_parameters": trainable,
        "stopped_early": result.early_stopped,
        "labels": splits.labels,
    }
    if result.stopped:
        summary["cancelled"] = True
        return summary
    capture.capture(model, "final")
    summary["mapping"] = capture.finish()
    if splits.test:
        report = final_test(ctx, model, splits, windows["test"], id2label, pad, result.steps)
        summary.update(
            test_f1=report.f1, test_precision=report.precision, test_recall=report.recall
        )
    if cfg.train.save_checkpoint:
        if not checkpoint_dir.exists() or not splits.dev:
            save_checkpoint(model, tokenizer, checkpoint_dir, cfg.to_dict())
        ctx.tracker.log_artifact("checkpoint", checkpoint_dir, "best")
        summary["checkpoint"] = str(checkpoint_dir)
    if state_dir is not None:  # finished: nothing to resume, so free the optimizer's copy
        shutil.rmtree(state_dir, ignore_errors=True)
    return summary
