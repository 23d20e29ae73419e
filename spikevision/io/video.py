"""Export reconstructed images: a PNG sequence, an mp4 video or an HDF5 image stack.

Writers take (H, W) grayscale or (H, W, 3) RGB float images in [0, 1] (clipped;
colour for Bayer streams, see :mod:`spikevision.color`) one at a time, so a long
reconstruction is written in constant memory, and commit atomically: output
goes to a temporary file or directory next to the target and is renamed on
:meth:`ImageWriter.close`; an error or interruption leaves nothing behind
(use them as context managers).

- PNG sequence (``cv2.imencode``): a directory of ``<frame index:06d>.png``, 8 or 16 bit, grey or RGB.
- mp4 (``cv2.VideoWriter``, codec ``mp4v``), 8-bit grayscale or colour at a chosen display fps.
- HDF5 (h5py): dataset ``images`` (N, H, W) or (N, H, W, 3) float32, chunked one image per chunk
  and gzip-compressed, dataset ``frame_index`` (N,) int64 (spike frame of each
  image), and attributes (method, parameters, fps of the spike stream ...).

Example:
    >>> import numpy as np
    >>> from spikevision.io.video import open_image_writer
    >>> with open_image_writer("out.h5", method="tfp") as w:      # doctest: +SKIP
    ...     w.write(np.zeros((250, 400), np.float32), frame_index=20)
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..errors import OutputError
from ._atomic import PendingDir, PendingFile

__all__ = ["ImageWriter", "PngSequenceWriter", "VideoWriter", "H5StackWriter", "open_image_writer", "write_images",
           "image_kind", "to_uint"]

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv")
H5_EXTENSIONS = (".h5", ".hdf5")


def _check_shape(shape: tuple) -> None:
    if not (len(shape) == 2 or (len(shape) == 3 and shape[2] == 3)):
        raise ValueError(f"expected an (H, W) grayscale or (H, W, 3) RGB image, got shape {shape}")


def to_uint(image: Any, bits: int = 8) -> np.ndarray:
    """(H, W) or (H, W, 3) RGB float image in [0, 1] (clipped) to uint8 or uint16, rounded (same channel order)."""
    img = np.asarray(to_numpy(image), dtype=np.float32)
    _check_shape(img.shape)
    top = 255 if bits == 8 else 65535
    out = np.clip(img, 0.0, 1.0)  # a new array: scaled and rounded in place
    out *= top
    np.rint(out, out=out)
    return out.astype(np.uint8 if bits == 8 else np.uint16)


def _bgr(codes: np.ndarray) -> np.ndarray:
    """OpenCV's channel order (BGR) for an RGB image; grayscale unchanged."""
    return np.ascontiguousarray(codes[..., ::-1]) if codes.ndim == 3 else codes


