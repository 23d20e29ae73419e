"""The ``spikevision`` command.

Subcommands live one per module in :mod:`spikevision._cli`; each module has
``register(subparsers)`` which adds its parser and sets ``func`` to a
function ``(args) -> int``. Errors print one line and exit non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from . import __version__, _cli
from .errors import SpikevisionError

__all__ = ["main", "build_parser"]

log = logging.getLogger("spikevision")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikevision", description="Spike camera data: inspect, convert, "
                                     "simulate, reconstruct, capture and view.")
    parser.add_argument("--version", action="version", version=f"spikevision {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(_cli.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{_cli.__name__}.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("spikevision: interrupted", file=sys.stderr)
        return 130
    except (SpikevisionError, OSError, ValueError) as exc:
        print(f"spikevision: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
