"""What a run produced, typed: the final metrics and the checkpoint, plus one section per kind
of result (continual, meta, mapping, protocol). Validated when a tracker writes it (storage.runs.
update_summary) and returned by every storage read, so pages and the CLI read attributes.

Stored as the same JSON object it always was; unknown keys are kept (`extra="allow"`) so a
newer strategy's values survive an older reader. Control flags (cancel requested, paused
before a task, resumed from) are not results: they are columns of the run (storage.models).

    summary = detail.summary
    if summary.continual:
        print(summary.continual.acc, summary.continual.matrix)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

# What older versions kept in the summary and storage/migrations 0002 moved to run columns.
CONTROL_FLAGS = frozenset({"cancel_requested", "paused_before_task", "resumed_from"})


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    def get(self, key: str, default: Any = None) -> Any:
        """A value by name, for generic code (tables of several keys)."""
        value = getattr(self, key, None)
        if value is None:
            value = (self.model_extra or {}).get(key)
        return default if value is None else value


class TaskInfo(_Section):
    name: str = ""
    types: list[str] = []
    train: int = 0
    test: int = 0


class ContinualSummary(_Section):
    """R matrix (after task i, on task j), the before-training baseline and the CL metrics."""

    matrix: list[list[float | None]] = []
    baseline: list[float | None] = []
    acc: float | None = None
    bwt: float | None = None
    fwt: float | None = None
    forgetting: float | None = None
    forgetting_per_task: list[float | None] = []
    tasks: list[TaskInfo] = []


class MetaSummary(_Section):
    """Episode scores of a meta run on unseen types."""

    f1_mean: float | None = None
    f1_ci95: float | None = None
    f1_std: float | None = None
    f1_micro: float | None = None
    episodes: int | None = None
    n_way: int | None = None
    k_shot: int | None = None
    method: str | None = None
    train_episodes: int | None = None
    train_types: list[str] = []
    test_types: list[str] = []
    cross_domain: bool | None = None


class ProtocolStep(_Section):
    """One step of a published protocol: micro/macro-F1 over the types seen so far."""

    step: int = 0
    seen_types: list[str] = []
    mi_f1: float | None = None
    ma_f1: float | None = None


class ProtocolSummary(_Section):
    """A protocol run's published metric (engine.protocols.stream): the steps and their means,
    fractions in [0, 1] (tables print percent)."""

    name: str = ""
    version: int = 1
    family: str = ""
    steps: list[ProtocolStep] = []
    mi_f1_mean: float | None = None
    ma_f1_mean: float | None = None


class MappingSummary(_Section):
    """Statistics of the embedding mapping at each captured stage."""

    stages: list[str] = []
    silhouette: dict[str, float | None] = {}
    cka: list[list[float | None]] = []
    centroid_shift: dict[str, dict[str, float | None]] = {}
    tokens: int | None = None
    layer: int | None = None
    projection: str | None = None


class RunSummary(_Section):
    dev_f1: float | None = None
    test_f1: float | None = None
    test_precision: float | None = None
    test_recall: float | None = None
    train_tokens_per_s: float | None = None
    train_seconds: float | None = None
    test_seconds: float | None = None
    steps: int | None = None
    best_step: int | None = None
    trainable_parameters: int | None = None
    initial_heldout_perplexity: float | None = None
    heldout_perplexity: float | None = None
    cancelled: bool = False
    checkpoint: str | None = None
    continual: ContinualSummary | None = None
    meta: MetaSummary | None = None
    mapping: MappingSummary | None = None
    protocol: ProtocolSummary | None = None
    data_parallel: dict[str, Any] | None = None

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> RunSummary:
        """The summary of a stored JSON object. A value that no longer validates (written by
        another version) is dropped rather than making the whole run unreadable."""
        data = {k: v for k, v in (stored or {}).items() if k not in CONTROL_FLAGS}
        for _ in range(len(data) + 1):
            try:
                return cls.model_validate(data)
            except ValidationError as err:
                bad = {e["loc"][0] for e in err.errors() if e["loc"]}
                if not bad & data.keys():
                    break
                for key in bad:
                    data.pop(key, None)
        return cls()

    def stored(self) -> dict[str, Any]:
        """The JSON object as stored: the keys that were given, sections included."""
        return self.model_dump(mode="json", exclude_unset=True)


def validated(values: dict[str, Any]) -> dict[str, Any]:
    """`values` as given, once checked against RunSummary: a value of the wrong type raises
    ValueError naming the key, so a strategy's mistake fails where it is written, not on the
    page that reads it. Control flags are refused: they are columns (storage.runs)."""
    flags = sorted(CONTROL_FLAGS & values.keys())
    if flags:
        raise ValueError(f"run summary: {', '.join(flags)} are run columns, not summary values")
    try:
        RunSummary.model_validate(values)
    except ValidationError as err:
        raise ValueError(f"run summary: {err}") from None
    return values
