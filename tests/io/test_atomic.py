"""Atomic outputs: temporary file/directory next to the target, renamed when complete."""

import pytest

from spikevision.errors import OutputError
from spikevision.io._atomic import PendingDir, PendingFile, atomic_path


def test_pending_dir_replaces_an_existing_folder_whole(tmp_path):
    target = tmp_path / "seq"
    target.mkdir()
    (target / "old.png").write_bytes(b"old")
    pending = PendingDir(target)
    (pending.tmp / "new.png").write_bytes(b"new")
    assert [p.name for p in target.iterdir()] == ["old.png"]  # untouched until commit
    pending.commit()
    assert [p.name for p in target.iterdir()] == ["new.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq"]  # nothing left aside


def test_pending_dir_discard_keeps_the_old_folder(tmp_path):
    target = tmp_path / "seq"
    target.mkdir()
    (target / "old.png").write_bytes(b"old")
    pending = PendingDir(target)
    (pending.tmp / "new.png").write_bytes(b"new")
    pending.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq"]
    assert [p.name for p in target.iterdir()] == ["old.png"]


def test_pending_dir_refuses_bad_targets(tmp_path):
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(OutputError, match="not a directory"):
        PendingDir(tmp_path / "file")
    with pytest.raises(OutputError, match="does not exist"):
        PendingDir(tmp_path / "missing" / "seq")
    (tmp_path / "seq").mkdir()
    with pytest.raises(OutputError, match="overwrite"):
        PendingDir(tmp_path / "seq", overwrite=False)


def test_pending_file_keeps_a_suffix_and_commits(tmp_path):
    pending = PendingFile(tmp_path / "v.mp4", suffix=".part.mp4")
    assert pending.tmp.name.endswith(".part.mp4")
    pending.tmp.write_bytes(b"video")
    pending.commit()
    assert (tmp_path / "v.mp4").read_bytes() == b"video" and len(list(tmp_path.iterdir())) == 1


def test_atomic_path_removes_the_temporary_file_on_error(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "o.bin") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
