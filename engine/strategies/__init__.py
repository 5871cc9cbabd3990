"""Strategies: one folder per kind (finetune, continual, meta, pretrain).

Each kind's folder holds a torch-free `config.py` (its config section, registered by kind), a
`run.py` (its entry function, registered with `engine.strategies.base.register_strategy`) and
one module per method or concept. A kind with methods (continual, meta) also has a torch-free
`methods.py`: one small config class and one `register_method` line per method, whose factory
("module:function") is imported only when a run needs it (methods.py in this folder). Importing
this package, `registry`, `methods` or any `config.py` imports no torch: pages read configs;
`registry.get_strategy(kind)` loads the run module.

Adding a continual method: its config class and registration line in continual/methods.py, and
a module with its plugin and `plugins(config, seed)` factory (pseudo.py is one); the wizard
shows its fields from the class, and train.param.continual.<method>.* in the catalogues give
them words (else the field's title and description).

May import: engine.config, engine.data, engine.models, engine.metrics, engine.training,
engine.probe, engine.tracking (the tracker protocol). Never storage: a strategy reports through
its tracker only.
"""
