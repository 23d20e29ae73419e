"""Run every benchmarks/bench_*.py and print one markdown table of figures.

Usage: python benchmarks/run.py [--quick] [--json OUT] [NAME ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # benchmark modules share benchmarks/_common.py


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("names", nargs="*", help="run only bench_<name>.py")
    ap.add_argument("--quick", action="store_true", help="smaller inputs (smoke run)")
    ap.add_argument("--json", help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    files = sorted(HERE.glob("bench_*.py"))
    if args.names:
        files = [f for f in files if f.stem[len("bench_"):] in args.names]
    rows = []
    for f in files:
        spec = importlib.util.spec_from_file_location(f.stem, f)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        t = time.perf_counter()
        print(f"running {f.name} ...", file=sys.stderr, flush=True)
        rows.extend(mod.run(quick=args.quick))
        print(f"  {f.name}: {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    cols = ["benchmark", "case", "ours", "reference", "ref", "unit", "ratio", "target"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        cells = [_fmt(r.get(c)) for c in cols]
        if r.get("ratio") is not None:
            cells[6] = f"{r['ratio']:.2f}x"
        print("| " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
