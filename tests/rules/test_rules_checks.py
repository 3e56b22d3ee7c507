"""Methodology consistency checks (issue 7 section 7): each fails loudly instead of passing silently."""

from __future__ import annotations

import pandas as pd
import pytest
from support.markets import market_from_specs, sec

from engine.errors import MethodologyError
from engine.rules import load_history, load_methodology, methodology_dir, review_dates, run_reviews


def test_file_not_utf8_names_file_and_byte(tmp_path):
    text = (methodology_dir() / "hsidi-2025-08.toml").read_bytes()
    pos = text.index(b"[universe]")
    path = tmp_path / "hsidi-2025-08.toml"
    path.write_bytes(text[:pos] + b"# caf\xe9\n" + text[pos:])  # a Latin-1 comment
    with pytest.raises(MethodologyError, match="not valid UTF-8") as exc:
        load_methodology(path)
    msg = str(exc.value)
    assert str(path) in msg and f"byte {pos + 5}" in msg and "\\xe9" in msg


def test_later_version_before_the_base_date():
    h = load_history("hsidi")
    with pytest.raises(MethodologyError, match="on or before the index base date") as exc:
        h.replace(base_date="2025-09-30")
    assert "hsidi-2025-08" in str(exc.value) and "2025-08-11" in str(exc.value)
    h.replace(base_date="2025-08-08")  # the day before the revision is fine


def test_extra_review_before_the_base_date():
    market = market_from_specs([sec("0001"), sec("0002")], start="2025-06-02", end="2025-12-31")
    m = load_methodology("hsidi-2025-08").replace(
        base_date="2025-09-30",
        effective_from="2025-09-30",
        cap=0.5,
        max_constituents=2,
        buffer_add_rank=2,
        buffer_remove_rank=2,
    )
    with pytest.raises(MethodologyError, match=r"schedule\.extra\[0\]\.effective") as exc:
        run_reviews(market, m)
    assert "2025-08-11" in str(exc.value)
    with pytest.raises(MethodologyError, match="extra review"):
        review_dates(m, market.dates)
    # without the extra review the same methodology runs
    sch = run_reviews(market, m.replace(extra=()))
    assert sch.reviews[0].cutoff_date == pd.Timestamp("2025-09-30")
