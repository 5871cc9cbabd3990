"""Meta-learning for few-shot NER: episodes, ProtoNet, NNShot, first-order MAML, Reptile and
the fine-tuning control (one module each); `run` registers the `meta` strategy."""

from engine.strategies.meta import run as _run  # noqa: F401  (registers itself)
