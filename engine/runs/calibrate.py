"""A short timing test of one backbone on this machine, for the run-time estimate
(engine.runs.estimate) when no run of that backbone has finished here yet.

`python -m engine.runs.calibrate BACKBONE SPAWNED_AT` runs in its own process, because it
imports torch (the dashboard must not). It times a worker's start (the interpreter and the
strategies' imports), building the model, optimizer steps of the real training step (split into
a per-step and a per-sub-token cost by STEP_SHARE), forward passes without gradients
(evaluation) and the same step with a masked-LM head (pretraining). The result is cached as
`LAB_HOME/estimates/calibration-<backbone>-<device>.json`. This module's own functions are
torch-free: `cached` reads that file, `start` launches the test in the background (once), `run`
waits for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from storage.paths import lab_home

CALIBRATED = ("tiny", "tiny-corpus", "minilm-l6")  # built-in backbones the test can build
REPO_ROOT = Path(__file__).resolve().parents[2]
STALE_AFTER_S = 180.0  # a marker older than this is a test that died: start another
BUSY, REDO_S = 1.5, 900.0  # a test timed on a busy machine is redone later (kept till then)
LENGTH = 20  # sub-tokens per window: the built-in corpora average about 14 words + 2 specials
BIG = 32  # sentences per timed batch, as in the lessons' and the wizard's default runs
# Of a training step at BIG x LENGTH sub-tokens, the share that does not grow with the tokens
# (the optimizer's update of every weight, the loop): timed at two batch sizes on a quiet 2-core
# CPU. One batch size is timed here, as the difference of two is noise on a busy machine.
MASKED = 0.15  # the pretrain strategy's default mask_prob
STEP_SHARE = {"tiny": 0.45, "tiny-corpus": 0.45, "minilm-l6": 0.16}


@dataclass(frozen=True)
class Calibration:
    backbone: str
    device: str  # cpu | cuda | mps
    precision: str  # float32 | bfloat16 | float16
    startup_s: float  # interpreter start + the worker's imports (torch, transformers, ...)
    load_s: float  # tokenizer and model built
    token_s: float  # training: seconds per sub-token
    step_s: float  # training: fixed seconds per optimizer step
    eval_ratio: float  # a sub-token forward without gradients, as a share of a training one
    mlm_ratio: float = 0.0  # a masked-LM training step, as a multiple of a token-tagging one
    load: float = 0.0  # load average per core while it ran: above BUSY, redone after REDO_S

    @property
    def busy(self) -> bool:
        return self.load > BUSY


def cache_file(backbone: str, device: str) -> Path:
    return lab_home() / "estimates" / f"calibration-{backbone}-{device}.json"


_read: dict[Path, tuple[float, Calibration]] = {}  # by file: (its mtime, its contents)


def cached(backbone: str, device: str) -> Calibration | None:
    """The cached result, read again only when the file changed (estimates ask often)."""
    path = cache_file(backbone, device)
    try:
        mtime = path.stat().st_mtime
        hit = _read.get(path)
        if hit is None or hit[0] != mtime:
            hit = (mtime, Calibration(**json.loads(path.read_text("utf-8"))))
            _read[path] = hit
        return hit[1]
    except (OSError, ValueError, TypeError):
        return None


def enabled() -> bool:
    """LAB_CALIBRATE=0 turns background tests off; so does a test suite (pages render there by
    the hundred, each in a fresh LAB_HOME, and must not start torch processes)."""
    return os.environ.get("LAB_CALIBRATE", "1") != "0" and "PYTEST_CURRENT_TEST" not in os.environ


def start(backbone: str, device: str, *, force: bool = False) -> bool:
    """Launch the test in the background unless it is cached or running, or (unless `force`)
    turned off; True if launched."""
    if backbone not in CALIBRATED:
        return False
    found, path = cached(backbone, device), cache_file(backbone, device)
    if found is not None and not (found.busy and time.time() - path.stat().st_mtime > REDO_S):
        return False
    if not (force or enabled()):
        return False
    marker = cache_file(backbone, device).with_suffix(".running")
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        if time.time() - marker.stat().st_mtime < STALE_AFTER_S:
            return False
    except OSError:
        pass
    marker.write_text(str(time.time()), "utf-8")  # a second page rerun starts no second test
    env = dict(os.environ, LAB_HOME=str(lab_home()))
    if env.get("CUDA_VISIBLE_DEVICES"):  # a worker sees one GPU (engine.jobs.backends.local)
        env["CUDA_VISIBLE_DEVICES"] = env["CUDA_VISIBLE_DEVICES"].split(",")[0]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    try:
        with marker.with_suffix(".log").open("w", encoding="utf-8") as log:
            subprocess.Popen(
                [sys.executable, "-m", "engine.runs.calibrate", backbone, repr(time.time())],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # not in the dashboard's process group
            )
    except OSError:
        marker.unlink(missing_ok=True)
        return False
    return True


def run(backbone: str, device: str, timeout_s: float = 300.0) -> Calibration | None:
    """Start the test if needed and wait for its result (the benchmark; not for pages)."""
    start(backbone, device, force=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = cached(backbone, device)
        if found is not None or backbone not in CALIBRATED:
            return found
        time.sleep(0.5)
    return None


def _timed(fn: Callable[[], None], min_steps: int, min_s: float) -> float:
    """Mean seconds of fn() over at least min_steps calls and min_s seconds, after a warm-up
    call. The mean over a while, as a run's throughput is: on a busy CPU single steps of these
    small models vary twenty-fold (torch's threads wait for the other processes)."""
    fn()
    done, started = 0, time.perf_counter()
    while done < min_steps or time.perf_counter() - started < min_s:
        fn()
        done += 1
    return (time.perf_counter() - started) / done


def _trainer(
    model: Any, device: Any, dtype: Any, loss_of: Callable[[Any, dict[str, Any]], Any] | None = None
) -> Callable[[dict[str, Any]], None]:
    """One optimizer step of `model`, as engine.training.loop takes it (`loss_of`: the loss the
    run computes, default the model's own)."""
    import torch

    from engine.training.optim import make_optimizer, make_scheduler, optimizer_step
    from engine.training.predict import autocast_for

    optimizer = make_optimizer(model, 1e-4, None, 0.01)
    scheduler = make_scheduler(optimizer, 10_000, 0.0)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)

    def step(inputs: dict[str, Any]) -> None:
        with autocast_for(device, dtype):
            loss = model(**inputs).loss if loss_of is None else loss_of(model, inputs)
        optimizer_step(loss, model, optimizer, scheduler, scaler, 1.0)
        float(loss.detach())  # the loop reads the loss each step: waits for the device

    return step


