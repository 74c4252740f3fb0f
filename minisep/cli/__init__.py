"""The minisep command line: train, evaluate, summary, compare, analyze, plot, gradcheck, bench.

Run `minisep COMMAND --help` for the options of each command. Each verb lives in a module of
this package with a `register(subparsers)` function; `VERBS` lists them in the order --help shows.
"""

from __future__ import annotations

import argparse
import sys

from . import analyze, bench, check, compare, plot, run, teach
from .common import UserFacingError

VERBS = (run, compare, analyze, plot, check, bench, teach)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(prog="minisep", description=__doc__.splitlines()[0],
                                     epilog="Run `minisep COMMAND --help` for the options of each command.")
    parser.add_argument("--version", action="version", version=f"minisep {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for verb in VERBS:
        verb.register(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserFacingError as e:
        print(f"minisep {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "build_parser"]
