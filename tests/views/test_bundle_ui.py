"""Sharing on the Runs and Forgetting pages: report / bundle / PNG buttons, and importing a
bundle (a real one, made by engine.runs.bundle from runs in this lab)."""

from __future__ import annotations

from engine import api as jobs
from engine.runs.bundle import bundle_bytes
from storage import queries
from storage.db import read_session
from tests.engine.test_bundle import make_run

from .conftest import open_page


def keys(at) -> set[str]:
    return {w.key for kind in (at.button, at.get("download_button")) for w in kind if w.key}


def test_a_finished_run_offers_report_bundle_and_png(populated, monkeypatch):
    at = open_page("views/runs.py", run=str(populated.succeeded))
    assert not at.exception, [e.value for e in at.exception]
    run = populated.succeeded
    assert "Share" in [s.value for s in at.subheader]
    assert {f"share_report_run{run}", f"share_bundle_run{run}"} <= keys(at)
    monkeypatch.setattr(jobs, "charts_png_zip", lambda ids: b"PK-" + str(ids).encode())
    at.button(key=f"share_png_prepare_run{run}").click()
    at.run()
    assert at.session_state[f"share_png_run{run}"] == f"PK-[{run}]".encode()
    assert f"share_png_download_run{run}" in keys(at)


def test_png_export_that_cannot_work_says_so(populated, monkeypatch):
    def no_browser(ids):
        raise jobs.ChartExportError(
            "could not draw the charts (no chromium); the HTML report works"
        )

    monkeypatch.setattr(jobs, "charts_png_zip", no_browser)
    at = open_page("views/runs.py", run=str(populated.succeeded))
    at.button(key=f"share_png_prepare_run{populated.succeeded}").click()
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "PNG export is not available here: could not draw the charts (no chromium); "
        "the HTML report works"
    ]


def test_an_active_run_cannot_be_shared_yet(populated):
    at = open_page("views/runs.py", run=str(populated.running))
    assert any("once the run has finished" in c.value for c in at.caption)
    assert not any(k.startswith("share_") for k in keys(at))


def test_importing_a_bundle_from_the_run_list(fake_jobs, lab):
    original = make_run(lab, "from-home", "replay", "lesson", 0.0)
    data = bundle_bytes([original])
    at = open_page("views/runs.py")
    at.file_uploader(key="bundle_upload").set_value(("home.zip", data, "application/zip"))
    at.run()
    at.button(key="bundle_import").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == [f"Imported 1 run(s): {original + 1}."]
    with read_session() as s:
        copy = queries.get_run(s, original + 1)
    assert (copy.name, copy.method, copy.group_name) == ("from-home", "replay", "lesson (imported)")

    at.file_uploader(key="bundle_upload").set_value(("bad.zip", b"PK nope", "application/zip"))
    at.run()
    at.button(key="bundle_import").click()
    at.run()
    assert at.error[0].value.startswith("Could not import the bundle: not a zip bundle")


def test_a_strategy_race_can_be_shared_from_the_forgetting_page(fake_jobs, lab):
    first = make_run(lab, "race-naive", "naive", "race", 0.0)
    make_run(lab, "race-ewc", "ewc", "race", 0.1)
    at = open_page("views/forgetting.py", run=str(first))
    assert not at.exception, [e.value for e in at.exception]
    assert "**Share this race**" in [m.value for m in at.markdown]
    assert {"share_report_race", "share_bundle_race", "share_png_prepare_race"} <= keys(at)
