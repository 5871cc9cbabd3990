"""The torch thread rule (engine.jobs.threads) on hand-made machines: cores, load, other jobs."""

from __future__ import annotations

import os

import pytest

from engine.jobs import threads
from engine.jobs.machine import HOSTNAME
from engine.jobs.threads import choose_threads
from storage import runs as run_store
from storage.db import write_session


@pytest.mark.parametrize(
    ("cores", "load", "other_jobs", "expected"),
    [
        (2, 0.0, 0, 2),  # an idle laptop: every core
        (2, 0.2, 0, 2),  # a shell and the dashboard polling are noise
        (2, 1.0, 0, 1),  # a browser on one core: the other one
        (2, 4.5, 0, 1),  # the lesson-1 case: never below one
        (2, 0.0, 1, 1),  # another lab job just started (not in the load average yet)
        (2, 0.9, 2, 1),
        (8, 3.0, 0, 5),
        (8, 2.0, 3, 5),  # the jobs count when they are more than the load shows
        (8, 6.0, 1, 2),  # the load counts when it is more than the jobs
        (16, 0.5, 0, 15),
        (1, 0.0, 0, 1),
    ],
)
def test_threads_are_the_free_cores_at_least_one(cores, load, other_jobs, expected):
    choice = choose_threads(cores, load, other_jobs)
    assert choice.threads == expected
    assert choice.interop == 1
    assert choice.source == "free cores"


def test_a_container_counts_only_its_share_of_the_machines_load():
    # 4 of 32 cores, the whole machine at load 16: half of every core is busy
    choice = choose_threads(4, 16.0, machine_cores=32)
    assert choice.load == 2.0 and choice.threads == 2
    assert choose_threads(4, 16.0).threads == 1  # without the scaling: all four look busy


def test_the_override_wins_and_a_bad_one_names_the_variable():
    choice = choose_threads(2, 5.0, 3, override="4")
    assert (choice.threads, choice.source) == (4, "LAB_TORCH_THREADS=4")
    assert choice.describe() == "threads: 4 (LAB_TORCH_THREADS=4; 2 cores)"
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValueError, match="LAB_TORCH_THREADS"):
            choose_threads(2, 0.0, override=bad)
    assert choose_threads(2, 5.0, override=" ").source == "free cores"  # blank = unset


def test_the_log_line_says_what_was_chosen_and_why():
    assert choose_threads(2, 4.26, 1).describe() == (
        "threads: 1 of 2 cores free (load 4.3, 1 other lab job)"
    )
    assert choose_threads(8, 0.0, 2).describe() == (
        "threads: 6 of 8 cores free (load 0.0, 2 other lab jobs)"
    )
    assert choose_threads(2, 0.1).describe() == "threads: 2 of 2 cores free (load 0.1)"


def test_cgroup_quota(tmp_path):
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("max 100000\n")
    assert threads._cgroup_quota(cpu_max) is None
    cpu_max.write_text("150000 100000\n")
    assert threads._cgroup_quota(cpu_max) == 1.5
    assert threads._cgroup_quota(tmp_path / "absent") is None


def test_measure_counts_other_running_jobs_of_this_machine(lab, monkeypatch):
    monkeypatch.delenv("LAB_TORCH_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(threads, "usable_cores", lambda: 8)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    here = {"hostname": HOSTNAME}
    with write_session() as s:
        ids = [
            run_store.create_run(s, name=f"r{i}", kind="finetune", method="full", config={})
            for i in range(4)
        ]
        run_store.mark_running(s, ids[0], pid=1, device="cpu", device_info=here)
        run_store.mark_running(s, ids[1], pid=2, device="cpu", device_info=here)
        elsewhere = {"hostname": "another-machine"}
        run_store.mark_running(s, ids[2], pid=3, device="cpu", device_info=elsewhere)
    # this job (ids[1]) and the other machine's job do not count; ids[3] is only PENDING
    choice = threads.measure(ids[1])
    assert (choice.other_jobs, choice.threads) == (1, 7)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # what the user set for torch is respected
    assert threads.measure(ids[1]).source == "OMP_NUM_THREADS=3"
    monkeypatch.setenv("LAB_TORCH_THREADS", "2")
    assert threads.measure(ids[1]).threads == 2


def test_apply_sets_torchs_pool():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        threads.apply(choose_threads(2, 0.0, override="1"))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_running_now_counts_the_runnable_processes_besides_the_reader():
    # "R/T" is the 4th field: 3 runnable (the reader among them) of 212 processes
    assert threads.running_now("1.52 1.10 0.80 3/212 4242") == 2.0
    assert threads.running_now("0.00 0.00 0.00 1/90 7") == 0.0  # only the reader: idle
    assert threads.running_now("garbage") is None
