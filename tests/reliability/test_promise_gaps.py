"""Promises that had no test of their own elsewhere (RELIABILITY 8, 12, 23).

- 8: a worker that exits 0 without writing its completion record is FAILED, not SUCCEEDED.
- 12: a checkpoint save SIGKILLed at random moments always leaves a whole checkpoint behind.
- 23: model paths are resolved and checked; a bare name is never taken for a Hub id, and a
  Hub id is used only with `hf:` (and, offline, only from the local cache).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.jobs import launcher
from engine.models.backbones import BackboneError, load_tokenizer, resolve_backbone
from engine.models.checkpoint import is_checkpoint
from storage import runs as run_store
from storage.db import write_session
from storage.models import RunStatus
from storage.paths import logs_dir
from tests.conftest import REPO
from tests.lab_runs import finished
from tests.reliability.figures import record
from tests.reliability.helpers import wait_for


def test_exit_0_without_a_completion_record_is_failed(lab, monkeypatch):
    monkeypatch.setenv("LAB_MAX_JOBS", "1")
    with write_session() as s:
        run_id = run_store.create_run(s, name="quiet", kind="finetune", method="full", config={})
    with open(logs_dir() / f"run-{run_id}.log", "ab") as out:
        proc = subprocess.Popen([sys.executable, "-c", "print('done?')"], stdout=out)
    with write_session() as s:
        info = {"hostname": launcher.HOSTNAME}
        run_store.mark_running(s, run_id, pid=proc.pid, device="cpu", device_info=info)
    launcher._children[run_id] = proc
    run = wait_for(lambda: finished(run_id), "the run to end", 20)
    assert proc.returncode == 0
    assert run.status is RunStatus.FAILED
    assert run.error.splitlines() == ["exit code 0 without a completion record", "done?"]


# A child that saves a checkpoint again and again (4 MB of safetensors, a config and a
# tokenizer file each time) through the real save_checkpoint, with numpy: no torch to import.
SAVER = """
import json, sys
from pathlib import Path
import numpy as np
from safetensors.numpy import save_file
from engine.models.checkpoint import save_checkpoint

class Model:
    def __init__(self, version):
        self.version = version
    def save_pretrained(self, folder, safe_serialization):
        assert safe_serialization
        weights = np.full((1024, 1024), self.version, dtype=np.float32)
        save_file({"w": weights}, str(Path(folder) / "model.safetensors"))
        (Path(folder) / "config.json").write_text(json.dumps({"version": self.version}))

class Tokenizer:
    def save_pretrained(self, folder):
        (Path(folder) / "tokenizer.json").write_text(json.dumps({"vocab": list(range(1000))}))

target = Path(sys.argv[1])
version = 0
while True:
    version += 1
    save_checkpoint(Model(version), Tokenizer(), target, {"version": version})
    print(version, flush=True)
    if sys.argv[2:] == ["once"]:
        break
"""


def whole(folder: Path) -> int | None:
    """The version of a complete checkpoint in `folder`, else None."""
    from safetensors.numpy import load_file

    if not is_checkpoint(folder):
        return None
    version = json.loads((folder / "config.json").read_text())["version"]
    weights = load_file(str(folder / "model.safetensors"))["w"]
    assert (weights == version).all() and weights.shape == (1024, 1024)
    assert json.loads((folder / "lab_config.json").read_text()) == {"version": version}
    json.loads((folder / "tokenizer.json").read_text())
    return version


@pytest.mark.slow
def test_a_checkpoint_save_killed_at_random_moments_leaves_a_whole_checkpoint(tmp_path):
    target = tmp_path / "run" / "checkpoint"
    rng = random.Random(12)
    versions, kills = [], 12
    for _ in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(target)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        child.stdout.readline()  # one save done: there is a checkpoint to lose
        time.sleep(rng.uniform(0.0, 0.2))
        child.kill()
        child.wait()
        child.stdout.close()
        version = whole(target)
        if version is None:  # the kill fell between the two renames
            version = whole(target.with_name(f".{target.name}.old"))
        assert version is not None, sorted(p.name for p in target.parent.iterdir())
        versions.append(version)
    left = [p.name for p in target.parent.iterdir() if p.name != "checkpoint"]
    # The next save clears what the killed ones left half-written.
    subprocess.run([sys.executable, "-c", SAVER, str(target), "once"], cwd=REPO, check=True)
    assert [p.name for p in target.parent.iterdir()] == ["checkpoint"] and whole(target) == 1
    record(
        "checkpoint kills",
        f"{kills} SIGKILLs mid-save: {kills} whole checkpoints left; {len(left)} half-written "
        "temporary folders, removed by the next save",
    )


def test_model_paths_are_resolved_and_checked_and_the_hub_needs_hf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model").mkdir()
    with pytest.raises(BackboneError, match="has no config.json"):
        resolve_backbone("model")
    (tmp_path / "model" / "config.json").write_text("{}")
    resolved = resolve_backbone("./model/../model")
    assert resolved.source == str(tmp_path / "model") and not resolved.hub
    for name in ("bert-base-cased", "google/bert_uncased_L-2_H-128_A-2", "../nowhere"):
        with pytest.raises(BackboneError, match="hf:ORG/NAME"):  # never read as a Hub id
            resolve_backbone(name)
    for name in ("hf:", "hf:../x", "hf:/abs", "hf:a/../../b"):
        with pytest.raises(BackboneError, match="expected hf:ORG/NAME"):
            resolve_backbone(name)

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_cache"))
    monkeypatch.delenv("LAB_ALLOW_DOWNLOADS", raising=False)
    hub = resolve_backbone("hf:lab-tests/not-downloaded")
    assert hub.hub and hub.source == "lab-tests/not-downloaded"
    started = time.monotonic()
    with pytest.raises(BackboneError, match="not in the local Hugging Face cache"):
        load_tokenizer(hub)  # offline by default: no download is even tried
    assert time.monotonic() - started < 30