def image_kind(path: str | os.PathLike) -> str:
    """"video", "h5" or "png" (a directory of PNG files) from the output path."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    if suffix in H5_EXTENSIONS:
        return "h5"
    if suffix in ("", ".png") or Path(path).is_dir():
        return "png"
    raise OutputError(f"{path}: cannot tell the output kind from {suffix!r}; use a directory name (PNG sequence), "
                      f"{'/'.join(VIDEO_EXTENSIONS)} (video) or .h5 (HDF5 image stack)")


class ImageWriter:
    """Base class: write images one by one, commit with :meth:`close`, discard with :meth:`abort`."""

    def __init__(self, path: str | os.PathLike, overwrite: bool = True):
        self.path = Path(path)
        self.overwrite = overwrite
        self.count = 0
        self.shape: tuple[int, ...] | None = None
        self._closed = False

    def _check(self, image: Any) -> np.ndarray:
        img = np.asarray(to_numpy(image))
        _check_shape(img.shape)
        if self.shape is None:
            self.shape = img.shape
        elif img.shape != self.shape:
            raise ValueError(f"image {self.count} has shape {img.shape}, the first had {self.shape}; all images "
                             f"of one output must have the same size")
        return img

    def write(self, image: Any, frame_index: int | None = None) -> None:
        """Append one (H, W) or (H, W, 3) RGB image in [0, 1]; ``frame_index`` is its spike frame (default: a
        counter). All images of one output have the same shape."""
        raise NotImplementedError

    def close(self) -> Path:
        """Finish and move the output into place; returns its path."""
        raise NotImplementedError

    def abort(self) -> None:
        """Discard everything written so far."""
        raise NotImplementedError

    def __enter__(self) -> ImageWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.close()
            except BaseException:
                self.abort()  # a failed close (a full disk) leaves nothing either
                raise
        else:
            self.abort()


class PngSequenceWriter(ImageWriter):
    """A directory of ``<prefix><frame index:06d>.png`` (8 or 16 bit), created whole on :meth:`close`."""

    def __init__(self, path: str | os.PathLike, bits: int = 8, overwrite: bool = True, prefix: str = ""):
        super().__init__(path, overwrite)
        if not isinstance(prefix, str) or "/" in prefix or "\\" in prefix:
            raise ValueError(f"prefix must be a file-name prefix without path separators, got {prefix!r}")
        self.prefix = prefix
        if bits not in (8, 16):
            raise ValueError(f"bits must be 8 or 16, got {bits}")
        self.bits = bits
        self._pending = PendingDir(self.path, overwrite)
        self._tmp = self._pending.tmp

    def write(self, image: Any, frame_index: int | None = None) -> None:
        import cv2

        img = self._check(image)
        idx = self.count if frame_index is None else int(frame_index)
        name = self._tmp / f"{self.prefix}{idx:06d}.png"
        ok, data = cv2.imencode(".png", _bgr(to_uint(img, self.bits)))
        if not ok:
            raise OutputError(f"OpenCV could not encode image {idx} as PNG; write an .h5 stack instead")
        # our own exclusive write (not cv2.imwrite): a full disk raises OSError with its errno
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data.tobytes())
        self.count += 1

    def close(self) -> Path:
        if self._closed:
            return self.path
        self._closed = True
        return self._pending.commit()

    def abort(self) -> None:
        self._closed = True
        self._pending.discard()


def _write_errno(folder: Path, size: int) -> int:
    """The likely errno of a write that failed silently (OpenCV does not report it): the file-size limit, a
    full disk, or else an I/O error."""
    import resource
    import shutil

    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY and size >= soft:
        return errno.EFBIG
    with contextlib.suppress(OSError):
        if shutil.disk_usage(folder).free < (1 << 20):
            return errno.ENOSPC
    return errno.EIO


@contextlib.contextmanager
def _quiet_stderr():
    """Silence native libraries writing to file descriptor 2 for the duration of the block."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class VideoWriter(ImageWriter):
    """An 8-bit grayscale or colour video (OpenCV ``VideoWriter``, codec ``mp4v`` by default) at ``fps`` frames per
    second; colour when the first image is (H, W, 3) RGB."""

    def __init__(self, path: str | os.PathLike, fps: float = 30.0, codec: str = "mp4v", overwrite: bool = True):
        super().__init__(path, overwrite)
        if not fps > 0:
            raise ValueError(f"fps must be positive (display frames per second), got {fps}")
        self.fps, self.codec = float(fps), codec
        # OpenCV picks the container from the extension: the temporary name keeps it
        self._pending = PendingFile(self.path, overwrite, suffix=f".part{self.path.suffix}")
        self._vw = None

    def write(self, image: Any, frame_index: int | None = None) -> None:
        import cv2

        img = self._check(image)
        if self._vw is None:
            h, w = img.shape[:2]
            self._vw = cv2.VideoWriter(str(self._pending.tmp), cv2.VideoWriter_fourcc(*self.codec), self.fps, (w, h),
                                       isColor=img.ndim == 3)
            if not self._vw.isOpened():
                self.abort()
                raise OutputError(f"OpenCV cannot encode {self.path.suffix} with codec {self.codec!r} here; write a "
                                  f"PNG sequence (a directory name) or an .h5 stack instead")
        self._vw.write(_bgr(to_uint(img, 8)))
        self.count += 1

    def close(self) -> Path:
        if self._closed:
            return self.path
        self._closed = True
        if self._vw is not None:
            self._vw.release()
        if self.count == 0:
            self._pending.discard()
            raise OutputError(f"no images to write to {self.path}; check the frame range")
        self._verify()
        return self._pending.commit()

    def _verify(self) -> None:
        """Read the finished video back: the encoder ignores failed writes (a full disk), so check it holds them all."""
        import cv2

        with _quiet_stderr():  # FFmpeg logs a broken file on fd 2; the error below says it in one line
            cap = cv2.VideoCapture(str(self._pending.tmp))
        try:
            n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
        finally:
            cap.release()
        if n != self.count:
            size = self._pending.bytes_written
            self._pending.discard()
            raise OSError(_write_errno(self._pending.tmp.parent, size), f"the video encoder wrote {size:,} bytes of "
                          f"{self.count} frames but the file reads back {n}", str(self._pending.tmp))

    def abort(self) -> None:
        self._closed = True
        if self._vw is not None:
            self._vw.release()
        self._pending.discard()



