"""The served dashboard's security promises, checked on a real `streamlit run app.py` with
headless Chromium (RELIABILITY 20, 21).

It listens on loopback only unless told otherwise; XSRF protection is on (an upload without the
token is refused); the browser never sees a traceback (a damaged database triggers errors on
every page: a one-line message, or Streamlit's redacted notice, while the server log keeps the
traceback); an upload named `../../etc/passwd` is stored under a server-chosen name; the
upload cap is enforced by the page and by the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import re
import socket
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from engine.data.builtin import load_builtin
from tests.conftest import REPO
from tests.reliability.figures import record
from tests.reliability.helpers import damage, populate
from tests.reliability.served import (
    LOOPBACK,
    TRACEBACK_MARKERS,
    chromium,
    listening_addresses,
    open_page,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.slow
CAP_MB = 1  # the test server's upload cap (the shipped config says 50)


def conll_bytes(n: int = 40) -> bytes:
    lines = []
    for s in load_builtin("news", "train")[:n]:
        lines += [f"{t} {g}" for t, g in zip(s.tokens, s.tags, strict=True)] + [""]
    return "\n".join(lines).encode()


def test_shipped_settings_bind_loopback_keep_xsrf_and_hide_error_details():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    # "none", not the legacy false: Streamlit reads false as "stacktrace" and shows tracebacks.
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] == 50  # engine.data.service.MAX_UPLOAD_BYTES
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^ADDRESS \?= 127\.0\.0\.1$", makefile, re.M)
    assert "--server.address $(ADDRESS)" in makefile


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    server = start_server(
        folder / "lab", folder / "streamlit.log", STREAMLIT_SERVER_MAX_UPLOAD_SIZE=str(CAP_MB)
    )
    yield server, folder
    stop_server(server.proc)


def primary_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_served_app_listens_on_loopback_only(served):
    server, _ = served
    addresses = listening_addresses(server.port)
    assert addresses and set(addresses) <= LOOPBACK, addresses
    other = primary_address()
    if other is not None:  # reachable from the machine's own network address? it must not be
        with pytest.raises(OSError), socket.create_connection((other, server.port), timeout=3):
            pass


def put(url: str, headers: dict[str, str], body: bytes = b"x") -> int:
    """The status of a PUT. A server that refuses a body by its size answers and closes while
    the client is still sending (a broken pipe on a busy machine): its answer is then read from
    the socket instead of being lost with the send."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("PUT", parts.path + (f"?{parts.query}" if parts.query else ""))
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            conn.putheader(name, value)
        conn.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)
        return conn.getresponse().status
    finally:
        conn.close()


def xsrf_cookie(server_url: str) -> str:
    with urllib.request.urlopen(f"{server_url}/_stcore/health", timeout=30) as response:
        cookies = response.headers.get_all("Set-Cookie") or []
    match = next(re.search(r"_streamlit_xsrf=([^;]+)", c) for c in cookies if "_xsrf" in c)
    return match.group(1)


def test_xsrf_protection_refuses_an_upload_without_the_token(served):
    server, _ = served
    target = f"{server.url}/_stcore/upload_file/no-session/file-1"
    assert put(target, {}) == 403
    token = xsrf_cookie(server.url)
    with_token = {"Cookie": f"_streamlit_xsrf={token}", "X-Xsrftoken": token}
    assert put(target, with_token) == 400  # past the XSRF check, refused for the session


def upload(page, name: str, data: bytes) -> None:
    page.locator("[data-testid=stSidebar]").get_by_text("Data", exact=True).click()
    files = {"name": name, "mimeType": "text/plain", "buffer": data}
    page.locator(".st-key-data_upload input[type=file]").set_input_files(files)


