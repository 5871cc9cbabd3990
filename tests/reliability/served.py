"""Start and stop the real dashboard (`streamlit run app.py`) for the served-app tests.

The server is started the way `make run` starts it, except that the address is NOT given on the
command line: the loopback default must come from .streamlit/config.toml. Headless Debian
Chromium through Playwright drives it (tests/browser/test_click_paths.py has the same set-up).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_click_paths import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy
from tests.conftest import REPO

# What a Python traceback or a leaked source location looks like in page text.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "', '.py", line', "site-packages")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path


def lab_env(home: Path, **extra: str) -> dict[str, str]:
    return os.environ | {
        "LAB_HOME": str(home),
        "LAB_DB_URL": f"sqlite:///{home / 'lab.db'}",
        "LAB_MAX_JOBS": "1",
        **extra,
    }


def start_server(home: Path, log: Path, **extra_env: str) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        # a test's server never reruns its pages because a file changed under it
        "--server.fileWatcherType",
        "none",
    ]
    out = log.open("ab")
    proc = subprocess.Popen(
        command,
        cwd=REPO,
        env=lab_env(home, **extra_env),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout=90)
    except BaseException:
        stop_server(proc)
        raise
    return Server(proc, url, port, log)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (never a worker: workers have groups of their own)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@contextmanager
def chromium() -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def listening_addresses(port: int) -> list[str]:
    """Local addresses of the sockets listening on `port`, read from /proc/net/tcp{,6}."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.append(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1, as /proc shows


def wait_until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)
