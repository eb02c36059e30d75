"""The ``cimsim`` command: a thin layer over the Python API.

Each sub-command lives beside the code it drives and registers itself through a
``register(subparsers)`` function; this module only collects them, runs the chosen one and
turns a :class:`~cimsim.errors.CimsimError` into a one-paragraph message and exit status 2.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
import textwrap
import threading

from cimsim import __version__
from cimsim.errors import CimsimError

# Modules that define ``register(subparsers)``; imported lazily so that `cimsim describe`
# does not pay for torch.
SUBCOMMAND_MODULES = (
    "cimsim.spec.cli",
    "cimsim.trace.cli",
    "cimsim.mapping.cli",
    "cimsim.engine.cli",
    "cimsim.report.plot",
    "cimsim.accuracy",
    "cimsim.studies.cli",
    "cimsim.studies.study",
    "cimsim.search.cli",
    "cimsim.validation.cli",
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``cimsim`` parser. With ``command``, sub-command modules are imported only until one
    registers it (a run pays for no other sub-command's imports); otherwise all of them."""
    parser = argparse.ArgumentParser(
        prog="cimsim",
        description="Cycle-level simulator of compute-in-memory DNN accelerators.",
    )
    parser.add_argument("--version", action="version", version=f"cimsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a sub-package not yet present
            if exc.name == name:
                continue
            raise
        module.register(sub)
        if command is not None and command in sub.choices:
            break
    return parser


def format_error(exc: CimsimError) -> str:
    text = " ".join(str(exc).split())
    return "\n".join(textwrap.wrap(f"error: {text}", width=100))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # the sub-command is the first argument that is not an option (top-level options take no value)
    parser = build_parser(next((a for a in argv if not a.startswith("-")), None))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CimsimError as exc:
        print(format_error(exc), file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The ``cimsim`` program (console-script entry point): :func:`main`, then exit.

    Once a command has written and closed its outputs, the interpreter's own teardown has
    nothing left to do for it, yet after a simulation it takes 0.2-0.3 s on the 2-core
    benchmark machine (Numba's compiled-code and typing objects are finalised one by one), a
    sixth of a `cimsim run` of VGG-8. So when no other Python thread is alive, the exit
    handlers run, the standard streams are flushed and the process ends without that teardown
    (``os._exit``); otherwise it exits normally.
    """
    code = main()
    if threading.active_count() == 1:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (BrokenPipeError, ValueError):  # output piped into `head`, or closed
                pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
