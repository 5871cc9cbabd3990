"""What a finished (or running) run is made of, read back out: run_data (one run's records),
summary (what `show` and `list` print), export (config, metrics CSV, report, checkpoint),
bundle / bundle_import (a zip of runs between labs), report (the static HTML report) and
chart_export (PNG charts). Torch-free; may import storage, engine.config and engine.models.
"""
