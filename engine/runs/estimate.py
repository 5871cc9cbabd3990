"""How long a run will take on this machine: a range, with the basis it stands on. Torch-free.

    seconds = overhead + fixed + s x units

`units` is the run's work (engine.runs.workload: sentences x mean sub-tokens x epochs, dev
passes, T x T continual evaluations, episodes, documents) in training sub-token equivalents,
`fixed` its reports, captures and checkpoints (engine.runs.throughput). `s`, seconds per unit,
is measured: the median over this host's SUCCEEDED runs of the same family (ner: finetune and
continual; mlm: pretrain; meta), backbone, device and precision ("measured on this machine from N
runs"), else over other families of the backbone, scaled by their cost per sub-token. `overhead`
is the median start-up those runs' wall times leave unexplained, counted apart for workers that
started warm (a worker kept by this process, its imports done or under way) and cold. With no
run of the backbone here, a short timing test (engine.runs.calibrate, started in the background,
cached in LAB_HOME) gives `s` and the start-up ("calibrated"); until it has finished, GUESS
does ("rough guess"). The range is the prediction times RANGES[basis], its top widened while the
machine is busy (load above one per core).

    est = estimate_run(cfg)      # Estimate(low_s, high_s, basis, runs, explanation, ...)
    total = combine([estimate_run(c) for c in configs])  # runs one after another
"""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from engine.config import RunConfig
from engine.runs import calibrate
from engine.runs import throughput as tp
from engine.runs.data_sizes import Sizes
from engine.runs.workload import trained_shape, workload
from storage.db import read_session
from storage.queries import list_datasets

Basis = Literal["measured", "calibrated", "guess"]
BASES: tuple[Basis, ...] = ("guess", "calibrated", "measured")  # weakest first
# (low, high) as shares of the prediction; "few": measured on one run, or on other kinds
RANGES = {"measured": (0.8, 1.3), "few": (0.7, 1.45), "calibrated": (0.6, 1.8), "guess": (0.4, 2.5)}
GUESS_STARTUP_S = 8.0  # Python, torch, transformers, the model: 5-7 s on a quiet 2-core CPU
GUESS_IMPORTS_S = 6.0  # of which the imports, which a warm worker has done ahead
WARM_HANDOVER_S = 0.5  # a warm worker's hand-over: the run's order, the log, the claim
LOOP_FACTOR = 1.2  # the real loop (collate, logging, tracker writes) over the test's bare steps
GPU_SPEEDUP = 15.0  # a guess for a GPU without any measurement
NEAREST = 8  # the newest matching runs count; older ones may predate an upgrade
PRECISIONS = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


@dataclass(frozen=True)
class Estimate:
    low_s: float
    high_s: float
    seconds: float  # the model's prediction, inside the range
    basis: Basis
    runs: int  # earlier runs the throughput was measured on (basis "measured")
    scaled: bool  # measured on other kinds of run of this backbone, scaled to this one
    backbone: str
    device: str
    train_tokens: int  # training sub-tokens (forward + backward)
    tokens_per_s: float  # training sub-tokens per second assumed, step costs included
    overhead_s: float  # start-up and the fixed costs
    busy: float | None = None  # load per core now, when above 1
    explanation: str = ""


@lru_cache(maxsize=1)
def _catalog() -> tuple[dict[str, Any], ...]:
    from engine.data.service import builtin_catalog  # reads the corpora once per process

    return tuple(builtin_catalog())


def _datasets() -> list[Any]:
    with read_session() as s:
        return list_datasets(s)


def machine_device(cfg: RunConfig) -> str:
    """The device a run of `cfg` gets here (engine.device.pick_device, without torch)."""
    if cfg.train.device != "auto":
        return cfg.train.device
    from engine.jobs.machine import visible_gpu_ids

    if visible_gpu_ids():
        return "cuda"
    apple = platform.system() == "Darwin" and platform.machine() == "arm64"
    return "mps" if apple else "cpu"


