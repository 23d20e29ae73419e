"""Errors of spikevision.models (spikevision errors: each names the problem and the fix)."""

from __future__ import annotations

from ..errors import SpikevisionError

__all__ = ["ModelError", "WeightsError"]


class ModelError(SpikevisionError, ValueError):
    """Bad input or options for a learned model."""


class WeightsError(ModelError):
    """Weights that cannot be used: unknown name, missing file, wrong SHA-256, not fetched."""
