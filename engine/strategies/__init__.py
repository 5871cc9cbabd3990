"""Strategy registry: one file per strategy, each registers itself under a `StrategyKind`."""

from engine.strategies import continual as _continual  # noqa: F401  (registers itself)
from engine.strategies import finetune as _finetune  # noqa: F401  (registers itself)
from engine.strategies import meta as _meta  # noqa: F401  (registers itself)
from engine.strategies import pretrain as _pretrain  # noqa: F401  (registers itself)
from engine.strategies.base import STRATEGIES, RunContext, StrategyKind, get_strategy

__all__ = ["STRATEGIES", "RunContext", "StrategyKind", "get_strategy"]
