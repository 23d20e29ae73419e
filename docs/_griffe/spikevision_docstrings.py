"""Griffe extension used by ``make docs``: render spikevision's docstrings as Markdown.

The library's docstrings are Google style with two reStructuredText habits that
Markdown does not understand; this rewrites them at load time (the source is
not changed):

- an ``Example:`` heading becomes ``Examples:``, the Google section griffe renders
  as doctest code (``Example:`` alone would be an admonition, and ``>>>`` lines
  would read as nested block quotes);
- Sphinx roles (``:func:`~.photometry.expected_rate```, ``:class:`SpikeStream```,
  ``:data:``, ``:mod:``, ``:meth:``, ``:attr:``, ``:exc:``) become inline code showing
  the name the role would show (the last component after ``~``, the full target
  otherwise, leading dots dropped);
- a paragraph ending in ``::`` (an RST literal block follows) ends in ``:``; the
  indented block after it is already a Markdown code block.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|data|mod|meth|attr|exc|obj|const):`(~?)\.*([^`]+)`")
_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_LITERAL = re.compile(r"(\S)::[ \t]*$", re.MULTILINE)


def _role(m: re.Match) -> str:
    target = m.group(2)
    return f"`{target.rsplit('.', 1)[-1] if m.group(1) else target}`"


def rewrite(text: str) -> str:
    """The Markdown form of one docstring (see the module docstring)."""
    return _LITERAL.sub(r"\1:", _ROLE.sub(_role, _EXAMPLE.sub(r"\1Examples:", text)))


class SpikevisionDocstrings(griffe.Extension):
    """Rewrite every docstring of the loaded objects with :func:`rewrite`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
