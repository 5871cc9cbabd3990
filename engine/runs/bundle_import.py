"""Import a bundle (engine.runs.bundle) into this lab: new run ids, the same records and
checkpoints.

Nothing in a bundle is trusted as a path. Every member name is checked before anything is read
(no absolute names, no `..`, no backslashes, no links, a size cap against zip bombs); files are
only read at names built from the manifest's validated keys, and checkpoint files are written
under a staging folder that each resolved destination must stay inside. Paths inside the run's
summary are dropped; its checkpoint becomes the imported copy.

Checkpoints are unpacked first, then the rows are written in one transaction, then the folders
move into place: a failed import leaves neither half-written rows nor stray files.

    new_ids = import_bundle("race.zip")     # [7, 8]
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import yaml

from engine.runs.bundle import FINISHED, FORMAT, MANIFEST, VERSION, BundleError
from storage import bundles as bundle_store
from storage import continual as continual_store
from storage import runs as run_store
from storage.db import write_session
from storage.paths import lab_home
from storage.summary import CONTROL_FLAGS

_KEY = re.compile(r"run-\d{1,12}")
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # one path component, never . or ..
MAX_TOTAL_BYTES = int(os.environ.get("LAB_BUNDLE_MAX_BYTES", 20 * 2**30))
MAX_TABLE_BYTES = 512 * 2**20  # one CSV/JSON member, read into memory
MAX_RATIO = 200  # uncompressed / compressed: more is a zip bomb, not a checkpoint
MAX_MEMBERS = 100_000


def check_members(archive: zipfile.ZipFile) -> None:
    """Refuse the bundle if any member could escape a folder or is absurdly large."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BundleError(f"the bundle has {len(infos)} files; at most {MAX_MEMBERS}")
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (
            "\\" in name
            or name.startswith("/")
            or re.match(r"[A-Za-z]:", name)
            or ".." in parts
            or "\x00" in name
        ):
            raise BundleError(f"unsafe path in the bundle: {name!r}")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise BundleError(f"the bundle holds a link, which is not allowed: {name!r}")
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise BundleError(f"{name!r} expands {info.file_size // 2**20} MiB: not a lab bundle")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise BundleError(
            f"the bundle unpacks to {total / 2**30:.1f} GiB; at most "
            f"{MAX_TOTAL_BYTES / 2**30:.0f} GiB (LAB_BUNDLE_MAX_BYTES)"
        )


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise BundleError(f"the bundle has no {name}") from None
    if info.file_size > MAX_TABLE_BYTES:
        raise BundleError(f"{name} is too large ({info.file_size // 2**20} MiB)")
    return archive.read(info)


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        return json.loads(_read(archive, name).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BundleError(f"{name}: not valid JSON ({err})") from None


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = io.StringIO(_read(archive, name).decode("utf-8"), newline="")
    return list(csv.DictReader(text))


def _int(text: str) -> int | None:
    return None if text == "" else int(text)


def _float(text: str) -> float | None:
    return None if text == "" else float(text)


def _time(text: Any) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(str(text))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read_manifest(archive: zipfile.ZipFile) -> list[dict[str, Any]]:
    manifest = _json(archive, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("not a Lifelong NER Lab bundle (manifest.json has another format)")
    if manifest.get("version") != VERSION:
        raise BundleError(f"bundle version {manifest.get('version')!r}; this lab reads {VERSION}")
    entries = manifest.get("runs")
    if not isinstance(entries, list) or not entries:
        raise BundleError("the bundle lists no runs")
    keys = [e.get("key") if isinstance(e, dict) else None for e in entries]
    bad = [k for k in keys if not isinstance(k, str) or not _KEY.fullmatch(k)]
    if bad or len(set(keys)) != len(keys):
        raise BundleError(f"the bundle's run keys are not valid: {keys!r}")
    for entry in entries:
        stages = entry.get("checkpoints") or []
        if not isinstance(stages, list) or not all(
            isinstance(s, str) and _PART.fullmatch(s) for s in stages
        ):
            raise BundleError(f"{entry['key']}: invalid checkpoint stages {stages!r}")
    return entries


def stage_checkpoint(archive: zipfile.ZipFile, key: str, stage: str, staging: Path) -> Path:
    """Unpack runs/<key>/checkpoints/<stage>/ under `staging`; each name checked part by part."""
    prefix = f"runs/{key}/checkpoints/{stage}/"
    target = (staging / key / stage).resolve()
    found = 0
    for info in archive.infolist():
        if info.is_dir() or not info.filename.startswith(prefix):
            continue
        parts = info.filename[len(prefix) :].split("/")
        if len(parts) > 4 or not all(_PART.fullmatch(p) for p in parts):
            raise BundleError(f"unsafe checkpoint file name in the bundle: {info.filename!r}")
        dest = target.joinpath(*parts).resolve()
        if not dest.is_relative_to(target):
            raise BundleError(f"unsafe checkpoint file name in the bundle: {info.filename!r}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        found += 1
    if not (target / "config.json").is_file():
        raise BundleError(f"{key}: checkpoint {stage!r} is incomplete ({found} files, no config)")
    return target


def _summary(run: dict[str, Any], old_id: int) -> dict[str, Any]:
    """The summary without any path of the other machine, with where it came from; control
    flags of a bundle made before they became run columns are dropped (they steered the job
    on the other machine)."""
    summary = run.get("summary") if isinstance(run.get("summary"), dict) else {}
    clean = {
        k: v
        for k, v in summary.items()
        if k != "checkpoint"
        and k not in CONTROL_FLAGS
        and not (isinstance(v, str) and Path(v).is_absolute())
    }
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return clean | {"imported": {"from_run": old_id, "at": stamp}}


def _group(name: Any, taken: set[str], chosen: dict[str, str]) -> str | None:
    """The local group of an imported race: its own name, or "NAME (imported N)" if taken."""
    if not isinstance(name, str) or not name:
        return None
    if name not in chosen:
        candidate, n = name, 1
        while candidate in taken:
            candidate = f"{name} (imported)" if n == 1 else f"{name} (imported {n})"
            n += 1
        chosen[name] = candidate
        taken.add(candidate)
    return chosen[name]


def config_as_made(config: dict[str, Any]) -> dict[str, Any]:
    """A run's config as it ran. A pseudo-label run exported before `threshold_rule` existed
    ran with one fixed threshold; today's default would switch it (storage migration 0003 does
    the same to runs already stored). Every config exported since names the rule."""
    strategy = config.get("strategy")
    if not isinstance(strategy, dict) or strategy.get("kind") != "continual":
        return config
    params = strategy.get("params")
    params = params if isinstance(params, dict) else {}
    if strategy.get("method") not in ("pseudo_label", "pseudo_lwf") or "threshold_rule" in params:
        return config
    params = {**params, "threshold_rule": "fixed"}
    return {**config, "strategy": {**strategy, "params": params}}


def _insert_run(
    s: Any, archive: zipfile.ZipFile, entry: dict, run: Any, parent: int | None, group
) -> int:
    """Insert the run of `entry`; `run` is its parsed run.json (the caller read it already)."""
    key = entry["key"]
    base = f"runs/{key}"
    config = yaml.safe_load(_read(archive, f"{base}/config.yaml").decode("utf-8")) or {}
    if not isinstance(run, dict) or not isinstance(config, dict):
        raise BundleError(f"{base}: run.json or config.yaml is not a mapping")
    if run.get("status") not in FINISHED:
        raise BundleError(f"{base}: status {run.get('status')!r} is not a finished run's")
    times = run.get("times") or {}
    new_id = bundle_store.insert_finished_run(
        s,
        name=str(run.get("name") or key),
        kind=str(run.get("kind") or "finetune"),
        method=str(run.get("method") or "default"),
        config=config_as_made(config),
        summary=_summary(run, int(run.get("id") or 0)),
        status=run["status"],
        group_name=group,
        parent_id=parent,
        device=run.get("device"),
        error=run.get("error"),
        created_at=_time(times.get("created_at")),
        started_at=_time(times.get("started_at")),
        finished_at=_time(times.get("finished_at")),
    )
    _insert_tables(s, archive, base, new_id)
    return new_id


def _insert_tables(s: Any, archive: zipfile.ZipFile, base: str, run_id: int) -> None:
    try:
        points = [
            (int(r["step"]), r["key"], float(r["value"]), _int(r["task"]), float(r["wall_time"]))
            for r in _rows(archive, f"{base}/metrics.csv")
        ]
        run_store.add_metric_points(s, run_id, points)
        evaluations: dict[str, dict[str, Any]] = {}
        for r in _rows(archive, f"{base}/evaluations.csv"):
            scores = {k: float(r[k]) for k in ("precision", "recall", "f1")}
            scores["support"] = int(r["support"])
            ev = evaluations.setdefault(r["evaluation"], {"row": r, "per_type": {}})
            if r["entity_type"]:
                ev["per_type"][r["entity_type"]] = scores
            else:
                ev["overall"] = scores
        for ev in evaluations.values():
            r = ev["row"]
            run_store.add_evaluation(
                s, run_id, split=r["split"], stage=r["stage"], overall=ev["overall"],
                per_type=ev["per_type"], task=_int(r["task"]), step=_int(r["step"]),
            )  # fmt: skip
        cells = [
            (r["kind"], int(r["row"]), int(r["col"]), _float(r["value"]))
            for r in _rows(archive, f"{base}/matrices.csv")
        ]
        continual_store.add_matrix_cells(s, run_id, cells)
    except (KeyError, ValueError) as err:
        raise BundleError(f"{base}: a table is damaged ({type(err).__name__}: {err})") from None
    for record in _json(archive, f"{base}/records.json"):
        continual_store.add_record(
            s, run_id, kind=str(record["kind"]), stage=record.get("stage"),
            payload=record.get("payload") or {},
        )  # fmt: skip


def import_bundle(source: str | Path | IO[bytes]) -> list[int]:
    """Add the bundle's runs to this lab; returns their new ids in the bundle's order."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as err:
        raise BundleError(f"not a zip bundle ({err})") from None
    staging = lab_home() / "imports" / f".staging-{uuid.uuid4().hex}"
    try:
        with archive:
            check_members(archive)
            entries = read_manifest(archive)
            staged = {
                (e["key"], stage): stage_checkpoint(archive, e["key"], stage, staging)
                for e in entries
                for stage in e.get("checkpoints") or []
            }
            new_ids, moves = _write_rows(archive, entries, staged)
        for source_dir, target in moves:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(source_dir), str(target))
        return new_ids
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_rows(archive: zipfile.ZipFile, entries: list[dict], staged: dict) -> tuple[list, list]:
    new_ids: list[int] = []
    moves: list[tuple[Path, Path]] = []
    by_old: dict[int, int] = {}
    chosen_groups: dict[str, str] = {}
    with write_session() as s:
        taken = bundle_store.group_names(s)
        for entry in entries:
            run = _json(archive, f"runs/{entry['key']}/run.json")
            parent = by_old.get(run.get("parent_id")) if isinstance(run, dict) else None
            group = _group(
                run.get("group_name") if isinstance(run, dict) else None, taken, chosen_groups
            )
            new_id = _insert_run(s, archive, entry, run, parent, group)
            by_old[int(entry["key"][4:])] = new_id
            new_ids.append(new_id)
            summary_path = None
            for stage in entry.get("checkpoints") or []:
                target = lab_home() / "runs" / str(new_id) / "checkpoints" / stage
                moves.append((staged[(entry["key"], stage)], target))
                run_store.add_artifact(s, new_id, kind="checkpoint", path=str(target), stage=stage)
                if stage == entry.get("summary_checkpoint"):
                    summary_path = str(target)
            if summary_path is not None:
                run_store.update_summary(s, new_id, {"checkpoint": summary_path})
    return new_ids, moves
