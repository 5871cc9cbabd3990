"""Reading and waiting on the lab's runs, for the tests that start real workers.

from tests.lab_runs import TINY, detail, finished, poll
run = poll(lambda: finished(run_id), "the run to end", 30, before=launcher.reconcile)
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from engine.jobs import launcher
from storage import queries
from storage import runs as run_store
from storage.db import read_session
from storage.models import TERMINAL_STATES
from tests.conftest import REPO

TINY = str(REPO / "examples" / "tiny_quick.yaml")
T = TypeVar("T")


def detail(run_id: int) -> queries.RunDetail:
    with read_session() as s:
        run = queries.get_run(s, run_id)
    assert run is not None, f"no run {run_id}"
    return run


def finished(run_id: int) -> queries.RunDetail | None:
    """The run once it is in a terminal state, else None (a `poll` check)."""
    run = detail(run_id)
    return run if run.status in TERMINAL_STATES else None


def poll(
    check: Callable[[], T],
    what: str,
    timeout: float,
    *,
    every: float = 0.1,
    before: Callable[[], object] | None = None,
) -> T:
    """Call `check` every `every` s until it is truthy and return its value; fail the test after
    `timeout` s. `before` runs ahead of each check (`launcher.reconcile`, as the dashboard does)."""
    deadline = time.monotonic() + timeout
    while True:
        if before is not None:
            before()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def last_run_id(out: str) -> int:
    """The id in the `run_id=<ID>` line that `engine run` and `engine submit` print last."""
    last = out.strip().splitlines()[-1]
    assert last.startswith("run_id="), out
    return int(last.removeprefix("run_id="))


def kill_leftover_workers() -> None:
    """SIGKILL the process group of every worker a failed test left running in this lab."""
    with read_session() as s:
        live = run_store.running_runs(s)
    pids = {r.pid for r in live if r.pid} | {p.pid for p in launcher._children.values()}
    for pid in pids:
        if launcher._is_worker(pid):
            launcher._signal_group(pid, signal.SIGKILL)
    for proc in list(launcher._children.values()):
        proc.wait(timeout=10)
    launcher._children.clear()


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False
