"""LAB_HOME on a (nearly) full disk: the run ends FAILED with "no space left", and nothing
already recorded is lost (faults).

LAB_HOME is a small tmpfs mounted for the test (root only; skipped with the reason elsewhere),
filled up to 3 MB: metrics and the database still fit, the first checkpoint (17 MB for the tiny
model) does not.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.cli import main
from storage import queries
from storage import runs as run_store
from storage.db import dispose_engines, read_session, write_session
from storage.models import RunStatus
from tests.lab_runs import TINY, detail
from tests.reliability.figures import record
from tests.reliability.helpers import metric_steps

TMPFS_MB = 48
LEFT_FREE_MB = 3


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    mount_point = tmp_path / "small_disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs for LAB_HOME needs root and mount(8)")
    command = ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", str(mount_point)]
    mounted = subprocess.run(command, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    home = mount_point / "lab"
    monkeypatch.setenv("LAB_HOME", str(home))
    monkeypatch.setenv("LAB_DB_URL", f"sqlite:///{home / 'lab.db'}")
    dispose_engines()
    try:
        yield home
    finally:
        dispose_engines()
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(home: Path, leave: int) -> Path:
    filler = home / "filler.bin"
    with open(filler, "wb") as f:
        f.truncate(0)
        chunk = b"\0" * 2**20
        while free_bytes(home) - len(chunk) > leave:
            f.write(chunk)
            f.flush()
    return filler


@pytest.mark.slow
def test_a_full_disk_fails_the_run_with_no_space_left_and_loses_nothing(small_disk, capsys):
    with write_session() as s:  # a finished run recorded before the disk filled up
        earlier = run_store.create_run(s, name="earlier", kind="finetune", method="full", config={})
        run_store.add_metric_points(s, earlier, [(i, "train_loss", 1.0, None) for i in range(999)])
        run_store.transition(s, earlier, RunStatus.FAILED, error="before")
    fill(small_disk, LEFT_FREE_MB * 2**20)
    free_before = free_bytes(small_disk)

    sets = ["data.max_train_sentences=64", "train.epochs=2", "train.log_every=1"]
    code = main(["run", TINY, *(f"--set={s}" for s in sets), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    run_id = int(captured.out.strip().splitlines()[-1].removeprefix("run_id="))
    run = detail(run_id)
    assert run.status is RunStatus.FAILED
    assert "no space left on device" in run.error.lower(), run.error
    assert f"error: run {run_id} failed:" in captured.err and "Traceback" not in captured.err

    # What was recorded before the failed save is all there: both steps of epoch 1, its dev
    # evaluation, and the earlier run's points.
    assert metric_steps(run_id) == [1, 2]
    with read_session() as s:
        assert [e.stage for e in queries.evaluations(s, run_id, split="dev")] == ["epoch-1"]
        assert len(queries.metric_points(s, earlier)) == 999
    run_folder = small_disk / "runs" / str(run_id)
    assert sorted(p.name for p in run_folder.iterdir()) == []  # no half-written checkpoint
    assert free_bytes(small_disk) >= free_before - 2**20  # its temporary files were removed
    dispose_engines()
    with sqlite3.connect(small_disk / "lab.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    record("disk full", f"run FAILED with {run.error.splitlines()[0][:120]!r}; rows lost: 0")
