"""The engine's torch-free API for the dashboard, grouped by topic.

Pages import this module and `engine.config` only (tests/test_layers.py checks both rules):
nothing here, nor anything it imports at module level, loads torch or transformers, so pages
render fast. Jobs run as `python -m engine.jobs.worker RUN_ID` in their own process group.

    run_id = api.submit(cfg)      # PENDING now; starts when a slot is free
    api.cancel(run_id)            # SIGTERM, SIGKILL after the grace period, STOPPED
    api.reconcile()               # mark lost jobs FAILED, start queued ones (cheap; call often)
"""

from __future__ import annotations

__all__ = [
    # jobs: submit, cancel, watch (engine.jobs)
    "submit", "cancel", "dispatch", "reconcile", "job_location", "log_tail",
    "machine_info", "max_concurrent_jobs", "allow_next_task", "paused_before",
    # data: upload, validate, import, inspect (engine.data.service)
    "UploadCheck", "validate_upload", "import_upload", "builtin_catalog",
    "dataset_preview", "dataset_stats",
    # inference: the Playground's tagger (engine.inference.client)
    "PredictError", "checkpoint_stages", "predict_text",
    # runs: bundles, the HTML report, chart PNGs (engine.runs)
    "BundleError", "bundle_bytes", "report_html", "import_bundle",
    "ChartExportError", "charts_png_zip",
    # lessons and lineage
    "lessons", "RUN_PREFIX",
]  # fmt: skip

from engine.data.service import (
    UploadCheck,
    builtin_catalog,
    dataset_preview,
    dataset_stats,
    import_upload,
    validate_upload,
)
from engine.inference.client import PredictError, checkpoint_stages, predict_text
from engine.jobs.launcher import cancel, dispatch, job_location, log_tail, reconcile, submit
from engine.jobs.machine import machine_info, max_concurrent_jobs
from engine.jobs.task_gate import allow_next_task, paused_before
from engine.lessons import presets as lessons
from engine.models.backbones import RUN_PREFIX
from engine.runs.bundle import BundleError, bundle_bytes, report_html
from engine.runs.bundle_import import import_bundle
from engine.runs.chart_export import ChartExportError, charts_png_zip
