"""Label Studio exports (JSON, and JSON-MIN) -> IOB2 Sentences, one per task.

    sentences, problems = read_labelstudio(Path("export.json"), span_policy="snap")

JSON export: a list of tasks, each with the text in `data` (key "text", `text_key`, or the only
string in `data`) and `annotations[].result[]` regions `{"type": "labels", "value": {"start",
"end", "text", "labels": [TYPE]}}`. Cancelled annotations (`was_cancelled`) are skipped; of the
others the most recent (`updated_at`, else `created_at`, else the last) is used. Tasks with no
annotation are skipped: they were never labelled, which is not the same as "no entities".
JSON-MIN export: flat objects, the text under its data key and the regions
`{"start", "end", "text", "labels"}` under the labeling config's name ("label"); rows with
the same `id` are several annotations of one task. A summary warning (line 0) says how many
tasks had several annotations, were skipped, and so on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.data.readers.issues import counted
from engine.data.readers.records import json_records
from engine.data.readers.source import read_text
from engine.data.readers.spans import RawSpan, Record, SpanConverter
from engine.data.types import Problem, Sentence

ANNOTATION_KEYS = ("annotations", "completions")  # "completions": Label Studio before 1.0
MIN_METADATA = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at"})


def read_labelstudio(
    path: Path,
    *,
    labels: list[str] | None = None,
    span_policy: str = "snap",
    text_key: str | None = None,
    minimal: bool | None = None,
) -> tuple[list[Sentence], list[Problem]]:
    """Read a Label Studio JSON (or JSON-MIN, `minimal=True` or detected) export."""
    name = str(path)
    converter = SpanConverter(name, span_policy, labels)
    records, _ = json_records(read_text(path), name, converter.log)
    if minimal is None:
        minimal = is_min_export([obj for _, obj in records])
    reader = _MinReader(converter, text_key) if minimal else _TaskReader(converter, text_key)
    numbered = reader.select([(n, line, obj) for n, (line, obj) in enumerate(records, 1)])
    sentences = [s for n, line, obj in numbered if (s := reader.task(n, line, obj))]
    return sentences, converter.problems(reader.summary(len(numbered)))


def is_min_export(items: list[Any]) -> bool:
    """JSON-MIN when the first object has no `data`/`annotations` of a full task."""
    first = next((item for item in items if isinstance(item, dict)), None)
    return first is not None and not {"data", *ANNOTATION_KEYS} & set(first)


def annotation_time(annotation: dict[str, Any]) -> float:
    """When an annotation was last saved, as a POSIX time; -inf when the export does not say."""
    for key in ("updated_at", "created_at"):
        value = annotation.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)  # Label Studio before 1.0 wrote POSIX seconds
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except (ValueError, OverflowError, OSError):
                continue
    return float("-inf")


def latest(annotations: list[dict[str, Any]]) -> dict[str, Any]:
    """The most recent annotation; ties and missing times go to the later one in the file."""
    return max(enumerate(annotations), key=lambda p: (annotation_time(p[1]), p[0]))[1]


@dataclass(frozen=True)
class _Region(RawSpan):
    names: tuple[Any, ...] = ()  # every label the region carries (only the first is used)


def region_span(value: Any) -> _Region:
    """A `labels` region's value (`{"start", "end", "text", "labels"}`) as a RawSpan."""
    if not isinstance(value, dict):
        return _Region(label=None)
    names = value.get("labels")
    label = (names[0] if names else "") if isinstance(names, list) else names
    several = tuple(names) if isinstance(names, list) else ()
    return _Region(value.get("start"), value.get("end"), label, value.get("text"), names=several)


