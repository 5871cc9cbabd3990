"""`python -m engine.jobs.warm_worker`: a worker started ahead of its run (engine.jobs.warm_pool).

It imports what every run needs (torch, transformers, the strategies, the runner), says "ready"
on the pipe LAB_WARM_READY_FD names, and waits for one line on stdin: {"run_id": N, "log": PATH}.
Then it points its stdout and stderr at the run's log and becomes that run's worker
(engine.jobs.worker.main), exit code and all. End of file on stdin before a run came (the
launcher is gone, or retired it) ends it at once, even in the middle of its imports.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sys
import threading
import time
from typing import Any

from engine.jobs import worker
from engine.jobs.warm_pool import READY, READY_FD_ENV


def main() -> int:
    ready_fd = int(os.environ.pop(READY_FD_ENV, "-1"))
    orders: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=_read_order, args=(orders,), name="warm-order", daemon=True).start()
    started = time.monotonic()
    _import_heavy_modules()
    imported = time.monotonic() - started
    # No reader when the run came mid-import (the launcher closed its end) or the launcher
    # is gone; in the second case end of file on stdin ends this process (_read_order).
    with contextlib.suppress(OSError):
        os.write(ready_fd, READY)
    with contextlib.suppress(OSError):
        os.close(ready_fd)
    order: dict[str, Any] = json.loads(orders.get())
    _redirect_output(str(order["log"]))
    print(f"[warm worker] pid {os.getpid()}: imports done {imported:.1f} s ahead", flush=True)
    return worker.main([str(int(order["run_id"]))], warm=True)


def _read_order(orders: queue.Queue[bytes]) -> None:
    """Exactly one line: the run. Reading stops after it, so a launcher that exits later (a
    killed dashboard) does not touch the running job."""
    line = sys.stdin.buffer.readline()
    if not line.strip():
        os._exit(0)  # retired or orphaned before a run came: nothing to clean up
    orders.put(line)


def _import_heavy_modules() -> None:
    # What worker._execute and runner.execute_run import, every strategy's run module among them.
    import torch  # noqa: F401
    import transformers  # noqa: F401

    import engine.device  # noqa: F401
    import engine.jobs.runner  # noqa: F401
    import engine.tracking.db_tracker  # noqa: F401
    import engine.training.distributed  # noqa: F401
    from engine.strategies.registry import load_all

    load_all()
    _import_model_modules()


def _import_model_modules() -> None:
    """transformers imports a model's and a tokenizer's modules only when one is first built
    (seconds: modeling_utils pulls in torch.distributed.tensor and dynamo): build a micro BERT,
    the architecture of every backbone the lab ships, and load nothing."""
    import accelerate  # noqa: F401  (from_pretrained's weight loading)
    import tokenizers  # noqa: F401
    import transformers.convert_slow_tokenizer  # noqa: F401
    import transformers.models.auto.tokenization_auto  # noqa: F401
    import transformers.models.bert.tokenization_bert  # noqa: F401
    from transformers import AutoModelForMaskedLM, AutoModelForTokenClassification, BertConfig

    from engine.models.backbones import quiet_transformers

    quiet_transformers()
    micro = BertConfig(
        vocab_size=8, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8
    )
    AutoModelForTokenClassification.from_config(micro)
    AutoModelForMaskedLM.from_config(micro)


def _redirect_output(log_path: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # as a cold worker's: the launcher's pipe is not the job's input
    os.close(devnull)


if __name__ == "__main__":
    worker.exit_now(main())
