"""Soak test of the verifier service: bounded hostile traffic against a real ``honest serve``.

    .venv/bin/python benchmarks/soak.py                                 # ~3 minutes
    .venv/bin/python benchmarks/soak.py --seconds 5 --hostile 60 --json soak.json

It starts its own ``honest serve`` (``python -m honest_cli serve``: loopback, a
free port, ``--workers N``, ``--max-solve-seconds S``, Prometheus on a free
port) in its own process group, and always kills that group when it ends
(normally, on an exception, on SIGINT or SIGTERM). It runs three phases, each bounded in time:

1. **hostile** (``--hostile`` cases or ``--hostile-seconds``, whichever ends
   first): mutated generated problems (whitespace deleted or inserted, symbols
   spelled as keywords, NUL, İ, RTL marks, emoji), premises at and over the
   documented bounds (20,000 characters, 5,000 premises and names, nesting 64,
   40 digits), long ``&``/``|``/``<->``/``->`` chains, deep parentheses, 1 MB
   queries and texts, non-finite reward maps, empty and 4,096/4,097-completion
   groups, hostile completions (``"<answer>"*10000``, ``"\\boxed{"*3000``,
   200 KB, ``Answer: 1 0/2``, ``Answer: 29<|im_end|>``), 50 ms deadlines on
   slow problems, one slow problem from two callers with different deadlines,
   malformed protobuf bytes, batches at and over 4,096 groups and 65,536
   completions, ids over 1,024 characters, mixed streams, and replays
   of known cache-poisoning sequences. A scripted list covering every kind runs
   first, then random cases. After every case a *canary* (a small problem with
   a known answer: linear determined/undetermined, logic entailed/undetermined,
   with a correct and a wrong completion, over Verify and VerifyGroup) must get
   exactly the right verdict and reward.
2. **load** (``--seconds``): ``--clients`` concurrent grpc.aio callers on
   ``--channels`` channels send Verify, VerifyGroup and VerifyBatch on cached
   and fresh problems with known answers; RSS of the server and of its solver
   workers is sampled every second.
3. **faults** (``--seconds``): the same load while ``--kills`` solver workers
   (children of the server) are SIGKILLed; every call must still get an answer
   or a documented error and canaries must stay right.

Throughout, a separate process calls ``grpc.health.v1.Health/Check`` every
200 ms with a 1 s deadline (a frozen event loop shows up there).

What counts as a defect (exit status 1, each printed with a reproducer):
- crash: the server process died;
- hang: a call ran past its deadline + 5 s, a health check got no answer within
  1 s, or a small known-answer call (a canary) got DEADLINE_EXCEEDED;
- wrong reward: a canary or known-answer check got another verdict or reward
  (an answer computed from the core in this process, from a generator's label,
  or by construction), a non-finite reward, or a problem that does not parse
  was answered (cache poisoning);
- internal: INTERNAL or UNKNOWN, as a status or as an item error;
- bad status: any other code outside OK, INVALID_ARGUMENT, DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED, UNAUTHENTICATED (e.g. CANCELLED for a caller that did not
  cancel, or DEADLINE_EXCEEDED long before the caller's deadline).
Warnings (printed; they fail the run only with ``--strict``): a documented
bound not enforced, an unexpected documented code, error messages over 2,500
characters, the worker pool not back to full strength after the faults.

What it does not do: measure peak throughput (benchmarks/bench_service.py
does), use TLS, tokens or replicas, exercise memory limits of the machine,
prove that verdicts are right beyond the checks above (the in-process oracle
is the same core the workers run: it catches service-layer bugs — cache,
conversion, concurrency, cancellation — not engine bugs), or survive a SIGKILL
of this script (then kill the printed server process group yourself).
The random cases are reproducible with ``--seed``; timing-dependent ones
(deadlines, kills) are not exactly.

The code is in ``benchmarks/soaklib/`` (its ``__init__`` lists the parts); this file is the
command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:  # `import soaklib` (and service_port) also when not run as a script
    sys.path.insert(0, HERE)

from soaklib.run import run  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0,
                    help="length of the load and faults phases, each (default 20)")
    ap.add_argument("--hostile", type=int, default=300,
                    help="hostile cases in phase 1, each followed by a canary (default 300)")
    ap.add_argument("--hostile-seconds", type=float, default=90.0,
                    help="time bound of phase 1 (default 90)")
    ap.add_argument("--max-total-seconds", type=float, default=200.0,
                    help="bound on the whole run; later phases are cut short (default 200)")
    ap.add_argument("--workers", type=int, default=2, help="solver workers (default 2)")
    ap.add_argument("--max-solve-seconds", type=float, default=5.0,
                    help="the server's --max-solve-seconds (default 5)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent load callers (16)")
    ap.add_argument("--channels", type=int, default=4, help="gRPC channels (default 4)")
    ap.add_argument("--kills", type=int, default=3,
                    help="solver workers SIGKILLed in the faults phase (default 3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip", default="", help="comma-separated phases to skip")
    ap.add_argument("--strict", action="store_true", help="warnings fail the run too")
    ap.add_argument("--json", help="also write the JSON summary line to this file")
    args = ap.parse_args(argv)
    args.skip = set(filter(None, args.skip.split(",")))
    args.channels = max(2, args.channels)

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
