"""Where the lab keeps its files: the SQLite database, checkpoints, job logs and uploads.

Everything lives under `LAB_HOME` (default `./lab_data`); `LAB_DB_URL` overrides the database.
Each helper creates its directory, so callers can write into the result straight away.

Usage::

    from storage.paths import checkpoints_dir
    ckpt = checkpoints_dir(run_id) / "final"
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_LAB_HOME = "./lab_data"
DB_FILENAME = "lab.db"


def lab_home() -> Path:
    """The lab's root directory, absolute, created if missing."""
    home = Path(os.environ.get("LAB_HOME") or DEFAULT_LAB_HOME).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url() -> str:
    """`LAB_DB_URL` if set, else a SQLite file inside `lab_home()`."""
    url = os.environ.get("LAB_DB_URL")
    if url:
        return url
    # An absolute path gives the four-slash form sqlite:////abs/path/lab.db.
    return f"sqlite:///{lab_home() / DB_FILENAME}"


def _subdir(*parts: str) -> Path:
    path = lab_home().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def checkpoints_dir(run_id: int) -> Path:
    """Directory for one run's checkpoints: `<lab_home>/checkpoints/<run_id>`."""
    # int() so that nothing but a number can ever become part of the path.
    return _subdir("checkpoints", str(int(run_id)))


def logs_dir() -> Path:
    """Directory for job log files: `<lab_home>/logs`."""
    return _subdir("logs")


def uploads_dir() -> Path:
    """Directory for uploaded datasets (stored under server-chosen names): `<lab_home>/uploads`."""
    return _subdir("uploads")
