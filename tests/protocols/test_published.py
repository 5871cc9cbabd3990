"""The published YAML loads and validates; the table shows it beside the lab's rows."""

from __future__ import annotations

import csv
import io

import pytest
from pydantic import ValidationError

from engine.protocols.metrics import ClSummary, Counts, FewShotSummary, MeanCI
from engine.protocols.published import (
    LabRow,
    build_table,
    cl_values,
    few_shot_values,
    load_benchmark,
    load_benchmarks,
    render,
)

# the rows issue 15 quotes
ISSUE_CL = {
    ("cl-ner-fg1-pg1", "Finetune"): (50.84, 40.64),
    ("cl-ner-fg1-pg1", "ExtendNER"): (76.36, 73.04),
    ("cl-ner-fg1-pg1", "CFNER"): (80.91, 79.11),
    ("cl-ner-fg1-pg1", "RDP"): (82.55, 80.64),
    ("cl-ner-fg1-pg1", "TBCL"): (84.27, 81.92),
    ("cl-ner-fg2-pg1", "Finetune"): (57.45, None),
    ("cl-ner-fg2-pg1", "ExtendNER"): (76.66, None),
    ("cl-ner-fg2-pg1", "TBCL"): (86.71, None),
}
ISSUE_FEW = {  # INTRA | INTER, 5-way 1~2 shot
    "ProtoBERT": (20.76, 38.83),
    "NNShot": (25.78, 47.24),
    "StructShot": (30.21, 51.88),
    "ESD": (36.08, 59.29),
    "DecomposedMetaNER": (49.48, 64.75),
}


@pytest.fixture(scope="module")
def benchmarks():
    return load_benchmarks()


def _rows(benchmark, protocol):
    (table,) = benchmark.tables_for([protocol])
    return {r.method: r for r in table.rows}


def test_the_issues_rows_are_there(benchmarks):
    cl = benchmarks["cl-ner"]
    for (protocol, method), (mi, ma) in ISSUE_CL.items():
        row = _rows(cl, protocol)[method]
        assert row.values["mi_f1"] == mi
        if ma is not None:
            assert row.values["ma_f1"] == ma
    few = benchmarks["few-shot"]
    intra, inter = (_rows(few, f"few-nerd-{s}-5way-1shot") for s in ("intra", "inter"))
    for method, (a, b) in ISSUE_FEW.items():
        assert (intra[method].values["f1"], inter[method].values["f1"]) == (a, b)


def test_every_row_names_its_source(benchmarks):
    for benchmark in benchmarks.values():
        for table in benchmark.tables:
            assert table.backbone and table.budget and table.source.paper
            for row in table.rows:
                assert (row.source or table.source).table


def test_markdown_marks_published_and_lab_rows(benchmarks):
    cl = benchmarks["cl-ner"]
    summary = ClSummary(mean_micro_f1=0.7012, mean_macro_f1=0.6549)
    lab = [LabRow("LwF", "cl-ner-fg1-pg1", cl_values(summary), "minilm-l6", "3 epochs/step")]
    text = render(build_table(cl.tables_for(["cl-ner-fg1-pg1"]), lab, cl))
    lines = text.splitlines()
    assert lines[0] == "| Method | Rows | Backbone | Budget | Mi-F1 | Ma-F1 |"
    assert (
        "| ExtendNER | published | bert-base-cased | 10 epochs per step | 76.36 | 73.04 |" in lines
    )
    assert "| LwF | this lab | minilm-l6 | 3 epochs/step | 70.12 | 65.49 |" in lines
    assert "compare orderings, not absolute values" in text


def test_two_settings_side_by_side_and_csv(benchmarks):
    cl = benchmarks["cl-ner"]
    grid = build_table(cl.tables_for(["cl-ner-fg1-pg1", "cl-ner-fg2-pg1"]), [], cl)
    assert grid.header[4:] == [
        "FG-1-PG-1 Mi-F1",
        "FG-1-PG-1 Ma-F1",
        "FG-2-PG-1 Mi-F1",
        "FG-2-PG-1 Ma-F1",
    ]
    rows = list(csv.reader(io.StringIO(render(grid, "csv"))))
    by_method = {r[0]: r for r in rows[1:]}
    assert by_method["Finetune"][4:] == ["50.84", "40.64", "57.45", "43.58"]
    assert by_method["RDP"][6:] == ["", ""]  # no FG-2-PG-1 row published
    assert grid.note is None  # nothing from the lab to warn about


def test_latex_escapes_and_shows_the_spread(benchmarks):
    few = benchmarks["few-shot"]
    pooled = FewShotSummary(Counts(1, 1, 2), MeanCI(0.3, 0.1, 10, "t"))
    values = few_shot_values(pooled)
    lab = [LabRow("my_nnshot & co", "few-nerd-inter-5way-1shot", values, "minilm-l6", "200 eps")]
    tex = render(build_table(few.tables_for(["few-nerd-inter-5way-1shot"]), lab, few), "latex")
    assert tex.startswith("\\begin{tabular}{llllr}")
    assert "StructShot & published & bert-base-uncased & 10,000 training iterations & " in tex
    assert "51.88 $\\pm$ 0.69" in tex
    assert "my\\_nnshot \\& co & this lab & minilm-l6 & 200 eps & 40.00" in tex


def test_a_dataset_pair_gets_columns_of_its_own(benchmarks):
    few = benchmarks["few-shot"]
    lab = [LabRow("NNShot", "politics -> science", {"f1": 12.5}, "minilm-l6", "cpu")]
    grid = build_table(few.tables_for(["few-nerd-inter-5way-1shot"]), lab, few)
    assert grid.header[4:] == ["INTER 5-way 1~2 shot F1", "politics -> science F1"]
    assert grid.rows[-1][4:] == ["-", "12.50"]


def test_render_rejects_an_unknown_format(benchmarks):
    with pytest.raises(ValueError, match="markdown, csv or latex"):
        render(build_table([], [], benchmarks["cl-ner"]), "html")  # type: ignore[arg-type]


GOOD_TABLE = """
family: cl-ner
metrics: {mi_f1: Mi-F1}
tables:
  - protocol: PROTOCOL
    dataset: D
    backbone: b
    budget: e
    source: {paper: p, table: t}
    rows:
      - {method: M, values: {METRIC: VALUE}}
"""


@pytest.mark.parametrize(
    ("protocol", "metric", "value", "error"),
    [
        ("cl-ner-fg1-pg1", "mi_f1", "50", None),
        ("cl-ner-fg1-pg1", "mi_f1", "150", "percentages"),
        ("cl-ner-fg1-pg1", "acc", "50", "unknown metrics"),
        ("cl-ner-fg3-pg7", "mi_f1", "50", "unknown protocol"),
    ],
)
def test_the_loader_validates(tmp_path, protocol, metric, value, error):
    path = tmp_path / "b.yaml"
    text = GOOD_TABLE.replace("PROTOCOL", protocol).replace("METRIC", metric)
    path.write_text(text.replace("VALUE", value))
    if error is None:
        assert load_benchmark(path).tables[0].rows[0].values == {"mi_f1": 50.0}
    else:
        with pytest.raises(ValidationError, match=error):
            load_benchmark(path)
