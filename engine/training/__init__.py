"""The training loop and everything a step needs, plus prediction for token classification.

loop (fit: epochs, evaluation, early stop, checkpoints), tensors (collate), token_batches
(batches with a near-constant padded-token count), optim (AdamW groups, schedule, step),
compiled (opt-in torch.compile with a clean eager fallback), train_state (resume mid-run),
predict (length-sorted, token-budget evaluation and tagging), distributed (data-parallel ranks
started by the lab) and torchrun / torchrun_rank / torchrun_agent (the same through
`torch.distributed.run`, one or several machines). May import engine.config, engine.data,
engine.metrics, engine.models, engine.device and engine.tracking; only the rank entry points
(distributed, torchrun*), which run a whole rank, reach engine.jobs and storage, lazily.
"""
