"""Vidar .dat: decoding against an independent reference, round trips, laziness, bad input."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikevision as sv
from spikevision import _source
from spikevision.errors import FormatError, OutputError, TruncatedFileError
from spikevision.io import dat
from tests.conftest import random_spikes


def reference_decode(raw: bytes, t, h, w, flip=True, header=0, head=0):
    """np.unpackbits on the raw bytes plus the flip: the independent reference."""
    a = np.frombuffer(raw, np.uint8)[: t * (header + h * (w + head) // 8)].reshape(t, -1)[:, header:]
    bits = np.unpackbits(a, axis=1, bitorder="little").reshape(t, h, w + head)[:, :, :w]
    return bits[:, ::-1] if flip else bits


def test_hand_built_bytes(tmp_path):
    # 2 frames of 2x8: frame 0 has file row 0 = 0b00000101 (pixels 0 and 2), file row 1 = 0x80 (pixel 7).
    raw = bytes([0b00000101, 0x80, 0x00, 0x01])
    p = tmp_path / "hand.dat"
    p.write_bytes(raw)
    s = sv.open(p, height=2, width=8)
    x = s.unpack()
    # display row 0 is file row 1 (flip)
    assert x[0, 0].tolist() == [0, 0, 0, 0, 0, 0, 0, 1]
    assert x[0, 1].tolist() == [1, 0, 1, 0, 0, 0, 0, 0]
    assert x[1, 0].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert x[1, 1].sum() == 0
    y = sv.open(p, height=2, width=8, flip=False).unpack()
    assert (y == x[:, ::-1]).all()
    sv.save(tmp_path / "back.dat", s)
    assert (tmp_path / "back.dat").read_bytes() == raw


def test_vidar_size_matches_reference(tmp_path, rng):
    raw = rng.integers(0, 256, 7 * 12500, dtype=np.uint8).tobytes()
    p = tmp_path / "v.dat"
    p.write_bytes(raw)
    s = sv.open(p)
    assert s.shape == (7, 250, 400) and s.meta.sensor == "vidar" and s.fps == 20000
    assert (s.unpack() == reference_decode(raw, 7, 250, 400)).all()
    assert np.allclose(s.firing_rate(), reference_decode(raw, 7, 250, 400).mean(0))


def test_head_columns_and_frame_header_reference(tmp_path, rng):
    raw = rng.integers(0, 256, 3 * 13016, dtype=np.uint8).tobytes()
    p = tmp_path / "ssn.dat"
    p.write_bytes(raw)
    s = sv.open(p)  # inferred: 250x416 + 16-byte header
    assert s.shape == (3, 250, 400)
    assert s.meta.provenance["head_columns"] == 16 and s.meta.provenance["frame_header_bytes"] == 16
    assert (s.unpack() == reference_decode(raw, 3, 250, 400, header=16, head=16)).all()
    s2 = sv.open(p, height=250, width=400, head_columns=16, frame_header_bytes=16, flip=False)
    assert (s2.unpack() == reference_decode(raw, 3, 250, 400, flip=False, header=16, head=16)).all()


@settings(max_examples=40, deadline=None)
@given(t=st.integers(1, 6), h=st.integers(1, 9), w8=st.integers(1, 6), extra=st.sampled_from([0, 1, 3, 5]),
       flip=st.booleans(), head=st.sampled_from([0, 8, 16]), header=st.sampled_from([0, 16]),
       seed=st.integers(0, 2**31))
def test_round_trip_every_option(tmp_path_factory, t, h, w8, extra, flip, head, header, seed):
    w = w8 * 8 + (extra if h % 8 == 0 else 0)  # H*W must be a multiple of 8
    rng = np.random.default_rng(seed)
    x = random_spikes(rng, t, h, w)
    p = tmp_path_factory.mktemp("rt") / "x.dat"
    opts = dict(flip=flip, head_columns=head, frame_header_bytes=header)
    if (h * (w + head)) % 8:
        with pytest.raises(FormatError, match="divisible by 8"):
            sv.save(p, x, **opts)
        return
    sv.save(p, x, **opts)
    assert p.stat().st_size == t * (header + h * (w + head) // 8)
    s = sv.open(p, height=h, width=w, **opts)
    assert (s.unpack() == x).all()
    assert (reference_decode(p.read_bytes(), t, h, w, flip, header, head) == x).all()
    k = rng.integers(0, t)
    assert (s[k] == x[k]).all()


def test_writer_refuses_sizes_not_multiple_of_8(tmp_path):
    with pytest.raises(FormatError, match="divisible by 8"):
        sv.save(tmp_path / "bad.dat", np.zeros((2, 5, 5), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_lazy_random_access_reads_only_the_frames_asked(tmp_path, monkeypatch):
    """Frames 10,000..10,016 of a 250 MB (sparse) file: only those 17 frames' bytes are read."""
    f = 12500
    p = tmp_path / "big.dat"
    block = (np.arange(17 * f) % 251).astype(np.uint8).tobytes()
    with open(p, "wb") as fh:
        fh.truncate(20016 * f)
        fh.seek(10000 * f)
        fh.write(block)
    reads = []
    real = os.preadv

    def spy(fd, buffers, offset):
        reads.append((offset, sum(memoryview(b).nbytes for b in buffers)))
        return real(fd, buffers, offset)

    monkeypatch.setattr(_source.os, "preadv", spy)
    s = sv.open(p, height=250, width=400)
    assert reads == [] and len(s) == 20016  # opening reads nothing
    x = s[10000:10017].unpack()
    assert reads == [(10000 * f, 17 * f)]
    assert (x == reference_decode(block, 17, 250, 400)).all()
    reads.clear()
    t = s.time_slice(10000 / 20000, 10017 / 20000)
    assert (t.unpack() == x).all() and reads == [(10000 * f, 17 * f)]


