"""What a finished (or running) run is made of, read back out: run_data (one run's records),
summary (what `show` and `list` print), export (config, metrics CSV, report, checkpoint),
bundle / bundle_import (a zip of runs between labs), report (the static HTML report) and
chart_export (PNG charts); and what a run will cost on this machine: estimate (the range shown
before launch) from throughput (earlier runs), workload (a config's sub-tokens and passes),
data_sizes and calibrate (a timed test when nothing is measured yet).
Torch-free (calibrate times torch in a subprocess); may import storage, engine.config,
engine.models and engine.figures.
"""
