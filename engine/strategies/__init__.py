"""Strategies: one folder per kind (finetune, continual, meta, pretrain).

Each kind's folder holds a torch-free `config.py` (its config section, registered by kind), a
`run.py` (its entry function, registered with `engine.strategies.base.register_strategy`) and
one module per method or concept. Importing this package, `registry` or any `config.py`
imports no torch: pages read configs; `registry.get_strategy(kind)` loads the run module.

May import: engine.config, engine.data, engine.models, engine.metrics, engine.training,
engine.probe, engine.tracking (the tracker protocol). Never storage: a strategy reports through
its tracker only.
"""
