"""Every example in examples/ runs, so the examples cannot rot.

Each script runs in a subprocess from a temporary working directory, with an
output directory argument; the notebook's code cells run in order as one script
(parsed from its JSON, no Jupyter needed). Nothing may be written into the
repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def _run(args: list[str], cwd: Path, **env_extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               SPIKEVISION_PROGRESS="0", QT_QPA_PLATFORM="offscreen", MPLBACKEND="Agg", **env_extra)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _tree(path: Path) -> set[str]:
    """Files under ``path`` (caches excluded): what an example must not change."""
    return {str(p.relative_to(path)) for p in path.rglob("*") if "__pycache__" not in p.parts}


def test_examples_exist():
    names = {p.name for p in SCRIPTS}
    assert {"01_open_and_inspect.py", "02_reconstruct.py", "03_live_camera.py", "04_convert_formats.py"} <= names
    assert (EXAMPLES / "tour.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_is_short_and_documented(script: Path):
    text = script.read_text()
    assert len(text.splitlines()) <= 60, f"{script.name}: examples stay short (<= 60 lines)"
    assert text.startswith('"""') and "Usage:" in text.split('"""')[1], f"{script.name}: docstring with Usage"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_runs(script: Path, tmp_path: Path):
    before = _tree(EXAMPLES)
    out = tmp_path / "out"
    work = tmp_path / "cwd"
    work.mkdir()
    proc = _run([str(script), str(out)], work)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip(), f"{script.name} printed nothing"
    assert any(out.iterdir()), f"{script.name} wrote nothing into its output directory"
    assert not any(work.iterdir()), f"{script.name} wrote into the working directory: {sorted(_tree(work))}"
    assert _tree(EXAMPLES) == before, f"{script.name} wrote into examples/"


def _code_cells(nb: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_nbformat4(notebook: Path):
    nb = json.loads(notebook.read_text())
    assert nb["nbformat"] == 4 and isinstance(nb["nbformat_minor"], int) and isinstance(nb["metadata"], dict)
    kinds = [c["cell_type"] for c in nb["cells"]]
    assert set(kinds) <= {"markdown", "code", "raw"} and "markdown" in kinds and kinds.count("code") >= 3
    for c in nb["cells"]:
        assert isinstance(c["metadata"], dict) and isinstance(c["source"], (list, str))
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None, "store notebooks without outputs"
    for src in _code_cells(nb):
        magics = [ln for ln in src.splitlines() if ln.lstrip().startswith(("%", "!"))]
        assert not magics, f"IPython magics cannot run as plain Python: {magics}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook: Path, tmp_path: Path):
    before = _tree(EXAMPLES)
    cells = _code_cells(json.loads(notebook.read_text()))
    script = tmp_path / "notebook.py"
    script.write_text("\n\n".join(f"# --- cell {i} ---\n{src}" for i, src in enumerate(cells)) + "\n")
    work = tmp_path / "cwd"
    work.mkdir()
    tmp = tmp_path / "tmp"          # the notebook writes into tempfile.mkdtemp(): keep that inside tmp_path
    tmp.mkdir()
    proc = _run([str(script)], work, TMPDIR=str(tmp))
    assert proc.returncode == 0, f"{notebook.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert not any(work.iterdir()) and _tree(EXAMPLES) == before
    assert any(tmp.rglob("*.h5")), "the tour saves its recording into a temporary directory"
