"""The documentation: it cites only the repository, its links resolve, and the site builds.

The site build (``mkdocs build --strict``, as ``make docs`` runs it) needs the
``docs`` extra and is skipped without it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = ("index.md", "cli.md", "physics.md", "formats.md", "algorithms.md", "conventions.md")
_LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


def _project_files():
    skip = {".venv", "site", "build", ".git", "node_modules"}
    for p in ROOT.rglob("*"):
        if p.is_file() and p.suffix in {".py", ".md", ".cfg", ".toml", ".yml", ".ipynb"} \
                and not skip.intersection(p.relative_to(ROOT).parts):
            yield p


def test_pages_exist():
    for name in PAGES:
        assert (DOCS / name).stat().st_size > 500, name
    assert (ROOT / "mkdocs.yml").exists()


def test_no_citation_of_files_outside_the_repository():
    bad = re.compile(r"ALGORITHMS\.md|FORMATS\.md|DESIGN\.md|shared[/]")
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in _project_files() if p != Path(__file__).resolve()
            for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if bad.search(line)]
    assert not hits, "cite docs/*.md instead:\n" + "\n".join(hits)


MARKDOWN = [ROOT / "README.md", ROOT / "datasets" / "README.md", *sorted(DOCS.rglob("*.md")),
            *sorted((ROOT / "hardware").glob("*.md"))]


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path):
    for target, _ in _LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def _rewrite():
    spec = importlib.util.spec_from_file_location("_svdoc", DOCS / "_griffe" / "spikevision_docstrings.py")
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except ImportError:
        pytest.skip("griffe is not installed (pip install -e '.[docs]')")
    return mod.rewrite


def test_docstring_rewrite():
    rewrite = _rewrite()
    src = ("Same as :func:`spikevision.recon.tfp` and :class:`~.stream.SpikeStream`, :mod:`.io`::\n\n"
           "    x = 1\n\nExample:\n    >>> 1 + 1\n    2\n")
    out = rewrite(src)
    assert out == ("Same as `spikevision.recon.tfp` and `SpikeStream`, `io`:\n\n"
                   "    x = 1\n\nExamples:\n    >>> 1 + 1\n    2\n")
    assert rewrite("Attributes:\n    x: a value") == "Attributes:\n    x: a value"


def test_site_builds_strict(tmp_path: Path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings_handlers") is None:
        pytest.skip("the docs extra is not installed (pip install -e '.[docs]')")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "recon" / "index.html").read_text()
    assert 'id="spikevision.recon.tfp.tfp"' in api and ":func:" not in api
