"""docs/onboarding.md's real-data walkthrough runs end to end as written, from the repository root
(skipped when ../shared/data/real is absent)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "onboarding.md"
MARKER = "# real-data walkthrough"


def _walkthrough() -> str:
    blocks = [b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)]
    found = [b for b in blocks if b.startswith(MARKER)]
    assert len(found) == 1, f"docs/onboarding.md must hold one block starting {MARKER!r}"
    return found[0]


def test_the_walkthrough_is_in_the_docs():
    code = _walkthrough()
    compile(code, str(DOC), "exec")
    assert '"../shared/data/real"' in code and "base_date=" in code and "splice(" in code


@pytest.mark.realdata
@pytest.mark.slow
def test_the_walkthrough_runs_as_written(monkeypatch, capsys):
    if not (ROOT / ".." / "shared" / "data" / "real").is_dir():
        pytest.skip("real data folder ../shared/data/real absent")
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        exec(compile(_walkthrough(), str(DOC), "exec"), namespace)  # noqa: S102 - our own docs
    out = capsys.readouterr().out
    assert "2024-12-31..2025-08-22: index +" in out
    idx, etf = namespace["idx"], namespace["etf"]
    assert idx.levels.index[0] == idx.levels.index[0].normalize()
    assert str(idx.levels.index[0].date()) == "2024-12-31"
    # the spliced series covers both sources: 2024-12-27 .. 2025-08-26
    assert str(etf.index[0].date()) == "2024-12-27" and str(etf.index[-1].date()) == "2025-08-26"
    # the figures the page quotes are the ones the walkthrough prints
    text = " ".join(DOC.read_text().split())
    index_return, etf_return = namespace["index_return"], namespace["etf_return"]
    assert f"| by industry (default) | {index_return:+.1%} | {etf_return:+.1%} |" in text
