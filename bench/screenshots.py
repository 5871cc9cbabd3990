"""Screenshots of every page in both languages at 1400x900, and what a person should not see.

    .venv/bin/python bench/screenshots.py [--out screenshots/tour] [--lab DIR] [--lang en zh]

Builds a lab of real tiny runs (tests/browser/tour.py: a fine-tune, a continual race, a meta and
a pretraining run), serves the dashboard on a loopback port, opens each page in headless Debian
Chromium and writes OUT/<lang>-<page>.png, then prints the console errors, exception boxes and
raw keys found (the browser test fails on any of them). Install fonts-noto-color-emoji and
fonts-wqy-microhei first, or icons and Chinese draw as boxes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser import tour  # noqa: E402
from tests.reliability.served import chromium, start_server, stop_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots" / "tour")
    parser.add_argument("--lab", type=Path, help="an existing LAB_HOME (default: build one)")
    parser.add_argument("--lang", nargs="+", default=["en", "zh"])
    parser.add_argument("--pages", nargs="+", help="page names (default: every page)")
    args = parser.parse_args()
    home = args.lab or Path(tempfile.mkdtemp(prefix="lab-tour-"))
    if args.lab is None:
        print(f"building the tour's runs in {home} ...", flush=True)
        print(tour.build_lab(home), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    server = start_server(home, home / "streamlit.log")
    dirty = 0
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for lang in args.lang:
                for name, path in tour.PAGES:
                    if args.pages and name not in args.pages:
                        continue
                    found = tour.visit(page, server.url, name, path, lang)
                    page.screenshot(path=str(args.out / f"{lang}-{name}.png"), full_page=False)
                    dirty += not found.clean
                    print("ok  " if found.clean else "BAD ", found, flush=True)
    finally:
        stop_server(server.proc)
    print(f"{dirty} page(s) with findings; screenshots in {args.out}")
    return 1 if dirty else 0


if __name__ == "__main__":
    raise SystemExit(main())
