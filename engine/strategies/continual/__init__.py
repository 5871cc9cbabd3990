"""Continual learning: one loop (loop.py), each method a small plugin of hooks (plugin.py).

naive (no plugin), replay.py, ewc.py, lwf.py, mapping.py, joint.py; the T x T test evaluation
in evaluation.py; the config section in config.py (torch-free); the registered entry in run.py.
"""
