"""The spikevision viewer program: ``python apps/viewer.py [FILE|URL] [options]`` (same as ``spikevision view``).

Opens spike files (dialog, drag and drop, or the command line) and live cameras
(``sim://``, ``replay://file.dat``, ``usb://``, ``sdk://``), plays them back
with reconstruction modes, records cameras and exports ranges. Needs the
``gui`` extra: ``pip install 'spikevision[gui]'``.
"""

from __future__ import annotations

import sys

from spikevision.viewer.app import main

if __name__ == "__main__":
    sys.exit(main())
