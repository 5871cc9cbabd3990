"""Data parallel training inside one job: `train.devices: N` runs N processes (PyTorch DDP).

Rank 0 is the job's own process (the worker, or `engine run`): it alone reports to the tracker
and writes checkpoints. Ranks 1..N-1 are spawned helpers that run the same strategy on the same
data with a tracker that discards everything and `train.save_checkpoint` off. Inside `fit`
(engine.training.loop) each global batch is split between the ranks, every rank's loss is
weighted by its share of the batch's labelled tokens (so the averaged gradient is the one-process
gradient over the whole batch), and stop requests are agreed on collectively, so all ranks leave
the loop at the same step. Evaluations run on every rank (identical weights give identical
scores), which keeps early stopping and the best weights in step without messages.
gloo on the CPU, nccl on CUDA (one GPU per rank).

    summary = run_strategy(strategy_fn, ctx)   # engine.jobs.runner; one device: strategy_fn(ctx)
    par = for_fit(model, device)               # engine.training.loop.fit; no-op in one process

`train.launcher: torchrun` starts the ranks through PyTorch's launcher instead, on one machine
or several (engine.training.torchrun); everything inside `fit` is the same.
"""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from engine.data.alignment import IGNORE
from engine.metrics.ner import NerReport
from engine.training import torchrun

# A rank waits this long for the others at a collective: long enough for rank 0 to save a
# checkpoint alone, short enough that a wedged job ends well before anyone gives up on it.
COLLECTIVE_TIMEOUT = timedelta(minutes=10)
HELPER_EXIT_GRACE_S = 30.0


@dataclasses.dataclass
class DiscardingTracker:
    """The tracker of ranks 1..N-1: rank 0 reports for the whole group. The "Next task" gate
    is the one thing it reads: every rank must wait for it, or the helpers would run ahead into
    a collective that rank 0 (paused) never joins."""

    run_id: int | None = None  # None: a run outside the lab database, which has no gate

    def log_metric(self, key: str, value: float, step: int, task: int | None = None) -> None:
        return None

    def log_evaluation(
        self, split: str, stage: str, report: NerReport, *, step=None, task=None
    ) -> None:
        return None

    def log_artifact(self, kind: str, path: Path, stage: str | None = None) -> None:
        return None

    def log_matrix_cell(self, row: int, col: int, value: float, kind: str = "f1") -> None:
        return None

    def log_record(self, kind: str, stage: str | None, payload: dict[str, Any]) -> None:
        return None

    def update_summary(self, **values: Any) -> None:
        return None

    def pause_before(self, task: int | None) -> None:
        return None

    def should_stop(self) -> bool:
        return False  # rank 0 decides; `FitParallel.sync` tells everyone

    def task_allowed(self, task: int) -> bool:
        if self.run_id is None:
            return True
        # Imported here: only a paced run in the lab database reaches it, and the training
        # loop must import without the database stack (bench/gpu_check.py on a bare image).
        from engine.jobs.task_gate import task_allowed

        return task_allowed(self.run_id, task)

    def flush(self) -> None:
        return None


# --- inside fit --------------------------------------------------------------------------------


@dataclasses.dataclass
class FitParallel:
    """One `fit` call's view of the process group; in one process every method is a no-op."""

    module: Any  # what the training forward calls: the DDP wrapper, or the model itself
    device: torch.device
    rank: int = 0
    world: int = 1
    weight: float = 1.0  # this rank's share of the batch's labelled tokens, times world
    tokens: int = 0  # real (unpadded) tokens of the whole global batch
    _labelled: int = 0
    _total_labelled: int = 0
    _filler: bool = False

    def shard(self, batch_ids: Sequence[int]) -> Sequence[int]:
        """This rank's part of a global batch (a batch smaller than the group still steps
        everywhere: a rank without rows reruns the first one with weight 0)."""
        if self.world == 1:
            return batch_ids
        mine = batch_ids[self.rank :: self.world]
        self._filler = not mine
        return mine or batch_ids[:1]

    def sync(self, batch: dict[str, torch.Tensor], stop: bool) -> bool:
        """Agree on the batch's token counts and on stopping; True when any rank must stop."""
        real = 0 if self._filler else int(batch["attention_mask"].sum())
        if self.world == 1:
            self.tokens = real
            return stop
        labelled = 0 if self._filler else int((batch["labels"] != IGNORE).sum())
        counts = torch.tensor([labelled, real, int(stop)], dtype=torch.float64, device=self.device)
        dist.all_reduce(counts)
        total_labelled, total_real, stops = (int(x) for x in counts.tolist())
        self._labelled, self._total_labelled = labelled, total_labelled
        self.weight = self.world * labelled / total_labelled if total_labelled else 0.0
        self.tokens = total_real
        return stops > 0

    def weighted(self, loss: torch.Tensor) -> torch.Tensor:
        """The loss to back-propagate: DDP averages gradients, the weight makes it a token mean."""
        return loss if self.world == 1 else loss * self.weight

    def global_loss(self, loss: float) -> float:
        """This step's loss over the whole global batch (what one process would have logged)."""
        if self.world == 1:
            return loss
        mine = loss * self._labelled if self._labelled else 0.0
        total = torch.tensor([mine], dtype=torch.float64, device=self.device)
        dist.all_reduce(total)
        return float(total.item()) / self._total_labelled if self._total_labelled else float("nan")


