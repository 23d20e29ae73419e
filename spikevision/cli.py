"""The ``spikevision`` command (also ``python -m spikevision``).

Subcommands live one per module in :mod:`spikevision._cli`; each module has
``register(subparsers)`` which adds its parser and sets ``func`` to a
function ``(args) -> int``. Every command behaves the same way: outputs are
refused when they exist (unless ``--overwrite``) or are one of the inputs, a
success prints one line on stdout (``--quiet`` silences it, ``--json`` prints
the summary), and an error prints one line on stderr (``-v`` adds the
traceback). Exit status: 0 done, 1 failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import traceback

from . import __version__, _cli
from ._cli import _common
from .errors import SpikevisionError

__all__ = ["main", "build_parser", "EXIT_CODES"]

log = logging.getLogger("spikevision")

#: Exit statuses of every command.
EXIT_CODES = {0: "done", 1: "failed (one line on stderr says why and what to do; -v adds the traceback)",
              2: "usage error (a bad option or value; the usage is printed)", 130: "interrupted (Ctrl-C)"}

EPILOG = "exit status: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items())


def _add_common(p: argparse.ArgumentParser, top: bool) -> None:
    default = False if top else argparse.SUPPRESS  # a subcommand's -v/-q must not reset the top-level ones
    p.add_argument("-v", "--verbose", action="store_true", default=default,
                   help="log progress details; show the traceback of an error")
    p.add_argument("-q", "--quiet", action="store_true", default=default,
                   help="print nothing on success (errors still print)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikevision", description="Spike camera data: inspect, convert, "
                                     "simulate, reconstruct, capture and view.", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"spikevision {__version__}")
    _add_common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(_cli.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{_cli.__name__}.{info.name}").register(sub)
    for p in sub.choices.values():
        _add_common(p, top=False)
        if p.epilog is None:
            p.epilog = EPILOG
    return parser


def _describe(exc: BaseException) -> str:
    """The one line printed for an error."""
    code = _common.is_disk_error(exc)
    if code is not None and _common.OUTPUTS:
        return _common.disk_error_message(exc, code, in_place=getattr(exc, "in_place", False))
    if isinstance(exc, (SpikevisionError, OSError, ValueError)):
        text = str(exc) or type(exc).__name__
    else:
        text = f"unexpected {type(exc).__name__}: {exc}; run again with -v and report the traceback"
    return " ".join(text.split("\n"))


def main(argv: list[str] | None = None) -> int:
    from .io._atomic import discard_all

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    if not args.verbose:  # an error is raised and printed once, as one line, by the handler below
        for h in logging.getLogger().handlers:
            h.addFilter(lambda record: record.levelno < logging.ERROR)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _common.QUIET = bool(args.quiet)
    _common.OUTPUTS.clear()
    _common.compile_watch()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        discard_all()
        print("spikevision: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        discard_all()  # no partial output, whatever the writer did
        if args.verbose:
            traceback.print_exc()
        print(f"spikevision: error: {_describe(exc)}", file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
