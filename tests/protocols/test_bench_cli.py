"""`python -m engine bench`: the race's configs, `--table` on a stored race (published rows
beside the lab's, in three formats), and a real tiny race run with `--run`."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.config import parse_config
from engine.data.sources import load_source
from engine.protocols.race import DataSpec, RaceRun, _budget, choice, race_configs, race_table

from .race_data import GROUP, store_race


def test_race_configs_are_valid_runs_of_one_protocol():
    raw = race_configs(
        "cl-ner-fg2-pg1",
        DataSpec.parse("train.txt,dev.txt,test.txt"),
        ["naive", "lwf", "pseudo_label", "pseudo_lwf", "joint"],
        epochs=3,
        lr=5e-5,
    )
    configs = [parse_config(r) for r in raw]
    assert [c.strategy.method for c in configs] == [
        "naive",
        "lwf",
        "pseudo_label",
        "pseudo_lwf",
        "joint",
    ]
    first = configs[0]
    assert (
        first.strategy.tasks.protocol == "cl-ner-fg2-pg1" and first.strategy.tasks.first_types == 2
    )
    assert (first.data.train, first.data.dev, first.data.test) == (
        "train.txt",
        "dev.txt",
        "test.txt",
    )
    assert (first.train.epochs, first.train.lr, first.backbone) == (3, 5e-5, "minilm-l6")
    defaults = parse_config(race_configs("cl-ner-fg1-pg1", DataSpec("builtin:news"), ["lwf"])[0])
    assert defaults.train.epochs == choice("cl-ner-fg1-pg1").epochs == 10  # published
    meta = parse_config(race_configs("few-shot-5way-1shot", DataSpec.parse("a,b"), ["nnshot"])[0])
    assert (meta.strategy.kind, meta.strategy.n_way, meta.strategy.k_shot) == ("meta", 5, 1)
    assert (meta.data.train, meta.data.test, meta.train.lr) == ("a", "b", 1e-4)
    with pytest.raises(ValueError):
        DataSpec.parse("a,b,c,d")


def test_a_capped_race_says_its_cap_in_the_budget_column():
    # A 300-sentence step is a budget, like the epochs: a reader must not take it for full data.
    config = {"train": {"epochs": 3, "lr": 1e-4}, "strategy": {"kind": "continual"}}
    capped = {**config, "strategy": {"kind": "continual", "tasks": {"max_train_sentences": 300}}}
    assert _budget(RaceRun(1, "naive", "SUCCEEDED", config, {})) == "3 epochs per step, lr 0.0001"
    assert _budget(RaceRun(2, "naive", "SUCCEEDED", capped, {})) == (
        "3 epochs per step, lr 0.0001, at most 300 sentences per step"
    )


def test_bench_table_prints_the_published_rows_beside_the_lab_rows(lab, capsys):
    store_race()
    assert main(["bench", "--table", GROUP]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "| Method | Rows | Backbone | Budget | Mi-F1 | Ma-F1 |"
    assert (
        "| ExtendNER | published | bert-base-cased | 10 epochs per step | 76.36 | 73.04 |" in lines
    )
    assert (
        "| naive (Finetune-style) | this lab | tiny | 1 epoch per step, lr 0.003 | 30.00 | 25.00 |"
        in lines
    )
    assert (
        "| lwf (ExtendNER-style) | this lab | tiny | 1 epoch per step, lr 0.003 | 60.00 | 55.00 |"
        in lines
    )
    assert not any("pseudo_label" in line for line in lines)  # still running: not a row yet
    assert "compare orderings, not absolute values" in out
    assert "2 of 3 runs in the table; 1 still to finish (pseudo_label)" in err

    assert main(["bench", "--table", GROUP, "--format", "csv"]) == 0
    csv_lines = capsys.readouterr().out.splitlines()
    assert "ExtendNER,published,bert-base-cased,10 epochs per step,76.36,73.04" in csv_lines
    assert main(["bench", "--table", GROUP, "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    assert latex.startswith("\\begin{tabular}{llllrr}") and "ExtendNER & published" in latex

    assert main(["bench", "--table", "no-such-group"]) == 1
    assert main(["bench", "cl-ner-fg1-pg1"]) == 2  # launching needs --data
    assert main(["list"]) == 0  # the other commands still work


def test_a_few_shot_row_sits_beside_few_nerds_intra_and_inter_rows():
    config = parse_config(
        race_configs("few-shot-5way-1shot", DataSpec.parse("a,b"), ["structshot"])[0]
    ).to_dict()
    summary = {
        "meta": {"f1_micro": 0.4123, "train_episodes": 200, "episodes_per_batch": 1, "lr": 1e-4}
    }
    table = race_table([RaceRun(7, "structshot", "SUCCEEDED", config, summary)])
    header, rows = table.grid.header, {r[0]: r for r in table.grid.rows}
    # Few-NERD's tables first, then the lab's pair (no published table of its own)
    assert header[4:] == [
        "INTRA 5-way 1~2 shot F1",
        "INTER 5-way 1~2 shot F1",
        "few-shot-5way-1shot F1",
    ]
    assert rows["StructShot"][4:] == ["30.21 ± 0.90", "51.88 ± 0.69", "-"]
    lab_row = rows["structshot (StructShot-style)"]
    budget = "200 episodes, 1 per update, lr 0.0001"
    assert lab_row[1:] == ["this lab", "minilm-l6", budget, "-", "-", "41.23"]


def write_conll(path: Path, sentences) -> str:
    lines = []
    for s in sentences:
        lines += [f"{w} {t}" for w, t in zip(s.tokens, s.tags, strict=True)] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_a_tiny_race_runs_here_and_its_table_has_both_rows(lab, tmp_path, capsys):
    """Two types (LOC, PER) of the built-in news corpus, two methods, one epoch per step."""

    def two_types(split: str, n: int) -> list:
        keep = {"LOC", "PER"}
        out = []
        for s in load_source("builtin:news", split).sentences[:n]:
            tags = tuple(t if t == "O" or t[2:] in keep else "O" for t in s.tags)
            out.append(type(s)(s.tokens, tags, s.line))
        return out

    train = write_conll(tmp_path / "train.conll", two_types("train", 160))
    test = write_conll(tmp_path / "test.conll", two_types("test", 60))
    args = ["bench", "cl-ner-fg1-pg1", "--data", f"{train},{test}", "--methods", "naive,lwf",
            "--backbone", "tiny", "--epochs", "1", "--lr", "3e-3", "--run"]  # fmt: skip
    assert main(args) == 0
    group = capsys.readouterr().out.strip().splitlines()[-1].removeprefix("group=")
    assert main(["bench", "--table", group]) == 0
    out, err = capsys.readouterr()
    assert (
        "| ExtendNER | published |" in out and "| naive (Finetune-style) | this lab | tiny |" in out
    )
    assert "| lwf (ExtendNER-style) | this lab | tiny | 1 epoch per step, lr 0.003 |" in out
    assert "2 of 2 runs in the table" in err
