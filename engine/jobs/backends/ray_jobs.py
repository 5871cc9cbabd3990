"""The Ray job backend: each run is a Ray job (`python -m engine.jobs.worker RUN_ID`) on a cluster.

`LAB_JOB_BACKEND=ray` sends new runs to the Ray Jobs API at `LAB_RAY_ADDRESS` (the dashboard
address, default http://127.0.0.1:8265) with the resources the run asks for: `train.devices`
CPUs, and as many GPUs when `train.device` is cuda (or auto on a cluster that has GPUs). The
repository is the job's working directory; LAB_DB_URL and LAB_HOME go with it, so the worker
writes metrics and its final state into the shared database as a local worker would. Ray queues
the job until resources are free (the lab shows PENDING), the worker marks it RUNNING, and
`reconcile` maps what Ray knows onto the lab's states when the worker could not say itself
(killed, failed to start, cluster restarted). Cancel = `stop_job` (SIGTERM, then SIGKILL after
Ray's RAY_JOB_STOP_WAIT_TIME_S); logs come from `get_job_logs`.

The run's log_path records where it went: `<address>/#/jobs/<submission id>`, the job's page on
the Ray dashboard. `ray` is imported only here, inside functions: the dashboard and the local
backend never need it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from engine.jobs.backends import JobBackendError, terminal_view
from engine.jobs.heartbeat import heartbeat_timeout
from engine.jobs.machine import HOSTNAME
from storage import queries
from storage import runs as run_store
from storage.db import read_session, write_session
from storage.models import TERMINAL_STATES, RunStatus, utcnow
from storage.paths import database_url, lab_home

DEFAULT_ADDRESS = "http://127.0.0.1:8265"
SUBMISSION_ENV = "LAB_RAY_SUBMISSION_ID"  # set inside the job: the worker knows it runs in Ray
JOB_MARK = "/#/jobs/"
INSTALL_HINT = "pip install 'ray[default]==2.60.0'"
SUBMIT_GRACE_S = 120.0  # a run without a Ray job after this long: its submitter died
CONNECT_TIMEOUT_S = 3.0
RETRY_UNREACHABLE_S = 15.0  # do not retry an unreachable cluster on every dashboard refresh
LOG_TAIL_IN_ERROR = 20
GPU_COUNT_TTL_S = 60.0

_clients: dict[str, Any] = {}
_unreachable: dict[str, tuple[float, str]] = {}  # address -> (when, why)
_gpus: dict[str, tuple[float, float]] = {}  # address -> (when asked, GPUs in the cluster)
_clients_lock = threading.Lock()


class RayUnreachable(JobBackendError):
    """The cluster did not answer (nothing is known about its jobs)."""


def ray_address() -> str:
    return (os.environ.get("LAB_RAY_ADDRESS") or DEFAULT_ADDRESS).strip().rstrip("/")


def locator(address: str, submission_id: str) -> str:
    return f"{address.rstrip('/')}{JOB_MARK}{submission_id}"


def parse_locator(text: str | None) -> tuple[str, str] | None:
    """(address, submission id) from a Ray run's log_path; None before it was submitted."""
    if not text or JOB_MARK not in text:
        return None
    address, _, submission_id = text.partition(JOB_MARK)
    return (address, submission_id) if address and submission_id else None


def ray_location(log_path: str | None, host: str | None) -> str:
    """'ray · ADDRESS · job ID · node HOST' (what the dashboard shows as a run's place)."""
    where = parse_locator(log_path)
    parts = ["ray"]
    if where is not None:
        parts += [where[0], f"job {where[1]}"]
    else:
        parts.append("not submitted yet")
    if host:
        parts.append(f"node {host}")
    return " · ".join(parts)


def job_resources(config: Any, cluster_gpus: Callable[[], float]) -> dict[str, float]:
    """What the Ray job reserves: a CPU per process, and a GPU per process for a GPU run."""
    devices = config.train.devices
    device = config.train.device
    gpus = device == "cuda" or (device == "auto" and cluster_gpus() > 0)
    return {"entrypoint_num_cpus": devices, "entrypoint_num_gpus": devices if gpus else 0}


def lab_outcome(ray_status: str, message: str | None) -> tuple[RunStatus, str] | None:
    """The lab state a run must end in when Ray's job ended without the worker saying so.

    PENDING and RUNNING change nothing: the worker marks RUNNING itself once it starts.
    """
    detail = f": {message}" if message else ""
    match ray_status:
        case "SUCCEEDED":
            return RunStatus.FAILED, "Ray job ended without a completion record"
        case "FAILED":
            return RunStatus.FAILED, f"Ray job failed{detail}"
        case "STOPPED":
            return RunStatus.STOPPED, "stopped in Ray"
    return None


