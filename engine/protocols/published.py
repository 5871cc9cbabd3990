"""Published rows as data (benchmarks/*.yaml) and the paper-layout table beside the lab's rows.

Each YAML file is one family (cl-ner, few-shot): its metrics (key -> column label) and tables,
one per protocol, whose rows name a method, its values in percent (as papers print them),
optionally the printed standard deviation, and where the numbers come from (paper, table,
backbone, budget; `checked` says whether they were compared with that source). A row may
override its table's backbone, budget and source. Keys starting with "x-" hold YAML anchors.

`build_table` puts published rows and the lab's own rows (`LabRow`, percent too) in one grid:
Method | Rows ("published" or "this lab") | Backbone | Budget | one column per protocol and
metric; `render` writes it as Markdown, CSV or LaTeX. The Markdown adds a note when the lab's
backbone or budget differs from the published ones: compare orderings, not absolute values.

    published = load_benchmarks()["cl-ner"]
    lab = [LabRow("LwF", "cl-ner-fg1-pg1", cl_values(summary), "minilm-l6", "3 epochs/step")]
    print(render(build_table(published.tables_for(["cl-ner-fg1-pg1"]), lab, published)))
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.protocols.cl_ner import PROTOCOLS as CL_PROTOCOLS
from engine.protocols.metrics import ClSummary, FewShotSummary

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
FEW_SHOT_NAME = re.compile(r"^few-(nerd-(intra|inter)|shot)-\d+way-\d+shot$")


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paper: str
    table: str
    url: str | None = None
    checked: bool = False


class PublishedRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str
    values: dict[str, float]
    std: dict[str, float] = Field(default_factory=dict)
    backbone: str | None = None
    budget: str | None = None
    source: Source | None = None

    @field_validator("values", "std")
    @classmethod
    def _percent(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not 0.0 <= x <= 100.0}
        if bad:
            raise ValueError(f"values are percentages in [0, 100]: {bad}")
        return v


class PublishedTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: str
    dataset: str
    setting: str | None = None
    backbone: str
    budget: str
    source: Source
    rows: list[PublishedRow]

    @field_validator("protocol")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in CL_PROTOCOLS and not FEW_SHOT_NAME.match(name):
            raise ValueError(f"unknown protocol {name!r}")
        return name


class BenchmarkFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    family: Literal["cl-ner", "few-shot"]
    metrics: dict[str, str]  # key -> column label
    tables: list[PublishedTable]

    @model_validator(mode="after")
    def _metrics_known(self) -> BenchmarkFile:
        for table in self.tables:
            for row in table.rows:
                unknown = (set(row.values) | set(row.std)) - set(self.metrics)
                if unknown:
                    raise ValueError(f"{table.protocol} {row.method}: unknown metrics {unknown}")
        return self

    def tables_for(self, protocols: Sequence[str]) -> list[PublishedTable]:
        by_name = {t.protocol: t for t in self.tables}
        return [by_name[p] for p in protocols if p in by_name]


def load_benchmark(path: str | Path) -> BenchmarkFile:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return BenchmarkFile.model_validate({k: v for k, v in raw.items() if not k.startswith("x-")})


def load_benchmarks(folder: str | Path = BENCHMARKS) -> dict[str, BenchmarkFile]:
    """Every benchmarks/*.yaml, by family; pydantic's ValidationError names a bad entry."""
    files = [load_benchmark(p) for p in sorted(Path(folder).glob("*.yaml"))]
    return {f.family: f for f in files}


@dataclass(frozen=True)
class LabRow:
    method: str
    protocol: str
    values: dict[str, float]  # percent, keyed like the benchmark file's metrics
    backbone: str
    budget: str


def cl_values(summary: ClSummary) -> dict[str, float]:
    return {"mi_f1": 100 * summary.mean_micro_f1, "ma_f1": 100 * summary.mean_macro_f1}


def few_shot_values(summary: FewShotSummary) -> dict[str, float]:
    return {"f1": 100 * summary.pooled_f1}


@dataclass
class Grid:
    header: list[str]
    rows: list[list[str]]  # cells as text; numbers with two decimals, "-" where absent
    numbers: list[list[str]] = field(default_factory=list)  # for CSV: no "± std", "" if absent
    note: str | None = None


def _label(group: str, metric: str, many: bool) -> str:
    return f"{group} {metric}" if many else metric


def build_table(
    tables: Sequence[PublishedTable], lab: Sequence[LabRow], benchmark: BenchmarkFile
) -> Grid:
    """Published rows of `tables` then the lab's rows, one column per (protocol, metric); a lab
    protocol without a published table (a dataset pair) gets columns of its own."""
    groups = {t.protocol: t.setting or t.protocol for t in tables}
    groups.update({r.protocol: r.protocol for r in lab if r.protocol not in groups})
    columns = [(p, m) for p in groups for m in benchmark.metrics]
    header = ["Method", "Rows", "Backbone", "Budget"]
    header += [_label(groups[p], benchmark.metrics[m], len(groups) > 1) for p, m in columns]
    keyed: dict[tuple[str, str, str, str], dict[tuple[str, str], tuple[float, float | None]]] = {}
    for t in tables:
        for r in t.rows:
            key = (r.method, "published", r.backbone or t.backbone, r.budget or t.budget)
            for m, v in r.values.items():
                keyed.setdefault(key, {})[(t.protocol, m)] = (v, r.std.get(m))
    for r in lab:
        cells = keyed.setdefault((r.method, "this lab", r.backbone, r.budget), {})
        cells.update({(r.protocol, m): (v, None) for m, v in r.values.items()})
    grid = Grid(header, [])
    for key, cells in keyed.items():
        cols = [cells.get(c) for c in columns]
        grid.rows.append([*key, *(_cell(c, True) for c in cols)])
        grid.numbers.append([*key, *(_cell(c, False) if c else "" for c in cols)])
    grid.note = _budget_note(keyed)
    return grid


def _cell(value: tuple[float, float | None] | None, with_std: bool) -> str:
    if value is None:
        return "-"
    v, std = value
    return f"{v:.2f} ± {std:.2f}" if with_std and std is not None else f"{v:.2f}"


def _budget_note(keyed: dict[tuple[str, str, str, str], object]) -> str | None:
    published = {(b, g) for (_, kind, b, g) in keyed if kind == "published"}
    ours = {(b, g) for (_, kind, b, g) in keyed if kind == "this lab"}
    if not ours or not published or ours <= published:
        return None
    mine, theirs = (", ".join(sorted({b for b, _ in rows})) for rows in (ours, published))
    return (
        f"The lab's rows use another backbone or budget than the published ones ({mine} vs "
        f"{theirs}): compare orderings, not absolute values."
    )


def to_markdown(grid: Grid) -> str:
    lines = ["| " + " | ".join(grid.header) + " |"]
    lines.append("|" + "|".join(["---"] * 4 + ["---:"] * (len(grid.header) - 4)) + "|")
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in grid.rows]
    if grid.note:
        lines += ["", grid.note]
    return "\n".join(lines) + "\n"


def to_csv(grid: Grid) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(grid.header)
    writer.writerows(grid.numbers)
    return out.getvalue()


_LATEX = {"&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "~": r"\textasciitilde{}", "±": r"$\pm$"}


def _tex(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


def to_latex(grid: Grid) -> str:
    spec = "llll" + "r" * (len(grid.header) - 4)
    lines = [f"\\begin{{tabular}}{{{spec}}}", "\\toprule"]
    lines.append(" & ".join(_tex(h) for h in grid.header) + r" \\")
    lines.append("\\midrule")
    lines += [" & ".join(_tex(c) for c in row) + r" \\" for row in grid.rows]
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def render(grid: Grid, fmt: Literal["markdown", "csv", "latex"] = "markdown") -> str:
    writers = {"markdown": to_markdown, "csv": to_csv, "latex": to_latex}
    if fmt not in writers:
        raise ValueError(f"format {fmt!r}: use markdown, csv or latex")
    return writers[fmt](grid)
