"""Post-processing shared by every method: hole filling (and a 5x5 median) of a disparity map."""

from __future__ import annotations

from ..backend import get_namespace, to_numpy

__all__ = ["fill_holes"]


def _nearest_valid(disp, valid, reverse: bool):
    """Per row, the value of the nearest valid pixel on the left (or right with ``reverse``), NaN if none."""
    xp = get_namespace(disp)
    h, w = disp.shape
    idx = xp.arange(w)[None, :].repeat(h, 0)
    if reverse:
        disp, valid, idx = disp[:, ::-1], valid[:, ::-1], idx[:, ::-1]
    pos = xp.where(valid, xp.arange(w)[None, :], -1)
    last = xp.maximum.accumulate(pos, axis=1) if xp.__name__ == "numpy" else _cummax(pos)
    rows = xp.arange(h)[:, None]
    val = xp.where(last >= 0, disp[rows, xp.clip(last, 0, w - 1)], xp.nan)
    return val[:, ::-1] if reverse else val


def _cummax(a):
    xp = get_namespace(a)
    out = a.copy()
    for i in range(1, a.shape[1]):
        out[:, i] = xp.maximum(out[:, i - 1], a[:, i])
    return out


def fill_holes(disp, valid, median: bool = True):
    """Fill invalid pixels with the smaller of the nearest valid disparities left and right on the row
    (occluded pixels belong to the farther surface), rows without any from the nearest filled row; then a
    5x5 median (OpenCV) on the whole map. Returns float32 on the input's backend."""
    xp = get_namespace(disp)
    disp = disp.astype(xp.float32)
    if not bool(valid.all()):
        left = _nearest_valid(disp, valid, False)
        right = _nearest_valid(disp, valid, True)
        fill = xp.fmin(left, right)
        out = xp.where(valid, disp, fill)
        bad_rows = xp.isnan(out).any(axis=1)
        if bool(bad_rows.all()):
            out = xp.zeros_like(disp)
        elif bool(bad_rows.any()):
            good = xp.nonzero(~bad_rows)[0]
            rows = xp.arange(disp.shape[0])
            nearest = good[xp.clip(xp.searchsorted(good, rows), 0, len(good) - 1)]
            below = good[xp.clip(xp.searchsorted(good, rows) - 1, 0, len(good) - 1)]
            pick = xp.where(xp.abs(below - rows) < xp.abs(nearest - rows), below, nearest)
            out = xp.where(bad_rows[:, None], out[pick], out)
        disp = out.astype(xp.float32)
    if median:
        import cv2

        med = cv2.medianBlur(to_numpy(disp), 5)
        disp = xp.asarray(med) if xp.__name__ != "numpy" else med
    return disp