def test_an_upload_named_like_a_path_is_stored_under_a_server_chosen_name(served):
    server, folder = served
    passwd = Path("/etc/passwd")
    before = hashlib.sha256(passwd.read_bytes()).hexdigest() if passwd.exists() else None
    with chromium() as browser:
        page = open_page(browser, server.url)
        upload(page, "../../etc/passwd", conll_bytes())
        page.get_by_text("is usable").first.wait_for()
        page.locator(".st-key-data_import_name input").fill("traversal")
        page.locator(".st-key-data_import button").first.click()
        page.get_by_text("Imported as dataset").first.wait_for()
        text = page.locator("body").inner_text()
    # The uploader widget echoes the client's name; the lab's report uses its last part only.
    assert "passwd is usable" in text and "etc/passwd is usable" not in text
    stored = [p.name for p in (folder / "lab" / "uploads").iterdir()]
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.txt", stored[0]), stored
    assert not [p for p in folder.rglob("*passwd*")]
    if before is not None:
        assert hashlib.sha256(passwd.read_bytes()).hexdigest() == before


def test_the_upload_cap_is_enforced_by_the_page_and_by_the_server(served):
    server, folder = served
    uploads: list = []
    too_big = conll_bytes(400) * 32 * CAP_MB  # 1.4 MB for each MB of the cap
    assert len(too_big) > CAP_MB * 2**20
    with chromium() as browser:
        page = open_page(browser, server.url)
        page.on("request", lambda r: uploads.append(r) if "upload_file" in r.url else None)
        upload(page, "small.conll", conll_bytes())
        page.get_by_text("is usable").first.wait_for()
        upload(page, "big.conll", too_big)
        page.get_by_text(re.compile(r"must be .*or smaller|too large", re.I)).first.wait_for()
        assert "big.conll is usable" not in page.locator("body").inner_text()
        sent = next(r for r in uploads if r.method == "PUT")
        headers = {k: v for k, v in sent.all_headers().items() if k.lower() in ("x-xsrftoken",)}
        cookies = page.context.cookies()
        headers["Cookie"] = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
        boundary = "labboundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.conll"'
                f"\r\nContent-Type: text/plain\r\n\r\n"
            ).encode()
            + too_big
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        # Around the page, straight to the server, in the live session: refused by size.
        assert put(sent.url.rsplit("/", 1)[0] + "/big-file", headers, body) == 413
    stored = list((folder / "lab" / "uploads").glob("*")) if (folder / "lab").exists() else []
    assert all(p.stat().st_size < CAP_MB * 2**20 for p in stored)


def test_errors_reach_the_browser_as_one_line_never_as_a_traceback(lab, tmp_path):
    populate()
    damage(lab / "lab.db", "truncated")
    server = start_server(lab, tmp_path / "streamlit.log")
    seen = {}
    try:
        with chromium() as browser:
            page = open_page(browser, server.url)
            for title, path in (("Home", ""), ("Runs", "runs"), ("Forgetting", "forgetting")):
                page.locator("[data-testid=stSidebar]").get_by_text(title, exact=True).click()
                page.wait_for_url(f"{server.url}/{path}")
                page.locator("[data-testid=stMain]").get_by_text(
                    re.compile(r"is damaged|This app has encountered an error")
                ).first.wait_for()
                page.wait_for_timeout(500)  # the rest of the page settles
                seen[title] = page.locator("[data-testid=stMain]").inner_text()
                html = page.content()
                for marker in TRACEBACK_MARKERS:
                    assert marker not in seen[title] and marker not in html, (title, marker)
    finally:
        stop_server(server.proc)
    assert "is damaged" in seen["Home"] and "is damaged" in seen["Runs"]
    log = (tmp_path / "streamlit.log").read_text(errors="replace")
    assert "Traceback (most recent call last)" in log  # kept where the operator looks
    redacted = sum("encountered an error" in text for text in seen.values())
    record(
        "no traceback in the browser",
        f"{len(seen)} pages on a damaged database: {len(seen) - redacted} one-line messages, "
        f"{redacted} redacted notices, 0 tracebacks",
    )
