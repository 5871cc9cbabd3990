"""The engine's one door for the dashboard: background jobs and dataset import.

Pages import this module and `engine.config` only; nothing here (or below it at import time)
loads torch or transformers, so pages render fast. Jobs run as `python -m engine.jobs.worker RUN_ID`
in their own process group (engine.jobs.launcher); dataset import and validation are plain Python
(engine.data.service).

    run_id = submit(cfg)          # PENDING now; starts when a slot is free
    cancel(run_id)                # SIGTERM, SIGKILL after the grace period, STOPPED
    reconcile()                   # mark lost jobs FAILED, start queued ones (cheap; call often)
"""

from __future__ import annotations

from engine.data.service import (  # noqa: F401  (re-exported for pages)
    UploadCheck,
    builtin_catalog,
    dataset_preview,
    dataset_stats,
    import_upload,
    validate_upload,
)
from engine.inference.client import (  # noqa: F401  (re-exported for the Playground)
    PredictError,
    checkpoint_stages,
    predict_text,
)
from engine.jobs.launcher import (  # noqa: F401  (re-exported for pages)
    cancel,
    dispatch,
    job_location,
    log_tail,
    reconcile,
    submit,
)
from engine.jobs.machine import machine_info, max_concurrent_jobs  # noqa: F401  (re-exported)
from engine.jobs.task_gate import allow_next_task, paused_before  # noqa: F401  (Next task)
from engine.lessons import presets as lessons  # noqa: F401  (the Lessons page's presets: jobs.lessons.LESSONS)
from engine.models.backbones import RUN_PREFIX  # noqa: F401  (the Runs page's lineage)
from engine.runs.bundle import BundleError, bundle_bytes, report_html  # noqa: F401  (re-exported)
from engine.runs.bundle_import import import_bundle  # noqa: F401  (re-exported for the Runs page)
from engine.runs.chart_export import ChartExportError, charts_png_zip  # noqa: F401  (re-exported)
