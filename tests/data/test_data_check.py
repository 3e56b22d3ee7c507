"""check_folder and ``hsidi check``: every problem of a data folder in one pass."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.cli import main
from engine.data import CheckReport, check_folder, write_folder
from engine.errors import DataError


def _broken(tmp_path, tiny_market):
    """A CSV folder with three different problems in three files."""
    folder = write_folder(tiny_market, tmp_path / "m", fmt="csv")
    px = pd.read_csv(folder / "prices.csv", dtype=str, keep_default_na=False)
    i = int(((px["code"] == "0013") & (px["date"] == "2024-01-18")).to_numpy().nonzero()[0][0])
    px.loc[i, "close_hkd"] = "-1.0"
    px.to_csv(folder / "prices.csv", index=False)
    act = pd.read_csv(folder / "actions.csv", dtype=str, keep_default_na=False)
    act.loc[0, "code"] = "9999"
    act.to_csv(folder / "actions.csv", index=False)
    iv = pd.read_csv(folder / "intervals.csv", dtype=str, keep_default_na=False)
    iv.loc[len(iv)] = ["1801", "hsci", "2024-01-15", ""]
    iv.to_csv(folder / "intervals.csv", index=False)
    return folder, i


def test_three_problems_are_all_listed(tmp_path, tiny_market):
    folder, i = _broken(tmp_path, tiny_market)
    rep = check_folder(folder)
    assert isinstance(rep, CheckReport) and not rep.ok
    p = rep.problems
    assert list(p.columns) == ["file", "row", "date", "code", "field", "message"]
    assert len(p) == 3, rep.lines()
    by_file = {
        str(f).rsplit("/", 1)[-1]: r for f, r in zip(p["file"], p.to_dict("records"), strict=True)
    }
    assert set(by_file) == {"prices.csv", "actions.csv", "intervals.csv"}
    px = by_file["prices.csv"]
    assert (px["row"], px["date"], px["code"], px["field"]) == (
        i,
        "2024-01-18",
        "0013",
        "close_hkd",
    )
    assert (
        "close price must be a positive number" in px["message"]
        and f"line={i + 2}" in px["message"]
    )
    assert (
        by_file["actions.csv"]["code"] == "9999"
        and "unknown code" in by_file["actions.csv"]["message"]
    )
    assert "overlaps" in by_file["intervals.csv"]["message"]
    assert rep.summary()["problems"] == 3 and "3 problem(s)" in repr(rep)


def test_many_bad_rows_are_listed_up_to_the_limit(tmp_path, tiny_market):
    folder = write_folder(tiny_market, tmp_path / "m", fmt="csv")
    px = pd.read_csv(folder / "prices.csv", dtype=str, keep_default_na=False)
    px.loc[:9, "free_float"] = "1.5"
    px.to_csv(folder / "prices.csv", index=False)
    rep = check_folder(folder, limit=4)
    assert len(rep.problems) == 5
    assert list(rep.problems["row"][:4]) == [0, 1, 2, 3]
    assert rep.problems["message"].iloc[4].endswith("6 more row(s)")


def test_clean_folder_and_plausibility_findings(tmp_path, tiny_market):
    folder = write_folder(tiny_market, tmp_path / "m", fmt="parquet")
    rep = check_folder(folder)
    assert rep.ok and rep.lines() == []
    # a 100x print is a problem for check (a build would only warn)
    frames = tiny_market.to_frames()
    px = frames["prices"]
    px.loc[(px["code"] == "0013") & (px["date"] == pd.Timestamp("2024-01-16")), "close_hkd"] *= 100
    from engine.data import MarketData

    bad = MarketData.from_frames(px, frames["securities"], fx=frames["fx"])
    rep = check_folder(write_folder(bad, tmp_path / "spike"))
    assert len(rep.problems) == 1 and "close that reverts" in rep.problems["message"][0]


def test_edited_clean_folder_fails_the_fingerprint(tmp_path, tiny_market):
    folder = write_folder(tiny_market, tmp_path / "m", fmt="csv")
    rel = pd.read_csv(folder / "relevance.csv", dtype=str, keep_default_na=False)
    rel.loc[0, "score"] = "0.5"
    rel.to_csv(folder / "relevance.csv", index=False)
    rep = check_folder(folder)
    assert len(rep.problems) == 1 and rep.problems["field"][0] == "fingerprint"


def test_unreadable_folder_raises(tmp_path):
    with pytest.raises(DataError, match="market folder not found"):
        check_folder(tmp_path / "nope")


def test_cli_check_exit_codes(tmp_path, tiny_market, capsys):
    clean = write_folder(tiny_market, tmp_path / "clean")
    assert main(["check", str(clean)]) == 0
    assert "no problems" in capsys.readouterr().out
    folder, i = _broken(tmp_path, tiny_market)
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if "source=" in line]) == 3
    assert any(f"row={i}, date=2024-01-18, code=0013, field=close_hkd" in line for line in out)
    assert main(["check", str(tmp_path / "missing")]) == 2
