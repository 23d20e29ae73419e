"""Named weights with SHA-256: packaged files, a local cache, and mirror downloads only when asked.

Resolution of ``weights=`` (:func:`weights_path`):

1. a path to a file: used as it is (checked against ``sha256=`` when given, or against the registered hash
   of the same file name);
2. a registered name: the file shipped inside the package (``spikevision/models/weights/``), else the
   cache ``$SPIKEVISION_CACHE/models/`` (default: the user cache folder, ``~/.cache/spikevision`` on Linux);
3. only with ``download=True``: the registered mirror URLs (or ``urls=``) in order, written to a temporary
   file, checked against the SHA-256 and renamed into the cache.

A file whose SHA-256 differs from the registry's is refused (:class:`WeightsError`). Nothing is downloaded
at import or without ``download=True``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..io._atomic import PendingFile
from ._errors import WeightsError

__all__ = ["WeightsEntry", "REGISTRY", "DEFAULT", "register_weights", "weights_path", "cache_dir", "sha256_file",
           "PACKAGE_DIR"]

#: where shipped weights live
PACKAGE_DIR = Path(__file__).with_name("weights")


@dataclass(frozen=True)
class WeightsEntry:
    """A named weights file: its file name, SHA-256, the mirrors it may be fetched from and a description."""

    name: str
    file: str
    sha256: str
    urls: tuple[str, ...] = field(default=())
    description: str = ""


REGISTRY: dict[str, WeightsEntry] = {}


def register_weights(name: str, file: str, sha256: str, urls: tuple[str, ...] | list[str] = (),
                     description: str = "", *, replace: bool = False) -> WeightsEntry:
    """Add named weights to the registry (``sha256``: 64 hex digits of the file)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower()):
        raise WeightsError(f"sha256 of {name!r} must be 64 hex digits, got {sha256!r}; compute it with "
                           f"spikevision.models.sha256_file(path)")
    if name in REGISTRY and not replace:
        raise WeightsError(f"weights named {name!r} are registered already; pass replace=True to override")
    entry = WeightsEntry(name, file, sha256.lower(), tuple(urls), description)
    REGISTRY[name] = entry
    return entry


def _register_packaged() -> None:
    """Register the weights shipped in the package (their JSON sidecars hold name, file and SHA-256)."""
    for meta_path in sorted(PACKAGE_DIR.glob("*.json")):
        meta = json.loads(meta_path.read_text())
        register_weights(meta["name"], meta["file"], meta["sha256"], meta.get("urls", ()),
                         meta.get("description", ""), replace=True)


def cache_dir() -> Path:
    """``$SPIKEVISION_CACHE/models``, default the user cache folder's ``spikevision/models``."""
    root = os.environ.get("SPIKEVISION_CACHE")
    if not root:
        if sys.platform == "win32":
            base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches"
        else:
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        root = str(base / "spikevision")
    return Path(root).expanduser() / "models"


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _check(path: Path, sha256: str, what: str) -> Path:
    got = sha256_file(path)
    if got != sha256:
        raise WeightsError(f"{path}: SHA-256 {got[:16]}... differs from {what}'s {sha256[:16]}...; the file is damaged "
                           f"or not these weights: delete it and fetch it again, or pass the right sha256=")
    return path


def weights_path(weights: str | os.PathLike | None = None, *, sha256: str | None = None, download: bool = False,
                 urls: list[str] | tuple[str, ...] | None = None, timeout: float = 60.0) -> Path:
    """The verified local file of ``weights`` (a registered name, default :data:`DEFAULT`, or a path).

    Raises:
        WeightsError: unknown name, missing file, wrong SHA-256, or not available locally without
            ``download=True``, or every mirror failed.
    """
    weights = DEFAULT if weights is None else weights
    name = str(weights)
    if name not in REGISTRY:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise WeightsError(f"weights {name!r} are neither a registered name ({', '.join(REGISTRY) or 'none'}) "
                               f"nor a file; pass a name, or the path of a weights.pt written by "
                               f"python -m spikevision.models.train")
        if sha256 is None:
            known = [e for e in REGISTRY.values() if e.file == path.name]
            sha256 = known[0].sha256 if known else None
        return _check(path, sha256.lower(), "the expected hash") if sha256 else path
    entry = REGISTRY[name]
    want = (sha256 or entry.sha256).lower()
    for cand in (PACKAGE_DIR / entry.file, cache_dir() / entry.file):
        if cand.is_file():
            return _check(cand, want, f"the registry entry {entry.name!r}")
    mirrors = list(urls if urls is not None else entry.urls)
    if not download:
        raise WeightsError(f"weights {name!r} are not in the package nor in the cache {cache_dir()}; pass "
                           f"download=True to fetch them from {mirrors or 'a mirror (urls=...)'}, or "
                           f"weights=<path to the file>")
    if not mirrors:
        raise WeightsError(f"weights {name!r} have no mirror URLs; pass urls=[...] with download=True, or a path")
    dest = cache_dir() / entry.file
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in mirrors:
        pending = PendingFile(dest, overwrite=True)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(pending.tmp, "wb") as out:
                while chunk := resp.read(1 << 20):
                    out.write(chunk)
            _check(Path(pending.tmp), want, f"the registry entry {entry.name!r}")
            pending.commit()
            return dest
        except (OSError, ValueError) as exc:
            pending.discard()
            errors.append(f"{url}: {exc}")
    raise WeightsError(f"no mirror gave weights {name!r}: {'; '.join(errors)}; check the URLs and the network")


#: the weights method="learned" uses by default
DEFAULT = "recon-unet16"
_register_packaged()
