"""The ``hsidi`` command line: outputs written, summaries printed, bad input reported with exit 2."""

from __future__ import annotations

import itertools
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from support.terminal import one_line_error

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
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("left, CXO:"))
    wrapped = itertools.takewhile(lambda line: line.startswith(" " * 17), lines[at + 1 :])
    left_cxo = " ".join([lines[at], *wrapped])  # a long list wraps under itself
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
    out = capsys.readouterr().out
    # the attribution printed once: each step on one line, its three contributions side by side
    assert out.count("total (fund - benchmark)") == 1 and out.count("+ fees") == 1
    assert "arithmetic, total (bp)" in out


def test_report_preset_writes_the_regulator_sections(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--quiet", "--preset", "csrc"]) == 0
    html = (tmp_path / "tracking_report.html").read_text(encoding="utf-8")
    for title in (
        "Regulatory figures: csrc preset",
        "Breaches: csrc preset",
        "Calendar-year figures: csrc preset",
        "Quarterly-report periods (mainland section 3.2)",
        "Rebalance capacity at each review",
        "Largest review (2025-08-11): days to trade by code",
    ):
        assert title in html
    assert (tmp_path / "tracking_report.pdf").read_bytes()[:4] == b"%PDF"
    captured = capsys.readouterr()
    assert (
        "Regulatory figures (csrc)" in captured.out and "mean_abs_daily_deviation" in captured.out
    )
    assert "Glyph" not in captured.err


def test_report_preset_choices_are_the_presets(capsys):
    from engine.analytics.regulatory import PRESETS

    with pytest.raises(SystemExit) as stop:
        main(["report", "--preset", "fca"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert all(name in err for name in PRESETS)


# ---------------------------------------------------------------------- options and failures
def test_version(capsys):
    from engine import __version__

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"hsidi {__version__}"


def test_out_that_is_a_file_is_one_line_exit_2(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    assert main(["build", "--out", str(target), "--quiet", "--methodology", "hsidi"]) == 2
    assert str(target) in one_line_error(capsys, "build")
    assert target.read_text() == "not a folder"
    under = target / "sub"  # a folder below a file: the OS refuses to create it
    assert main(["build", "--out", str(under), "--quiet", "--methodology", "hsidi"]) == 2
    one_line_error(capsys, "build")


def test_out_without_permission_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):  # what the OS says for a folder without write permission
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked"))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    rc = main(
        ["build", "--out", str(tmp_path / "locked" / "o"), "--quiet", "--methodology", "hsidi"]
    )
    assert rc == 2
    line = one_line_error(capsys, "build")
    assert "Permission denied" in line and "locked" in line


def test_ctrl_c_is_one_line_exit_130(tmp_path, capsys, monkeypatch):
    import engine._commands as commands

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "build_variants", interrupted)
    assert main(["build", "--out", str(tmp_path / "o"), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "hsidi build: interrupted"
    assert not (tmp_path / "o").exists()


def test_methodology_path_names_outputs_by_file_stem(tmp_path, capsys, monkeypatch):
    from engine.rules import methodology_dir

    src = (methodology_dir() / "hsidi-2025-08.toml").read_text(encoding="utf-8")
    src = re.sub(r'(?m)^name = "hsidi-2025-08"', 'name = "x"', src)
    (tmp_path / "x.toml").write_text(src, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--out", "o", "--quiet", "--methodology", "./x.toml"]) == 0
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert "constituents_x.csv" in names and "index_levels_x.parquet" in names
    assert not [n for n in names if n.startswith("constituents_.")]


@pytest.fixture(scope="module")
def market_folder(tmp_path_factory):
    data = tmp_path_factory.mktemp("market") / "m"
    assert main(["export-data", "--out", str(data), "--format", "csv"]) == 0
    return data


def test_config_file_sets_fund_settings(tmp_path, capsys):
    cfg = tmp_path / "fund.toml"
    cfg.write_text("management_fee = 0.007\ncash_buffer = 0.01\n")
    out = tmp_path / "o"
    assert main(["backtest", "--out", str(out), "--quiet", "--config", str(cfg)]) == 0
    run = json.loads((out / "manifest.json").read_text())["runs"]["backtest"]
    assert run["fund_settings"]["management_fee"] == 0.007
    assert run["fund_settings"]["cash_buffer"] == 0.01
    costs = pd.read_parquet(out / "fund_costs.parquet")
    base = tmp_path / "base"
    assert main(["backtest", "--out", str(base), "--quiet"]) == 0
    fee, fee0 = (
        costs["management_fee_cny"].sum(),
        pd.read_parquet(base / "fund_costs.parquet")["management_fee_cny"].sum(),
    )
    assert fee / fee0 == pytest.approx(0.007 / 0.005, rel=0.05)  # NAVs differ a little
    bad = tmp_path / "bad.json"
    bad.write_text('{"managment_fee": 0.007}')
    assert main(["backtest", "--out", str(tmp_path / "b"), "--quiet", "--config", str(bad)]) == 2
    line = one_line_error(capsys, "backtest")
    assert "managment_fee" in line and "bad.json" in line


def test_benchmark_option_sets_the_fund_benchmark(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["backtest", "--out", str(out), "--quiet", "--benchmark", "gross"]) == 0
    run = json.loads((out / "manifest.json").read_text())["runs"]["backtest"]
    assert run["fund_settings"]["benchmark"] == "gross"  # contract E: EtfConfig.benchmark


def test_fx_file_is_the_valuation_fixing(tmp_path, capsys):
    from engine.data import default_market

    fx = default_market().fx * 1.01
    file = tmp_path / "fix.csv"
    fx.rename_axis("date").rename("hkd_cny").reset_index().to_csv(file, index=False)
    out = tmp_path / "o"
    assert main(["backtest", "--out", str(out), "--quiet", "--fx", str(file)]) == 0
    nav = pd.read_parquet(out / "fund_nav.parquet")
    assert np.allclose(nav["fx"].to_numpy(), fx.reindex(nav.index).to_numpy(), rtol=1e-12)


def test_no_verify_accepts_an_edited_folder(tmp_path, market_folder, capsys):
    data = tmp_path / "m"
    shutil.copytree(market_folder, data)
    prices = pd.read_csv(data / "prices.csv", dtype={"code": str})
    prices.loc[10, "close_hkd"] *= 1.01
    prices.to_csv(data / "prices.csv", index=False)
    args = ["build", "--data", str(data), "--quiet", "--methodology", "hsidi"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 2
    line = one_line_error(capsys, "build")
    assert "fingerprint" in line and "--no-verify" in line and "verify=False" not in line
    assert main([*args, "--out", str(tmp_path / "b"), "--no-verify"]) == 0


def test_cli_warnings_name_cli_options(tmp_path, market_folder, capsys):
    data = tmp_path / "m"
    shutil.copytree(market_folder, data)
    (data / "fx.csv").unlink()
    meta = json.loads((data / "meta.json").read_text())
    meta.pop("fingerprint", None)
    (data / "meta.json").write_text(json.dumps(meta))
    assert main(["build", "--data", str(data), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    err = capsys.readouterr().err
    warning = next(line for line in err.splitlines() if "placeholder" in line)
    assert warning.startswith("hsidi build: warning:")
    assert "--fx FILE" in warning and "fx=" not in warning


def test_verify_recomputes_and_detects_edits(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["build", "--out", str(out), "--quiet", "--methodology", "hsidi"]) == 0
    capsys.readouterr()
    assert main(["verify", str(out)]) == 0
    said = capsys.readouterr().out
    assert "build:" in said and "files match" in said
    levels = out / "index_levels_hsidi.csv"
    levels.write_text(levels.read_text().replace("3000.0", "3000.5", 1))
    assert main(["verify", str(out)]) == 1
    said = capsys.readouterr().out
    assert "MISMATCH" in said and "index_levels_hsidi.csv" in said
    assert main(["verify", str(tmp_path)]) == 2  # no manifest: one line, exit 2
    one_line_error(capsys, "verify")
