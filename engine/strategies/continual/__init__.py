"""Continual learning: one loop (loop.py), each method a small plugin of hooks (plugin.py).

naive (no plugin), replay.py, ewc.py, lwf.py, mapping.py, joint.py, pseudo.py (pseudo_label and
pseudo_lwf); each method's config and registration in methods.py (torch-free); the T x T test
evaluation in evaluation.py; the section in config.py (torch-free); the registered entry in run.py.
"""