def test_memmap_view(tmp_path, rng):
    x = random_spikes(rng, 4, 250, 400)
    sv.save(tmp_path / "m.dat", x)
    mm = sv.open(tmp_path / "m.dat", height=250, width=400).source.memmap
    assert mm.shape == (4, 12500)
    assert (np.asarray(mm) == np.fromfile(tmp_path / "m.dat", np.uint8).reshape(4, -1)).all()


def test_trailing_partial_frame_warns_or_raises(tmp_path, rng):
    x = random_spikes(rng, 3, 250, 400)
    p = tmp_path / "cut.dat"
    sv.save(p, x, sidecar=False)
    with open(p, "ab") as fh:
        fh.write(b"\x01" * 123)
    with pytest.warns(sv.errors.SpikevisionWarning, match="123 trailing bytes"):
        s = sv.open(p, height=250, width=400)
    assert len(s) == 3 and (s.unpack() == x).all()
    assert s.meta.provenance["trailing_bytes"] == 123
    with pytest.raises(TruncatedFileError, match="strict=False"):
        sv.open(p, height=250, width=400, strict=True)


def test_ambiguous_size_without_structure_defaults_to_vidar_with_a_warning(tmp_path):
    p = tmp_path / "amb.dat"
    p.write_bytes(bytes(4 * 12500))  # 4 vidar frames == 1 SPIFT 500x800 frame, and all zero
    with pytest.warns(sv.errors.SpikevisionWarning, match=r"several known layouts.*250x400.*500x800.*--height"):
        assert sv.open(p).shape == (4, 250, 400)
    assert sv.open(p, height=500, width=800).shape == (1, 500, 800)
    q = tmp_path / "odd.dat"
    q.write_bytes(bytes(12345))
    with pytest.raises(FormatError, match="smaller than one frame of every known layout.*--height"):
        sv.open(q)
    with pytest.raises(FormatError, match="give both height and width"):
        sv.open(p, height=250)


@pytest.mark.parametrize("content,match", [(b"", "empty"), (b"\x00" * 100, "smaller than one frame")])
def test_empty_and_tiny_files(tmp_path, content, match):
    p = tmp_path / "e.dat"
    p.write_bytes(content)
    with pytest.raises(FormatError, match=match), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sv.open(p, height=250, width=400)


