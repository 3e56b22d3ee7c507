"""The README's Python example runs as written (in a scratch folder, so its outputs land there)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README.md must hold a ```python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own documentation
    assert (tmp_path / "out" / "tracking_report.html").exists()
    reviews = namespace["schedule"].per_review().set_index("effective_date")
    assert int(reviews.loc["2025-08-11", "constituents"]) == 31


def test_readme_calls_the_31_constituents_a_construction_target():
    text = " ".join(README.read_text().split())
    assert "as the ETF held" not in text and "(the ETF held" not in text
    assert "by construction, not a validation" in text
    assert "built so that 31 names pass the revised screens" in text
