"""storage.paths: LAB_HOME, the database URL and the per-purpose directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import paths


def test_lab_home_comes_from_env_and_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "a" / "b"))
    home = paths.lab_home()
    assert home == (tmp_path / "a" / "b").resolve()
    assert home.is_dir()


def test_lab_home_defaults_to_lab_data_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LAB_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    home = paths.lab_home()
    assert home == (tmp_path / "lab_data").resolve()
    assert home.is_absolute() and home.is_dir()


def test_database_url_defaults_to_sqlite_in_lab_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    monkeypatch.delenv("LAB_DB_URL", raising=False)
    assert paths.database_url() == f"sqlite:///{tmp_path.resolve()}/lab.db"
    assert paths.database_url().startswith("sqlite:////")  # absolute path form


def test_lab_db_url_overrides(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LAB_DB_URL", "postgresql+psycopg://lab@localhost/lab")
    assert paths.database_url() == "postgresql+psycopg://lab@localhost/lab"


def test_subdirectories_are_created_under_lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    home = tmp_path.resolve()
    assert paths.checkpoints_dir(7) == home / "checkpoints" / "7"
    assert paths.logs_dir() == home / "logs"
    assert paths.uploads_dir() == home / "uploads"
    for directory in (paths.checkpoints_dir(7), paths.logs_dir(), paths.uploads_dir()):
        assert directory.is_dir()


def test_checkpoints_dir_only_accepts_a_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    with pytest.raises(ValueError):
        paths.checkpoints_dir("../../etc")  # type: ignore[arg-type]
