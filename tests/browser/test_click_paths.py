"""The main click path in a real browser: upload -> wizard (tiny) -> launch -> SUCCEEDED.

Headless Debian Chromium driven by Playwright's Python package (never a downloaded browser),
against `streamlit run app.py` on a loopback port with its own LAB_HOME. Screenshots land in
`screenshots/` (git-ignored) so a person can look at what the user saw.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.data.builtin import load_builtin

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("streamlit did not become healthy")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    pytest.importorskip("playwright.sync_api")
    port = free_port()
    env = os.environ | {
        "LAB_HOME": str(tmp_path / "lab"),
        "LAB_DB_URL": f"sqlite:///{tmp_path / 'lab' / 'lab.db'}",
        "LAB_MAX_JOBS": "1",
    }
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
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
    from playwright.sync_api import expect, sync_playwright

    data_file = small_conll(tmp_path / "my_news.conll")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # Every wait holds on a loaded 2-core machine: expect() has its own 5 s default, which
        # page.set_default_timeout does not change (a busy CI run failed on exactly that).
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)

        page.goto(server)  # as after `make run`: the home page first, then the sidebar
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
        browser.close()
    assert shutil.which("chromium") or Path(CHROMIUM).exists()
