"""A tour of every page in a real browser, shared by the console test and bench/screenshots.py.

`build_lab(home)` fills a LAB_HOME with real, tiny runs of each kind (a fine-tune, a two-method
continual race, a meta run, a pretraining run), trained here in-process in about a minute.
`visit(page, url)` opens one page and returns what a person should never see: browser console
errors, Streamlit exception boxes, raw keys (`nav.`, `after-task-`, `map_to_o`, a lone `None`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGES = (
    ("home", ""),
    ("data", "data"),
    ("train", "train"),
    ("runs", "runs"),
    ("forgetting", "forgetting"),
    ("meta", "meta"),
    ("compare", "compare"),
    ("embeddings", "embeddings"),
    ("playground", "playground"),
    ("lessons", "lessons"),
    ("benchmarks", "benchmarks"),
)
# What must never reach the screen: catalogue keys, stored stage names, config values.
# "None" alone (a Python None in a cell), not the English word ("None yet: upload a file").
RAW = re.compile(r"\bnav\.\w|after-task-\d|\bmap_to_o\b|(?<![\w.])None(?![\w.]| [a-z])")
TINY = {"backbone": "tiny", "train": {"epochs": 3, "batch_size": 32, "lr": 3e-3}}
DATA = {"train": "builtin:news", "max_train_sentences": 300}


def _configs() -> list[tuple[dict[str, Any], str | None]]:
    tasks = {"order": [["PER"], ["LOC"]]}
    race = "race-tour"
    return [
        ({"name": "tour-finetune", "data": DATA, **TINY}, None),
        *(
            (
                {
                    "name": f"tour-{method}",
                    "data": DATA,
                    **TINY,
                    "strategy": {"kind": "continual", "method": method, "tasks": tasks},
                },
                race,
            )
            for method in ("naive", "lwf")
        ),
        (
            {
                "name": "tour-meta",
                "data": {"train": "builtin:mixed"},
                **TINY,
                "strategy": {
                    "kind": "meta",
                    "method": "protonet",
                    "n_way": 3,
                    "k_shot": 1,
                    "episodes": {"train": 20, "test": 10},
                },
            },
            None,
        ),  # fmt: skip
        (
            {
                "name": "tour-pretrain",
                "data": DATA,
                "backbone": "tiny",
                "strategy": {"kind": "pretrain", "mode": "from_scratch", "max_documents": 300},
                "train": {"epochs": 1, "batch_size": 32, "lr": 3e-3},
            },
            None,
        ),
    ]


def build_lab(home: Path) -> dict[str, int]:
    """Train the tour's runs into `home` (sets LAB_HOME / LAB_DB_URL for this process)."""
    os.environ["LAB_HOME"] = str(home)
    os.environ["LAB_DB_URL"] = f"sqlite:///{home / 'lab.db'}"
    from engine.config import parse_config
    from engine.jobs.runner import create_run_record, execute_run

    ids: dict[str, int] = {}
    for config, group in _configs():
        run_id = create_run_record(parse_config(config), group_name=group)
        execute_run(run_id, progress=False)
        ids[config["name"]] = run_id
    return ids


@dataclass
class Findings:
    page: str
    lang: str
    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.console or self.exceptions or self.raw)

    def __str__(self) -> str:
        parts = [f"{self.page} [{self.lang}]"]
        parts += [f"console: {c}" for c in self.console]
        parts += [f"exception: {e}" for e in self.exceptions]
        parts += [f"raw key: {r}" for r in self.raw]
        return "\n  ".join(parts)


def ignorable(message: str, url: str = "") -> bool:
    """Console lines that are not the page's fault: on a deep link (/runs) Streamlit's frontend
    first probes <path>/_stcore/health and host-config (404) before the root ones, and the
    closed network refuses outside fetches."""
    where = f"{message} {url}"
    return any(
        s in where
        for s in ("/_stcore/health", "/_stcore/host-config", "ERR_CONNECTION_REFUSED", "favicon")
    )


def raw_keys(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        match = RAW.search(line)
        if match:
            found.append(line.strip()[:160])
    return found


def visit(page: Any, base: str, name: str, path: str, lang: str, settle_ms: int = 2500) -> Findings:
    """Open one page in `lang`, wait until Streamlit has finished running it, and collect."""
    found = Findings(name, lang)

    def on_console(msg: Any) -> None:
        if msg.type == "error" and not ignorable(msg.text, (msg.location or {}).get("url", "")):
            found.console.append(msg.text[:300])

    page.on("console", on_console)
    page.on("pageerror", lambda err: found.console.append(f"pageerror: {err}"[:300]))
    page.goto(f"{base}/{path}?lang={lang}")
    wait_for_script(page)
    page.wait_for_timeout(settle_ms)
    wait_for_script(page)
    found.exceptions = [
        e.inner_text()[:300] for e in page.locator("[data-testid='stException']").all()
    ]
    found.raw = raw_keys(page.locator("[data-testid='stMain']").inner_text())
    page.remove_listener("console", on_console)
    return found


def wait_for_script(page: Any, timeout_ms: int = 120_000) -> None:
    """Until the app has run its script once and is not running it now: a loaded 2-core
    machine can take many seconds, so this waits on state, never on a fixed delay.

    The state is Streamlit's own `data-test-script-state` on stApp ("initial" before the first
    run). The status widget is not enough: it shows only after a run has lasted a while, so a
    fresh server's first run looked finished while the sidebar was still to come."""
    page.wait_for_selector("[data-testid='stMain']", timeout=timeout_ms)
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stApp']\")"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
        " && !document.querySelector(\"[data-testid='stStatusWidget'] button\")"
        " && document.querySelector(\"[data-testid='stMain']\").innerText.length > 0",
        timeout=timeout_ms,
    )