def test_missing_file_unknown_extension_and_options(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        sv.open(tmp_path / "nope.dat")
    (tmp_path / "x.xyz").write_bytes(b"abc")
    with pytest.raises(sv.errors.UnknownFormatError, match="unknown extension"):
        sv.open(tmp_path / "x.xyz")
    (tmp_path / "y.dat").write_bytes(bytes(12500))
    with pytest.raises(FormatError, match="do not apply"):
        sv.open(tmp_path / "y.dat", colour=True)


def test_output_in_missing_directory_leaves_nothing(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        sv.save(tmp_path / "missing" / "o.dat", np.zeros((1, 8, 8), np.uint8))
    assert not (tmp_path / "missing").exists()


def test_failed_write_leaves_no_partial_file(tmp_path, rng):
    x = random_spikes(rng, 10, 8, 8)
    s = sv.from_array(x)
    calls = {"n": 0}
    real = s.iter_packed

    def failing(n_frames=1024):
        for block in real(2):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("disk fell off")
            yield block

    s.iter_packed = failing
    with pytest.raises(RuntimeError, match="disk fell off"):
        sv.save(tmp_path / "o.dat", s)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_keeps_old_file_until_new_one_is_complete(tmp_path, rng):
    p = tmp_path / "o.dat"
    sv.save(p, random_spikes(rng, 2, 8, 8))
    old = p.read_bytes()
    with pytest.raises(OutputError, match="overwrite"):
        dat.write(p, sv.from_array(random_spikes(rng, 2, 8, 8)), overwrite=False)
    assert p.read_bytes() == old


def test_dat_writer_appends_and_flushes(tmp_path, rng):
    x = random_spikes(rng, 9, 250, 400)
    p = tmp_path / "rec.dat"
    with dat.DatWriter(p, 250, 400) as w:
        w.append(x[:4])
        w.flush()
        assert sv.open(p, height=250, width=400).shape == (4, 250, 400)  # readable while recording
        w.append_packed(sv.from_array(x[4:]).packed())
        assert w.n_frames == 9
    assert (sv.open(p).unpack() == x).all()


def _run_without_file_privileges(code: str) -> subprocess.CompletedProcess:
    """Run Python code that obeys file permissions (as root: with the DAC override capabilities dropped)."""
    cmd = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        import shutil

        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: file permissions cannot be enforced")
        cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_permission_denied_reading_and_writing(tmp_path):
    d = tmp_path
    p = d / "secret.dat"
    p.write_bytes(bytes(12500))
    os.chmod(p, 0o000)
    ro = d / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    code = (f"import spikevision as sv, numpy as np\n"
            f"try:\n    sv.open({str(p)!r})\nexcept PermissionError as e:\n    print('READ', e)\n"
            f"try:\n    sv.save({str(ro / 'o.dat')!r}, np.zeros((1, 8, 8), np.uint8))\n"
            f"except sv.errors.OutputError as e:\n    print('WRITE', e)\n")
    r = _run_without_file_privileges(code)
    assert "READ" in r.stdout and "permission denied" in r.stdout, r.stdout + r.stderr
    assert "WRITE" in r.stdout and "writable directory" in r.stdout, r.stdout + r.stderr
    assert list(ro.iterdir()) == []


@pytest.mark.parametrize("opts", [{}, {"flip": False}, {"head_columns": 16},
                                  {"head_columns": 16, "frame_header_bytes": 16}])
def test_spike_counts_from_stored_bytes(tmp_path, rng, opts):
    """Counting works on stored bytes in place; the result is in display orientation."""
    x = random_spikes(rng, 37, 250, 400, p=0.2)
    p = tmp_path / "c.dat"
    sv.save(p, x, **opts)
    s = sv.open(p, height=250, width=400, **opts)
    seen = []
    assert (s.spike_counts(block=8, progress=seen.append) == x.sum(0)).all()
    assert sum(seen) == 37 and len(seen) == 5
    assert (s[3:30].spike_counts(block=5) == x[3:30].sum(0)).all()
    assert (s[::4].spike_counts() == x[::4].sum(0)).all()
    assert np.allclose(s[10:20].firing_rate(), x[10:20].mean(0))


def test_inference_with_a_layout_option_that_fits_nothing_exactly(tmp_path):
    """head_columns=0, and only a head-column layout fits the size: read as a cut-off capture, with a warning."""
    p = tmp_path / "h.dat"
    p.write_bytes(bytes(3 * 13000))  # 3 frames of 250x416 (vidar with head columns)
    with pytest.warns(sv.errors.SpikevisionWarning, match="with head_columns=0.*1,500 trailing bytes"):
        assert sv.open(p, head_columns=0).shape == (3, 250, 400)
    with pytest.raises(TruncatedFileError, match="with head_columns=0"):
        sv.open(p, head_columns=0, strict=True)
    assert sv.open(p, head_columns=16).shape == (3, 250, 400)


def test_atomic_dat_writer_commits_on_close_and_leaves_nothing_on_abort(tmp_path, rng):
    x = random_spikes(rng, 3, 8, 8)
    p = tmp_path / "a.dat"
    w = dat.DatWriter(p, 8, 8, atomic=True)
    w.append(x)
    assert not p.exists() and len(list(tmp_path.iterdir())) == 1  # only the temporary file
    w.close()
    assert (sv.open(p).unpack() == x).all()  # 8x8: known from the sidecar
    w2 = dat.DatWriter(tmp_path / "b.dat", 8, 8, atomic=True)
    w2.append(x)
    w2.abort()
    assert sorted(q.name for q in tmp_path.iterdir()) == ["a.dat", "a.dat.json"]


@pytest.mark.parametrize("opts", [{"frame_header_bytes": 16}, {"head_columns": 16}, {"flip": True}])
def test_read_packed_never_aliases_the_read_buffer(tmp_path, rng, opts):
    x = random_spikes(rng, 3, 250, 400)
    p = tmp_path / "a.dat"
    sv.save(p, x, flip=opts.get("flip", False), **{k: v for k, v in opts.items() if k != "flip"})
    s = sv.open(p, height=250, width=400, flip=opts.get("flip", False),
                **{k: v for k, v in opts.items() if k != "flip"})
    first = s.source.read_packed(0, 1)
    s.source.read_packed(1, 2)  # reuses the read buffer
    assert (first == sv.from_array(x[:1]).packed()).all()
