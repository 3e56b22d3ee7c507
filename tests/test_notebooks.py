"""Every notebook in notebooks/ runs top to bottom without error and shows its figures inline;
notebook 2 shows the report it writes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from support.markets import REAL_DATA

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    if "real_data" in path.name and not REAL_DATA.is_dir():
        pytest.skip(f"{path.name} reads the real data folder {REAL_DATA}, which is absent")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    images = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    assert images, f"{path.name}: no inline figure in the executed notebook"
    forced = [c.source for c in nb.cells if 'matplotlib.use("Agg")' in c.source]
    assert not forced, f"{path.name} forces a non-interactive backend"
    if path.name.startswith("02_"):
        shown = [
            out["data"]["text/html"]
            for cell in nb.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            if "text/html" in out.get("data", {})
        ]
        assert any("<iframe srcdoc=" in h and "Attribution waterfall" in h for h in shown)


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ must hold at least one notebook"
