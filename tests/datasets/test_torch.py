"""The torch Dataset over real replica files: transforms, the HDF5 cache, and a DataLoader with worker processes."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import spikevision.datasets as svd
from spikevision.datasets.transforms import (
    CenterCrop,
    RandomCrop,
    RandomFlip,
    Representation,
    TimeWindow,
    ToTensor,
)
from spikevision.recon import dsft, tfp

from ._replica import write_replica

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def reds(tmp_path_factory):
    root = tmp_path_factory.mktemp("reds")
    truth = write_replica(svd.card("REDS_BASE"), root, per_split=3)
    return root, truth


def _item(x, gt):
    return {"spikes": x, "gt": gt, "id": "x", "right": None}


def test_transforms_are_exact():
    rng = np.random.default_rng(0)
    x = (rng.random((9, 6, 8)) < 0.3).astype(np.uint8)
    img = rng.random((6, 8)).astype(np.float32)
    flow = rng.random((6, 8, 2)).astype(np.float32)
    it = _item(x, {"image": img, "flow": flow, "label": 3})
    out = CenterCrop(4, 4)(it, rng)
    np.testing.assert_array_equal(out["spikes"], x[:, 1:5, 2:6])
    np.testing.assert_array_equal(out["gt"]["image"], img[1:5, 2:6])
    assert out["gt"]["label"] == 3
    out = RandomFlip(horizontal=True, vertical=True, p=1.0)(it, rng)
    np.testing.assert_array_equal(out["spikes"], x[:, ::-1, ::-1])
    np.testing.assert_array_equal(out["gt"]["flow"], -flow[::-1, ::-1])
    out = TimeWindow(5)(it, rng)
    np.testing.assert_array_equal(out["spikes"], x[2:7])
    np.testing.assert_array_equal(Representation("tfp", window=5)(out)["spikes"][0], tfp(x[2:7], 2, window=5))
    np.testing.assert_array_equal(Representation("dsft")(it)["spikes"], dsft(x).astype(np.float32))
    t = ToTensor()(Representation("raw")(it))
    assert t["spikes"].dtype == torch.float32 and torch.equal(t["spikes"], torch.from_numpy(x.astype(np.float32)))
    with pytest.raises(Exception, match="larger than"):
        RandomCrop(7, 9)(it, rng)
    with pytest.raises(Exception, match="unknown representation"):
        Representation("fft")


def test_dataset_items_and_cache(reds, tmp_path):
    root, truth = reds
    base = svd.load("REDS_BASE", root, split="train")
    ds = svd.torch.SpikeTorchDataset(base, window=TimeWindow(5), representation=Representation("tfp", window=5),
                                     transforms=[RandomCrop(32, 48)], cache=tmp_path / "cache", seed=1)
    first = ds[0]
    want = truth[("train", str(base.paths[0]))]
    full = tfp(want["spikes"][0:5], 2, window=5)
    img = first["spikes"][0].numpy()
    assert first["spikes"].shape == (1, 32, 48) and first["gt"]["image"].shape == (32, 48)
    # the crop of the cached full image, at the same place as the ground-truth crop
    pos = [(r, c) for r in range(250 - 31) for c in range(400 - 47)
           if np.array_equal(want["gt"]["image"][r:r + 32, c:c + 48], first["gt"]["image"].numpy())]
    assert len(pos) == 1
    r, c = pos[0]
    np.testing.assert_array_equal(img, full[r:r + 32, c:c + 48])
    assert len(list((tmp_path / "cache").glob("*.h5"))) == 1
    again = ds[0]  # from the cache, same draws
    assert torch.equal(again["spikes"], first["spikes"])
    ds.set_epoch(1)
    assert not torch.equal(ds[0]["gt"]["image"], first["gt"]["image"])  # new crop, same cache file
    assert len(list((tmp_path / "cache").glob("*.h5"))) == 1
    assert len(pickle.dumps(ds)) < 20_000  # paths only


def test_dataloader_with_worker_processes(reds, tmp_path):
    root, truth = reds
    base = svd.load("REDS_BASE", root, split="all")
    ds = svd.torch.SpikeTorchDataset(base, representation=Representation("raw"),
                                     transforms=[CenterCrop(16, 24)], cache=tmp_path / "c")
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2, shuffle=False)
    seen = []
    for batch in loader:
        assert batch["spikes"].shape[1:] == (6, 16, 24) and batch["gt"]["image"].shape[1:] == (16, 24)
        for k in range(len(batch["id"])):
            seen.append((batch["id"][k], batch["spikes"][k].numpy()))
    assert len(seen) == len(base) == 6
    for (_, x), path in zip(seen, base.paths):
        split = path.parts[-3]
        want = truth[(split, str(path))]["spikes"][:, 117:133, 188:212]
        np.testing.assert_array_equal(x, want)
    assert len(list((tmp_path / "c").glob("*.h5"))) == 6  # written by the workers
