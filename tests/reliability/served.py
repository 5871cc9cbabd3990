"""Start and stop the real dashboard (`streamlit run app.py`) for the served-app and browser
tests, and open Headless Debian Chromium on it through Playwright (never a downloaded browser).

The server is started the way `make run` starts it, except that the address is NOT given on the
command line: the loopback default must come from .streamlit/config.toml.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.lab_runs import poll

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# What a Python traceback or a leaked source location looks like in page text.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "', '.py", line', "site-packages")


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
    return poll(check, what, timeout, every=0.2)
