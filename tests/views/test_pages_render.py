"""Every page renders without an exception, on an empty and on a populated database, quickly."""

from __future__ import annotations

import pytest

from .conftest import PAGES, open_page

# Generous: AppTest adds its own overhead and CI machines are slow; a page that imported
# torch would take several seconds on its first render.


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_an_empty_database(fake_jobs, page):
    at = open_page(page)
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_a_populated_database(populated, page):
    at = open_page(page)
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]


def test_app_starts_on_home(fake_jobs):
    from streamlit.testing.v1 import AppTest

    from .conftest import APP, TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert at.title[0].value == "Lifelong NER Lab"
    assert at.button(key="home_try_it")


@pytest.mark.parametrize("which", ["succeeded", "running", "failed"])
def test_run_page_renders_each_status(populated, which):
    run_id = getattr(populated, which)
    at = open_page("views/runs.py", run=str(run_id))
    _no_exception(at)
    assert at.title[0].value.startswith(f"Run {run_id}:")
    errors = [e.value for e in at.error]
    if which == "failed":
        assert any("DataError: train.txt:3: bad tag" in e for e in errors)
    else:
        assert not errors


def test_run_page_with_an_unknown_or_bad_id(populated):
    at = open_page("views/runs.py", run="999")
    _no_exception(at)
    assert "There is no run 999." in [e.value for e in at.error]
    at = open_page("views/runs.py", run="abc")
    _no_exception(at)
    assert at.dataframe(key="runs_table") is not None
