"""A benchmark race stored in the test's database, as finished runs leave it (no training):
the CLI's `bench --table` test and the Benchmarks page test share it."""

from __future__ import annotations

from typing import Any

from engine.config import parse_config
from engine.protocols.race import DataSpec, race_configs
from storage import runs
from storage.db import write_session
from storage.models import RunStatus

GROUP = "bench-cl-ner-fg1-pg1-test"
# (method, Mi-F1 per step, Ma-F1 per step): means naive 30.00 / 25.00, lwf 60.00 / 55.00
STEPS = {
    "naive": ([0.5, 0.1], [0.5, 0.0]),
    "lwf": ([0.6, 0.6], [0.6, 0.5]),
}


def protocol_section(mi: list[float], ma: list[float]) -> dict[str, Any]:
    types = [["LOC"], ["LOC", "PER"]]
    steps = [
        {"step": i, "seen_types": types[i], "mi_f1": a, "ma_f1": b}
        for i, (a, b) in enumerate(zip(mi, ma, strict=True))
    ]
    return {
        "name": "cl-ner-fg1-pg1",
        "version": 1,
        "family": "cl-ner",
        "steps": steps,
        "mi_f1_mean": sum(mi) / len(mi),
        "ma_f1_mean": sum(ma) / len(ma),
    }


def store_race(running: tuple[str, ...] = ("pseudo_label",), group: str = GROUP) -> list[int]:
    """naive and lwf SUCCEEDED with their protocol sections, `running` methods still RUNNING."""
    methods = [*STEPS, *running]
    configs = race_configs(
        "cl-ner-fg1-pg1", DataSpec("builtin:news"), methods, backbone="tiny", epochs=1, lr=3e-3
    )
    ids = []
    with write_session() as s:
        for method, raw in zip(methods, configs, strict=True):
            cfg = parse_config(raw).to_dict()
            run_id = runs.create_run(
                s, name=raw["name"], kind="continual", method=method, config=cfg, group_name=group
            )
            runs.mark_running(s, run_id, pid=1, device="cpu")
            if method in STEPS:
                runs.update_summary(s, run_id, {"protocol": protocol_section(*STEPS[method])})
                runs.transition(s, run_id, RunStatus.SUCCEEDED)
            ids.append(run_id)
    return ids
