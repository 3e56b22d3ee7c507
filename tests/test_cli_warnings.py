"""Warnings a CLI user sees: every warning the market and the results carry is printed on stderr
(one line each, ``--quiet`` or not), listed in ``index_summary.txt`` and the report, and ``--strict``
turns them into errors (exit 2, nothing written)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from engine.cli import main

SPIKE = "one-day jump in close that reverts the next session"


@pytest.fixture(scope="module")
def market_folder(tmp_path_factory):
    data = tmp_path_factory.mktemp("market") / "m"
    assert main(["export-data", "--out", str(data), "--format", "csv"]) == 0
    return data


@pytest.fixture(scope="module")
def spiked(market_folder, tmp_path_factory):
    """The default market with one close multiplied by 100 for one session (a misplaced decimal)."""
    data = tmp_path_factory.mktemp("spiked") / "m"
    shutil.copytree(market_folder, data)
    prices = pd.read_csv(data / "prices.csv", dtype={"code": str})
    prices.loc[500, "close_hkd"] *= 100
    prices.to_csv(data / "prices.csv", index=False)
    return data


def _warnings(err: str, command: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"hsidi {command}: warning: ")]


def test_price_spike_is_printed_as_its_own_line_under_quiet(spiked, tmp_path, capsys):
    out = tmp_path / "o"
    args = ["build", "--data", str(spiked), "--out", str(out), "--quiet", "--no-verify"]
    assert main([*args, "--methodology", "hsidi"]) == 0
    said = capsys.readouterr()
    lines = _warnings(said.err, "build")
    assert len(lines) == 1, said.err  # the market's warning, carried by the result too: once
    assert SPIKE in lines[0] and "row=500" in lines[0] and "prices.csv" in lines[0]
    assert SPIKE not in said.out  # stderr, not the summary on stdout
    summary = (out / "index_summary.txt").read_text()
    assert "Warnings (1: of the data" in summary
    listed = [line for line in summary.splitlines() if line.startswith("  - ")]
    assert len(listed) == 1 and SPIKE in listed[0] and "row=500" in listed[0]


def test_clean_market_has_no_warning_section(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["build", "--out", str(out), "--quiet", "--methodology", "hsidi", "--strict"]) == 0
    assert not _warnings(capsys.readouterr().err, "build")
    assert "Warnings (" not in (out / "index_summary.txt").read_text()


def test_strict_makes_a_carried_warning_an_error_before_anything_is_written(
    spiked, tmp_path, capsys
):
    out = tmp_path / "o"
    args = ["build", "--data", str(spiked), "--out", str(out), "--quiet", "--no-verify"]
    assert main([*args, "--methodology", "hsidi", "--strict"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hsidi build: error: (--strict"), err
    assert SPIKE in lines[0]
    assert not out.exists()


def test_strict_makes_a_python_warning_an_error(market_folder, tmp_path, capsys):
    data = tmp_path / "m"
    shutil.copytree(market_folder, data)
    (data / "fx.csv").unlink()  # the placeholder fixing: a warning raised while reading
    meta = json.loads((data / "meta.json").read_text())
    meta.pop("fingerprint", None)
    (data / "meta.json").write_text(json.dumps(meta))
    out = tmp_path / "o"
    args = ["backtest", "--data", str(data), "--out", str(out), "--quiet", "--strict"]
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hsidi backtest: error: (--strict")
    assert "placeholder" in lines[0] and "--fx FILE" in lines[0]
    assert not out.exists()


def test_report_lists_the_warnings_and_the_cli_prints_them(spiked, tmp_path, capsys):
    out = tmp_path / "o"
    args = ["report", "--data", str(spiked), "--out", str(out), "--quiet", "--no-verify"]
    assert main(args) == 0
    lines = _warnings(capsys.readouterr().err, "report")
    assert len(lines) == 1 and SPIKE in lines[0]
    html = (out / "tracking_report.html").read_text(encoding="utf-8")
    assert SPIKE in html


@pytest.mark.parametrize(
    "argv",
    [["build"], ["backtest"], ["report"], ["demo"], ["compare", "hsidi-2023-05", "hsidi"]],
    ids=lambda a: a[0],
)
def test_every_command_checks_out_before_any_work(argv, tmp_path, capsys, monkeypatch):
    import engine._commands as commands

    def no_work(args):
        raise AssertionError("the market was read before --out was checked")

    monkeypatch.setattr(commands, "_read_market", no_work)
    taken = tmp_path / "taken"
    taken.write_text("a file")
    assert main([*argv, "--out", str(taken), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hsidi {argv[0]}: error:")
    assert str(taken) in lines[0]


def test_every_command_with_an_output_set_is_checked():
    """Every command that writes an ``--out`` output set is one ``main`` checks first."""
    from engine._verify import RERUNNABLE
    from engine.cli import make_parser

    parser = make_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    writing = {
        name
        for name, sub in commands.items()
        if any(a.dest == "out" for a in sub._actions) and name != "export-data"
    }
    assert writing == set(RERUNNABLE)


def test_a_python_warning_is_listed_and_verify_reproduces_the_list(market_folder, tmp_path, capsys):
    data = tmp_path / "m"
    shutil.copytree(market_folder, data)
    (data / "fx.csv").unlink()  # the placeholder fixing: a Python warning, not a carried one
    meta = json.loads((data / "meta.json").read_text())
    meta.pop("fingerprint", None)
    (data / "meta.json").write_text(json.dumps(meta))
    out = tmp_path / "o"
    args = ["build", "--data", str(data), "--out", str(out), "--quiet"]
    assert main([*args, "--methodology", "hsidi-2025-08"]) == 0
    lines = _warnings(capsys.readouterr().err, "build")
    assert len(lines) == 1 and "placeholder" in lines[0]
    listed = [
        x for x in (out / "index_summary.txt").read_text().splitlines() if x.startswith("  - ")
    ]
    assert len(listed) == 1 and "placeholder" in listed[0] and "--fx FILE" in listed[0]
    assert main(["verify", str(out)]) == 0  # the rerun meets the same warning: same summary file
    assert "files match" in capsys.readouterr().out
