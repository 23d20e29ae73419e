"""Explicit downloads of the files a card links to directly, checked against their SHA-256.

Most public spike datasets are behind cloud-drive pages: their cards give manual steps
instead of links and :func:`fetch` has nothing to do for them. Nothing here runs unless called.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ..errors import SpikevisionError
from ..io._atomic import PendingFile
from .api import card, data_root, sha256_file

__all__ = ["fetch", "DownloadError"]


class DownloadError(SpikevisionError, OSError):
    """A download failed or its content does not match the card's checksum."""


def fetch(name: str, root: str | os.PathLike | None = None, *, base_url: str | None = None,
          progress: Callable[[int], None] | None = None, timeout: float = 60.0) -> list[Path]:
    """Download the card's directly linked files into ``root``; return the files now present and verified.

    Files already there with the right SHA-256 are skipped; each download is written to a
    temporary file, checked, and renamed (a wrong checksum leaves nothing behind).

    Args:
        name: the card name; root: destination (default ``$SPIKEVISION_DATA/<name>``).
        base_url: replaces the start of each link up to its file name's folder (a mirror), e.g.
            ``http://mirror/spike``: the file ``a/b.dat`` is then fetched from ``http://mirror/spike/a/b.dat``.
        progress: called with the number of bytes received after each block.

    Raises:
        SpikevisionError: the card has no direct links (the message gives its manual steps).
        DownloadError: a download failed or its checksum differs.
    """
    c = card(name)
    linked = [f for f in c.files if f.get("url") or base_url]
    if not linked:
        raise SpikevisionError(f"{c.name} has no direct download links; obtain it by hand: {'; '.join(c.obtain)}")
    base = data_root(c.name, root).expanduser()
    done = []
    for f in linked:
        dest = base / f["path"]
        if dest.exists() and sha256_file(dest) == f["sha256"]:
            done.append(dest)
            continue
        url = f"{base_url.rstrip('/')}/{f['path']}" if base_url else f["url"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        pending = PendingFile(dest, overwrite=True)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(pending.tmp, "wb") as out:
                while chunk := resp.read(1 << 20):
                    out.write(chunk)
                    if progress:
                        progress(len(chunk))
            got = sha256_file(pending.tmp)
            if got != f["sha256"]:
                raise DownloadError(f"{url}: SHA-256 {got[:12]}... differs from the card's {f['sha256'][:12]}...; "
                                    f"the file changed or the transfer was damaged: try again or report it")
            pending.commit()
        except DownloadError:
            pending.discard()
            raise
        except (OSError, ValueError) as exc:
            pending.discard()
            raise DownloadError(f"downloading {url} failed ({exc}); check the network and the link, then retry") \
                from exc
        done.append(dest)
    return done
