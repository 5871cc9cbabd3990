"""torchrun's own launcher, `python -m engine.training.torchrun_agent ARGS` = `torchrun ARGS`.

The one difference: a stop signal (a cancel's SIGTERM, Ctrl-C) is torchrun's normal way out of
a run, after it has passed the signal to the ranks and waited for them, yet torchrun reports it
as a traceback in the job's log. Here it is one line and exit code 128 + the signal.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.run import main as torchrun_main

    try:
        torchrun_main(list(sys.argv[1:] if argv is None else argv))
    except SignalException as err:
        name = signal.Signals(err.sigval).name
        print(f"torchrun: {name} received, the ranks were stopped", file=sys.stderr, flush=True)
        return 128 + int(err.sigval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
