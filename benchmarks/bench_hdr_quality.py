"""HDR quality: unwrapping methods against the naive baselines on the HDR benchmark scenes.

Scenes: the "hdr" task of ``spikevision.sim.benchmark_entries`` (>= 10^4:1 lamps and deep shadows;
static, a moving light, colour behind a bggr filter), each clean and through the calibrated noise
model, 8-bit counters (gain 32, clock 64 fires/tick) read at offsets 0, 1, 5, 25 of every 50-tick
period, as ``spikevision benchmark-data --task hdr`` writes them. One HDR image per 50-tick period.
Ground truth: the scene's mean linear radiance over each period (from the record).

Rows: the fold-error rate (fraction of (interval, pixel) increments that differ from the truth),
PSNR-L (linear, normalised by the ground-truth maximum) and PSNR-mu (mu = 5000), mean over the
periods, for "best", "hierarchical", "temporal" and "spatial", and the baselines:
- "8-bit wrapped": the last 8-bit reading difference over the period as the image (no unwrapping);
- "8-bit clipped": a saturating 8-bit counter over the period (a conventional 8-bit exposure);
- "TFP spikes": the binary spike stream of the same scene (one spike per tick at most, gain 1),
  spike count over the period.
All images are flat-field corrected with the record's calibration (response, dark) and, for
colour, demosaiced the same way (bilinear). Targets: "best" fold-error rate < 0.1 % static and
< 1 % moving; PSNR-mu of "best" >= TFP + 10 dB.

    python benchmarks/bench_hdr_quality.py [--quick] [--seed-offset N]
"""

from __future__ import annotations

import numpy as np

from spikevision.color import demosaic
from spikevision.hdr import unwrap
from spikevision.metrics import fold_error_rate, modulo_bandwidth, psnr_linear, psnr_mu
from spikevision.sim import NoiseModel, benchmark_entries, simulate_modulo
from spikevision.sim.benchmark import HDR_SCHEDULE, THETA

METHODS = ("best", "hierarchical", "temporal", "spatial")
PERIOD = 50


def _truth(rec, j: int, k: int) -> np.ndarray:
    g = np.diff(rec.ticks)[j:k].astype(np.float64)
    r = rec.radiance_true[j + 1 : k + 1].astype(np.float64)
    return (np.tensordot(g, r, axes=1) / g.sum()).astype(np.float32)


def _image(rate: np.ndarray, rec, response_scale: float = 1.0) -> np.ndarray:
    img = np.maximum((rate - rec.dark) / (rec.response * response_scale), 0).astype(np.float32)
    return demosaic(img, rec.cfa) if rec.cfa else img


def _scores(images, truths) -> tuple[float, float]:
    return (float(np.mean([psnr_linear(a, b) for a, b in zip(images, truths, strict=True)])),
            float(np.mean([psnr_mu(a, b) for a, b in zip(images, truths, strict=True)])))