class H5StackWriter(ImageWriter):
    """HDF5 image stack: ``images`` (N, H, W) or (N, H, W, 3) float32, ``frame_index`` (N,) int64, attributes."""

    def __init__(self, path: str | os.PathLike, attrs: dict | None = None, overwrite: bool = True):
        super().__init__(path, overwrite)
        self._pending = PendingFile(self.path, overwrite)
        self.attrs = dict(attrs or {})
        self._f = None
        self._raw = None

    def write(self, image: Any, frame_index: int | None = None) -> None:
        import h5py

        img = self._check(image).astype(np.float32, copy=False)
        try:
            self._write(h5py, img, frame_index)
            if self._raw.failed is not None:  # a failed write (libhdf5 was not told)
                raise self._raw.failed
        except (OSError, RuntimeError) as e:  # disk full / EFBIG: drop the file without a SIGSEGV at exit
            raise self._failed(e) from e

    def _failed(self, e: BaseException) -> OutputError:
        from ._h5file import free_bytes

        raw = self._raw
        reason = raw.failed.strerror if raw is not None and raw.failed is not None else str(e).split("\n")[0]
        written = raw.written if raw is not None else 0
        self.abort()
        free = free_bytes(self.path)
        return OutputError(f"writing {self.path} failed: {reason} after {written:,} bytes"
                           f"{f', {free:,} bytes free there' if free is not None else ''}; check free disk space "
                           f"and file size limits (nothing was written)")

    def _write(self, h5py, img: np.ndarray, frame_index: int | None) -> None:
        if self._f is None:
            from ._h5file import GuardedFile

            shape = img.shape
            self._raw = GuardedFile(self._pending.tmp, "w+b")  # drops writes after a failed one (no SIGSEGV)
            self._f = h5py.File(self._raw, "w")
            self._img = self._f.create_dataset("images", shape=(0, *shape), maxshape=(None, *shape), dtype=np.float32,
                                               chunks=(1, *shape), compression="gzip", compression_opts=1)
            self._idx = self._f.create_dataset("frame_index", shape=(0,), maxshape=(None,), dtype=np.int64,
                                               chunks=(1024,))
            for k, v in self.attrs.items():
                self._f.attrs[k] = v if isinstance(v, (int, float, str, bool, np.number)) else str(v)
        n = self.count
        self._img.resize(n + 1, axis=0)
        self._idx.resize(n + 1, axis=0)
        self._img[n] = img
        self._idx[n] = n if frame_index is None else int(frame_index)
        self.count += 1

    def close(self) -> Path:
        if self._closed:
            return self.path
        self._closed = True
        if self._f is None:
            self._pending.discard()
            raise OutputError(f"no images to write to {self.path}; check the frame range")
        try:
            self._f.attrs["count"] = self.count
            self._f.close()
            if self._raw.failed is not None:
                raise self._raw.failed
            self._raw.close()
        except (OSError, RuntimeError) as e:
            raise self._failed(e) from e
        return self._pending.commit()

    def abort(self) -> None:
        self._closed = True
        if self._f is not None:
            with contextlib.suppress(Exception):
                self._f.close()
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
        self._pending.discard()


def open_image_writer(path: str | os.PathLike, *, fps: float = 30.0, bits: int = 8, codec: str = "mp4v",
                      overwrite: bool = True, **attrs: Any) -> ImageWriter:
    """The writer for ``path``: a directory name -> PNG sequence, .mp4/.avi -> video, .h5 -> HDF5 stack.

    Args:
        path: output path.
        fps: display rate of a video.
        bits: 8 or 16 for PNG files.
        codec: FourCC of a video.
        overwrite: replace an existing output.
        **attrs: attributes stored in an HDF5 stack (method, parameters ...).
    """
    kind = image_kind(path)
    if kind == "video":
        return VideoWriter(path, fps=fps, codec=codec, overwrite=overwrite)
    if kind == "h5":
        return H5StackWriter(path, attrs=attrs, overwrite=overwrite)
    return PngSequenceWriter(Path(path).with_suffix("") if Path(path).suffix.lower() == ".png" else path, bits=bits,
                             overwrite=overwrite)


def write_images(path: str | os.PathLike, images: Iterable[Any], frame_indices: Iterable[int] | None = None,
                 **options: Any) -> Path:
    """Write (H, W) or (H, W, 3) RGB images in [0, 1] atomically (see :func:`open_image_writer`); return the path."""
    idx = iter(frame_indices) if frame_indices is not None else None
    with open_image_writer(path, **options) as w:
        for img in images:
            w.write(img, next(idx) if idx is not None else None)
    return w.path
