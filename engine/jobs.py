"""The engine's one door for the dashboard: background jobs and dataset import.

Pages import this module and `engine.config` only; nothing here (or below it at import time)
loads torch or transformers, so pages render fast. Jobs run as `python -m engine.worker RUN_ID`
in their own process group (engine.launcher); dataset import and validation are plain Python
(engine.dataset_service).

    run_id = submit(cfg)          # PENDING now; starts when a slot is free
    cancel(run_id)                # SIGTERM, SIGKILL after the grace period, STOPPED
    reconcile()                   # mark lost jobs FAILED, start queued ones (cheap; call often)
"""

from __future__ import annotations

from engine.dataset_service import (  # noqa: F401  (re-exported for pages)
    UploadCheck,
    builtin_catalog,
    dataset_preview,
    dataset_stats,
    import_upload,
    validate_upload,
)
from engine.launcher import (  # noqa: F401  (re-exported for pages)
    cancel,
    dispatch,
    log_tail,
    reconcile,
    submit,
)
from engine.machine import machine_info, max_concurrent_jobs  # noqa: F401  (re-exported)