def estimate_run(
    cfg: RunConfig,
    *,
    parent: RunConfig | None = None,
    history: tp.History | None = None,
    start_calibration: bool = True,
    load: float | None = None,
) -> Estimate | None:
    """The estimate of `cfg` on this machine; None when its data's size is unknown.

    `parent`: the config of the run that `cfg.backbone` (run:ID) will name once that has run (a
    lesson's later step). `history`: default the cached one (tp.load_history). Without any
    measurement a calibration starts in the background unless `start_calibration` is False.
    `load`: load average per core now (default: os.getloadavg)."""
    history = history if history is not None else tp.load_history()
    sizes = Sizes(_catalog(), _datasets)
    base = trained_shape(parent, lambda b: tp.shape(b, history)) if parent else None
    backbone = base or tp.shape(cfg.backbone, history)
    work = workload(cfg, sizes, trained_shape(cfg, lambda b: backbone))
    if work is None:
        return None
    device, precision = machine_device(cfg), PRECISIONS.get(cfg.train.precision)
    observed = []
    for row in history.rows:
        if row["id"] not in history.observed:
            history.observed[row["id"]] = tp.observe(row, history, sizes)
        o = history.observed[row["id"]]
        if o is not None and o.device == device and precision in (None, o.precision):
            observed.append(o)
    mine = [o for o in observed if o.work.backbone == work.backbone]
    same = [o for o in mine if o.work.family == work.family][:NEAREST]
    others = [o for o in mine if o.work.family != work.family][:NEAREST]
    cal = calibrate.cached(work.backbone, device)
    basis: Basis = "measured"
    if same:
        rate = statistics.median(o.rate for o in same)
    elif others:  # per sub-token of token classification, then this family's
        rate = statistics.median(o.rate / tp.family_cost(o.work, device) for o in others)
        rate *= tp.family_cost(work, device)
    elif cal is not None:
        basis, rate = "calibrated", cal.token_s * LOOP_FACTOR * tp.family_cost(work, device)
    else:
        basis = "guess"
        rate = tp.GUESS.get(work.backbone, tp.GUESS["other"])[0] * tp.family_cost(work, device)
        rate /= GPU_SPEEDUP if device != "cpu" else 1.0
    if start_calibration and not same and not others and (cal is None or cal.busy):
        calibrate.start(work.backbone, device)  # the next estimate is calibrated (again)
    overhead = startup_s(same or mine or observed[:NEAREST], cal, expected_start())
    fixed = tp.fixed_s(work)
    seconds = overhead + fixed + rate * tp.units(work, device)
    runs = len(same or others) if basis == "measured" else 0
    spread = "few" if basis == "measured" and (runs < 2 or not same) else basis
    if basis == "calibrated" and cal is not None and cal.busy:
        spread = "guess"  # timed while other processes ran: as uncertain as a guess
    low, high = RANGES[spread]
    if load is None:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    busy = load if load > 1.0 else None
    train_s = rate * tp.train_units(work, device)
    speed = work.train_tokens / train_s if train_s > 0 else 0.0
    return Estimate(
        low_s=seconds * low,
        high_s=seconds * high * min(busy or 1.0, 3.0),
        seconds=seconds,
        basis=basis,
        runs=runs,
        scaled=basis == "measured" and not same,
        backbone=work.backbone,
        device=device,
        train_tokens=round(work.train_tokens),
        tokens_per_s=speed,
        overhead_s=overhead + fixed,
        busy=busy,
        explanation=explain(work.train_tokens, speed, seconds, basis, runs, work.backbone, device),
    )


def expected_start() -> str:
    """How a job submitted now starts: "warm" when this process keeps a worker ready
    (engine.jobs.warm_pool: the dashboard does), else "cold" (it imports torch first)."""
    from engine.jobs import warm_pool

    return "warm" if warm_pool.kept_alive() else "cold"


def startup_s(runs: list[tp.Observed], cal: calibrate.Calibration | None, start: str) -> float:
    """The start-up the wall times of `runs` leave unexplained, for a worker that starts
    `start`: the median over those that started the same way; from the other way's, plus or
    minus the imports (the timing test's, else a guess); without runs, the test's or a guess."""
    imports = cal.startup_s if cal is not None else GUESS_IMPORTS_S
    alike = [o.residual for o in runs if o.start == start and o.residual is not None]
    other = [o.residual for o in runs if o.start != start and o.residual is not None]
    if alike:
        return max(statistics.median(alike), 1.0)
    if other:
        shift = -imports if start == "warm" else imports
        return max(statistics.median(other) + shift, 1.0)
    if cal is not None:
        return cal.load_s + (imports if start == "cold" else WARM_HANDOVER_S)
    return GUESS_STARTUP_S - (GUESS_IMPORTS_S if start == "warm" else 0.0)


def basis_text(basis: Basis, runs: int) -> str:
    return {
        "measured": f"measured on this machine from {runs} earlier run(s)",
        "calibrated": "calibrated on this machine by a short timing test",
        "guess": "a rough guess: no run of this model measured on this machine yet",
    }[basis]


def explain(tokens: float, speed: float, seconds: float, basis: Basis, runs: int, backbone: str,
            device: str) -> str:  # fmt: skip
    """One line: the prediction, its basis and what it is made of."""
    return (
        f"about {seconds:.0f} s ({basis_text(basis, runs)}): {tokens:,.0f} training sub-tokens "
        f"at {speed:,.0f}/s ({backbone} on {device}), plus evaluation and start-up"
    )


def combine(estimates: list[Estimate | None]) -> Estimate | None:
    """Runs one after another: the sums, on the weakest basis among them; None if any is."""
    if not estimates or any(e is None for e in estimates):
        return None
    known = [e for e in estimates if e is not None]
    worst = min(known, key=lambda e: (BASES.index(e.basis), e.runs))
    seconds = sum(e.seconds for e in known)
    tokens = sum(e.train_tokens for e in known)
    backbone = "/".join(dict.fromkeys(e.backbone for e in known))
    return Estimate(
        low_s=sum(e.low_s for e in known),
        high_s=sum(e.high_s for e in known),
        seconds=seconds,
        basis=worst.basis,
        runs=worst.runs,
        scaled=any(e.scaled for e in known),
        backbone=backbone,
        device=worst.device,
        train_tokens=tokens,
        tokens_per_s=worst.tokens_per_s,
        overhead_s=sum(e.overhead_s for e in known),
        busy=worst.busy,
        explanation=explain(
            tokens, worst.tokens_per_s, seconds, worst.basis, worst.runs, backbone, worst.device
        ),  # fmt: skip
    )
