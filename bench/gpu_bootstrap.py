"""GPU check, step 0: make the engine importable in the GPU image's bare python3.

What the image lacks (pydantic, seqeval, SQLAlchemy, alembic; tqdm if absent) is installed from
the wheels carried in bench/wheels (`bash bench/gpu_wheels.sh` fetches them) into a folder under
the temp dir with `pip install --no-index --no-deps --target` (or by unpacking the wheels where
the image has no pip), put first on sys.path. Imports nothing but the standard library (and
`packaging` when unpacking), so it runs before torch and the engine are imported.

    BOOT = bootstrap()  # then import torch and the engine
"""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WHEELS = REPO / "bench" / "wheels"

# module the engine imports -> the distributions that provide it (with the ones it needs that
# the GPU image does not have); installed only when the module is missing.
CARRIED: dict[str, tuple[str, ...]] = {
    "pydantic": (
        "pydantic",
        "pydantic-core",
        "annotated-types",
        "typing-inspection",
        "typing-extensions",
    ),
    "seqeval": ("seqeval",),  # its numpy + scikit-learn are in the image
    "tqdm": ("tqdm",),  # a transformers dependency, so normally there already
    # engine.training.distributed imports engine.jobs.task_gate -> storage.db -> sqlalchemy and
    # (storage.schema) alembic at module level: the training loop cannot be imported without
    # them, though no database is opened. alembic's Mako needs MarkupSafe: in the image (jinja2).
    "sqlalchemy": ("sqlalchemy",),
    "alembic": ("alembic", "mako"),
}
# The image's own packages; the check says which is missing rather than failing on an import.
IMAGE = ("torch", "transformers", "accelerate", "safetensors", "numpy", "sklearn", "yaml")


def deps_dir() -> Path:
    tag = f"py{sys.version_info.major}{sys.version_info.minor}-{platform.machine()}"
    return Path(tempfile.gettempdir()) / f"lab-gpu-check-deps-{tag}"


def missing_modules() -> list[str]:
    importlib.invalidate_caches()
    return [m for m in CARRIED if importlib.util.find_spec(m) is None]


def unpack_wheels(dists: list[str], target: Path) -> None:
    """No pip in the image: unpack the best-fitting wheel of each distribution (a wheel is a
    zip of what site-packages would hold)."""
    from packaging.tags import sys_tags
    from packaging.utils import canonicalize_name, parse_wheel_filename

    rank = {tag: i for i, tag in enumerate(sys_tags())}
    for dist in dists:
        best: tuple[int, Path] | None = None
        for wheel in WHEELS.glob("*.whl"):
            name, _, _, tags = parse_wheel_filename(wheel.name)
            if name != canonicalize_name(dist):
                continue
            fit = min((rank[t] for t in tags if t in rank), default=None)
            if fit is not None and (best is None or fit < best[0]):
                best = (fit, wheel)
        if best is None:
            raise RuntimeError(f"no wheel of {dist} in {WHEELS} fits this Python")
        with zipfile.ZipFile(best[1]) as archive:
            archive.extractall(target)


def bootstrap() -> dict[str, Any]:
    """Make the engine importable here: install what the image lacks from bench/wheels."""
    if sys.version_info < (3, 11):  # noqa: UP036  (the image's python3 is not ours to pick)
        raise SystemExit(f"the engine needs Python >= 3.11; this is {platform.python_version()}")
    absent = [m for m in IMAGE if importlib.util.find_spec(m) is None]
    if absent:
        raise SystemExit(f"this image lacks {', '.join(absent)}; gpu_check expects them installed")
    target = deps_dir()
    if target.is_dir():  # an earlier run on this machine installed them
        sys.path.insert(0, str(target))
    missing = missing_modules()
    info: dict[str, Any] = {"missing": missing, "installed": [], "target": None, "how": None}
    if not missing:
        return info
    if not WHEELS.is_dir() or not any(WHEELS.glob("*.whl")):
        raise SystemExit(
            f"{', '.join(missing)} missing and no wheels in {WHEELS}: run "
            "`bash bench/gpu_wheels.sh` where a package index is reachable and carry bench/wheels"
        )
    dists = sorted({d for m in missing for d in CARRIED[m]})
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if importlib.util.find_spec("pip") is not None:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
        cmd += ["--disable-pip-version-check", "--upgrade", "--find-links", str(WHEELS)]
        cmd += ["--target", str(target), *dists]
        subprocess.run(cmd, check=True)
        info["how"] = "pip --no-index --target"
    else:
        unpack_wheels(dists, target)
        info["how"] = "unpacked wheels"
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(target), str(REPO), os.environ.get("PYTHONPATH")) if p
    )
    still = missing_modules()
    if still:
        raise SystemExit(f"installed from {WHEELS} but still cannot import {', '.join(still)}")
    info.update(
        installed=dists, target=str(target), seconds=round(time.perf_counter() - started, 1)
    )
    return info
