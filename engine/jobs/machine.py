"""What this machine offers the job queue: GPUs (from nvidia-smi), CPUs, memory, job slots.

No torch here (the dashboard imports it through engine.api): GPUs are counted with nvidia-smi,
whose answer is cached because GPUs do not come and go.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
from functools import lru_cache
from typing import Any

HOSTNAME = socket.gethostname()


def whole_number(text: str, name: str, minimum: int) -> int:
    """A machine setting's value (LAB_MAX_JOBS, LAB_TORCH_THREADS, LAB_TORCHRUN_*): a whole
    number >= `minimum`, else a ValueError that names the setting."""
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, not {text!r}")
    return value


def max_concurrent_jobs() -> int:
    """LAB_MAX_JOBS if set (0 pauses the queue), else one job per visible GPU, else 1."""
    raw = os.environ.get("LAB_MAX_JOBS")
    if raw:
        return whole_number(raw, "LAB_MAX_JOBS", 0)
    return max(1, _visible_gpu_count())


def _visible_gpu_count() -> int:
    return len(visible_gpu_ids())


def visible_gpu_ids() -> list[str]:
    """GPU ids as CUDA_VISIBLE_DEVICES names them (its entries if set, else 0..N-1)."""
    listed = len(_nvidia_smi("-L"))
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return [str(i) for i in range(listed)]
    # CUDA reads the list up to the first invalid entry; "-1" or "" hides every GPU.
    ids: list[str] = []
    for entry in visible.split(","):
        entry = entry.strip()
        if not entry or entry.startswith("-"):
            break
        ids.append(entry)
    return ids[:listed]


def _nvidia_smi(*args: str) -> tuple[str, ...]:
    """Non-empty output lines of `nvidia-smi ARGS`, () when it is absent or fails."""
    return _nvidia_smi_cached(shutil.which("nvidia-smi"), args)


@lru_cache(maxsize=8)
def _nvidia_smi_cached(binary: str | None, args: tuple[str, ...]) -> tuple[str, ...]:
    # Cached per binary path: GPUs do not come and go, and nvidia-smi takes ~0.1-1 s.
    if binary is None:
        return ()
    try:
        out = subprocess.run(
            [binary, *args], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(line.strip() for line in out.splitlines() if line.strip())


def machine_info() -> dict[str, Any]:
    """What this machine offers: CPUs, memory, GPUs (from nvidia-smi), platform, job slots."""
    gpus = []
    query = ("--query-gpu=name,memory.total", "--format=csv,noheader,nounits")
    for line in _nvidia_smi(*query):
        name, _, memory_mib = line.rpartition(",")
        try:
            gpus.append({"name": name.strip(), "memory_gb": round(float(memory_mib) / 1024, 1)})
        except ValueError:
            gpus.append({"name": line, "memory_gb": None})
    return {
        "hostname": HOSTNAME,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "memory_gb": _total_memory_gb(),
        "gpus": gpus,
        "max_jobs": max_concurrent_jobs(),
    }


def _total_memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)  # kB
    except OSError:
        pass
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None