class RayJobsBackend:
    """engine.jobs.backends.JobBackend for a Ray cluster."""

    name = "ray"

    def check(self) -> None:
        client(ray_address())

    def submit(self, run_id: int, config: Any) -> None:
        address = ray_address()
        submission_id = f"lab-{run_id}-{secrets.token_hex(3)}"
        try:
            resources = job_resources(config, lambda: cluster_gpus(address))
            client(address).submit_job(
                entrypoint=f"python -m engine.jobs.worker {int(run_id)}",
                submission_id=submission_id,
                runtime_env=runtime_env(submission_id, address),
                metadata={"lab_run": str(run_id), "submitted_from": HOSTNAME},
                **resources,
            )
        except Exception as err:  # the run must not stay PENDING for a job that never was
            with write_session() as s:
                reason = f"cannot submit to Ray at {address}: {_one_line(err)}"
                run_store.transition(s, run_id, RunStatus.FAILED, error=reason)
            return
        with write_session() as s:
            run_store.set_log_path(s, run_id, locator(address, submission_id))

    def reconcile(self) -> None:
        with read_session() as s:
            runs = queries.active_runs(s, backend="ray")
        for run in runs:  # nothing active on Ray: no import of ray, no request
            _reconcile_one(run)

    def cancel(self, run_id: int, *, grace_s: float, wait: bool) -> bool:
        with write_session() as s:
            run = queries.get_run(s, run_id)
            if run is None or run.status in TERMINAL_STATES:
                return False
            run_store.request_cancel(s, run_id)
            where = parse_locator(run.log_path)
            if run.status is RunStatus.PENDING or where is None:
                # A worker that Ray starts after this cannot claim the run any more.
                run_store.transition(s, run_id, RunStatus.STOPPED, error="cancelled")
        if where is None:
            return True
        try:
            client(where[0]).stop_job(where[1])
        except Exception as err:
            # The worker sees the run is no longer RUNNING at its next heartbeat and stops.
            with write_session() as s:
                reason = f"cancelled; Ray at {where[0]} did not answer: {_one_line(err)}"
                run_store.transition(s, run_id, RunStatus.STOPPED, error=reason)
            return True
        if run.status is RunStatus.PENDING:
            return True
        if wait:
            _finish_cancel(run_id, where, grace_s)
        else:
            threading.Thread(
                target=_finish_cancel, args=(run_id, where, grace_s), daemon=True
            ).start()
        return True

    def log_tail(self, run: Any, lines: int) -> str:
        where = parse_locator(run.log_path)
        if where is None:
            return ""
        try:
            text = client(where[0]).get_job_logs(where[1])
        except Exception as err:
            return f"(the log is on the Ray cluster at {where[0]}, which did not answer: {err})"
        return terminal_view(text, lines)


# --- talking to the cluster --------------------------------------------------------------------


