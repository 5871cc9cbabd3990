"""Job control: how a run gets from a config to a finished database row.

launcher (submit, cancel, reconcile; torch-free), backends/ (local process groups, Ray), worker
(`python -m engine.jobs.worker RUN_ID`), warm_pool + warm_worker (a worker started ahead of its
run), runner (store a run, execute a strategy with a tracker), threads (torch threads from the
free cores), resume, heartbeat, task_gate (the "Next task" gate), machine (CPU/GPU facts).
May import storage, engine.config, engine.tracking and engine.strategies.registry; torch only
inside the worker's execute path.
"""