def for_fit(model: Any, device: torch.device) -> FitParallel:
    """A DDP-wrapped view of `model` inside a data-parallel run, else the model as it is."""
    if not (dist.is_available() and dist.is_initialized()):
        return FitParallel(module=model, device=device)
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    wrapped = DistributedDataParallel(model, device_ids=ids)
    return FitParallel(wrapped, device, dist.get_rank(), dist.get_world_size())


# --- starting the group ------------------------------------------------------------------------


def run_strategy(fn: Callable[[Any], dict[str, Any]], ctx: Any) -> dict[str, Any]:
    """`fn(ctx)` in this process, or with `train.devices` data-parallel processes."""
    world = ctx.config.train.devices
    if world <= 1:
        return fn(ctx)
    backend = backend_for(ctx.device, world)
    if ctx.config.train.launcher == "torchrun":
        return torchrun.launch(ctx, fn, backend)
    port = torchrun.free_port()
    helper_cfg = ctx.config.model_copy(deep=True)
    helper_cfg.train.save_checkpoint = False  # rank 0 alone writes checkpoints
    helper = dataclasses.replace(
        ctx, tracker=DiscardingTracker(ctx.run_id), config=helper_cfg, progress=False
    )
    spawn = torch.multiprocessing.get_context("spawn")
    helpers = [
        spawn.Process(
            target=_helper_main,
            args=(fn, helper, rank, world, port, backend),
            name=f"data-parallel rank {rank}",
        )
        for rank in range(1, world)
    ]
    for proc in helpers:
        proc.start()
    ctx.say(f"data parallel: {world} processes ({backend})")
    try:
        _join_group(0, world, port, backend, ctx.device)
        summary = fn(dataclasses.replace(ctx, device=rank_device(ctx.device, 0)))
    except BaseException as err:
        _leave_group()
        problems = _end_helpers(helpers, grace_s=5.0)
        if problems:  # the helper's failure is the cause; rank 0 only lost its peer
            raise RuntimeError(problems) from err
        raise
    _leave_group()
    problems = _end_helpers(helpers, grace_s=HELPER_EXIT_GRACE_S)
    if problems and not summary.get("cancelled"):
        raise RuntimeError(problems)
    summary["data_parallel"] = {"processes": world, "backend": backend}
    return summary


def backend_for(device: torch.device, world: int) -> str:
    """nccl with one visible GPU per rank, gloo on the CPU; a clear error otherwise."""
    if not dist.is_available():
        raise ValueError("train.devices > 1: this PyTorch build has no torch.distributed")
    if device.type == "cuda":
        visible = torch.cuda.device_count()
        if visible < world:
            raise ValueError(f"train.devices={world} but only {visible} CUDA GPU(s) are visible")
        return "nccl"
    if device.type == "cpu":
        return "gloo"
    raise ValueError(f"train.devices > 1 runs on CUDA GPUs or the CPU, not {device.type}")


def rank_device(device: torch.device, rank: int) -> torch.device:
    return torch.device("cuda", rank) if device.type == "cuda" else device


def _join_group(rank: int, world: int, port: int, backend: str, device: torch.device) -> None:
    _share_device(rank, world, device)
    dist.init_process_group(
        backend,
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world,
        timeout=COLLECTIVE_TIMEOUT,
    )


def join_env_group(local_rank: int, local_world: int, backend: str, device: torch.device) -> None:
    """Join a group torchrun set up (RANK, WORLD_SIZE, MASTER_ADDR/PORT in the environment)."""
    _share_device(local_rank, local_world, device)
    dist.init_process_group(backend, init_method="env://", timeout=COLLECTIVE_TIMEOUT)


def _share_device(local_rank: int, local_world: int, device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.set_device(local_rank)
    else:
        # N processes share the cores: without this each would start a thread per core.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))


def _leave_group() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def _helper_main(fn: Callable, ctx: Any, rank: int, world: int, port: int, backend: str) -> None:
    # Cancelling is rank 0's business (SIGTERM to the job, Ctrl-C in a terminal): a helper that
    # died first would turn a clean stop into a failed collective.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _join_group(rank, world, port, backend, ctx.device)
    try:
        fn(dataclasses.replace(ctx, device=rank_device(ctx.device, rank)))
    finally:
        _leave_group()


def _end_helpers(helpers: list[Any], grace_s: float) -> str:
    """Wait for the helpers (killing stragglers); '' when all exited cleanly, else why not."""
    problems = []
    for proc in helpers:
        proc.join(grace_s)
        if proc.is_alive():
            proc.kill()
            proc.join(5.0)
            problems.append(f"{proc.name} did not finish and was killed")
        elif proc.exitcode != 0:
            problems.append(f"{proc.name} exited with code {proc.exitcode} (see the log)")
    return "; ".join(problems)
