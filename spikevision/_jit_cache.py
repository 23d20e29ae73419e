"""numba's on-disk cache is only an optimisation: failing to write it must never fail the caller.

numba (0.5x-0.6x) lets an ``OSError`` from saving a compiled kernel (disk full, a file-size limit, a
read-only install) escape from the first call of the kernel, so a full disk would surface as a failure
of whatever the user was doing. :func:`guard_cache_writes` makes a failed save skip the cache instead;
the kernel still runs and is compiled again next time.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def guard_cache_writes() -> None:
    """Make numba's cache saves best effort (idempotent)."""
    from numba.core import caching

    cache = caching.Cache
    if getattr(cache.save_overload, "_spikevision_guard", False):
        return
    save = cache.save_overload

    def save_overload(self, sig, data):
        try:
            save(self, sig, data)
        except OSError as e:
            log.debug("numba cache not written for %s: %s", getattr(self, "_name", "?"), e)

    save_overload._spikevision_guard = True
    cache.save_overload = save_overload
