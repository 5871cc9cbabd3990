"""A SQLite file whose tail was cut off or overwritten ends in a clear state (faults).

"Clear state" (storage/sqlite_damage.py): no traceback anywhere, one line naming the file and
how to recover (CLI exit 1, the same text on a dashboard page); the lab never writes to the
damaged file (its bytes do not change); rows in undamaged pages stay readable where SQLite
allows: the lab still lists the runs when SQLite opens the file, and `sqlite3 .dump` writes out
every run row in both cases.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from storage.db import get_engine
from storage.sqlite_damage import DatabaseDamaged
from tests.conftest import REPO
from tests.reliability.helpers import NAMES, damage, populate


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def engine_cli(lab: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"LAB_HOME": str(lab), "LAB_MAX_JOBS": "0"}
    env["LAB_DB_URL"] = f"sqlite:///{lab / 'lab.db'}"
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], db: Path) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: the lab database {db} is damaged (")
    assert "lab-recovered.sql" in lines[0]


@pytest.mark.parametrize("kind", ["truncated", "overwritten"])
def test_a_damaged_tail_ends_in_a_clear_state(lab, kind, tmp_path):
    ids = populate()
    db = lab / "lab.db"
    damage(db, kind)
    before = digest(db)

    listed = engine_cli(lab, "list")
    if kind == "truncated":  # SQLite sees it on the first statement: start-up refuses
        assert_one_clear_line(listed, db)
        with pytest.raises(DatabaseDamaged, match="is damaged"):
            get_engine()
    else:  # the run rows are intact and still served; reading the lost pages fails clearly
        assert listed.returncode == 0, listed.stderr
        assert all(name in listed.stdout for name in NAMES)
        assert_one_clear_line(engine_cli(lab, "export", str(ids[-1]), str(tmp_path / "x")), db)

    page = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    page.switch_page("views/runs.py")
    page.run()
    shown = " ".join(e.value for e in page.error)
    assert not page.exception, page.exception  # no traceback on the page
    if kind == "truncated":
        assert "is damaged" in shown, shown

    assert digest(db) == before  # nothing wrote to the damaged file
    if shutil.which("sqlite3"):
        dump = subprocess.run(["sqlite3", str(db), ".dump"], capture_output=True, text=True)
        for name in NAMES:  # every run row comes back out
            assert f"'{name}'" in dump.stdout
