"""The viewer window, offscreen: open, play, pause, scrub, modes, levels, pixels, export, errors, cameras."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PyQt6.QtWidgets")

from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtWidgets import QMessageBox

import spikevision as sv
from spikevision import recon
from spikevision.viewer.display import to_rgb
from spikevision.viewer.window import qimage_to_rgb

from ._cameras import FlakyCamera
from ._data import if_spikes

H, W = 24, 32
SIM = "sim://?height=24&width=32&fps=20000&seed=3"


@pytest.fixture(scope="module")
def spikes():
    return if_spikes(400, H, W)


@pytest.fixture
def dat(tmp_path, spikes):
    path = tmp_path / "rec.dat"
    sv.save(path, spikes)
    return path


def _open(viewer, qtbot, dat):
    assert viewer.open_file(dat, height=H, width=W)
    qtbot.waitUntil(lambda: viewer.shown is not None and viewer.shown.key.index == viewer.index, timeout=10000)


def _canvas_image(viewer) -> tuple[np.ndarray, np.ndarray]:
    """The image as drawn on the canvas, sampled back to one value per image pixel, and a mask of the
    pixels not under the frame caption."""
    grab = qimage_to_rgb(viewer.canvas.grab().toImage())
    r = viewer.canvas.image_rect()
    z = viewer.canvas.zoom
    assert z == int(z) and z >= 1, "fit mode uses whole-number zoom for images smaller than the view"
    x0, y0 = int(r.x()), int(r.y())
    ys = y0 + (np.arange(H) * z + z // 2).astype(int)
    xs = x0 + (np.arange(W) * z + z // 2).astype(int)
    cap = viewer.canvas.overlay_rect()
    covered = ((ys[:, None] >= cap.top() - 1) & (ys[:, None] <= cap.bottom() + 1)
               & (xs[None, :] >= cap.left() - 1) & (xs[None, :] <= cap.right() + 1))
    return grab[np.ix_(ys, xs)], ~covered


def test_open_shows_first_frame(viewer, qtbot, dat, spikes):
    _open(viewer, qtbot, dat)
    assert viewer.stream.shape == (400, H, W)
    assert viewer.transport.slider.maximum() == 399
    assert "rec.dat" in viewer.windowTitle()
    np.testing.assert_array_equal(viewer.shown.image, recon.tfp(spikes, at=0, window=41))


def test_screenshot_pixels_equal_library_reconstruction(viewer, qtbot, dat, spikes):
    _open(viewer, qtbot, dat)
    viewer.set_mode("tfp", 31)
    viewer.set_display(levels=(0.05, 0.8), gamma=0.7, colormap="inferno")
    viewer.set_frame(123)
    qtbot.waitUntil(lambda: viewer.shown.key == viewer.current_key(), timeout=10000)
    ref = to_rgb(recon.tfp(spikes, at=123, window=31), (0.05, 0.8), 0.7, "inferno")
    np.testing.assert_array_equal(viewer.rgb, ref)
    drawn, visible = _canvas_image(viewer)
    assert visible.mean() > 0.8
    np.testing.assert_array_equal(drawn[visible], ref[visible])
    viewer.canvas.set_zoom(1.0)  # actual pixels
    qtbot.wait(10)
    drawn, visible = _canvas_image(viewer)
    np.testing.assert_array_equal(drawn[visible], ref[visible])


def test_play_pause_and_scrub(viewer, qtbot, dat):
    _open(viewer, qtbot, dat)
    viewer.set_speed(300.0)  # spike frames per second of wall time
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    assert viewer.playing
    qtbot.waitUntil(lambda: viewer.shown.key.index >= 30, timeout=10000)
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    assert not viewer.playing
    stopped = viewer.index
    qtbot.wait(150)
    assert viewer.index == stopped
    viewer.transport.slider.setValue(250)  # scrub
    qtbot.waitUntil(lambda: viewer.shown.key.index == 250, timeout=10000)
    assert viewer.transport.frame.value() == 250
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: viewer.shown.key.index == 251, timeout=10000)
    qtbot.keyClick(viewer, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: viewer.shown.key.index == 241, timeout=10000)


def test_play_to_the_end_stops_and_reverse_loop(viewer, qtbot, dat):
    _open(viewer, qtbot, dat)
    viewer.set_mode("raw")
    viewer.set_frame(380)
    viewer.set_speed(2000.0)
    viewer.set_playing(True)
    qtbot.waitUntil(lambda: not viewer.playing, timeout=10000)
    assert viewer.index == 399
    viewer.transport.reverse.setChecked(True)
    viewer.transport.loop.setChecked(True)
    viewer.set_frame(5)
    viewer.set_playing(True)
    qtbot.waitUntil(lambda: viewer.index > 300, timeout=10000)  # wrapped around backwards
    viewer.set_playing(False)


def test_every_mode_renders(viewer, qtbot, dat):
    _open(viewer, qtbot, dat)
    viewer.set_frame(200)
    for name, action in viewer.mode_actions.items():
        if not action.isEnabled():
            continue
        viewer.set_mode(name)
        qtbot.waitUntil(lambda n=name: viewer.shown.key.mode == n and viewer.shown.key.index == 200, timeout=30000)
        assert viewer.shown.error is None and viewer.shown.image.shape[:2] == (H, W)
        assert viewer.shown.image.shape == ((H, W, 3) if name == "rain mask" else (H, W))  # the overlay is RGB
        assert action.isChecked()
    viewer.set_mode("rate")
    assert viewer.display.colormap == "inferno" and viewer.display.auto_levels  # the rate map's defaults


def test_levels_auto_levels_and_histogram(viewer, qtbot, dat, spikes):
    from spikevision.viewer.display import auto_levels

    _open(viewer, qtbot, dat)
    viewer.set_frame(100)
    qtbot.waitUntil(lambda: viewer.shown.key.index == 100, timeout=10000)
    assert viewer.display_panel.auto.isChecked()  # reconstructions: automatic exposure by default
    rate = recon.auto_rate(spikes)
    assert viewer.display_panel.levels == pytest.approx((0.0, rate), abs=1e-4)
    np.testing.assert_array_equal(viewer.rgb, to_rgb(viewer.shown.image, (0.0, rate)))
    viewer.display_panel.hist.levelsChanged.emit(0.2, 0.4)  # dragging a marker turns auto off
    assert not viewer.display_panel.auto.isChecked()
    np.testing.assert_array_equal(viewer.rgb, to_rgb(viewer.shown.image, (0.2, 0.4)))
    viewer.set_mode("rate")  # no rate scale to expose: auto levels are each frame's percentiles
    qtbot.waitUntil(lambda: viewer.shown.key.mode == "rate", timeout=10000)
    lo, hi = auto_levels(viewer.shown.image)
    assert viewer.display_panel.auto.isChecked()
    assert viewer.display_panel.levels == pytest.approx((lo, hi), abs=1e-4)
    np.testing.assert_array_equal(viewer.rgb, to_rgb(viewer.shown.image, (lo, hi), colormap="inferno"))


def test_pixel_readout_and_roi_plot(viewer, qtbot, dat, spikes):
    _open(viewer, qtbot, dat)
    viewer.set_frame(150)
    qtbot.waitUntil(lambda: viewer.shown.key.index == 150, timeout=10000)
    viewer._hovered(5, 7)
    text = viewer.pixel_label.text()
    assert "x 7  y 5" in text and f"value   {viewer.shown.image[5, 7]:.4f}" in text
    assert f"spikes  {int(spikes[110:151, 5, 7].sum())} in 41 frames" in text
    viewer.canvas.set_roi((2, 10, 4, 20))
    qtbot.waitUntil(lambda: viewer.shown.roi_mean is not None, timeout=10000)
    for i in (151, 152, 153):
        viewer.set_frame(i)
        qtbot.waitUntil(lambda i=i: viewer.shown.key.index == i, timeout=10000)
    vals = viewer.trace.values("intensity")
    assert [i for i, _ in vals][-3:] == [151, 152, 153]
    assert vals[-1][1] == pytest.approx(float(viewer.shown.image[2:10, 4:20].mean()))


def test_snapshot_and_short_mp4_export(viewer, qtbot, dat, tmp_path, spikes):
    import cv2

    _open(viewer, qtbot, dat)
    viewer.set_frame(60)
    qtbot.waitUntil(lambda: viewer.shown.key.index == 60, timeout=10000)
    viewer.snapshot(tmp_path / "snap.png")
    png = cv2.imread(str(tmp_path / "snap.png"))[..., ::-1]
    shown = to_rgb(recon.tfp(spikes, at=60, window=41), (0.0, recon.auto_rate(spikes)))  # automatic exposure
    np.testing.assert_array_equal(png, shown)
    viewer.export(tmp_path / "seq", 60, 62, wait=True, progress_dialog=False)  # the exposure shown, not per frame
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "seq" / "frame_000060.png"))[..., ::-1], shown)
    viewer.export(tmp_path / "clip.mp4", 60, 90, wait=True, progress_dialog=False)
    cap = cv2.VideoCapture(str(tmp_path / "clip.mp4"))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert n == 30 and "exported" in viewer.status_msg.text()


def test_export_with_progress_dialog_can_be_cancelled(viewer, qtbot, dat, tmp_path):
    _open(viewer, qtbot, dat)
    viewer.set_mode("best")
    job = viewer.export(tmp_path / "seq", 0, 400)
    viewer.cancel_export()
    qtbot.waitUntil(lambda: not job.running, timeout=30000)
    qtbot.waitUntil(lambda: "cancelled" in viewer.status_msg.text(), timeout=5000)
    assert list(tmp_path.glob("seq*")) == [] and list(tmp_path.glob(".seq*")) == []


def _message_boxes(viewer):
    return [b for b in viewer._message_boxes if isinstance(b, QMessageBox) and b.isVisible()]


def test_corrupt_file_shows_message_and_stays_alive(viewer, qtbot, dat, tmp_path):
    bad = tmp_path / "broken.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(300))
    assert not viewer.open_file(bad)
    assert viewer.last_error and "broken.h5" in viewer.last_error
    assert _message_boxes(viewer) and viewer.stream is None
    odd = tmp_path / "odd.dat"
    odd.write_bytes(bytes(1001))
    assert not viewer.open_file(odd)
    assert "odd.dat" in viewer.last_error
    _open(viewer, qtbot, dat)  # still usable
    assert viewer.stream is not None


def test_sim_camera_live_view_and_recording(viewer, qtbot, tmp_path):
    out = tmp_path / "live.h5"
    viewer.open_camera(SIM)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=30000)
    assert viewer.camera_panel.isVisible() and not viewer.transport.slider.isVisible()
    viewer.camera_panel.path.setText(str(out))
    viewer.camera_panel.record.click()
    qtbot.waitUntil(lambda: (viewer.live.status().recording.frames or 0) >= 20000, timeout=30000)
    viewer.camera_panel.record.click()
    rec = viewer.live.status().recording
    assert not rec.active and rec.error is None and rec.dropped_frames == 0
    assert "recorded" in viewer.camera_panel.rec_info.text()
    assert viewer.camera_panel.values["state"].text() == "streaming"
    info = viewer.live.camera.info
    assert viewer.camera_panel.open_last.isEnabled()
    viewer.camera_panel.open_last.click()  # disconnect and play the recording back
    assert viewer.live is None and viewer.stream is not None and len(viewer.stream) == rec.frames
    viewer.close_source()
    s = sv.open(out)
    assert len(s) == rec.frames
    import h5py

    from spikevision.camera.sim import scene_frames

    with h5py.File(out, "r") as f:
        first = int(f.attrs["camera_first_index"])
    loop = scene_frames(H, W, info.extra["loop_frames"], info.extra["seed"])
    np.testing.assert_array_equal(s.packed(), loop[(first + np.arange(len(s))) % loop.shape[0]])


def test_camera_disconnect_shows_message_and_stays_alive(viewer, qtbot, dat):
    viewer.open_camera(FlakyCamera(blocks=5))
    qtbot.waitUntil(lambda: viewer.last_error is not None, timeout=10000)
    assert "cable pulled" in viewer.last_error
    assert viewer.camera_panel.values["state"].text() == "disconnected"
    assert _message_boxes(viewer)
    _open(viewer, qtbot, dat)
    assert viewer.live is None and not viewer.camera_panel.isVisible()


def test_freeze_live_view(viewer, qtbot):
    viewer.open_camera(SIM)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=30000)
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    frozen = viewer.shown
    qtbot.wait(200)
    assert viewer.frozen and viewer.shown is frozen
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: viewer.shown is not frozen, timeout=10000)


def test_close_stops_every_thread(qtbot, dat):
    from spikevision.viewer.window import ViewerWindow

    before = threading.active_count()
    win = ViewerWindow(settings=None)
    qtbot.addWidget(win)
    win.open_camera(SIM)
    qtbot.waitUntil(lambda: win.shown is not None, timeout=30000)
    assert threading.active_count() > before
    win.close()
    assert threading.active_count() == before


def test_settings_are_remembered(qtbot, tmp_path):
    from spikevision.viewer.window import ViewerWindow

    settings = QSettings(str(tmp_path / "viewer.ini"), QSettings.Format.IniFormat)
    win = ViewerWindow(settings=settings)
    qtbot.addWidget(win)
    win.set_mode("tfi", 21)
    win.set_display(gamma=0.6, colormap="viridis")
    win.transport.loop.setChecked(True)
    win.close()
    again = ViewerWindow(settings=QSettings(str(tmp_path / "viewer.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.view_panel.mode_name == "tfi" and again.view_panel.window.value() == 21
    assert again.display.colormap == "viridis" and again.display.gamma == pytest.approx(0.6)
    assert again.loop
    again.close()


def test_drop_a_file(viewer, qtbot, tmp_path, spikes):
    from PyQt6.QtCore import QMimeData, QPointF, QUrl
    from PyQt6.QtGui import QDropEvent

    path = tmp_path / "dropped.h5"
    sv.save(path, spikes[:50])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    viewer.dropEvent(ev)
    assert viewer.stream is not None and viewer.stream.shape == (50, H, W)
    assert "dropped.h5" in viewer.windowTitle()


def test_dialogs_build_and_return_their_values(viewer, qtbot, tmp_path):
    from spikevision.viewer.dialogs import ConnectDialog, ExportDialog, OpenOptionsDialog, available_cameras

    urls = [u for u, _ in available_cameras(["/data/rec.dat"])]
    assert "sim://?fps=20000" in urls and "replay:///data/rec.dat?loop=1" in urls
    dlg = ConnectDialog(viewer, ["/data/rec.dat"])
    qtbot.addWidget(dlg)
    dlg.list.setCurrentRow(dlg.list.count() - 2)
    assert dlg.selected_url() == "replay:///data/rec.dat?loop=1"
    opt = OpenOptionsDialog(viewer, "x.dat", "size is ambiguous", {"height": 500, "width": 800, "flip": False})
    qtbot.addWidget(opt)
    assert opt.options() == {"height": 500, "width": 800, "fps": 20000.0, "flip": False}
    exp = ExportDialog(viewer, 400, 100, start=100, directory=str(tmp_path))
    qtbot.addWidget(exp)
    exp.kind.setCurrentIndex(exp.kind.findData("dat"))
    v = exp.values()
    assert v["path"].endswith("export.dat") and (v["start"], v["stop"], v["step"]) == (100, 400, 1)


def test_failed_export_shows_message(viewer, qtbot, dat, tmp_path):
    _open(viewer, qtbot, dat)
    viewer.export(tmp_path / "missing" / "clip.mp4", 0, 10, wait=True, progress_dialog=False)
    assert "does not exist" in (viewer.last_error or "") and _message_boxes(viewer)
    assert viewer.stream is not None
