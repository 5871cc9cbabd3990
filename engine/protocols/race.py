"""A benchmark race: one run per method on a published protocol, and its paper-layout table.

The Benchmarks page and `python -m engine bench` share all of it (pure, torch-free):
- `choices()`: the protocols one can pick (CFNER's CL-NER settings, Few-NERD's N-way K~2K);
- `race_configs(...)`: one run config per method, launched as one group (a race);
- `race_table(runs)`: the group's finished runs as "this lab" rows beside the published rows
  (`engine.protocols.published`), with how many runs are still running and the step curves.

Lab rows read the runs' summaries: a CL-NER run's `protocol` section (the mean step-wise
Mi/Ma-F1, engine.protocols.stream), a few-shot run's pooled episode micro-F1 (`meta.f1_micro`,
Few-NERD's number). The Budget column says what the lab spent (epochs and lr per step, or
meta-training episodes, episodes per update and lr), so a short CPU budget reads as one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from engine.protocols.cl_ner import PROTOCOLS as CL_PROTOCOLS
from engine.protocols.few_nerd import detect_setting, few_nerd_protocol
from engine.protocols.published import Grid, LabRow, build_table, load_benchmarks

Family = Literal["cl-ner", "few-shot"]
FEW_SHOT_NAME = re.compile(r"^few-shot-([1-9][0-9]*)way-([1-9][0-9]*)shot$")
FEW_SHOT_SETTINGS = ((5, 1), (10, 1), (5, 5), (10, 5))  # Few-NERD's tables
DEFAULT_METHODS: dict[str, tuple[str, ...]] = {
    "cl-ner": ("naive", "lwf", "pseudo_label", "pseudo_lwf", "joint"),
    "few-shot": ("protonet", "nnshot", "structshot", "finetune-baseline"),
}
# the lab's method -> the published row it is the lab's version of
COUNTERPARTS = {
    "naive": "Finetune",
    "lwf": "ExtendNER",
    "pseudo_label": "Self-training",
    "protonet": "ProtoBERT",
    "nnshot": "NNShot",
    "structshot": "StructShot",
}
# CFNER trains with SGD (lr 2e-3 first step, 4e-4 later); the lab's loop is AdamW, for which
# that step is far too large on a pretrained encoder, so the default is the AdamW rate at which
# the lab's LwF measurement (issue 15) kept every type
CL_LR = 5e-5
CPU_EPISODES = 200  # the meta strategy's default: left there, a GPU run takes Few-NERD's budget
DONE, ENDED = {"SUCCEEDED"}, {"SUCCEEDED", "FAILED", "STOPPED"}


@dataclass(frozen=True)
class BenchChoice:
    name: str
    family: Family
    sizes: tuple[int, int]  # (a, b) of FG-a-PG-b, or (N, K) of N-way K~2K shot
    epochs: int | None  # published epochs per step (CL-NER)
    lr: float  # the lab's default learning rate for it
    episodes: int | None  # published meta-training episodes (iterations x episodes per batch)
    published_budget: str  # in words (the CLI's); the page words it from the fields below
    backbone: str  # the published rows'
    published_lr: tuple[float, ...]  # CL-NER: first step, later steps; few-shot: one
    iterations: int | None = None  # few-shot: updates of `episodes_per_batch` episodes each
    episodes_per_batch: int | None = None


def choices() -> list[BenchChoice]:
    out = [
        BenchChoice(p.name, "cl-ner", (p.fg, p.pg), p.epochs_per_step, CL_LR, None,
                    f"{p.epochs_per_step} epochs per step, SGD lr {p.lr_first_step:g} / "
                    f"{p.lr_later_steps:g}, {p.backbone}",
                    p.backbone, (p.lr_first_step, p.lr_later_steps))
        for p in CL_PROTOCOLS.values()
    ]  # fmt: skip
    for n, k in FEW_SHOT_SETTINGS:
        f = few_nerd_protocol(n, k, "inter")
        out.append(
            BenchChoice(f"few-shot-{n}way-{k}shot", "few-shot", (n, k), None, f.lr,
                        f.train_iterations * f.episodes_per_batch,
                        f"{f.train_iterations:,} iterations x {f.episodes_per_batch} episodes, "
                        f"lr {f.lr:g}, {f.backbone}",
                        f.backbone, (f.lr,), f.train_iterations, f.episodes_per_batch)
        )  # fmt: skip
    return out


def choice(name: str) -> BenchChoice:
    found = {c.name: c for c in choices()}
    if name not in found:
        raise ValueError(f"unknown protocol {name!r}; choose one of {', '.join(found)}")
    return found[name]


@dataclass(frozen=True)
class DataSpec:
    train: str
    dev: str | None = None
    test: str | None = None

    @classmethod
    def parse(cls, text: str) -> DataSpec:
        """TRAIN, TRAIN,TEST or TRAIN,DEV,TEST (builtin:NAME, a file or an imported dataset)."""
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not 1 <= len(parts) <= 3:
            raise ValueError("--data is TRAIN, TRAIN,TEST or TRAIN,DEV,TEST")
        if len(parts) == 2:
            return cls(parts[0], None, parts[1])
        return cls(*parts)

    def section(self) -> dict[str, str]:
        return {
            k: v for k, v in (("train", self.train), ("dev", self.dev), ("test", self.test)) if v
        }


def race_configs(
    name: str,
    data: DataSpec,
    methods: Sequence[str],
    *,
    backbone: str = "minilm-l6",
    epochs: int | None = None,
    lr: float | None = None,
    episodes: int | None = None,
    max_train_sentences: int | None = None,
    seed: int = 13,
) -> list[dict[str, Any]]:
    """One raw run config per method, on the same data, seed and budget."""
    c = choice(name)
    if not methods:
        raise ValueError("choose at least one method")
    train: dict[str, Any] = {"lr": lr or c.lr, "seed": seed}
    if c.family == "cl-ner":
        train["epochs"] = epochs or c.epochs
        tasks: dict[str, Any] = {"by": "types", "protocol": name}
        if max_train_sentences:
            tasks["max_train_sentences"] = max_train_sentences
        strategy: dict[str, Any] = {"kind": "continual", "tasks": tasks}
    else:
        n, k = c.sizes
        counts = {"train": episodes or CPU_EPISODES, "test": 100}
        strategy = {"kind": "meta", "n_way": n, "k_shot": k, "episodes": counts}
    return [
        {
            "name": f"{name}-{m}",
            "backbone": backbone,
            "data": data.section(),
            "strategy": strategy | {"method": m},
            "train": train,
        }
        for m in methods
    ]


def group_name(name: str, now: datetime | None = None) -> str:
    return f"bench-{name}-{(now or datetime.now(UTC)).strftime('%Y%m%d-%H%M%S')}"


@dataclass(frozen=True)
class RaceRun:
    """What the table needs of one run of the group (storage's row, as plain values)."""

    id: int
    method: str
    status: str
    config: Mapping[str, Any]
    summary: Mapping[str, Any]


def method_label(method: str) -> str:
    if method == "joint":
        return "joint (upper bound)"
    counterpart = COUNTERPARTS.get(method)
    return f"{method} ({counterpart}-style)" if counterpart else method


def run_protocol(run: RaceRun) -> str | None:
    """The protocol a run follows, by its config: its CL-NER stream, or its episodes."""
    strategy = run.config.get("strategy") or {}
    if strategy.get("kind") == "continual":
        return (strategy.get("tasks") or {}).get("protocol")
    if strategy.get("kind") == "meta":
        n, k = strategy.get("n_way"), strategy.get("k_shot")
        data = run.config.get("data") or {}
        setting = detect_setting(data.get("test") or data.get("train") or "")
        return f"few-nerd-{setting}-{n}way-{k}shot" if setting else f"few-shot-{n}way-{k}shot"
    return None


def _budget(run: RaceRun) -> str:
    train = run.config.get("train") or {}
    meta = run.summary.get("meta") or {}
    if meta or (run.config.get("strategy") or {}).get("kind") == "meta":
        episodes = meta.get("train_episodes", "?")
        per_batch = meta.get("episodes_per_batch", 1)
        lr = meta.get("lr") or train.get("lr")
        return f"{episodes} episodes, {per_batch} per update, lr {lr:g}"
    epochs = train.get("epochs")
    words = f"{epochs} epoch{'' if epochs == 1 else 's'} per step, lr {train.get('lr'):g}"
    cap = ((run.config.get("strategy") or {}).get("tasks") or {}).get("max_train_sentences")
    return f"{words}, at most {cap} sentences per step" if cap else words


def lab_row(run: RaceRun) -> LabRow | None:
    """The run's row in percent; None before it has the published metric."""
    protocol, backbone = run_protocol(run), str(run.config.get("backbone", "?"))
    section = run.summary.get("protocol") or {}
    meta = run.summary.get("meta") or {}
    if protocol is None or run.status not in DONE:
        return None
    if section.get("mi_f1_mean") is not None:
        values = {"mi_f1": 100 * section["mi_f1_mean"], "ma_f1": 100 * section["ma_f1_mean"]}
    elif meta.get("f1_micro") is not None:
        values = {"f1": 100 * meta["f1_micro"]}
    else:
        return None
    return LabRow(method_label(run.method), protocol, values, backbone, _budget(run))


@dataclass
class RaceTable:
    grid: Grid
    family: Family | None
    finished: int
    total: int
    waiting: list[str] = field(default_factory=list)  # methods still queued or running
    failed: list[str] = field(default_factory=list)
    curves: dict[str, list[tuple[int, float, float]]] = field(default_factory=dict)


def _published_protocols(family: Family, protocols: Sequence[str]) -> list[str]:
    """The published tables to show: the lab's protocols, and Few-NERD's INTRA and INTER
    tables beside a few-shot run on another pair of datasets."""
    out = list(dict.fromkeys(protocols))
    if family == "few-shot":
        for name in protocols:
            match = FEW_SHOT_NAME.match(name)
            if match:
                out += [f"few-nerd-{s}-{match[1]}way-{match[2]}shot" for s in ("intra", "inter")]
    return list(dict.fromkeys(out))


def race_table(runs: Sequence[RaceRun]) -> RaceTable:
    """The group's table: published rows, then one lab row per finished run."""
    kinds = {(r.config.get("strategy") or {}).get("kind") for r in runs}
    family: Family | None = "cl-ner" if "continual" in kinds else "few-shot" if kinds else None
    bench = load_benchmarks()[family or "cl-ner"]
    protocols = [p for p in (run_protocol(r) for r in runs) if p]
    tables = bench.tables_for(_published_protocols(family or "cl-ner", protocols))
    ordered = sorted(runs, key=lambda r: r.id)
    rows = [row for row in (lab_row(r) for r in ordered) if row is not None]
    out = RaceTable(build_table(tables, rows, bench), family, len(rows), len(runs))
    out.waiting = [r.method for r in ordered if r.status not in ENDED]
    out.failed = [r.method for r in ordered if r.status in ENDED - DONE]
    for r in ordered:
        steps = (r.summary.get("protocol") or {}).get("steps") or []
        if steps and r.status in DONE:
            points = [(s["step"], s["mi_f1"], s["ma_f1"]) for s in steps]
            out.curves[method_label(r.method)] = points
    return out
