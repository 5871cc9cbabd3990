"""The main click path in a real browser: upload -> wizard (tiny) -> launch -> SUCCEEDED.

Headless Debian Chromium driven by Playwright's Python package (never a downloaded browser),
against `streamlit run app.py` on a loopback port with its own LAB_HOME. Screenshots land in
`screenshots/` (git-ignored) so a person can look at what the user saw.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.data.builtin import load_builtin
from tests.conftest import REPO
from tests.reliability.served import CHROMIUM, chromium, open_page, start_server, stop_server

SHOTS = REPO / "screenshots"

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    pytest.importorskip("playwright.sync_api")
    served = start_server(tmp_path / "lab", tmp_path / "streamlit.log")
    try:
        yield served.url
    finally:
        stop_server(served.proc)
        subprocess.run(["pkill", "-f", f"LAB_HOME={tmp_path}"], check=False)


def small_conll(path: Path, n: int = 240) -> Path:
    lines = []
    for s in load_builtin("news", "train")[:n]:
        lines += [f"{tok} {tag}" for tok, tag in zip(s.tokens, s.tags, strict=True)] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def click(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()


def test_upload_wizard_launch_and_watch_success(server, tmp_path):
    from playwright.sync_api import expect

    data_file = small_conll(tmp_path / "my_news.conll")
    with chromium() as browser:
        # Every wait holds on a loaded 2-core machine: expect() has its own 5 s default, which
        # page.set_default_timeout (60 s, open_page) does not change (a busy CI run failed on
        # exactly that).
        expect.set_options(timeout=60_000)
        page = open_page(browser, server)  # as after `make run`: the home page, then the sidebar
        expect(page.get_by_text("Lifelong NER Lab").first).to_be_visible()
        page.locator("[data-testid=stSidebar]").get_by_text("Data", exact=True).click()
        page.locator(".st-key-data_upload input[type=file]").set_input_files(str(data_file))
        expect(page.get_by_text("is usable").first).to_be_visible()
        page.locator(".st-key-data_import_name input").fill("my-news")
        click(page, "data_import")
        expect(page.get_by_text("Imported as dataset").first).to_be_visible()
        shot(page, "1-data-imported")

        page.locator("[data-testid=stSidebar]").get_by_text("Train", exact=True).click()
        page.locator(".st-key-wiz_data_source").get_by_text("Imported dataset").click()
        expect(page.locator(".st-key-wiz_dataset")).to_be_visible()
        click(page, "wiz_next_data")
        page.locator(".st-key-wiz_backbone").get_by_text("tiny", exact=False).first.click()
        click(page, "wiz_next_backbone")
        click(page, "wiz_next_strategy")
        page.locator(".st-key-wiz_name input").fill("browser-run")
        page.locator(".st-key-wiz_name input").press("Enter")
        click(page, "wiz_next_hyperparameters")
        expect(page.get_by_text("backbone: tiny").first).to_be_visible()
        shot(page, "2-wizard-review")
        click(page, "wiz_launch")

        expect(page.get_by_text("SUCCEEDED").first).to_be_visible(timeout=180_000)
        expect(page.locator(".js-plotly-plot").first).to_be_visible()
        expect(page.get_by_text("Per entity type").first).to_be_visible()
        page.wait_for_timeout(1500)  # let the last live refresh settle before the picture
        shot(page, "3-run-succeeded")
        assert "Traceback" not in page.content()
    assert shutil.which("chromium") or Path(CHROMIUM).exists()
