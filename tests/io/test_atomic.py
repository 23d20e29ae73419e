"""Atomic outputs: temporary file/directory next to the target, renamed when complete."""

import json
import os
import stat

import pytest

from spikevision.errors import OutputError
from spikevision.io._atomic import (
    MANIFEST,
    PendingDir,
    PendingFile,
    atomic_path,
    check_input_path,
    check_output_path,
    discard_all,
    discarded_bytes,
    same_file,
)


def test_pending_dir_creates_a_new_folder_whole_with_a_manifest(tmp_path):
    target = tmp_path / "seq"
    pending = PendingDir(target)
    (pending.tmp / "a.png").write_bytes(b"a")
    assert not target.exists()  # nothing until commit
    pending.commit()
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "a.png"]
    assert json.loads((target / MANIFEST).read_text())["files"] == ["a.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq"]  # nothing left aside


def test_pending_dir_replaces_only_the_files_it_wrote(tmp_path):
    target = tmp_path / "seq"
    first = PendingDir(target)
    for n in ("1.png", "2.png"):
        (first.tmp / n).write_bytes(b"old")
    first.commit()
    (target / "notes.txt").write_text("mine")
    second = PendingDir(target)
    (second.tmp / "2.png").write_bytes(b"new")
    (second.tmp / "3.png").write_bytes(b"new")
    assert (target / "1.png").exists()  # untouched until commit
    second.commit()
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "2.png", "3.png", "notes.txt"]
    assert (target / "2.png").read_bytes() == b"new" and (target / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq"]


def test_pending_dir_refuses_to_replace_a_file_it_did_not_write(tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "1.png").write_bytes(b"my photo")
    pending = PendingDir(target)
    (pending.tmp / "1.png").write_bytes(b"new")
    with pytest.raises(OutputError, match="did not write"):
        pending.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]
    assert [p.name for p in target.iterdir()] == ["1.png"] and (target / "1.png").read_bytes() == b"my photo"


def test_a_manifest_cannot_name_files_outside_its_folder(tmp_path):
    (tmp_path / "victim").write_text("keep")
    target = tmp_path / "seq"
    target.mkdir()
    (target / MANIFEST).write_text(json.dumps({"files": ["../victim", "/etc/passwd", ".."]}))
    pending = PendingDir(target)
    (pending.tmp / "a.png").write_bytes(b"a")
    pending.commit()
    assert (tmp_path / "victim").read_text() == "keep"


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_new_outputs_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        d = PendingDir(tmp_path / "seq")
        fd = os.open(d.tmp / "a.png", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.close(fd)
        d.commit()
        f = PendingFile(tmp_path / "o.dat")
        f.commit()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "seq").st_mode) == 0o777 & ~umask
    assert stat.S_IMODE(os.stat(tmp_path / "seq" / MANIFEST).st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(os.stat(tmp_path / "o.dat").st_mode) == 0o666 & ~umask


def test_pending_file_replaces_a_symlink_instead_of_writing_through_it(tmp_path):
    (tmp_path / "target").write_bytes(b"precious")
    (tmp_path / "o.dat").symlink_to(tmp_path / "target")
    with atomic_path(tmp_path / "o.dat") as tmp:
        tmp.write_bytes(b"new")
    assert (tmp_path / "target").read_bytes() == b"precious"
    assert not (tmp_path / "o.dat").is_symlink() and (tmp_path / "o.dat").read_bytes() == b"new"


def test_discard_all_removes_every_uncommitted_temporary_and_counts_its_bytes(tmp_path):
    f = PendingFile(tmp_path / "a.dat")
    f.tmp.write_bytes(b"x" * 1234)
    d = PendingDir(tmp_path / "seq")
    (d.tmp / "1.png").write_bytes(b"y" * 10)
    done = {p: n for p, n in discard_all() if p.parent == tmp_path}
    assert done == {tmp_path / "a.dat": 1234, tmp_path / "seq": 10}
    assert list(tmp_path.iterdir()) == []
    assert discarded_bytes(tmp_path / "a.dat") == 1234
    assert [p for p, _ in discard_all() if p.parent == tmp_path] == []


def test_inputs_and_outputs_that_are_not_regular_files_are_refused_without_opening(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO"):
        check_input_path(fifo)  # would block forever if it were opened
    with pytest.raises(OutputError, match="FIFO"):
        check_output_path(fifo)
    with pytest.raises(OSError, match="character device"):
        check_input_path("/dev/null")
    with pytest.raises(IsADirectoryError):
        check_input_path(tmp_path)


def test_same_file_sees_links_and_spellings(tmp_path):
    a = tmp_path / "a"
    a.write_bytes(b"a")
    os.link(a, tmp_path / "hard")
    (tmp_path / "soft").symlink_to(a)
    (tmp_path / "sub").mkdir()
    for other in ("hard", "soft", "sub/../a"):
        assert same_file(a, tmp_path / other)
    assert not same_file(a, tmp_path / "missing") and same_file(tmp_path / "x", tmp_path / "sub" / ".." / "x")


def test_pending_dir_discard_keeps_the_old_folder(tmp_path):
    target = tmp_path / "seq"
    target.mkdir()
    (target / "old.png").write_bytes(b"old")
    pending = PendingDir(target)
    (pending.tmp / "old.png").write_bytes(b"new")
    pending.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq"]
    assert [p.name for p in target.iterdir()] == ["old.png"] and (target / "old.png").read_bytes() == b"old"


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
