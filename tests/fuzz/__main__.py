"""Run every fuzz target at scale: ``python -m tests.fuzz --cases 10000 --seed S [--target PATTERN]``.

Imports every ``tests/fuzz/test_*.py``, collects their ``FUZZ`` targets, runs ``--cases`` cases per
target in forked children (in batches, so damaged copies never pile up on disk), prints a tally
table by target and outcome and the first failures, and exits 1 on any BAD outcome
(foreign, wrong, hang, crash). ``make fuzz`` runs it.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import logging
import pathlib
import sys
import tempfile
import time

import numpy as np

from ._harness import BAD, GOOD, failures, run_cases

OUTCOMES = GOOD + BAD


def collect() -> dict[str, object]:
    """target name -> make_cases, from every fuzz module next to this file."""
    targets: dict[str, object] = {}
    for path in sorted(pathlib.Path(__file__).parent.glob("test_*.py")):
        mod = importlib.import_module(f"{__package__}.{path.stem}")
        for name, make in getattr(mod, "FUZZ", {}).items():
            if name in targets:
                raise SystemExit(f"fuzz target {name!r} is defined twice (second time in {path.name})")
            targets[name] = make
    return targets


def run_target(make, name: str, cases: int, seed: int, batch: int, timeout: float
               ) -> tuple[dict[str, int], list[str], float]:
    """Tally of ``cases`` cases of one target, its first failure lines, and the seconds it took."""
    counts = dict.fromkeys(OUTCOMES, 0)
    bad_lines: list[str] = []
    rng = np.random.default_rng([seed, *name.encode()])
    t0 = time.perf_counter()
    done = 0
    while done < cases:
        m = min(batch, cases - done)
        with tempfile.TemporaryDirectory(prefix="svfuzz-") as d:
            made, check = make(rng, m, pathlib.Path(d))
            results = run_cases(made, check, timeout=timeout)
        for kind, _ in results:
            counts[kind] = counts.get(kind, 0) + 1
        if len(bad_lines) < 10:
            text = failures(made, results, limit=10 - len(bad_lines))
            bad_lines += [line for line in text.splitlines() if line]
        done += m
        if len(made) != m:  # a fixed set (the hostile files) runs once
            break
    return counts, bad_lines, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10000, help="cases per target (default 10000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the damage (default 0)")
    ap.add_argument("--target", default="*", help="glob of target names (default: all)")
    ap.add_argument("--batch", type=int, default=500, help="cases made and run per batch (default 500)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds before a case counts as a hang")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # readers log what they skip (a pickled label ...): not a result
    targets = {k: v for k, v in collect().items() if fnmatch.fnmatch(k, args.target)}
    if not targets:
        print(f"no fuzz target matches {args.target!r}; targets: {', '.join(collect())}", file=sys.stderr)
        return 2
    width = max(len(k) for k in targets)
    print(f"{'target':<{width}}  " + "  ".join(f"{o:>7}" for o in OUTCOMES) + "  seconds", flush=True)
    all_bad: list[str] = []
    totals = dict.fromkeys(OUTCOMES, 0)
    for name, make in targets.items():
        counts, bad_lines, secs = run_target(make, name, args.cases, args.seed, args.batch, args.timeout)
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        print(f"{name:<{width}}  " + "  ".join(f"{counts.get(o, 0):>7}" for o in OUTCOMES) + f"  {secs:7.1f}",
              flush=True)
        all_bad += [f"{name}: {line}" for line in bad_lines]
    print(f"{'total':<{width}}  " + "  ".join(f"{totals.get(o, 0):>7}" for o in OUTCOMES))
    if all_bad:
        print("\nfirst failures:\n" + "\n".join(all_bad[:20]))
        return 1
    print(f"\nno BAD outcome ({', '.join(BAD)}) in {sum(totals.values()):,} cases (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
