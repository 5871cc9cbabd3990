"""Fixtures for the dashboard tests: an isolated lab, engine.api patched, and a populated DB.

AppTest runs the page scripts in this process, so patching attributes of the engine.api
module (which the pages call as `jobs.submit(...)`) captures what they would launch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from engine import api as jobs
from engine.config import parse_config
from storage import continual as continual_store
from storage import runs
from storage.db import write_session
from storage.models import RunStatus

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"
TIMEOUT = 30
PAGES = (
    "views/home.py",
    "views/data.py",
    "views/train.py",
    "views/runs.py",
    "views/forgetting.py",
    "views/compare.py",
    "views/meta.py",
    "views/benchmarks.py",
)


@dataclass
class FakeJobs:
    """What the pages asked engine.api to do."""

    submitted: list[Any] = field(default_factory=list)
    submit_kwargs: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    next_id: int = 1000

    def submit(self, config: Any, **kwargs: Any) -> int:
        self.submitted.append(config)
        self.submit_kwargs.append(kwargs)
        self.next_id += 1
        return self.next_id

    def cancel(self, run_id: int, **kwargs: Any) -> bool:
        self.cancelled.append(run_id)
        return True


@pytest.fixture
def fake_jobs(lab: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJobs]:
    fake = FakeJobs()
    monkeypatch.setattr(jobs, "submit", fake.submit)
    monkeypatch.setattr(jobs, "cancel", fake.cancel)
    monkeypatch.setattr(jobs, "reconcile", lambda: None)
    monkeypatch.setattr(jobs, "log_tail", lambda run_id, lines=200: f"log of run {run_id}\ndone")
    monkeypatch.setattr(
        jobs,
        "machine_info",
        lambda: {"cpu_count": 2, "memory_gb": 7.8, "gpus": [], "max_jobs": 1},
    )
    monkeypatch.setattr(jobs, "max_concurrent_jobs", lambda: 1)
    st.cache_data.clear()
    yield fake
    st.cache_data.clear()


def open_page(page: str, *, lang: str | None = None, **query: str) -> AppTest:
    """The app, switched to `page` (a path like views/runs.py), after one run; opened with
    ?lang=`lang` when given (the language is chosen on the app's first run)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if lang is not None:
        at.query_params["lang"] = lang
    at.run()
    at.switch_page(page)
    at.query_params.update(query)
    return at.run()


def ok(at: AppTest) -> AppTest:
    """`at`, once it is checked to show no exception and no st.error."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def click(at: AppTest, key: str) -> AppTest:
    """Click the button `key` and rerun; the script must raise nothing."""
    at.button(key=key).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart(at: AppTest, key: str) -> dict:
    """The Plotly figure (as JSON) of the one chart whose element id holds `key`."""
    (spec,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id]
    return spec


def widget_keys(at: AppTest, prefix: str) -> set[str]:
    """Keys of the inputs on the page (numbers, radios, checkboxes, texts, selects) that start
    with `prefix`."""
    widgets = [*at.number_input, *at.radio, *at.checkbox, *at.text_input, *at.selectbox]
    return {str(w.key) for w in widgets if str(w.key).startswith(prefix)}


@dataclass
class Populated:
    succeeded: int
    running: int
    failed: int
    checkpoint: Path


def _config(**train: Any) -> dict[str, Any]:
    raw = {"name": "news", "data": {"train": "builtin:news"}, "backbone": "tiny", "train": train}
    return parse_config(raw).to_dict()


@pytest.fixture
def populated(fake_jobs: FakeJobs, lab: Path) -> Populated:
    """A SUCCEEDED run with curves, evaluations and a checkpoint; a RUNNING and a FAILED one."""
    checkpoint = lab / "runs" / "1" / "checkpoint"
    checkpoint.mkdir(parents=True)
    (checkpoint / "config.json").write_text('{"model_type": "bert"}')
    t0 = time.time() - 100
    per_type = {
        "PER": {"precision": 0.9, "recall": 0.8, "f1": 0.847, "support": 40},
        "LOC": {"precision": 0.5, "recall": 0.25, "f1": 0.333, "support": 12},
    }
    overall = {"precision": 0.8, "recall": 0.7, "f1": 0.747, "support": 52}
    with write_session() as s:
        ok = runs.create_run(
            s, name="news-full", kind="finetune", method="full", config=_config(lr=1e-4)
        )
        runs.mark_running(s, ok, pid=1, device="cpu")
        points = [(i, "train_loss", 2.0 / i, None, t0 + i) for i in range(1, 41)]
        points += [(20, "dev_f1", 0.5, None, t0 + 20), (40, "dev_f1", 0.7, None, t0 + 40)]
        runs.add_metric_points(s, ok, points)
        runs.add_evaluation(
            s, ok, split="dev", stage="epoch-1", overall=overall, per_type=per_type, step=20
        )
        runs.add_evaluation(
            s, ok, split="test", stage="final", overall=overall, per_type=per_type, step=40
        )
        runs.add_artifact(s, ok, kind="checkpoint", path=str(checkpoint), stage="best")
        confusion = {"labels": ["LOC", "PER", "O"], "matrix": [[3, 1, 0], [0, 9, 2], [1, 0, 50]]}
        continual_store.add_record(s, ok, kind="confusion", stage="final", payload=confusion)
        runs.update_summary(
            s,
            ok,
            {
                "dev_f1": 0.7,
                "test_f1": 0.747,
                "train_tokens_per_s": 9000.0,
                "train_seconds": 12.5,
                "steps": 40,
                "checkpoint": str(checkpoint),
            },
        )
        runs.transition(s, ok, RunStatus.SUCCEEDED)

        running = runs.create_run(
            s, name="news-lr", kind="finetune", method="full", config=_config(lr=3e-3, epochs=5)
        )
        runs.mark_running(s, running, pid=2, device="cpu")
        runs.add_metric_points(s, running, [(i, "train_loss", 3.0 / i, None) for i in range(1, 6)])

        failed = runs.create_run(s, name="broken", kind="finetune", method="lora", config=_config())
        runs.transition(s, failed, RunStatus.FAILED, error="DataError: train.txt:3: bad tag")
    return Populated(ok, running, failed, checkpoint)
