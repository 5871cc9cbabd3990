"""Benchmark: dashboard speed on a big lab database.

Builds a database of 200 runs and 1,000,000 metric points (in a temporary LAB_HOME), then:
- renders every page with AppTest (first render and median of 3) and the biggest run's page,
- times the run page's curve query (downsampled series) on a 50,000-point series,
- measures submit-to-first-metric of a real tiny job through engine.api (CPU).

    .venv/bin/python bench/dashboard.py [--runs 200] [--points 1000000] [--skip-job]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PAGES = ("views/home.py", "views/data.py", "views/train.py", "views/runs.py", "views/compare.py")


def populate(n_runs: int, n_points: int) -> int:
    from storage import runs
    from storage.db import write_session
    from storage.models import RunStatus

    per_run = n_points // n_runs
    big = None
    for r in range(n_runs):
        with write_session() as s:
            rid = runs.create_run(
                s,
                name=f"run-{r}",
                kind="finetune",
                method="full",
                config={"name": f"run-{r}", "train": {"lr": 1e-4 * (1 + r % 5)}},
            )
            runs.mark_running(s, rid, pid=1, device="cpu")
            points = [(i, "train_loss", 2.0 / (1 + i), None) for i in range(per_run - 10)]
            points += [(i * 100, "dev_f1", i / 10, None) for i in range(10)]
            runs.add_metric_points(s, rid, points)
            per_type = {"PER": {"precision": 0.8, "recall": 0.7, "f1": 0.75, "support": 10}}
            overall = {"precision": 0.8, "recall": 0.7, "f1": 0.75, "support": 10}
            runs.add_evaluation(
                s, rid, split="test", stage="final", overall=overall, per_type=per_type
            )
            runs.update_summary(s, rid, {"dev_f1": 0.7, "test_f1": 0.75})
            runs.transition(s, rid, RunStatus.SUCCEEDED)
            big = rid
    return big


def long_run(n_points: int) -> int:
    """One run with a very long loss curve (the worst case for the curve query)."""
    from storage import runs
    from storage.db import write_session

    with write_session() as s:
        rid = runs.create_run(s, name="long", kind="finetune", method="full", config={})
        runs.add_metric_points(
            s, rid, [(i, "train_loss", 1.0 / (1 + i), None) for i in range(n_points)]
        )
    return rid


def render_times(big_run: int) -> dict[str, dict[str, float]]:
    """First render (cold caches) and median of three, per page; raises on a page exception."""
    from streamlit.testing.v1 import AppTest

    out = {}
    for page in PAGES + ("run-page",):
        samples = []
        for _ in range(3):
            at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
            at.run()
            target = "views/runs.py" if page == "run-page" else page
            at.switch_page(target)
            if page == "run-page":
                at.query_params["run"] = str(big_run)
            started = time.perf_counter()
            at.run()
            samples.append(time.perf_counter() - started)
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].message}")
        out[page] = {"first": samples[0], "median": statistics.median(samples)}
    return out


def curve_query_ms(run_id: int) -> float:
    from storage import queries
    from storage.db import read_session

    samples = []
    for _ in range(5):
        started = time.perf_counter()
        with read_session() as s:
            series = queries.metric_series(s, run_id, "train_loss", max_points=2000)
        samples.append(time.perf_counter() - started)
    assert len(series) <= 2000
    return statistics.median(samples) * 1000


def submit_to_first_metric() -> float:
    from engine import api as jobs
    from engine.config import load_config
    from storage import queries
    from storage.db import read_session

    cfg = load_config(REPO / "examples" / "tiny_quick.yaml", ["train.log_every=1"])
    started = time.perf_counter()
    run_id = jobs.submit(cfg)
    while time.perf_counter() - started < 120:
        with read_session() as s:
            if queries.metric_series(s, run_id, "train_loss", max_points=10):
                elapsed = time.perf_counter() - started
                jobs.cancel(run_id, wait=True)
                return elapsed
        time.sleep(0.2)
    raise TimeoutError("no metric within 120 s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--skip-job", action="store_true")
    args = p.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench_dashboard_"))
    os.environ["LAB_HOME"] = str(home)
    os.environ["LAB_DB_URL"] = f"sqlite:///{home / 'lab.db'}"
    os.environ["LAB_MAX_JOBS"] = "1"
    started = time.perf_counter()
    big = populate(args.runs, args.points)
    result = {
        "populate_s": round(time.perf_counter() - started, 1),
        "runs": args.runs,
        "points": args.points,
    }
    result["render_s"] = {
        page: {k: round(v, 3) for k, v in times.items()}
        for page, times in render_times(big).items()
    }
    result["curve_query_ms"] = round(curve_query_ms(big), 1)
    result["curve_query_ms_200k_point_run"] = round(curve_query_ms(long_run(200_000)), 1)
    if not args.skip_job:
        result["submit_to_first_metric_s"] = round(submit_to_first_metric(), 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
