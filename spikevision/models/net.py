"""SpikeUNet: a compact reconstruction network over classical spike features.

The network follows the recipe of the learned spike-to-image methods (Spk2ImgNet, Zhao et al., CVPR 2021;
the Spike-Zoo base CNN): a short window of spike planes around the target frame is turned into
multi-scale temporal features, and a small 2D encoder-decoder (U-Net, Ronneberger et al., MICCAI 2015)
fuses them spatially. Design choices, for spikes:

- Features are physical estimates of the firing rate that the classical methods already compute
  (spikes per tick): TFP over nested windows of 5, 11, 21 and 41 frames (texture from playback,
  Zhu et al., ICME 2019) and the inter-spike interval around the target (TFI, Zhu et al., ICME 2019;
  DSFT, Zhang et al., CVPR 2023), plus whether that interval is complete. Short windows keep motion
  sharp, long windows average noise away: the network learns where to trust which.
- The output is a residual on TFP-41 (the last layer starts at zero, so an untrained network is TFP-41).
- Scale invariance: features are divided by the image's mean TFP-41 rate and the output multiplied back,
  so one network serves bright scenes and low light (rates from 0.5 down to 0.01 spikes per tick).
- Window ends (the first and last 20 frames of a stream) are mirrored in time.

About 30 k parameters (120 kB of float32 weights).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["SpikeUNet", "WINDOW", "HALF_WIDTHS", "spike_features", "N_FEATURES"]

#: frames of spikes read per image (centred on the target frame)
WINDOW = 41
#: half-widths of the nested TFP windows (2 h + 1 frames)
HALF_WIDTHS = (2, 5, 10, 20)
#: input channels: nested TFP, TFI, interval-complete mask
N_FEATURES = len(HALF_WIDTHS) + 2


def spike_features(window: torch.Tensor, half_widths: tuple[int, ...] = HALF_WIDTHS) -> torch.Tensor:
    """Rate features of a (B, 2 * max(half_widths) + 1, H, W) window of spike bits centred on its middle frame.

    Returns:
        (B, len(half_widths) + 2, H, W) float32: TFP over ``2 h + 1`` frames for each half-width (spikes per
        tick; default 5, 11, 21, 41 frames), TFI (1 / the interval between the last spike at or before the
        centre and the next one after it; the widest TFP where the window holds no such pair) and a 0/1
        channel marking complete intervals.
    """
    x = window.to(torch.float32)
    n = 2 * max(half_widths) + 1
    c = n // 2
    feats = [x[:, c - h:c + h + 1].sum(dim=1) / float(2 * h + 1) for h in half_widths]
    t = torch.arange(n, dtype=torch.float32, device=x.device).view(1, n, 1, 1)
    last = (x[:, :c + 1] * (t[:, :c + 1] + 1.0)).amax(dim=1) - 1.0            # -1: no spike before
    big = float(2 * n)
    nxt = (x[:, c + 1:] * (t[:, c + 1:] - big) + big).amin(dim=1)            # big: no spike after
    ok = ((last >= 0) & (nxt < big)).to(torch.float32)
    interval = torch.clamp(nxt - last, min=1.0)
    tfi = ok / interval + (1.0 - ok) * feats[-1]
    return torch.stack(feats + [tfi, ok], dim=1)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class SpikeUNet(nn.Module):
    """Two-level U-Net on spike rate features; input (B, 41, H, W) spike bits, output (B, H, W) rates.

    Args:
        width: channels of the first level (the second has ``2 * width``).
        half_widths: half-widths of the nested TFP windows; the model reads ``window = 2 * max + 1`` frames.
            The output is a residual on the TFP whose half-width is closest to 20 (TFP-41).
        light_channel: add the image's absolute light level (log2 of its mean rate) as an input channel: the
            features are scale-normalised, and without it the network cannot tell how many spikes back them.
    """

    def __init__(self, width: int = 16, half_widths: tuple[int, ...] | list[int] = HALF_WIDTHS,
                 light_channel: bool = False):
        super().__init__()
        self.width = int(width)
        self.light_channel = bool(light_channel)
        self.half_widths = tuple(sorted(int(h) for h in half_widths))
        if not self.half_widths or self.half_widths[0] < 0:
            raise ValueError(f"half_widths must be integers >= 0, got {half_widths!r}")
        self.window = 2 * self.half_widths[-1] + 1
        self.base = min(range(len(self.half_widths)), key=lambda i: abs(self.half_widths[i] - 20))
        w = self.width
        self.enc1 = _block(len(self.half_widths) + 2 + self.light_channel, w)
        self.enc2 = _block(w, 2 * w)
        self.mid = _block(2 * w, 2 * w)
        self.up2 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.dec1 = _block(2 * w, w)
        self.up1 = nn.ConvTranspose2d(2 * w, 2 * w, 2, stride=2)
        self.dec2 = _block(4 * w, 2 * w)
        self.head = nn.Conv2d(w, 1, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def config(self) -> dict[str, Any]:
        """Constructor arguments (stored with the weights)."""
        return {"width": self.width, "half_widths": list(self.half_widths), "light_channel": self.light_channel}

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        """(B, window, H, W) spike bits (any dtype; nonzero = spike) -> (B, H, W) float32 rates >= 0."""
        f = spike_features(window, self.half_widths)
        base = f[:, self.base]
        scale = torch.clamp(base.mean(dim=(1, 2), keepdim=True), min=1e-3)
        parts = [f[:, :-1] / scale.unsqueeze(1), f[:, -1:]]
        if self.light_channel:   # the absolute light level (log2 of the mean rate): how many spikes back the features
            parts.append(torch.log2(scale).unsqueeze(1).expand_as(base.unsqueeze(1)) / 8.0)
        z = torch.cat(parts, dim=1)
        h, w = z.shape[-2:]
        z = nn.functional.pad(z, (0, (-w) % 4, 0, (-h) % 4), mode="replicate")   # always (ONNX: dynamic sizes)
        e1 = self.enc1(z)
        e2 = self.enc2(nn.functional.avg_pool2d(e1, 2))
        m = self.mid(nn.functional.avg_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up1(m), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up2(d2), e1], dim=1))
        res = self.head(d1)[:, 0, :h, :w]
        return torch.relu(base + res * scale)
