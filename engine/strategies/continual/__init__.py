"""Continual learning: one loop (loop.py), each method a small plugin of hooks (plugin.py).

naive (no plugin), replay.py, ewc.py, lwf.py, mapping.py, joint.py; the T x T test evaluation
in evaluation.py; the registered strategy in run.py.
"""

from engine.strategies.continual import run as _run  # noqa: F401  (registers itself)
