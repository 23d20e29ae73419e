"""``spikevision datasets list | info NAME | verify NAME | prepare NAME OUT``: public spike datasets."""

from __future__ import annotations

import argparse

from ._common import report

__all__ = ["register"]


def _list(args: argparse.Namespace) -> int:
    from ..datasets import card, list_datasets

    names = list_datasets(task=args.task)
    rows = [{"name": n, "tasks": list(card(n).tasks), "size": f"{card(n).height}x{card(n).width}",
             "title": card(n).title} for n in names]
    if args.json:
        report(args, "", {"datasets": rows})
    else:
        for r in rows:
            print(f"{r['name']:<26} {r['size']:>10}  {','.join(r['tasks']):<24} {r['title'][:70]}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from ..datasets import card

    c = card(args.name)
    d = {"name": c.name, "title": c.title, "tasks": list(c.tasks), "paper": c.paper, "citation": c.citation,
         "license": c.license, "size": c.size, "resolution": [c.height, c.width], "fps": c.fps, "flip": c.flip,
         "cfa": c.cfa, "reader": c.reader, "splits": list(c.splits), "spikes": c.spikes, "right": c.right,
         "ground_truth": {g.name: {"path": g.path, "format": g.format, "kind": g.kind, "description": g.description}
                          for g in c.gt.values()},
         "obtain": list(c.obtain), "checksums": len(c.files), "unverified": list(c.unverified), "notes": c.notes}
    if args.json:
        report(args, "", d)
        return 0
    print(f"{c.name}: {c.title}")
    for k in ("tasks", "paper", "license", "size", "resolution", "fps", "flip", "cfa", "reader", "splits", "spikes",
              "right"):
        if d[k] not in (None, [], ""):
            print(f"  {k:<11} {d[k]}")
    for name, g in d["ground_truth"].items():
        print(f"  gt.{name:<8} {g['kind']} ({g['format']}): {g['path']}  {g['description']}")
    print("  obtain:")
    for i, s in enumerate(c.obtain, 1):
        print(f"    {i}. {s}")
    if c.unverified:
        print(f"  not verified: {', '.join(c.unverified)}")
    if c.notes:
        print(f"  notes: {c.notes}")
    print(f"  citation: {c.citation}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from ..datasets import verify

    rep = verify(args.name, args.root, checksums=not args.no_checksums)
    report(args, rep.summary(), rep.as_dict())
    return 0 if rep.ok else 1


def _prepare(args: argparse.Namespace) -> int:
    from ..datasets import load, prepare
    from ._common import progress

    n = len(load(args.name, args.root, split=args.split))
    with progress(n, f"prepare {args.name}", unit="recording") as bar:
        man = prepare(args.name, args.root, args.out, split=args.split, progress=bar.update,
                      **({"compression": args.compression} if args.compression else {}))
    import json

    count = len(json.loads(man.read_text())["samples"])
    report(args, f"prepared {count} recordings of {args.name} in {args.out} (manifest {man.name})",
           {"output": str(args.out), "recordings": count, "manifest": str(man)})
    return 0


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return n


def _option(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (e.g. dt=10)")
    from ..batch.steps import _value

    k, v = text.split("=", 1)
    return k.strip().replace("-", "_"), _value(v.strip())


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from ..datasets import evaluate, load
    from ._common import progress

    n = len(load(args.name, args.root, split=args.split))
    n = n if args.limit is None else min(n, args.limit)
    with progress(n, f"evaluate {args.name}", unit="recording") as bar:
        rep = evaluate(args.name, args.task, method=args.method, root=args.root, split=args.split, limit=args.limit,
                       progress=bar.update, **dict(args.option))
    if args.report:
        from ..io._atomic import atomic_path

        with atomic_path(args.report) as tmp:
            tmp.write_text(json.dumps(rep.as_dict(), indent=2))
    report(args, rep.table(), rep.as_dict())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="public spike datasets: list, describe, verify, prepare, evaluate",
                       description="Public spike datasets described by cards. Nothing is downloaded: obtain a "
                       "dataset as its card says (`spikevision datasets info NAME`), then verify it and, if you "
                       "like, prepare it as spikevision HDF5. ROOT defaults to $SPIKEVISION_DATA/NAME.")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = s.add_parser("list", help="the datasets with a card")
    q.add_argument("--task", help="only datasets for this task (recon, flow, stereo ...)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=_list)
    q = s.add_parser("info", help="a dataset's card: paper, layout, ground truth, how to obtain it")
    q.add_argument("name")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=_info)
    q = s.add_parser("verify", help="check a downloaded dataset's layout, files and checksums")
    q.add_argument("name")
    q.add_argument("--root", help="the dataset folder (default $SPIKEVISION_DATA/NAME)")
    q.add_argument("--no-checksums", action="store_true", help="skip hashing the files the card lists")
    q.add_argument("--json", action="store_true", help="print the report as JSON")
    q.set_defaults(func=_verify)
    q = s.add_parser("prepare", help="convert a downloaded dataset to spikevision HDF5 (resumable)")
    q.add_argument("name")
    q.add_argument("out", help="output folder; an interrupted run continues there")
    q.add_argument("--root", help="the dataset folder (default $SPIKEVISION_DATA/NAME)")
    q.add_argument("--split", default="all", help="one split, or all (default)")
    q.add_argument("--compression", help="spike compression of the HDF5 files (default: the writer's)")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")
    q.set_defaults(func=_prepare)
    q = s.add_parser("evaluate", help="score a method against a dataset's ground truth (flow, stereo, recon)")
    q.add_argument("name")
    q.add_argument("--task", required=True, choices=["flow", "stereo", "recon"],
                   help="flow: EPE/AAE/Fl; stereo: disparity EPE/bad1/bad3/D1; recon: PSNR/SSIM")
    q.add_argument("--method", default="best", help="the module's method (default best)")
    q.add_argument("--root", help="the dataset folder (default $SPIKEVISION_DATA/NAME)")
    q.add_argument("--split", default=None, help="one split (default: all)")
    q.add_argument("--limit", type=_positive, help="score only the first N recordings")
    q.add_argument("-o", "--option", action="append", default=[], type=_option, metavar="KEY=VALUE",
                   help="task option (t, dt, at, max_disparity) or method parameter; repeatable")
    q.add_argument("--report", help="also write the scores as JSON to this file")
    q.add_argument("--json", action="store_true", help="print the scores as JSON")
    q.set_defaults(func=_evaluate)
