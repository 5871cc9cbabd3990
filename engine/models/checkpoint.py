"""Checkpoints in Hugging Face format, written atomically.

A checkpoint folder holds safetensors weights, the tokenizer, config.json with id2label/label2id
and `lab_config.json` (the run's full resolved config), so
`transformers.pipeline("token-classification", model=DIR)` works on it and the run can be
repeated. It is written under a temporary name and renamed into place, so a kill mid-save leaves
the previous checkpoint loadable (RELIABILITY 12).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

LAB_CONFIG = "lab_config.json"


def export_model(model: Any) -> Any:
    """The plain transformers model to save: LoRA adapters are merged into the base weights."""
    if hasattr(model, "merge_and_unload") and hasattr(model, "peft_config"):
        import copy

        return copy.deepcopy(model).merge_and_unload()
    return model


def save_checkpoint(model: Any, tokenizer: Any, target: Path, run_config: dict[str, Any]) -> Path:
    def write(tmp: Path) -> None:
        export_model(model).save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / LAB_CONFIG).write_text(json.dumps(run_config, indent=2), encoding="utf-8")

    return write_folder_atomically(target, write)


def write_folder_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Fill a fresh temporary folder next to `target` with `write(tmp)`, then swap it into
    place. A kill at any point leaves either the previous folder or `.NAME.old` (a kill between
    the two renames) whole; the next save removes what it left half-written."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        write(tmp)
        old = old_path(target)
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def old_path(target: Path) -> Path:
    """Where write_folder_atomically parks the previous `target` while it swaps the new one in."""
    return target.with_name(f".{target.name}.old")


def remove_stale_temporaries(target: Path) -> None:
    """Delete half-written `.NAME.*` folders a killed save left next to `target`.

    `.NAME.old` stays when `target` is missing: a kill between the two renames left the
    previous checkpoint there, and it is the only whole one.
    """
    old = old_path(target)
    for leftover in target.parent.glob(f".{target.name}.*"):
        if leftover.is_dir() and (leftover != old or target.exists()):
            shutil.rmtree(leftover, ignore_errors=True)


def is_checkpoint(path: Path) -> bool:
    return (path / "config.json").is_file() and any(path.glob("*.safetensors"))
