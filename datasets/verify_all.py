"""Verify every dataset present under $SPIKEVISION_DATA (or --data DIR) against its card; print one line each.

Usage: python datasets/verify_all.py [--data DIR] [--no-checksums] [--json OUT]
Exit status 1 when a present dataset is incomplete or damaged; absent datasets are listed, not errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import spikevision.datasets as svd


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("SPIKEVISION_DATA"), help="folder holding <NAME>/ folders")
    ap.add_argument("--no-checksums", action="store_true", help="skip hashing the files cards list")
    ap.add_argument("--json", help="also write the reports as JSON here")
    args = ap.parse_args(argv)
    if not args.data:
        ap.error("give --data DIR or set SPIKEVISION_DATA")
    reports, bad = [], 0
    for name in svd.list_datasets():
        root = Path(args.data) / name
        if not root.is_dir():
            print(f"{name:<26} absent")
            continue
        rep = svd.verify(name, root, checksums=not args.no_checksums)
        reports.append(rep.as_dict())
        counts = ", ".join(f"{k} {v}" for k, v in rep.recordings.items())
        print(f"{name:<26} {'OK' if rep.ok else 'INCOMPLETE':<10} {counts}; {len(rep.missing)} missing, "
              f"{len(rep.bad)} damaged, {len(rep.checksums_failed)} checksum mismatches")
        bad += not rep.ok
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
