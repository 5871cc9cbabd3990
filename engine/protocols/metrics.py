"""The scores continual and few-shot NER papers print, computed their way (pure python).

Entities are exact IOB2 spans (type, start, end) per sentence, read by `entity_spans` (an `I-X`
that does not continue an `X` starts one, as conlleval and seqeval's default mode read it).

Continual NER (CFNER, zzz47zzz/CFNER `src/trainer.py` `evaluate`, `main_CL.py`): after step t
the whole test set, relabelled to the types seen so far, is scored with seqeval: micro-F1 over
all those types and macro-F1, the plain mean of per-type F1. CFNER maps predicted labels that
the gold test set lacks to O, so macro-F1 averages over the seen types present in the test set;
`cl_step_score` does the same per type. The table value is the mean over all steps, the first
included (`cl_summary`). Percent vs fraction: everything here is a fraction in [0, 1].
Differences: CFNER scores the test set as one flattened tag sequence (an entity could run
across a sentence boundary) on first sub-tokens; here spans never cross sentences.

Few-shot NER (Few-NERD, thunlp/Few-NERD `util/framework.py` `eval` / `metrics_by_entity`):
true, predicted and correct entity counts are summed over all query sets of all test episodes
and one micro-F1 is computed from the sums (`pooled`). Papers that report "mean ± interval"
average the per-episode F1 instead; `mean_ci` gives that mean with a 95% interval from
Student's t (n-1 degrees of freedom, sample standard deviation), or the normal quantile 1.96.

    step = cl_step_score(gold, predicted, seen_types=["LOC", "MISC"])
    summary = few_shot_summary([episode_counts(g, p) for g, p in episodes])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from engine.metrics.forgetting_detail import entity_spans, restrict_tags

Tags = Sequence[str]

# two-sided 95% Student t quantiles t(0.975, df) for df = 1..30 (scipy.stats.t.ppf)
_T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)  # fmt: skip
Z975 = 1.959963984540054


@dataclass(frozen=True)
class Counts:
    """Entity-level true positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _check(gold: Sequence[Tags], pred: Sequence[Tags]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")


def span_counts(
    gold: Sequence[Tags], pred: Sequence[Tags], types: Iterable[str] | None = None
) -> dict[str, Counts]:
    """Per-type counts of exact span matches; with `types`, every other type is O on both sides.

    Types that occur in gold or predictions get an entry (sorted by name).
    """
    _check(gold, pred)
    keep = None if types is None else set(types)
    out: dict[str, Counts] = {}
    for g_tags, p_tags in zip(gold, pred, strict=True):
        if keep is not None:
            g_tags, p_tags = restrict_tags(g_tags, keep), restrict_tags(p_tags, keep)
        g, p = set(entity_spans(g_tags)), set(entity_spans(p_tags))
        for span in g | p:
            hit = (span in g) + 2 * (span in p)  # 1: missed, 2: spurious, 3: found
            one = Counts(int(hit == 3), int(hit == 2), int(hit == 1))
            out[span[0]] = out.get(span[0], Counts()) + one
    return dict(sorted(out.items()))


def total(counts: Iterable[Counts]) -> Counts:
    return sum(counts, Counts())


# --- continual NER ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StepScore:
    step: int
    seen_types: tuple[str, ...]
    micro_f1: float
    macro_f1: float
    per_type_f1: dict[str, float]  # the seen types the test set mentions: macro-F1's terms
    counts: Counts


def cl_step_score(
    gold: Sequence[Tags], pred: Sequence[Tags], seen_types: Sequence[str], step: int = 0
) -> StepScore:
    """Mi-F1 and Ma-F1 of one step on the whole test set over all types seen so far."""
    in_gold = {t for t, c in span_counts(gold, gold, seen_types).items() if c.tp}
    per_type = span_counts(gold, pred, in_gold)
    f1s = {t: per_type.get(t, Counts()).f1 for t in sorted(in_gold)}
    macro = sum(f1s.values()) / len(f1s) if f1s else 0.0
    micro = total(per_type.values())
    return StepScore(step, tuple(seen_types), micro.f1, macro, f1s, micro)


@dataclass(frozen=True)
class ClSummary:
    """Mean of the step-wise scores (the number in a CL-NER table) and the steps themselves."""

    mean_micro_f1: float
    mean_macro_f1: float
    steps: tuple[StepScore, ...] = field(default_factory=tuple)


def cl_summary(steps: Sequence[StepScore]) -> ClSummary:
    if not steps:
        raise ValueError("no steps to average")
    n = len(steps)
    return ClSummary(
        sum(s.micro_f1 for s in steps) / n, sum(s.macro_f1 for s in steps) / n, tuple(steps)
    )


def cl_scores(
    gold: Sequence[Tags],
    predictions: Sequence[Sequence[Tags]],
    seen_types: Sequence[Sequence[str]],
) -> ClSummary:
    """`predictions[t]`: test predictions after step t; `seen_types[t]`: types of steps 0..t."""
    if len(predictions) != len(seen_types):
        raise ValueError(f"{len(predictions)} prediction sets for {len(seen_types)} steps")
    return cl_summary(
        [
            cl_step_score(gold, p, types, t)
            for t, (p, types) in enumerate(zip(predictions, seen_types, strict=True))
        ]
    )


# --- few-shot NER ----------------------------------------------------------------------------


def episode_counts(gold: Sequence[Tags], pred: Sequence[Tags]) -> Counts:
    """Micro counts over all types of one episode's query set."""
    return total(span_counts(gold, pred).values())


@dataclass(frozen=True)
class MeanCI:
    mean: float
    half_width: float  # nan with fewer than two values
    n: int
    method: str

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width


def t_quantile_975(df: int) -> float:
    """Student t quantile at 0.975: a table to 30 degrees of freedom, then Cornish-Fisher."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z, v = Z975, float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


def mean_ci(values: Sequence[float], method: Literal["t", "normal"] = "t") -> MeanCI:
    """Mean with a two-sided 95% interval: quantile x sample std (n-1) / sqrt(n)."""
    n = len(values)
    if n == 0:
        raise ValueError("no values")
    mean = sum(values) / n
    if n < 2:
        return MeanCI(mean, math.nan, n, method)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    q = t_quantile_975(n - 1) if method == "t" else Z975
    return MeanCI(mean, q * sd / math.sqrt(n), n, method)


@dataclass(frozen=True)
class FewShotSummary:
    pooled: Counts  # summed over every query set: Few-NERD's number is pooled.f1
    episode_f1: MeanCI  # mean of per-episode F1 with its 95% interval

    @property
    def pooled_f1(self) -> float:
        return self.pooled.f1


def few_shot_summary(
    episodes: Sequence[Counts], method: Literal["t", "normal"] = "t"
) -> FewShotSummary:
    if not episodes:
        raise ValueError("no episodes")
    return FewShotSummary(total(episodes), mean_ci([c.f1 for c in episodes], method))
