"""Time every lesson preset (engine/lessons/presets.py) alone, one after another, and measure its
effect.

Each run step is started the way the Lessons page starts it: `engine.api.submit` of every
preset under one group, one background job at a time (LAB_MAX_JOBS=1, as on a CPU laptop), so
the seconds include each worker's start (Python + torch import) and the wait between the runs
of a race. A paced run (lesson 2) is allowed every task up front. `--in-process` runs the
presets in this process instead (no worker start). Prints a Markdown table: lesson, step,
backbone, wall seconds, the load average when the step started, and the effect the lesson
claims, measured, with its 95% interval and whether the effect is at least twice its half-width
(engine.lessons.margin: the numbers the page's "the effect is small here" line uses). On a
shared, busy machine pass `--threads 1`: two torch threads on two busy cores spin on each other
and run these small models several times slower than one.

    LAB_HOME=/tmp/lessons nice -n 10 .venv/bin/python bench/lessons.py [--only mapping,dapt]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def summaries(run_ids: list[int]) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, status, summary) of each run, in order."""
    from storage import queries
    from storage.db import read_session

    with read_session() as s:
        rows = [queries.get_run(s, run_id) for run_id in run_ids]
    return [(r.name, str(r.status), r.summary) for r in rows if r is not None]


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def effect(lesson_id: str, step_id: str, runs: list[tuple[str, str, dict[str, Any]]]) -> str:
    """The number the lesson's "what to notice" talks about, for each run of the step."""
    parts = []
    for name, status, summary in runs:
        label = name.removeprefix("lesson-")
        if status != "SUCCEEDED":
            parts.append(f"{label}: {status}")
        elif lesson_id == "mapping":
            sil = (summary.get("mapping") or {}).get("silhouette") or {}
            parts.append(
                f"test F1 {fmt(summary.get('test_f1'))}; silhouette by type "
                f"{fmt(sil.get('initial'))} -> {fmt(sil.get('final'))}"
            )
        elif lesson_id in ("forgetting", "rescue"):
            stats = summary.get("continual") or {}
            matrix = stats.get("matrix") or [[None]]
            per = f"PER {fmt(matrix[0][0])} -> {fmt(matrix[-1][0])}"
            scores = f"BWT {fmt(stats.get('bwt'))}, ACC {fmt(stats.get('acc'))}"
            parts.append(f"{label}: {scores}, {per}")
        elif lesson_id == "meta":
            meta = summary.get("meta") or {}
            parts.append(f"{label}: F1 {fmt(meta.get('f1_mean'))} ± {fmt(meta.get('f1_ci95'))}")
        elif step_id == "pretrain":
            parts.append(
                f"held-out perplexity {fmt(summary.get('initial_heldout_perplexity'))} -> "
                f"{fmt(summary.get('heldout_perplexity'))}"
            )
        else:
            parts.append(f"{label}: test F1 {fmt(summary.get('test_f1'))}")
    return "; ".join(parts)


def entities_per_task(session: Any, run_id: int) -> dict[int | None, int]:
    from storage import queries

    return {e.task: e.support for e in queries.evaluations(session, run_id, split="test")}


def margins(lesson_id: str, runs: list[tuple[int, str, dict[str, Any]]]) -> str:
    """The lesson's effect with its 95% half-width (engine.lessons.margin, as the page shows
    it) and whether it is at least twice that: `clear` or `small`."""
    from engine.lessons import margin
    from storage import continual
    from storage.db import read_session

    ok = {name: (run_id, s) for run_id, name, s in runs}
    found: dict[str, margin.Margin] = {}
    with read_session() as session:
        if lesson_id == "meta" and len(ok) == 2:
            (a, _), (b, _) = ok.values()
            f1s = [
                {
                    r.payload["episode"]: r.payload["f1"]
                    for r in continual.records(session, i, "meta_episode")
                }
                for i in (a, b)
            ]
            shared = sorted(set(f1s[0]) & set(f1s[1]))
            if shared:
                found["protonet - baseline"] = margin.paired(
                    [f1s[0][i] for i in shared], [f1s[1][i] for i in shared]
                )
        elif lesson_id == "dapt" and {"lesson-dapt-with", "lesson-dapt-without"} <= set(ok):
            (_, pre), (scratch_id, scratch) = ok["lesson-dapt-with"], ok["lesson-dapt-without"]
            n = entities_per_task(session, scratch_id).get(None, 0)
            if n:
                found["with - without"] = margin.f1_difference(
                    pre["test_f1"], scratch["test_f1"], n
                )
        elif lesson_id == "rescue" and "lesson-rescue-naive" in ok:
            naive_id, naive = ok.pop("lesson-rescue-naive")
            base = naive["continual"]["matrix"]
            counts = entities_per_task(session, naive_id)
            for name, (_, s) in ok.items():
                label = name.removeprefix("lesson-rescue-") + " - naive BWT"
                entities = [counts.get(j, 0) for j in range(len(base))]
                found[label] = margin.bwt_difference(s["continual"]["matrix"], base, entities)
    return "; ".join(
        f"{label} {m.effect:+.3f} ± {fmt(m.half)} ({'clear' if m.clear else 'small'})"
        for label, m in found.items()
    )


