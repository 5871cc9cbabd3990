"""The static HTML report: what it holds, that it renders its charts in headless Chromium with
no network (screenshot saved), and PNG export of its charts (kaleido) or a clear message."""

from __future__ import annotations

import builtins
import io
import re
import zipfile
from pathlib import Path

import pytest

from engine.runs import chart_export
from engine.runs.bundle import report_html
from engine.runs.report import render_report, report_figures
from engine.runs.run_data import collect_run
from tests.engine.test_bundle import make_run

CHROMIUM = Path("/usr/bin/chromium")
CHART_SLUGS = ["race-summary", "race-first-task"] + [
    f"run{i}-{name}" for i in (1, 2) for name in ("loss", "dev-f1", "per-type", "matrix")
]


@pytest.fixture
def race(lab) -> list[int]:
    return [
        make_run(lab, "race-naive", "naive", "race", 0.0),
        make_run(lab, "race-ewc", "ewc", "race", 0.1),
    ]


def test_report_holds_the_table_and_every_chart_with_plotly_inline(race):
    runs = [collect_run(i) for i in race]
    assert [slug for slug, _, _ in report_figures(runs)] == CHART_SLUGS
    page = render_report(runs, title="Race <1>")
    assert "<title>Race &lt;1&gt;</title>" in page
    assert len(re.findall(r'<div class="chart">', page)) == len(CHART_SLUGS)
    assert "<script src=" not in page  # plotly.js is inline, below
    assert len(page) > 3_000_000  # plotly.js itself is inside
    for text in ("race-naive", "race-ewc", "continual/ewc", "0.500", "-0.400"):
        assert text in page
    assert report_html([race[0]]).count('<div class="chart">') == 4  # one run: no race charts


def test_one_finetune_run_without_matrix_has_no_matrix_chart(race):
    run = collect_run(race[0])
    run.cells = []
    assert [slug for slug, _, _ in report_figures([run])] == [
        f"run{run.id}-loss", f"run{run.id}-dev-f1", f"run{run.id}-per-type"
    ]  # fmt: skip


@pytest.mark.slow
def test_report_renders_its_charts_in_headless_chromium(race, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "report.html"
    path.write_text(report_html(race), encoding="utf-8")
    asked: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route(
                re.compile(r"^https?://"),
                lambda route: (asked.append(route.request.url), route.abort()),
            )
            page.goto(path.as_uri())
            page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
                arg=len(CHART_SLUGS),
                timeout=60_000,
            )
            plots = page.locator(".js-plotly-plot")
            assert plots.count() == len(CHART_SLUGS)
            assert (
                page.locator(
                    ".js-plotly-plot .heatmaplayer image, .js-plotly-plot .hm image"
                ).count()
                >= 2
            )
            assert page.locator(".js-plotly-plot .barlayer .point").count() >= 8
            assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 6
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert asked == []  # the report asked the network for nothing
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


@pytest.mark.slow
def test_charts_export_as_png_offline(race):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    pytest.importorskip("kaleido")
    archive = zipfile.ZipFile(io.BytesIO(chart_export.charts_png_zip(race)))
    assert sorted(archive.namelist()) == sorted(f"{slug}.png" for slug in CHART_SLUGS)
    for name in archive.namelist():
        assert archive.read(name)[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_export_degrades_with_a_clear_message(race, monkeypatch):
    real_import = builtins.__import__

    def no_kaleido(name, *args, **kwargs):
        if name == "kaleido":
            raise ImportError("no kaleido here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_kaleido)
    with pytest.raises(chart_export.ChartExportError, match="the HTML report works without it"):
        chart_export.charts_png_zip(race)
    with pytest.raises(chart_export.ChartExportError, match="no charts"):
        chart_export.png_zip([])
