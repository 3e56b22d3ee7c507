"""The ``hsidi`` command line: outputs written, summaries printed, bad input reported with exit 2."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from engine.cli import main


@pytest.fixture(scope="module")
def build_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    rc = main(["build", "--out", str(out), "--quiet", "--methodology", "hsidi"])
    return rc, out


def test_build_writes_levels_constituents_and_figure(build_out, capsys):
    rc, out = build_out
    assert rc == 0
    for ext in ("csv", "parquet"):
        assert (out / f"index_levels_hsidi.{ext}").stat().st_size > 0
        assert (out / f"constituents_hsidi.{ext}").stat().st_size > 0
    assert (out / "index_levels.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    levels = pd.read_parquet(out / "index_levels_hsidi.parquet")
    assert list(levels.columns) == ["price", "gross", "net"]
    assert levels.iloc[0].tolist() == [
        3000.0,
        3000.0,
        3000.0,
    ]  # base value of the methodology files
    reviews = pd.read_parquet(out / "constituents_hsidi.parquet")
    at_revision = reviews[reviews["effective_date"] == pd.Timestamp("2025-08-11")]
    assert int(at_revision["selected"].sum()) == 31
    assert at_revision["reason"].str.len().gt(0).all()


def test_build_summary_mentions_synthetic_and_revision(build_out):
    _, out = build_out
    text = (out / "index_summary.txt").read_text()
    assert "SYNTHETIC" in text
    assert re.search(r"2025-08-11\s+hsidi-2025-08\s+extraordinary\s+31 constituents", text)
    assert "0.00% at the close of 2025-08-11" in text  # no CXO weight left under the revision
    left_cxo = next(line for line in text.splitlines() if line.strip().startswith("left, CXO:"))
    assert "2269 WuXi Biologics" in left_cxo and "2359 WuXi AppTec" in left_cxo


def test_export_then_backtest_from_folder(tmp_path, capsys):
    data = tmp_path / "market"
    assert main(["export-data", "--out", str(data), "--format", "csv"]) == 0
    out = tmp_path / "out"
    assert main(["backtest", "--data", str(data), "--out", str(out), "--quiet"]) == 0
    nav = pd.read_parquet(out / "fund_nav.parquet")
    assert nav["nav_per_unit_cny"].gt(0).all()
    assert "tracking_difference" in capsys.readouterr().out


def test_missing_data_folder_is_one_line_error_exit_2(tmp_path, capsys):
    rc = main(["backtest", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("hsidi backtest: error:") and "nowhere" in err
    assert not list(tmp_path.glob("fund_*"))  # nothing half-written


def test_malformed_price_file_names_file_row_and_field(tmp_path, capsys):
    data = tmp_path / "market"
    assert main(["export-data", "--out", str(data), "--format", "csv"]) == 0
    prices = pd.read_csv(data / "prices.csv", dtype={"code": str})
    prices.loc[5, "close_hkd"] = -1.0
    prices.to_csv(data / "prices.csv", index=False)
    rc = main(["build", "--data", str(data), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "prices.csv" in err and "close_hkd" in err


def test_report_writes_html_and_pdf(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--quiet"]) == 0
    html = (tmp_path / "tracking_report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" in html and "Attribution waterfall" in html
    assert (tmp_path / "tracking_report.pdf").read_bytes()[:4] == b"%PDF"
    assert "total (last step - first step)" in capsys.readouterr().out
