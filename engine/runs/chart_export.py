"""Report charts as PNG images (kaleido), zipped; the HTML report needs none of this.

The figures are the report's, drawn by engine.figures as the dashboard draws them, so a PNG
shows the same matrix and curves as the Forgetting and run pages.

kaleido 1.x draws with a headless Chrome/Chromium found by choreographer: `BROWSER_PATH` if
set, else the browser on PATH (Debian's /usr/bin/chromium, which .ci/run installs). plotly.js
comes from the plotly package, so no network is used. Without kaleido or a browser the export
fails with `ChartExportError` saying what to install, and the HTML download still works.

    png_zip(report_figures(runs))   # bytes of a zip: run3-loss.png, run3-matrix.png, ...
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

from engine.runs.report import Chart

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 1000
HINT = (
    "the HTML report works without it; PNG export needs kaleido (pip install -r "
    "requirements.txt) and Chrome or Chromium (Debian: apt-get install chromium, or set "
    "BROWSER_PATH)"
)


class ChartExportError(RuntimeError):
    """Charts could not be drawn as images here; the message says what is missing."""


def _browser_env() -> None:
    if not os.environ.get("BROWSER_PATH") and DEBIAN_CHROMIUM.exists():
        os.environ["BROWSER_PATH"] = str(DEBIAN_CHROMIUM)


def png_zip(charts: list[Chart]) -> bytes:
    """Every chart as `<slug>.png` in one zip (one browser start for all of them)."""
    if not charts:
        raise ChartExportError("there are no charts to export")
    try:
        import kaleido
    except ImportError:
        raise ChartExportError(f"kaleido is not installed: {HINT}") from None
    _browser_env()
    with tempfile.TemporaryDirectory(prefix="lab-charts-") as tmp:
        jobs = [
            {
                "fig": fig,
                "path": str(Path(tmp) / f"{slug}.png"),
                "opts": {"format": "png", "width": WIDTH, "height": fig.layout.height or 400},
            }
            for slug, _, fig in charts
        ]
        try:
            kaleido.write_fig_from_object_sync(jobs)
        except Exception as err:  # choreographer's errors differ by version; all mean "no image"
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ChartExportError(f"could not draw the charts ({reason}); {HINT}") from None
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for job in jobs:
                path = Path(job["path"])
                if not path.is_file():
                    raise ChartExportError(f"{path.name} was not drawn; {HINT}")
                archive.write(path, path.name)
    return buffer.getvalue()


def charts_png_zip(run_ids: list[int]) -> bytes:
    """The PNG charts of these runs' report, read from this lab's database."""
    from engine.runs.bundle import collect_runs
    from engine.runs.report import report_figures

    return png_zip(report_figures(collect_runs(run_ids)))
