"""Entity-level NER scores: seqeval in strict mode with an explicit IOB2 scheme.

Predictions are first repaired to valid IOB2 (an `I-X` that does not continue an `X` entity
starts one), which is how conlleval reads them; gold tags are already IOB2 from the data layer.

    report = entity_report(gold_tags, predicted_tags)
    report.f1, report.per_type["PER"].recall
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    support: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class NerReport:
    precision: float
    recall: float
    f1: float
    support: int
    per_type: dict[str, Score] = field(default_factory=dict)

    def overall(self) -> dict[str, float | int]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
        }

    def per_type_dicts(self) -> dict[str, dict[str, float | int]]:
        return {t: s.as_dict() for t, s in self.per_type.items()}


def repair_iob2(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    prev_type: str | None = None
    for tag in tags:
        if tag == "O" or len(tag) < 3 or tag[1] != "-":
            out.append("O")
            prev_type = None
            continue
        prefix, etype = tag[0], tag[2:]
        if prefix == "I" and prev_type != etype:
            prefix = "B"
        out.append(f"{prefix}-{etype}")
        prev_type = etype
    return out


def entity_report(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> NerReport:
    """Micro P/R/F1 over entities plus per-type scores; types absent from gold get support 0."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")
    gold_l = [list(g) for g in gold]
    pred_l = [repair_iob2(p) for p in pred]
    if not any(t != "O" for s in gold_l + pred_l for t in s):
        return NerReport(0.0, 0.0, 0.0, 0, {})
    raw = classification_report(
        gold_l, pred_l, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    per_type = {
        name: Score(
            float(v["precision"]), float(v["recall"]), float(v["f1-score"]), int(v["support"])
        )
        for name, v in raw.items()
        if not name.endswith(" avg")
    }
    micro = raw["micro avg"]
    return NerReport(
        float(micro["precision"]),
        float(micro["recall"]),
        float(micro["f1-score"]),
        int(micro["support"]),
        dict(sorted(per_type.items())),
    )
