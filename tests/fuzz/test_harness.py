"""The fuzz harness itself: hangs, crashes and exceptions in a child are outcomes, not a stalled run."""

from __future__ import annotations

import os
import time

import numpy as np

from spikevision.errors import FormatError

from ._harness import classify, run_cases, tally

FRAMES = np.arange(12, dtype=np.uint8).reshape(3, 4)


def _check(case: str):
    if case == "hang":
        time.sleep(60)
    if case == "crash":
        os.kill(os.getpid(), 11)
    if case == "error":
        return classify(lambda: (_ for _ in ()).throw(FormatError("damaged")), FRAMES)
    if case == "foreign":
        return classify(lambda: {}["x"], FRAMES)
    if case == "short":
        return classify(lambda: FRAMES[:2], FRAMES)
    return classify(lambda: FRAMES, FRAMES)


def test_outcomes_of_every_kind():
    cases = ["ok", "hang", "ok", "crash", "error", "foreign", "short", "ok"]
    res = run_cases(cases, _check, timeout=1.0)
    assert [k for k, _ in res] == ["exact", "hang", "exact", "crash", "error", "foreign", "wrong", "exact"]
    assert tally(res) == {"exact": 3, "hang": 1, "crash": 1, "error": 1, "foreign": 1, "wrong": 1}