def evaluate(entry, noisy: bool, seed_offset: int = 0) -> list[dict]:
    nz = NoiseModel() if noisy else None
    cfa = "bggr" if entry.scene.color else None
    stream, rec = simulate_modulo(entry.scene, bits=8, schedule=HDR_SCHEDULE, noise=nz, seed=entry.seed + seed_offset,
                                  cfa=cfa, theta=THETA)
    L = rec.modulus
    starts = np.flatnonzero(rec.ticks % PERIOD == 0)
    wins = [(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]
    truths = [_truth(rec, j, k) for j, k in wins]
    true_counts = rec.true_counts()
    rows = []
    tag = f"{entry.id} {'noisy' if noisy else 'clean'}"
    for m in METHODS:
        res = unwrap(rec, method=m)
        imgs = [res.radiance(j, k) for j, k in wins]
        pl, pm = _scores(imgs, truths)
        rows.append({"scene": tag, "method": m, "fold_error": fold_error_rate(res.counts, true_counts),
                     "psnr_l": pl, "psnr_mu": pm, "flagged": float(res.flags.mean())})
    y = rec.y.astype(np.int64)
    t = rec.ticks
    wrapped = [_image(((y[k] - y[j]) % L) / float(t[k] - t[j]), rec) for j, k in wins]
    clipped = [_image(np.minimum(true_counts[k] - true_counts[j], L - 1) / float(t[k] - t[j]), rec) for j, k in wins]
    cum = np.concatenate([np.zeros((1,) + stream.shape[1:], np.int64),
                          np.cumsum(stream.unpack().astype(np.int64), axis=0)])
    spike_scale = rec.provenance["modulo"]["spike_gain"] / rec.gain  # the spike pixel's response / the counter's
    tfp = [_image((cum[t[k]] - cum[t[j]]) / float(t[k] - t[j]), rec, spike_scale) for j, k in wins]
    for name, imgs in (("8-bit wrapped", wrapped), ("8-bit clipped", clipped), ("TFP spikes", tfp)):
        pl, pm = _scores(imgs, truths)
        rows.append({"scene": tag, "method": name, "fold_error": None, "psnr_l": pl, "psnr_mu": pm, "flagged": None})
    span = float(np.max(truths[0]) / max(np.min(truths[0][truths[0] > 0]), 1e-12))
    for r in rows:
        r["range"] = span
    return rows


def run(quick: bool = False, seed_offset: int = 0) -> list[dict]:
    h, w, frames = (64, 96, 500) if quick else (125, 200, 2000)
    rows = []
    for e in benchmark_entries(h, w, frames, tasks=("hdr",), seed=seed_offset):
        for noisy in (False, True):
            for r in evaluate(e, noisy):
                fe = "" if r["fold_error"] is None else f"fold errors {r['fold_error']:.4%}, "
                rows.append({"benchmark": "hdr quality", "case": f"{r['scene']}: {r['method']}",
                             "ours": r["psnr_mu"], "unit": f"PSNR-mu dB ({fe}PSNR-L {r['psnr_l']:.1f} dB)",
                             "ratio": None, "target": None, **{k: r[k] for k in ("fold_error", "psnr_l")}})
    bw = modulo_bandwidth(1000, 1000, 4 * 20000 / PERIOD, 8, 20000)
    rows.append({"benchmark": "hdr bandwidth", "case": "1000x1000 at 20 kHz, 8-bit reads 0,1,5,25/50",
                 "ours": bw["modulo_bps"] / 1e9, "reference": "raw spikes", "ref": bw["spikes_bps"] / 1e9,
                 "unit": "Gbit/s", "ratio": bw["ratio"]})
    return rows


def _table(rows: list[dict]) -> str:
    out = ["| scene | method | fold errors | PSNR-L dB | PSNR-mu dB | flagged |", "|---|---|---|---|---|---|"]
    for r in rows:
        fe = "" if r["fold_error"] is None else f"{r['fold_error']:.4%}"
        fl = "" if r["flagged"] is None else f"{r['flagged']:.3%}"
        out.append(f"| {r['scene']} | {r['method']} | {fe} | {r['psnr_l']:.2f} | {r['psnr_mu']:.2f} | {fl} |")
    return "\n".join(out)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed-offset", type=int, default=0)
    a = ap.parse_args()
    h, w, frames = (64, 96, 500) if a.quick else (125, 200, 2000)
    rows = []
    for e in benchmark_entries(h, w, frames, tasks=("hdr",), seed=a.seed_offset):
        for noisy in (False, True):
            rows += evaluate(e, noisy)
    print(_table(rows))
    for fps, reads, bits in ((20000, 4 * 20000 / PERIOD, 8), (20000, 1000, 8), (20000, 750, 8), (20000, 1000, 6)):
        bw = modulo_bandwidth(1000, 1000, reads, bits, fps)
        print(f"1000x1000 @ {fps} Hz: raw spikes {bw['spikes_bps'] / 1e9:.1f} Gbit/s; {bits}-bit reads at "
              f"{reads:g}/s: {bw['modulo_bps'] / 1e9:.2f} Gbit/s ({bw['ratio']:.2f} of raw)")
