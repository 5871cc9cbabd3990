"""The `continual` strategy: build the task stream and the model, run the continual loop, report.

strategy: {kind: continual, method: lwf, tasks: {by: types, order: [[PER], [LOC, ORG]]}}
strategy: {kind: continual, method: lwf, tasks: {protocol: cl-ner-fg1-pg1}}   # CFNER's steps
"""

from __future__ import annotations

from typing import Any

from engine.config import ContinualStrategy
from engine.data.alignment import SpecialIds
from engine.data.tasks import build_stream
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.models.checkpoint import save_checkpoint
from engine.probe.capture import start_mapping, stream_probe
from engine.protocols.stream import protocol_stream
from engine.strategies.base import RunContext, StrategyKind, register_strategy
from engine.strategies.continual.loop import labels_until, run_stream


@register_strategy(StrategyKind.CONTINUAL)
def run_continual(ctx: RunContext) -> dict[str, Any]:
    cfg, strategy = ctx.config, ctx.begin(ContinualStrategy)
    build = protocol_stream if strategy.tasks.protocol else build_stream
    stream = build(strategy.tasks, cfg.data, seed=cfg.train.seed)
    ctx.notes(stream.notes)
    for task in stream.tasks:
        ctx.say(f"{task.name}: {len(task.train)} train / {len(task.test)} test sentences")
    backbone = resolve_backbone(cfg.backbone)
    tokenizer = load_tokenizer(backbone, corpus=[s.tokens for t in stream.tasks for s in t.train])
    model = load_token_classifier(backbone, labels_until(stream, 0), vocab_size=len(tokenizer))
    model = model.to(ctx.device)

    def save_task_checkpoint(t: int) -> None:
        """The model right after task t (stage "task_t"), so later stages can be compared."""
        if not (cfg.train.save_checkpoint and strategy.task_checkpoints):
            return
        target = save_checkpoint(
            model, tokenizer, ctx.run_dir / "tasks" / f"task_{t}", cfg.to_dict()
        )
        ctx.tracker.log_artifact("checkpoint", target, f"task_{t}")

    capture = start_mapping(ctx, stream_probe(stream), tokenizer)
    capture.capture(model, "initial")

    def after_task(t: int) -> None:
        save_task_checkpoint(t)
        capture.capture(model, f"after-task-{t}")  # the mapping after each task

    res = run_stream(
        model,
        tokenizer,
        stream,
        strategy,
        cfg.train,
        ctx.tracker,
        device=ctx.device,
        dtype=ctx.dtype,
        pad_id=SpecialIds.of(tokenizer).pad,
        say=ctx.say,
        progress=ctx.progress,
        on_task_end=after_task,
    )
    summary: dict[str, Any] = {
        "steps": res.steps,
        "train_seconds": round(res.train_seconds, 3),
        "eval_seconds": round(res.eval_seconds, 3),
        "eval_share": round(res.eval_seconds / res.total_seconds, 4) if res.total_seconds else None,
        "labels": list(model.config.id2label.values()),
    }
    if res.stopped:
        summary["cancelled"] = True
        return summary
    assert res.summary is not None and res.final_report is not None
    summary["continual"] = res.summary
    if res.protocol is not None:
        summary["protocol"] = res.protocol
    summary["mapping"] = capture.finish()
    summary["test_f1"] = res.final_report.f1
    summary["test_precision"] = res.final_report.precision
    summary["test_recall"] = res.final_report.recall
    ctx.tracker.log_evaluation("test", "final", res.final_report, step=res.steps)
    ctx.save_final_checkpoint(model, tokenizer, summary)
    return summary
