"""Training-state checkpoints: everything `fit` needs to continue a killed run exactly.

Written at the end of each epoch (and read by `python -m engine resume ID`): the model weights,
the optimizer's moments, the scheduler position, the loop's counters, the best dev weights so
far and every random-number generator's state. Only safetensors and JSON are written or read
(RELIABILITY 22: no pickle); the folder is written under a temporary name and renamed into place,
so a kill mid-save leaves the previous state loadable (RELIABILITY 12).

    save_train_state(folder, run, result, optimizer, scheduler, scaler, epoch=2)
    epoch = restore_train_state(folder, run, result, optimizer, scheduler, scaler)

Layout of `folder`: `model.safetensors`, `optimizer.safetensors` (one tensor per
`state.<param index>.<name>`), `best.safetensors` (when a best exists) and `state.json` (loop
counters, optimizer param groups, scheduler and scaler states, RNG states as lists of ints).
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, load_model, save_file, save_model

from engine.models.checkpoint import old_path, write_folder_atomically

TRAIN_STATE_DIR = "train_state"  # the folder's name under a run's folder (LAB_HOME/runs/<ID>/)
STATE_FILE = "state.json"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
BEST_FILE = "best.safetensors"
FORMAT_VERSION = 1


class TrainStateError(ValueError):
    """A training state that is missing, damaged or belongs to another model."""


def find_train_state(folder: Path) -> Path | None:
    """`folder` if it holds a complete state, else the previous one a kill mid-save left."""
    folder = Path(folder)
    for candidate in (folder, old_path(folder)):
        if (candidate / STATE_FILE).is_file() and (candidate / MODEL_FILE).is_file():
            return candidate
    return None


def saved_step(folder: Path) -> int | None:
    """The optimizer steps a state in `folder` has done (None: no readable state)."""
    found = find_train_state(folder)
    try:
        state = json.loads((found / STATE_FILE).read_text(encoding="utf-8")) if found else None
        return int(state["result"]["steps"]) if state else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_train_state(
    folder: Path, run: Any, result: Any, optimizer: Any, scheduler: Any, scaler: Any, *, epoch: int
) -> Path:
    """Write the state after `epoch` finished epochs; `run` is loop.Fit, `result` LoopResult."""

    def write(tmp: Path) -> None:
        save_model(_unwrapped(run.model), str(tmp / MODEL_FILE))
        tensors, groups = _flatten_optimizer(optimizer.state_dict())
        save_file(tensors, str(tmp / OPTIMIZER_FILE))
        if run.best_state is not None:
            best = {k: v.detach().to("cpu").contiguous() for k, v in run.best_state.items()}
            save_file(best, str(tmp / BEST_FILE))
        state = {
            "format": FORMAT_VERSION,
            "epoch": epoch,
            "result": dataclasses.asdict(result),
            "evals_without_gain": run.evals_without_gain,
            "param_groups": groups,
            "scheduler": _plain(scheduler.state_dict()),
            "scaler": _plain(scaler.state_dict()) if scaler.is_enabled() else None,
            "rng": _rng_states(),
        }
        (tmp / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")

    # A kill between the swap's two renames leaves only `.NAME.old`: find_train_state uses it.
    return write_folder_atomically(Path(folder), write)


def restore_train_state(
    folder: Path, run: Any, result: Any, optimizer: Any, scheduler: Any, scaler: Any
) -> int:
    """Load a state written by save_train_state into the live objects; the finished epochs."""
    found = find_train_state(folder)
    if found is None:
        raise TrainStateError(f"no training state in {folder} (it was deleted or never written)")
    folder = found
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        missing, unexpected = load_model(_unwrapped(run.model), str(folder / MODEL_FILE))
        if missing or unexpected:
            raise TrainStateError(
                f"the training state in {folder} is for another model "
                f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
            )
        optimizer.load_state_dict(
            _optimizer_state(load_file(str(folder / OPTIMIZER_FILE)), state, optimizer)
        )
        scheduler.load_state_dict(state["scheduler"])
        if state["scaler"] is not None:
            scaler.load_state_dict(state["scaler"])
        if (folder / BEST_FILE).is_file():
            device = next(iter(run.model.state_dict().values())).device
            best = load_file(str(folder / BEST_FILE))
            run.best_state = {k: v.to(device) for k, v in best.items()}
    except TrainStateError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as err:
        # a damaged file, or one written for another model
        detail = " ".join(str(err).split())  # torch's size-mismatch report spans lines
        raise TrainStateError(f"cannot load the training state in {folder}: {detail}") from err
    for field in dataclasses.fields(result):
        setattr(result, field.name, state["result"][field.name])
    run.evals_without_gain = state["evals_without_gain"]
    _set_rng_states(state["rng"])
    return int(state["epoch"])


def _unwrapped(model: Any) -> Any:
    """The module whose weights are saved (DistributedDataParallel keeps it in .module)."""
    return getattr(model, "module", model)


def _flatten_optimizer(state_dict: dict[str, Any]) -> tuple[dict[str, torch.Tensor], list[Any]]:
    tensors: dict[str, torch.Tensor] = {}
    for index, values in state_dict["state"].items():
        for name, value in values.items():
            tensor = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"state.{index}.{name}"] = tensor.detach().to("cpu").contiguous()
    return tensors, _plain(state_dict["param_groups"])


def _optimizer_state(
    tensors: dict[str, torch.Tensor], state: dict[str, Any], optimizer: Any
) -> dict[str, Any]:
    per_param: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        _, index, name = key.split(".", 2)
        per_param.setdefault(int(index), {})[name] = tensor
    fresh = optimizer.state_dict()["param_groups"]
    if len(fresh) != len(state["param_groups"]):
        raise TrainStateError("the training state's optimizer has other parameter groups")
    groups = []
    for new, saved in zip(fresh, state["param_groups"], strict=True):
        # JSON turned tuples (AdamW's betas) into lists: give values back their live types.
        groups.append({k: _like(new.get(k), v) for k, v in saved.items()})
    return {"state": per_param, "param_groups": groups}


def _like(live: Any, saved: Any) -> Any:
    return tuple(saved) if isinstance(live, tuple) else saved


def _plain(value: Any) -> Any:
    """A JSON-ready copy: tensors become numbers or lists, tuples lists."""
    if torch.is_tensor(value):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _rng_states() -> dict[str, Any]:
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": [version, list(internal), gauss],
        "numpy": [kind, keys.tolist(), pos, has_gauss, cached],
        "torch": torch.get_rng_state().tolist(),
        "cuda": [s.tolist() for s in torch.cuda.get_rng_state_all()]
        if torch.cuda.is_available()
        else [],
    }


def _set_rng_states(rng: dict[str, Any]) -> None:
    version, internal, gauss = rng["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = rng["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(torch.tensor(rng["torch"], dtype=torch.uint8))
    if rng["cuda"] and torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in rng["cuda"]])