def main(backbone: str, spawned_at: float) -> Calibration:
    from engine.strategies.registry import load_all

    load_all()  # what a worker imports before it trains (engine.jobs.worker)
    import torch

    from engine.data.alignment import IGNORE
    from engine.data.builtin import load_builtin
    from engine.device import pick_device, pick_precision
    from engine.models import backbones
    from engine.strategies.pretrain.loop import masked_lm_loss
    from engine.strategies.pretrain.model import new_bert_mlm
    from engine.training.predict import autocast_for

    imported = time.time()
    device = pick_device("auto")
    dtype = pick_precision(device, "auto")
    spec = backbones.resolve_backbone(backbone)
    tokenizer = backbones.load_tokenizer(spec, [s.tokens for s in load_builtin("news", "train")])
    model = backbones.load_token_classifier(spec, [f"L{i}" for i in range(11)], len(tokenizer))
    model = model.to(device)
    loaded = time.time()
    generator = torch.Generator().manual_seed(0)

    def batch(size: int, labels: int) -> dict[str, torch.Tensor]:
        ids = torch.randint(1000, min(len(tokenizer), 20_000), (size, LENGTH), generator=generator)
        tags = torch.randint(0, labels, (size, LENGTH), generator=generator)
        return {"input_ids": ids.to(device), "attention_mask": torch.ones_like(ids).to(device),
                "labels": tags.to(device)}  # fmt: skip

    def forward(inputs: dict[str, torch.Tensor]) -> None:
        with torch.inference_mode(), autocast_for(device, dtype):
            model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])

    big = batch(BIG, 11)
    step = _trainer(model.train(), device, dtype)
    t_big = _timed(lambda: step(big), 5, 2.0)
    model.eval()
    t_eval = _timed(lambda: forward(big), 5, 0.5)
    # the pretrain loop's step (engine.strategies.pretrain.loop): the vocabulary head scores
    # only the masked share of the sub-tokens, so its cost is timed with the loop's own loss
    mlm = new_bert_mlm(tokenizer, "tiny") if spec.from_scratch else backbones.load_masked_lm(spec)
    mlm_step = _trainer(mlm.to(device).train(), device, dtype, lambda m, b: masked_lm_loss(m, b)[0])
    mlm_batch = batch(BIG, 1000)
    unmasked = torch.rand(mlm_batch["labels"].shape, generator=generator) >= MASKED
    mlm_batch["labels"][unmasked.to(device)] = IGNORE
    t_mlm = _timed(lambda: mlm_step(mlm_batch), 3, 1.0)
    share = STEP_SHARE.get(backbone, 0.3)  # of a step's time, the part its tokens do not change
    result = Calibration(
        backbone=backbone,
        device=device.type,
        precision=str(dtype).removeprefix("torch."),
        startup_s=round(imported - spawned_at, 3),
        load_s=round(loaded - imported, 3),
        token_s=t_big * (1 - share) / (BIG * LENGTH),
        step_s=t_big * share,
        eval_ratio=min(max(t_eval / t_big, 0.1), 0.6),  # a forward: 1/3 of a step, roughly
        mlm_ratio=min(max(t_mlm / t_big, 1.0), 20.0),
        load=round(os.getloadavg()[0] / (os.cpu_count() or 1), 2),
    )
    target = cache_file(backbone, device.type)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(result), indent=1), "utf-8")
    tmp.replace(target)  # atomic: a reader never sees half a file
    target.with_suffix(".running").unlink(missing_ok=True)
    return result


if __name__ == "__main__":
    print(json.dumps(asdict(main(sys.argv[1], float(sys.argv[2]))), indent=1))
