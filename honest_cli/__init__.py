"""The ``honest`` command: a thin dispatcher above every package.

Each package contributes its subcommands through ``add_commands(subparsers)``:

- ``verifier.commands``: ``generate``, ``serve``
- ``clients.commands``: ``check``, ``solve``
- ``trainer.cli``: ``train``, ``eval``, ``demo`` (the ``train`` extra)

A subcommand whose parser sets ``needs=("torch", ...)`` and ``extra="train"`` is
checked before it runs: when a module is missing, ``honest`` says which extra to
install and exits with code 2 instead of ending in a traceback.

Exit codes: 0 success; 2 bad input or a missing extra (the message says what to
fix); 1 an internal error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from verifier.errors import HonestError

#: packages that contribute subcommands, lowest layer first
PROVIDERS = ("verifier.commands", "clients.commands", "trainer.cli")

#: how to install what an extra needs on a machine without a GPU (see scripts/setup.sh)
INSTALL_HINT = {"train": "pip install torch==2.13.0 'honest-deduction[train]'"}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="honest", description="Honest deductive reasoning: "
                                 "datasets, exact verifier, ANCHOR trainer.")
    sub = ap.add_subparsers(dest="command", required=True)
    for provider in PROVIDERS:
        importlib.import_module(provider).add_commands(sub)
    return ap


def missing_modules(args) -> list[str]:
    return [m for m in getattr(args, "needs", ()) if importlib.util.find_spec(m) is None]


def _extra_message(command: str, extra: str | None, missing: list[str]) -> str:
    hint = INSTALL_HINT.get(extra or "", f"pip install 'honest-deduction[{extra}]'")
    return (f"honest {command} needs the '{extra}' extra, which is not installed here "
            f"(missing: {', '.join(missing)}): {hint}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    missing = missing_modules(args)
    if missing:
        print(f"honest {args.command}: error: "
              f"{_extra_message(args.command, getattr(args, 'extra', None), missing)}",
              file=sys.stderr)
        return 2
    try:
        return args.handler(args)
    except HonestError as e:
        print(f"honest {args.command}: error: {e.message}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:  # an optional module the parser did not declare
        if getattr(args, "extra", None) and e.name and e.name.split(".")[0] not in (
                "verifier", "clients", "trainer", "honest", "honest_cli"):
            print(f"honest {args.command}: error: "
                  f"{_extra_message(args.command, args.extra, [e.name])}", file=sys.stderr)
            return 2
        raise
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
