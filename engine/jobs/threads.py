"""How many torch threads a job takes: the cores actually free when it starts, at least one.

A teacher's laptop is rarely idle. Two torch threads on two cores that a browser and another job
already use spin on each other at every OpenMP barrier: lesson 1 took 9 s on an idle 2-core
machine and 2 min 05 s at load 4-5. So a job counts the cores it may use (affinity, and a
container's CPU quota), takes away what is busy (the 1-minute load average, capped by what is
runnable right now so that a job that just ended does not count; or the other lab jobs running
on this machine when they are more: a job that has just started is not in the average yet),
and uses what is left. LAB_TORCH_THREADS (or OMP_NUM_THREADS) overrides the rule.

    choice = choose_threads(cores=2, load=4.3, other_jobs=1)   # ThreadChoice(threads=1, ...)
    apply(choice); print(choice.describe())

The rule itself (`choose_threads`) is pure; `measure` reads this machine and the database. No
torch at import time: `apply` imports it.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

from engine.jobs.machine import whole_number

THREADS_ENV = "LAB_TORCH_THREADS"
# Load below this share of a core counts as idle noise (a shell, the dashboard polling): an
# otherwise idle 2-core machine at load 0.2 still gets both cores.
IDLE_NOISE = 0.3


@dataclass(frozen=True)
class ThreadChoice:
    threads: int  # torch.set_num_threads (intra-op)
    interop: int  # torch.set_num_interop_threads
    cores: int  # cores this process may use
    load: float  # the load those cores carry (the machine's load, scaled to them)
    other_jobs: int  # other lab jobs running on this machine
    source: str  # "free cores", or the variable that overrode the rule

    def describe(self) -> str:
        """One line for the run's log: what was chosen and why."""
        if self.source != "free cores":
            return f"threads: {self.threads} ({self.source}; {self.cores} cores)"
        jobs = f", {self.other_jobs} other lab job{'s' * (self.other_jobs != 1)}"
        return (
            f"threads: {self.threads} of {self.cores} cores free "
            f"(load {self.load:.1f}{jobs if self.other_jobs else ''})"
        )


def choose_threads(
    cores: int,
    load: float,
    other_jobs: int = 0,
    *,
    machine_cores: int | None = None,
    override: str | None = None,
    override_name: str = THREADS_ENV,
) -> ThreadChoice:
    """The thread count for a job that may use `cores` cores at 1-minute `load`.

    `machine_cores` is the machine's core count when this process may use fewer (a container's
    quota): the load average is the whole machine's, so only this process's share of it counts.
    `override` (the text of LAB_TORCH_THREADS) wins when it is a positive integer.
    """
    cores = max(1, int(cores))
    if override is not None and override.strip():
        threads = whole_number(override, override_name, 1)
        return ThreadChoice(threads, 1, cores, load, other_jobs, f"{override_name}={threads}")
    share = load * cores / machine_cores if machine_cores and machine_cores > cores else load
    busy = max(max(0.0, share), float(max(0, other_jobs)))
    threads = min(cores, max(1, math.floor(cores - busy + IDLE_NOISE)))
    # The eager loop runs one op at a time: inter-op threads would only be more threads on
    # busy cores.
    return ThreadChoice(threads, 1, cores, round(share, 2), other_jobs, "free cores")


# --- this machine ------------------------------------------------------------------------------


def usable_cores() -> int:
    """Cores this process may run on: its affinity, capped by a cgroup v2 CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS has no affinity
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, math.ceil(quota)) if quota else cores)


def _cgroup_quota(path: Path = Path("/sys/fs/cgroup/cpu.max")) -> float | None:
    """CPUs a cgroup v2 quota allows ("max 100000" or "200000 100000"), None without one."""
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None


def measure(run_id: int | None = None) -> ThreadChoice:
    """The choice for a job starting now on this machine (`run_id`: the job itself, not counted
    among the other jobs)."""
    for name in (THREADS_ENV, "OMP_NUM_THREADS"):
        if os.environ.get(name, "").strip():
            return choose_threads(
                usable_cores(), 0.0, override=os.environ[name], override_name=name
            )
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows): assume idle
        load = 0.0
    now = running_now()
    if now is not None:
        # The 1-minute average still carries a job that ended seconds ago (back-to-back runs
        # would get one thread on an idle machine); what runs right now says it has gone.
        load = min(load, now)
    return choose_threads(
        usable_cores(), load, other_lab_jobs(run_id), machine_cores=os.cpu_count()
    )


def running_now(text: str | None = None) -> float | None:
    """Processes running or runnable right now besides this one, from /proc/loadavg's
    "R/T" field (None where there is no such file)."""
    if text is None:
        try:
            text = Path("/proc/loadavg").read_text()
        except OSError:
            return None
    try:
        runnable = int(text.split()[3].split("/")[0])
    except (IndexError, ValueError):
        return None
    return float(max(0, runnable - 1))  # the reader itself is running while it reads


def other_lab_jobs(run_id: int | None) -> int:
    """RUNNING local runs on this machine other than `run_id` (0 when the database can't say)."""
    from engine.jobs.machine import HOSTNAME
    from storage import runs as run_store
    from storage.db import read_session

    try:
        with read_session() as s:
            live = run_store.running_runs(s)
    except Exception:  # a thread count is no reason to fail a run
        return 0
    return sum(1 for r in live if r.id != run_id and r.hostname in (HOSTNAME, None))


def apply(choice: ThreadChoice) -> None:
    """Set torch's thread pools; inter-op threads can be set only once, before any parallel
    work, so a process that ran something already keeps its inter-op pool."""
    import torch

    torch.set_num_threads(choice.threads)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(choice.interop)
