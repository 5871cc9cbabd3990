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
    "machine_info", "max_concurrent_jobs", "allow_next_task",
    # data: upload, validate, import, inspect (engine.data.service)
    "UploadCheck", "validate_upload", "import_upload", "builtin_catalog",
    "dataset_preview", "dataset_stats",
    # inference: the Playground's tagger (engine.inference.client), files pre-annotated
    "PredictError", "checkpoint_stages", "predict_text",
    "can_tag", "predict_file", "PredictedFile", "render_predictions", "PREDICTION_FORMATS",
    # runs: bundles, the HTML report, chart PNGs (engine.runs)
    "BundleError", "bundle_bytes", "report_html", "import_bundle",
    "ChartExportError", "charts_png_zip",
    # estimates: a run's wall time on this machine, from its earlier runs (engine.runs.estimate)
    "Estimate", "estimate_run", "combine_estimates",
    # lessons and lineage
    "lessons", "RUN_PREFIX",
    # benchmarks: races on published protocols, tables beside the papers (engine.protocols)
    "bench_choices", "bench_configs", "bench_group_name", "bench_table", "render_bench_table",
    "BenchData", "BenchRun", "BENCH_DEFAULT_METHODS",
]  # fmt: skip

from engine.data.service import (
    UploadCheck,
    builtin_catalog,
    dataset_preview,
    dataset_stats,
    import_upload,
    validate_upload,
)
from engine.inference.client import (
    PredictError,
    can_tag,
    checkpoint_stages,
    predict_file,
    predict_text,
)
from engine.inference.outputs import OUTPUT_FORMATS as PREDICTION_FORMATS
from engine.inference.outputs import PredictedFile
from engine.inference.outputs import render as render_predictions
from engine.jobs.launcher import cancel, dispatch, job_location, log_tail, reconcile, submit
from engine.jobs.machine import machine_info, max_concurrent_jobs
from engine.jobs.task_gate import allow_next_task
from engine.lessons import presets as lessons
from engine.models.backbones import RUN_PREFIX
from engine.protocols.published import render as render_bench_table
from engine.protocols.race import DEFAULT_METHODS as BENCH_DEFAULT_METHODS
from engine.protocols.race import DataSpec as BenchData
from engine.protocols.race import RaceRun as BenchRun
from engine.protocols.race import choices as bench_choices
from engine.protocols.race import group_name as bench_group_name
from engine.protocols.race import race_configs as bench_configs
from engine.protocols.race import race_table as bench_table
from engine.runs.bundle import BundleError, bundle_bytes, report_html
from engine.runs.bundle_import import import_bundle
from engine.runs.chart_export import ChartExportError, charts_png_zip
from engine.runs.estimate import Estimate, estimate_run
from engine.runs.estimate import combine as combine_estimates