def client(address: str) -> Any:
    """A JobSubmissionClient for `address` (cached); RayUnreachable / JobBackendError if none."""
    with _clients_lock:
        if address in _clients:
            return _clients[address]
        failed = _unreachable.get(address)
        if failed and time.monotonic() - failed[0] < RETRY_UNREACHABLE_S:
            raise RayUnreachable(failed[1])
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError:
        raise JobBackendError(
            f"LAB_JOB_BACKEND=ray needs the ray package on this machine: {INSTALL_HINT}"
        ) from None
    # Ray logs each file it leaves out of the working-directory upload: not for `engine submit`
    # users or the dashboard's console.
    for name in ("ray", "ray.dashboard.modules.dashboard_sdk"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        _probe(address)  # requests has no timeout: fail fast on an address that never answers
        made = JobSubmissionClient(address)
    except Exception as err:
        why = f"cannot reach Ray at {address} ({_one_line(err)}); is `ray start --head` running?"
        with _clients_lock:
            _unreachable[address] = (time.monotonic(), why)
        raise RayUnreachable(why) from None
    with _clients_lock:
        _unreachable.pop(address, None)
        return _clients.setdefault(address, made)


def _probe(address: str) -> None:
    parts = urlsplit(address if "://" in address else f"http://{address}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname or "127.0.0.1", port), CONNECT_TIMEOUT_S):
        pass


def cluster_gpus(address: str) -> float:
    """GPUs of the cluster's live nodes (0 when Ray cannot say); asked at most once a minute,
    since a strategy race submits several runs at once and each answer takes a second."""
    asked = _gpus.get(address)
    if asked is not None and time.monotonic() - asked[0] < GPU_COUNT_TTL_S:
        return asked[1]
    try:
        from ray.util.state import list_nodes

        nodes = list_nodes(address=address, detail=True, raise_on_missing_output=False)
    except Exception:
        return 0.0
    total = sum((n.resources_total or {}).get("GPU", 0.0) for n in nodes if n.state == "ALIVE")
    _gpus[address] = (time.monotonic(), total)
    return total


def runtime_env(submission_id: str, address: str) -> dict[str, Any]:
    from engine.jobs.backends.local import REPO_ROOT, absolute_db_url

    env = {
        "LAB_HOME": str(lab_home()),
        "LAB_DB_URL": absolute_db_url(database_url()),
        "LAB_JOB_BACKEND": "ray",
        "LAB_RAY_ADDRESS": address,
        SUBMISSION_ENV: submission_id,
        "PYTHONUNBUFFERED": "1",
        "TQDM_MININTERVAL": "1",  # a log is not a terminal: one progress update per second
    }
    if os.environ.get("LAB_HEARTBEAT_TIMEOUT"):
        env["LAB_HEARTBEAT_TIMEOUT"] = os.environ["LAB_HEARTBEAT_TIMEOUT"]
    # Ray uploads the repository without .git, .venv and what .gitignore lists; a LAB_HOME
    # inside it (checkpoints, the SQLite file) must not travel either.
    home = lab_home()
    excludes = [home.relative_to(REPO_ROOT).as_posix()] if home.is_relative_to(REPO_ROOT) else []
    return {"working_dir": str(REPO_ROOT), "excludes": excludes, "env_vars": env}


# --- keeping the lab's states in line ----------------------------------------------------------


def _reconcile_one(run: Any) -> None:
    where = parse_locator(run.log_path)
    if where is None:
        age = (utcnow() - run.created_at).total_seconds()
        if run.status is RunStatus.PENDING and age > SUBMIT_GRACE_S:
            _end_if_active(run.id, RunStatus.FAILED, "lost: never reached Ray")
        return
    try:
        info = client(where[0]).get_job_info(where[1])
    except RayUnreachable:
        _end_if_silent(run)
        return
    except Exception as err:
        if "does not exist" in str(err) or "404" in str(err):
            reason = f"lost: Ray at {where[0]} has no job {where[1]} (cluster restarted?)"
            _end_if_active(run.id, RunStatus.FAILED, reason)
        return
    status = _name(info.status)
    outcome = lab_outcome(status, info.message)
    if outcome is not None:
        _end_if_active(run.id, *outcome, where=where)
    elif status == "RUNNING":
        _end_if_silent(run, where)


def _end_if_silent(run: Any, where: tuple[str, str] | None = None) -> None:
    """A RUNNING worker that stopped beating is lost, as on the local backend."""
    if run.status is not RunStatus.RUNNING:
        return
    last = run.heartbeat_at or run.started_at
    age = (utcnow() - last).total_seconds() if last else 0.0
    if age <= heartbeat_timeout():
        return
    ended = _end_if_active(run.id, RunStatus.FAILED, f"lost: no heartbeat for {age:.0f} s")
    if ended and where is not None:
        with contextlib.suppress(Exception):  # best effort: it must not hold the GPUs on
            client(where[0]).stop_job(where[1])


def _end_if_active(
    run_id: int, status: RunStatus, reason: str, *, where: tuple[str, str] | None = None
) -> bool:
    """End a PENDING or RUNNING run (STOPPED if a cancel was asked for); re-read inside the
    transaction, so a worker that wrote its own final state meanwhile wins."""
    tail = ""
    if where is not None and status is RunStatus.FAILED:
        try:
            tail = terminal_view(client(where[0]).get_job_logs(where[1]), LOG_TAIL_IN_ERROR)
        except Exception:
            tail = ""
    with write_session() as s:
        run = queries.get_run(s, run_id)
        if run is None or run.status in TERMINAL_STATES:
            return False
        if run.cancel_requested:
            return run_store.transition(s, run_id, RunStatus.STOPPED, error=f"cancelled; {reason}")
        error = f"{reason}\n{tail.strip()}" if tail.strip() else reason
        return run_store.transition(s, run_id, status, error=error)


def _finish_cancel(run_id: int, where: tuple[str, str], grace_s: float) -> None:
    """Wait for Ray to end the job (its own SIGKILL follows SIGTERM), then record STOPPED."""
    deadline = time.monotonic() + grace_s
    reason = "cancelled"
    while True:
        try:
            status = _name(client(where[0]).get_job_status(where[1]))
        except Exception:
            break
        if status in ("STOPPED", "SUCCEEDED", "FAILED"):
            break
        if time.monotonic() >= deadline:
            reason = f"cancelled; Ray job still {status} after {grace_s:g} s"
            break
        time.sleep(0.2)
    with write_session() as s:  # no-op when the worker already wrote STOPPED itself
        run_store.transition(s, run_id, RunStatus.STOPPED, error=reason)


def _name(status: Any) -> str:
    """'RUNNING' from ray's JobStatus enum (or a plain string)."""
    return str(getattr(status, "value", status))


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else type(err).__name__