def run_step_in_jobs(configs: list[Any], group: str, paced: bool) -> list[int]:
    from engine import api as jobs
    from storage.models import TERMINAL_STATES

    ids = [jobs.submit(cfg, group_name=group) for cfg in configs]
    if paced:
        for run_id in ids:
            jobs.allow_next_task(run_id, 10_000)
    while True:
        jobs.reconcile()
        runs = summaries(ids)
        if all(status in {str(s) for s in TERMINAL_STATES} for _, status, _ in runs):
            return ids
        time.sleep(0.5)


def run_step_in_process(configs: list[Any], group: str) -> list[int]:
    from engine.jobs.runner import RunFailed, create_run_record, execute_run
    from engine.jobs.task_gate import allow_next_task

    ids = []
    for cfg in configs:
        run_id = create_run_record(cfg, group_name=group, claim_pid=os.getpid())
        allow_next_task(run_id, 10_000)  # a paced run: every task up front
        ids.append(run_id)
        try:
            execute_run(run_id, progress=False)
        except RunFailed as err:
            print(f"run {run_id} failed: {err}", file=sys.stderr)
    return ids


def main() -> None:
    from engine.lessons import presets as lessons

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="", help="comma-separated lesson ids (default: all)")
    p.add_argument("--in-process", action="store_true", help="no background workers")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads per run (OMP_NUM_THREADS); on a loaded machine 1 avoids threads "
        "spinning on each other, so CPU seconds then estimate an idle single core",
    )
    args = p.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the workers inherit it
    os.environ.setdefault("LAB_HOME", tempfile.mkdtemp(prefix="lessons-bench-"))
    os.environ["LAB_MAX_JOBS"] = "1"
    wanted = [x for x in args.only.split(",") if x] or [x.id for x in lessons.LESSONS]
    print(f"LAB_HOME={os.environ['LAB_HOME']}, {os.cpu_count()} CPUs", file=sys.stderr)
    rows = []
    for lesson_id in wanted:
        earlier: dict[str, int] = {}
        for step in lessons.lesson(lesson_id).run_steps:
            assert step.run is not None
            backbone_run = earlier.get(step.run.backbone_from or "")
            configs = lessons.step_configs(lesson_id, step.id, backbone_run)
            group = lessons.new_group(lesson_id, step.id)
            started, load = time.perf_counter(), os.getloadavg()[0]
            if args.in_process:
                ids = run_step_in_process(configs, group)
            else:
                ids = run_step_in_jobs(configs, group, step.run.paced)
            wall = time.perf_counter() - started
            earlier[step.id] = ids[0]
            runs = summaries(ids)
            backbones = sorted({c.backbone.split(":")[0] for c in configs})
            measured = effect(lesson_id, step.id, runs)
            done = [(i, name, summary) for i, (name, status, summary) in zip(ids, runs, strict=True)
                    if status == "SUCCEEDED"]  # fmt: skip
            measured = " | ".join(x for x in (measured, margins(lesson_id, done)) if x)
            rows.append((lesson_id, step.id, "/".join(backbones), wall, load, measured))
            print(f"{lesson_id} {step.id}: {wall:.1f} s (load {load:.1f})  {measured}",
                  file=sys.stderr, flush=True)  # fmt: skip
    print("| lesson | step | backbone | wall s | load at start | effect measured |")
    print("|---|---|---|---|---|---|")
    for lesson_id, step_id, backbone, wall, load, measured in rows:
        print(f"| {lesson_id} | {step_id} | {backbone} | {wall:.0f} | {load:.1f} | {measured} |")


if __name__ == "__main__":
    main()
