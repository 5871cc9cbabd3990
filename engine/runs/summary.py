"""What `show` and `list` print: a run's summary as plain JSON-able dicts, and text tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from storage import queries
from storage.db import read_session
from storage.summary import MetaSummary

METRIC_KEYS = (
    "dev_f1",
    "test_f1",
    "test_precision",
    "test_recall",
    "train_tokens_per_s",
    "train_seconds",
    "steps",
    "best_step",
    "trainable_parameters",
    "initial_heldout_perplexity",
    "heldout_perplexity",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _duration(row: queries.RunRow) -> float | None:
    if row.started_at is None:
        return None
    end = row.finished_at or datetime.now(row.started_at.tzinfo)
    return round((end - row.started_at).total_seconds(), 1)


META_KEYS = ("f1_mean", "f1_ci95", "episodes", "n_way", "k_shot")


def meta_summary(meta: MetaSummary | None) -> dict[str, Any] | None:
    """A meta run's episode scores: the contract keys first, then the rest as stored."""
    if not meta:
        return None
    stored = section(meta) or {}
    return {k: getattr(meta, k) for k in META_KEYS} | {
        k: v for k, v in stored.items() if k not in META_KEYS
    }


def section(part: BaseModel | None) -> dict[str, Any] | None:
    """A summary section as it was stored (the keys that were written), or None."""
    return part.model_dump(mode="json", exclude_unset=True) if part else None


def stored_config(run_id: int) -> dict[str, Any]:
    with read_session() as s:
        detail = queries.get_run(s, run_id)
    if detail is None:
        raise ValueError(f"no run {run_id}")
    return detail.config


def row_dict(row: queries.RunRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "method": row.method,
        "status": str(row.status),
        "device": row.device,
        "created_at": _iso(row.created_at),
        "duration_s": _duration(row),
        "dev_f1": row.summary.dev_f1,
        "test_f1": row.summary.test_f1,
        "error": row.error,
    }


def run_summary(run_id: int) -> dict[str, Any] | None:
    with read_session() as s:
        detail = queries.get_run(s, run_id)
        if detail is None:
            return None
    out = row_dict(detail)
    summary = detail.summary
    out.update(
        metrics={k: getattr(summary, k) for k in METRIC_KEYS if k in summary.model_fields_set},
        continual=section(summary.continual),
        meta=meta_summary(summary.meta),
        mapping=section(summary.mapping),
        started_at=_iso(detail.started_at),
        finished_at=_iso(detail.finished_at),
        device_info=detail.device_info,
        checkpoint=summary.checkpoint,
        config=detail.config,
        log_path=detail.log_path,
        backend=detail.backend,  # local | ray (log_path: the Ray job's dashboard page)
        parent_id=detail.parent_id,
        group=detail.group_name,
    )
    if out["continual"] is None:
        del out["continual"]  # only continual runs have a matrix
    if out["meta"] is None:
        del out["meta"]  # only meta runs have episode scores
    if out["mapping"] is None:
        del out["mapping"]  # {stages, silhouette, cka, centroid_shift} when captured
    if str(detail.status) == "RUNNING":
        out["pid"] = detail.pid
    return out


def list_summaries(limit: int = 50) -> list[dict[str, Any]]:
    with read_session() as s:
        return [row_dict(r) for r in queries.list_runs(s, limit=limit)]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def format_run_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no runs yet: python -m engine run examples/finetune_news.yaml"
    cols = ("id", "name", "kind", "method", "status", "device", "dev_f1", "test_f1", "duration_s")
    table = [cols] + [tuple(_fmt(r[c]) for c in cols) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) for line in table
    )


def format_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"run {summary['id']}: {summary['name']} ({summary['kind']}/{summary['method']})",
        f"status: {summary['status']}" + (f" - {summary['error']}" if summary.get("error") else ""),
        f"device: {_fmt(summary['device'])}",
    ]
    lines += [f"{k}: {_fmt(v)}" for k, v in summary["metrics"].items()]
    if summary.get("continual"):
        c = summary["continual"]
        lines.append(
            "continual: "
            + ", ".join(f"{k}={_fmt(c.get(k))}" for k in ("acc", "bwt", "fwt", "forgetting"))
        )
    if summary.get("meta"):
        m = summary["meta"]
        lines.append(
            f"meta: F1 {_fmt(m.get('f1_mean'))} ± {_fmt(m.get('f1_ci95'))} (95% CI) over "
            f"{m.get('episodes')} {m.get('n_way')}-way {m.get('k_shot')}-shot episodes"
        )
    if summary.get("checkpoint"):
        lines.append(f"checkpoint: {summary['checkpoint']}")
    return "\n".join(lines)
