"""The raw run configs the engine tests build again and again on the tiny backbone, and a run of
one through the CLI (torch-free to import; tests/engine/tiny_training.py holds the loops).

    raw = tiny_config("cl", strategy=per_then_loc("naive", 24), train={"epochs": 1})
    run_id = run_through_cli(raw, tmp_path, capsys)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab_runs import last_run_id


def tiny_config(name: str | None = None, *, train: dict | None = None, **sections: Any) -> dict:
    """A raw run config: the tiny backbone on builtin:news, trained on the CPU. `train` is
    merged into {"device": "cpu"}; any other section (data, strategy, mapping) is given whole."""
    raw = {"backbone": "tiny", "data": {"train": "builtin:news"}, **sections}
    raw["train"] = {"device": "cpu", **(train or {})}
    return raw if name is None else {"name": name, **raw}


def per_then_loc(method: str, sentences: int, **strategy: Any) -> dict:
    """A continual strategy section: PER is the first task, LOC the second, `sentences`
    training sentences each."""
    tasks = {"order": [["PER"], ["LOC"]], "max_train_sentences": sentences}
    return {"kind": "continual", "method": method, "tasks": tasks, **strategy}


def run_through_cli(config: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> int:
    """`python -m engine run CONFIG.yaml --quiet` in this process; the new run's id."""
    from engine.cli import main

    path = tmp_path / f"{config.get('name', 'run')}.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert main(["run", str(path), "--quiet"]) == 0
    return last_run_id(capsys.readouterr().out)
