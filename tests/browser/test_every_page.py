"""Every page, in both languages, in a real browser, over a lab holding a finished fine-tune,
continual race, meta and pretraining run: no browser console error, no Streamlit exception box,
no raw key on screen (`nav.`, `after-task-`, `map_to_o`, a lone `None`).

The waits hold on a loaded 2-core machine: each page is awaited on the app's own state (main
block drawn, no script running), never on a fixed short delay. Screenshots land in
screenshots/tour (git-ignored); `bench/screenshots.py` makes the same tour by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import tour
from tests.reliability.served import Server, chromium, start_server, stop_server

SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "tour"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("tour-lab")
    old = {k: os.environ.get(k) for k in ("LAB_HOME", "LAB_DB_URL")}
    try:
        tour.build_lab(home)  # trains in this process, so it points LAB_HOME at `home`
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    server = start_server(home, home / "streamlit.log")
    try:
        yield server
    finally:
        stop_server(server.proc)


def test_the_tour_flags_what_a_person_should_not_see():
    assert tour.raw_keys("a\nstage: after-task-1\nNone\nNone yet: upload a file") == [
        "stage: after-task-1",
        "None",
    ]
    assert tour.ignorable("404", "http://x/runs/_stcore/health") and not tour.ignorable("boom")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_is_clean(served_lab: Server, lang: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    findings = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(120_000)
        page.goto(served_lab.url)  # the root first, as after `make run`
        tour.wait_for_script(page)
        for name, path in tour.PAGES:
            found = tour.visit(page, served_lab.url, name, path, lang)
            page.screenshot(path=str(SHOTS / f"{lang}-{name}.png"))
            findings.append(found)
    dirty = [str(f) for f in findings if not f.clean]
    assert not dirty, "\n".join(dirty)


# What the zh Data page's uploader draws: its text, and the ::after texts of views.parts.uploader.
DROPZONE_TEXTS = """e => [e.innerText, ...['[data-testid="stMarkdownContainer"]',
    '[data-testid="stFileUploaderDropzoneInstructions"] > div'].map(
    s => getComputedStyle(e.querySelector(s), '::after').content)]"""


def test_the_zh_uploader_speaks_chinese(served_lab: Server):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(120_000)
        page.goto(served_lab.url)
        tour.wait_for_script(page)
        tour.visit(page, served_lab.url, "data", "data", "zh")
        zone = page.locator("[data-testid='stFileUploaderDropzone']").first
        text, button, limit = zone.evaluate(DROPZONE_TEXTS)
        assert "Upload" not in text and "per file" not in text, text
        assert (button, limit) == ('"上传"', '"每个文件最大 50 MB"')


def test_a_deep_link_to_a_fresh_server_gets_the_whole_app(tmp_path: Path):
    """A link someone was sent (/runs?lang=zh) as the server's very first request: the page
    comes inside app.py (sidebar, language, the job reconcile), not as its bare script."""
    from views.parts.i18n import catalogue

    zh = catalogue("zh")
    server = start_server(tmp_path / "lab", tmp_path / "streamlit.log")  # nothing opened yet
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(120_000)
            page.goto(f"{server.url}/runs?lang=zh")
            tour.wait_for_script(page)
            links = page.locator("[data-testid='stSidebar'] [data-testid='stPageLink']")
            labels = [text.strip() for text in links.all_inner_texts()]
            main = page.locator("[data-testid='stMain']").inner_text()
    finally:
        stop_server(server.proc)
    assert [label.split()[-1] for label in labels] == [zh[f"nav.{name}"] for name, _ in tour.PAGES]
    assert main.splitlines()[0].strip() == zh["runs.title"]