class _TaskReader:
    """Full JSON export: one task object per record."""

    def __init__(self, converter: SpanConverter, text_key: str | None):
        self.converter = converter
        self.log = converter.log
        self.text_key = text_key
        self.counts: Counter[str] = Counter()

    def select(self, rows: list[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
        return rows

    def task(self, number: int, line: int, task: Any) -> Sentence | None:
        where = f"task {number}: "
        if not isinstance(task, dict):
            self.log.add(line, f"{where}expected a task object, got {type(task).__name__}")
            return None
        if "id" in task:
            where = f"task {number} (id {task['id']!r}): "
        text = task_text(task.get("data"), self.text_key)
        if not isinstance(text, str):
            self.log.add(line, where + text[0])
            return None
        annotation = self._annotation(task, line, where)
        if annotation is None:
            return None
        spans = self._spans(annotation.get("result"), line, where)
        if spans is None:
            return None
        return self.converter.sentence(Record(text, spans, line, where))

    def _annotation(self, task: dict[str, Any], line: int, where: str) -> dict[str, Any] | None:
        found = next((task[k] for k in ANNOTATION_KEYS if k in task), [])
        if not isinstance(found, list):
            self.log.add(line, f"{where}'annotations' must be a list")
            return None
        live = [a for a in found if isinstance(a, dict) and not a.get("was_cancelled")]
        self.counts["cancelled"] += sum(isinstance(a, dict) for a in found) - len(live)
        if not live:
            self.counts["unannotated"] += 1
            return None
        self.counts["several"] += len(live) > 1
        return latest(live)

    def _spans(self, result: Any, line: int, where: str) -> list[RawSpan] | None:
        if not isinstance(result, list):
            self.log.add(line, f"{where}the annotation's 'result' must be a list")
            return None
        spans = []
        for item in result:
            kind = item.get("type", "labels") if isinstance(item, dict) else None
            if kind != "labels":
                self.counts[f"type {kind!r}" if isinstance(kind, str) else "not an object"] += 1
                continue
            spans.append(region_span(item.get("value")))
            names = spans[-1].names
            if len(names) > 1:
                reason = f"{where}region with several labels {names!r}; the first was used"
                self.log.add(line, reason, "warning")
        return spans

    def summary(self, tasks: int) -> list[str]:
        counts, parts = self.counts, []
        if counts["several"]:
            several = counted(counts["several"], "task")
            parts.append(f"{several} had several annotations (most recent used)")
        if counts["cancelled"]:
            parts.append(f"{counted(counts['cancelled'], 'cancelled annotation')} skipped")
        if counts["unannotated"]:
            parts.append(f"{counted(counts['unannotated'], 'task')} without annotations skipped")
        other = {k: n for k, n in counts.items() if k.startswith(("type", "not an"))}
        if other:
            kinds = ", ".join(f"{k} x{n}" for k, n in sorted(other.items()))
            parts.append(f"results other than labels regions ignored ({kinds})")
        return [counted(tasks, "task"), *parts] if parts else []


class _MinReader(_TaskReader):
    """JSON-MIN export: flat rows; rows sharing an `id` are annotations of one task."""

    def select(self, rows: list[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
        """One row per task: the most recent of the rows that share an `id`."""
        groups: dict[Any, list[tuple[int, int, Any]]] = {}
        for number, line, row in rows:
            task_id = row.get("id") if isinstance(row, dict) else None
            hashable = isinstance(task_id, str | int) and not isinstance(task_id, bool)
            groups.setdefault(task_id if hashable else ("row", number), []).append(
                (number, line, row)
            )
        chosen = []
        for group in groups.values():
            self.counts["several"] += len(group) > 1
            times = [annotation_time(r) if isinstance(r, dict) else 0.0 for _, _, r in group]
            chosen.append(max(zip(times, range(len(group)), group, strict=True))[2])
        return sorted(chosen, key=lambda item: item[0])

    def task(self, number: int, line: int, row: Any) -> Sentence | None:
        if not isinstance(row, dict):
            self.log.add(line, f"row {number}: expected an object, got {type(row).__name__}")
            return None
        return self._row(number, line, row)

    def _row(self, number: int, line: int, row: dict[str, Any]) -> Sentence | None:
        where = f"row {number}: "
        text = task_text(row, self.text_key, skip=MIN_METADATA)
        if not isinstance(text, str):
            self.log.add(line, where + text[0])
            return None
        key = region_key(row)
        regions = row.get(key, []) if key else []
        regions = [regions] if isinstance(regions, dict) else regions
        if not isinstance(regions, list):
            self.log.add(line, f"{where}{key!r} must be a list of regions")
            return None
        spans = [region_span(region) for region in regions]
        return self.converter.sentence(Record(text, spans, line, where))


def region_key(row: dict[str, Any]) -> str | None:
    """The JSON-MIN key holding the regions: "label", or any list of {start, end, labels}."""
    for key, value in row.items():
        items = [value] if isinstance(value, dict) else value
        if isinstance(items, list) and items and all(_is_region(v) for v in items):
            return key
    return "label" if "label" in row else None


def _is_region(value: Any) -> bool:
    return isinstance(value, dict) and {"start", "end", "labels"} <= set(value)


def task_text(
    data: Any, text_key: str | None, skip: frozenset[str] = frozenset()
) -> str | tuple[str]:
    """The task's text, or (reason,) when there is none to use."""
    if not isinstance(data, dict):
        return ("no 'data' object holding the text",)
    if text_key is not None:
        value = data.get(text_key)
        return value if isinstance(value, str) else (f"no text under data[{text_key!r}]",)
    if isinstance(data.get("text"), str):
        return data["text"]
    strings = [k for k, v in data.items() if isinstance(v, str) and k not in skip]
    if len(strings) == 1:
        return data[strings[0]]
    keys = ", ".join(sorted(map(str, data))) or "none"
    return (f"cannot tell which data key holds the text (keys: {keys}); pass text_key",)
