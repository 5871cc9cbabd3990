"""The one metrics CSV of the lab: every metric point of a run, not downsampled, in the same
columns wherever it is written (`engine export`, bundles, the dashboard's download button).

    text = metrics_csv(queries.metric_points(session, run_id))
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from storage.queries import MetricPointRow

METRIC_COLUMNS = ("key", "step", "value", "task", "wall_time")


def metrics_csv(points: Iterable[MetricPointRow]) -> str:
    """key, step, value, task, wall_time per point; an empty task cell when it has none."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(METRIC_COLUMNS)
    for p in points:
        writer.writerow([p.key, p.step, p.value, "" if p.task is None else p.task, p.wall_time])
    return buffer.getvalue()
