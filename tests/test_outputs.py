"""A run's outputs: written as a set (a failed or killed run leaves the previous set whole), with
provenance in a manifest and in Parquet metadata, byte-identical on rerun, CSVs a reader can load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import engine._commands as commands
from engine._files import parquet_provenance, read_manifest, sha256_file
from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
BUILD = ["build", "--quiet", "--methodology", "hsidi"]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_manifest_and_parquet_record_provenance(tmp_path, capsys):
    from engine import __version__

    out = tmp_path / "o"
    assert main(["backtest", "--out", str(out), "--quiet"]) == 0
    run = read_manifest(out)["runs"]["backtest"]
    assert run["engine_version"] == __version__
    assert run["command"] == f"hsidi backtest --out {out} --quiet"
    assert len(run["data_fingerprint"]) == 16 and len(run["fund_settings_hash"]) == 16
    assert run["methodology"]["hsidi"]["hash"]
    files = sorted(p.name for p in out.iterdir() if p.name != "manifest.json")
    assert sorted(run["files"]) == files
    assert all(sha256_file(out / f) == h for f, h in run["files"].items())
    meta = parquet_provenance(out / "fund_nav.parquet")
    for key in ("engine_version", "data_fingerprint", "fund_settings_hash", "command"):
        assert meta[key] == run[key]
    assert meta["methodology"] == run["methodology"]


def test_csv_outputs_have_named_columns_and_text_codes(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["backtest", "--out", str(out), "--quiet"]) == 0
    for csv in out.glob("*.csv"):
        header = csv.read_text().splitlines()[0].split(",")
        assert all(header), f"{csv.name} has an unnamed column: {header[:3]}"
    assert "0013" in (out / "fund_holdings.csv").read_text().splitlines()[0].split(",")
    trades = pd.read_csv(out / "fund_trades.csv", dtype={"code": str})
    assert trades["code"].str.fullmatch(r"\d{4}").all()
    costs = pd.read_csv(out / "fund_costs.csv")
    assert [c for c in costs.columns if c != "date"] and all(
        c.endswith("_cny") for c in costs.columns if c != "date"
    )


def test_failure_mid_set_leaves_the_previous_set(tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    assert main([*BUILD, "--out", str(out)]) == 0
    before = _snapshot(out)
    real = commands.write_text

    def fail_after_tables(*args, **kwargs):  # the tables and the figure are staged by now
        raise OSError(28, "No space left on device", "index_summary.txt")

    monkeypatch.setattr(commands, "write_text", fail_after_tables)
    assert main([*BUILD, "--out", str(out), "--methodology", "hsidi-2025-08"]) == 2
    monkeypatch.setattr(commands, "write_text", real)
    assert _snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name != "o"]  # no staged folder left


def test_outputs_of_other_commands_are_kept_and_reruns_replace_their_own(tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*BUILD, "--out", str(out), "--methodology", "hsidi-2025-08"]) == 0
    assert main(["backtest", "--out", str(out), "--quiet"]) == 0
    runs = read_manifest(out)["runs"]
    assert set(runs) == {"build", "backtest"}
    assert (out / "index_levels_hsidi-2025-08.csv").exists() and (out / "fund_nav.csv").exists()
    assert main([*BUILD, "--out", str(out)]) == 0  # build again, with other variants
    names = {p.name for p in out.iterdir()}
    assert "index_levels_hsidi-2025-08.csv" not in names  # the previous build's files went
    assert "fund_nav.csv" in names and "index_levels_hsidi.csv" in names
    assert set(read_manifest(out)["runs"]["build"]["files"]) == {
        n for n in names if n.startswith(("index_", "constituents_"))
    }


def test_stale_temporary_files_are_cleaned(tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*BUILD, "--out", str(out)]) == 0
    (out / ".index_levels_hsidi.csv.abc123.tmp").write_text("debris")
    stage = tmp_path / ".o.x1y2z3.tmp"
    stage.mkdir()
    (stage / "index_levels_hsidi.csv").write_text("half")
    assert main([*BUILD, "--out", str(out)]) == 0
    assert not list(out.glob(".*.tmp")) and not stage.exists()


def test_foreign_folder_is_refused(tmp_path, capsys):
    (tmp_path / "thesis.docx").write_text("mine")
    assert main([*BUILD, "--out", str(tmp_path)]) == 2
    assert "thesis.docx" in capsys.readouterr().err
    assert (tmp_path / "thesis.docx").read_text() == "mine"


@pytest.mark.slow
def test_killed_run_leaves_the_whole_previous_set(tmp_path):
    out = tmp_path / "o"
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "engine.cli", *BUILD, "--out", str(out)]
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=600)
    before = _snapshot(out)
    proc = subprocess.Popen(
        [*cmd[:-2], "--methodology", "hsidi-2025-08", "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:  # kill while the new set is being staged
            stages = [p for p in tmp_path.glob(".o.*.tmp") if any(p.iterdir())]
            if stages:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the run never staged a file")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _snapshot(out) == before
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=600)
    assert not list(tmp_path.glob(".o.*.tmp"))


@pytest.mark.slow
def test_reruns_are_byte_identical(tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["report", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    assert main([*BUILD, "--out", str(out)]) == 0
    first = _snapshot(out)
    assert {"tracking_report.pdf", "tracking_report.html", "index_levels.png"} <= set(first)
    time.sleep(1.1)  # a clock-dependent stamp would differ now
    assert main(argv) == 0
    assert main([*BUILD, "--out", str(out)]) == 0
    second = _snapshot(out)
    assert second.keys() == first.keys()
    assert [n for n in first if first[n] != second[n]] == []
