"""examples/finetune_minimal.py, the one readable path through the engine, keeps working and
keeps learning: two epochs of the tiny model beat chance on the test split."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "finetune_minimal.py"


@pytest.mark.slow
def test_the_minimal_example_trains_and_reports(capsys):
    spec = importlib.util.spec_from_file_location("finetune_minimal", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    f1 = module.main("tiny", 2)
    out = capsys.readouterr().out
    first, last = (float(x) for x in out.split("train loss ")[1].split(" over")[0].split(" -> "))
    assert last < first / 2  # the loop moved the mapping
    assert f1 > 0.15 and "test F1" in out and "PER" in out
