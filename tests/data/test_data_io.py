"""Canonical market folders: round trips, atomic writes, and every read error."""

from __future__ import annotations

import csv
import io
import json
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.markets import market_from_tables, tiny_market_frames

from engine.data import io as dio
from engine.data.calendar import hkex_sessions
from engine.data.check import check_folder
from engine.data.io import read_folder, read_meta, write_folder
from engine.data.market import MarketData
from engine.errors import CalendarError, DataError

FMTS = ["parquet", "csv"]


def _listing(path):
    return sorted(p.name for p in path.iterdir())


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("fmt", FMTS)
def test_round_trip_keeps_fingerprint_and_values(tmp_path, tiny_market, fmt):
    out = write_folder(tiny_market, tmp_path / "mkt", fmt=fmt)
    assert _listing(out) == sorted([f"{t}.{fmt}" for t in dio.TABLES] + ["meta.json"])
    back = read_folder(out)
    assert back.fingerprint() == tiny_market.fingerprint()
    assert back.codes == ["0013", "1801", "2269", "6160"]
    np.testing.assert_array_equal(back.close_hkd, tiny_market.close_hkd)
    np.testing.assert_array_equal(back.suspended, tiny_market.suspended)
    pd.testing.assert_frame_equal(back.securities, tiny_market.securities)
    assert back.source == str(out)
    assert not back.synthetic


@pytest.mark.parametrize("fmt", FMTS)
def test_meta_json_contents(tmp_path, tiny_market, fmt):
    from engine import __version__

    out = write_folder(tiny_market, tmp_path / "mkt", fmt=fmt)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["format_version"] == dio.FORMAT_VERSION == 1
    assert meta["format"] == fmt
    assert meta["fingerprint"] == tiny_market.fingerprint()
    assert meta["engine_version"] == __version__
    assert meta["source"] == "tiny"
    assert meta["synthetic"] is False and meta["adjusted"] is False
    assert meta["rows"]["prices"] == int(tiny_market.listed().sum())
    assert meta["sessions"] == ["2024-01-02", "2024-01-31"]
    assert read_meta(out) == meta


@pytest.mark.parametrize("fmt", FMTS)
def test_fx_placeholder_survives_round_trip(tmp_path, tiny_frames, fmt):
    tiny_frames["fx"] = None
    with pytest.warns(UserWarning, match="placeholder fixing 1.0"):
        m = market_from_tables(tiny_frames, source="nofx")
    out = write_folder(m, tmp_path / "m", fmt=fmt)
    assert json.loads((out / "meta.json").read_text())["fx_placeholder"] is True
    with pytest.warns(UserWarning, match=r"every CNY figure .* equals the HKD figure"):
        back = read_folder(out)
    assert back.fx_is_placeholder and back.fingerprint() == m.fingerprint()
    # a real fixing stays real
    real = read_folder(
        write_folder(market_from_tables(tiny_market_frames()), tmp_path / "r", fmt=fmt)
    )
    assert not real.fx_is_placeholder
    assert json.loads((tmp_path / "r" / "meta.json").read_text())["fx_placeholder"] is False


def test_synthetic_flag_survives(tmp_path, tiny_frames):
    m = market_from_tables(tiny_frames, synthetic=True, source="default_market")
    back = read_folder(write_folder(m, tmp_path / "m", fmt="csv"))
    assert back.synthetic and "SYNTHETIC" in repr(back)


def test_adjusted_mark_survives(tmp_path, tiny_frames):
    m = market_from_tables(tiny_frames, source="adjusted:yfinance")
    back = read_folder(write_folder(m, tmp_path / "m"))
    assert back.is_adjusted and back.source == f"adjusted:{tmp_path / 'm'}"


def test_csv_keeps_codes_as_text(tmp_path, tiny_market):
    out = write_folder(tiny_market, tmp_path / "m", fmt="csv")
    lines = (out / "securities.csv").read_text().splitlines()
    assert lines[0].startswith("code,name,")
    assert lines[1].startswith("0013,Hutchmed,")
    # quoting of a comma and of quotes inside names
    assert '"Innovent, Inc."' in lines[2]
    assert read_folder(out).securities["name"].tolist()[3] == 'BeiGene "B"'
    prices = (out / "prices.csv").read_text().splitlines()
    assert prices[1] == "2024-01-02,0013,40.0,870000000.0,0.62,150000000.0,false"


def test_csv_floats_round_trip_exactly(tmp_path, tiny_frames):
    # awkward binary fractions must come back bit for bit
    px = tiny_frames["prices"].sort_values(["code", "date"]).reset_index(drop=True)
    rng = np.random.default_rng(7)
    px["close_hkd"] = rng.uniform(0.01, 500, len(px)) / 3.0
    px["free_float"] = rng.uniform(1e-6, 1.0, len(px))
    for i in np.flatnonzero(px["suspended"].to_numpy()):
        px.loc[i, "close_hkd"] = px.loc[i - 1, "close_hkd"]  # a suspended day carries the close
    m = market_from_tables({**tiny_frames, "prices": px, "actions": None})
    back = read_folder(write_folder(m, tmp_path / "m", fmt="csv"))
    np.testing.assert_array_equal(back.close_hkd, m.close_hkd)
    np.testing.assert_array_equal(back.free_float, m.free_float)
    assert back.fingerprint() == m.fingerprint()


def _random_market(seed: int, n_sec: int, n_days: int, with_tables: bool) -> MarketData:
    rng = np.random.default_rng(seed)
    dates = hkex_sessions("2023-03-01", "2023-12-29")[:n_days]
    codes = [f"{c:04d}" for c in rng.choice(9999, n_sec, replace=False) + 1]
    rows = []
    sec = []
    for code in codes:
        first = int(rng.integers(0, n_days))
        close = float(rng.uniform(0.1, 300.0))
        for t in range(first, n_days):
            susp = bool(rng.random() < 0.1) and t > first
            if not susp:
                close = close * float(np.exp(rng.normal(0, 0.03)))
            rows.append(
                (
                    dates[t],
                    code,
                    close,
                    float(rng.uniform(1e6, 1e10)),
                    float(rng.uniform(0.05, 1.0)),
                    0.0 if susp else float(rng.uniform(0, 1e9)),
                    susp,
                )
            )
        sec.append(
            {
                "code": code,
                "name": f"N{code}",
                "industry": "Biotechnology",
                "sub_industry": "",
                "is_cxo": bool(rng.random() < 0.3),
                "is_18a": bool(rng.random() < 0.5),
                "listing_date": dates[first] if first else pd.Timestamp("2015-01-05"),
                "delisting_date": pd.NaT,
                "board_lot": int(rng.choice([100, 500, 1000])),
                "wht_class": "H",
            }
        )
    prices = pd.DataFrame(rows, columns=dio.COLUMNS["prices"])
    kw = {}
    if with_tables:
        kw["relevance"] = pd.DataFrame(
            {"as_of": dates[0], "code": codes, "score": rng.random(n_sec)}
        )
        kw["intervals"] = pd.DataFrame(
            {"code": codes, "kind": "hsci", "start": dates[0], "end": pd.NaT}
        )
        kw["fx"] = pd.Series(rng.uniform(0.85, 0.95, n_days), index=dates)
    return MarketData.from_frames(prices, pd.DataFrame(sec), source=f"random-{seed}", **kw)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_sec=st.integers(1, 5),
    n_days=st.integers(1, 30),
    with_tables=st.booleans(),
    fmt=st.sampled_from(FMTS),
)
def test_round_trip_property(tmp_path_factory, seed, n_sec, n_days, with_tables, fmt):
    m = _random_market(seed, n_sec, n_days, with_tables)
    out = write_folder(m, tmp_path_factory.mktemp("rt") / "m", fmt=fmt)
    back = read_folder(out)
    assert back.fingerprint() == m.fingerprint()
    np.testing.assert_array_equal(back.close_hkd, m.close_hkd)
    assert back.codes == m.codes


# --------------------------------------------------------------------------- overwrite and atomicity
def test_overwrite_switches_format_and_removes_stale_files(tmp_path, tiny_market, tiny_frames):
    out = write_folder(tiny_market, tmp_path / "m", fmt="csv")
    other = market_from_tables({**tiny_frames, "actions": None})
    write_folder(other, out, fmt="parquet")
    assert _listing(out) == sorted([f"{t}.parquet" for t in dio.TABLES] + ["meta.json"])
    assert read_folder(out).fingerprint() == other.fingerprint()


def test_refuses_foreign_folder(tmp_path, tiny_market):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="refusing to write into a non-empty folder"):
        write_folder(tiny_market, tmp_path)
    assert _listing(tmp_path) == ["notes.txt"]


def test_refuses_a_file_as_target(tmp_path, tiny_market):
    (tmp_path / "m").write_text("x")
    with pytest.raises(DataError, match="target exists and is not a folder"):
        write_folder(tiny_market, tmp_path / "m")


def test_unknown_format(tmp_path, tiny_market):
    with pytest.raises(DataError, match="unknown folder format.*value='xlsx'"):
        write_folder(tiny_market, tmp_path / "m", fmt="xlsx")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("fmt", FMTS)
def test_failure_mid_write_leaves_old_folder_intact(
    tmp_path, tiny_market, tiny_frames, monkeypatch, fmt
):
    out = write_folder(tiny_market, tmp_path / "m", fmt=fmt)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = dio._write_table
    calls = []

    def flaky(frame, target, f):
        calls.append(target.name)
        if len(calls) == 3:
            # leave a partial file behind, as a crash halfway through a write would
            target.write_bytes(b"partial")
            raise OSError("disk full")
        real(frame, target, f)

    monkeypatch.setattr(dio, "_write_table", flaky)
    changed = market_from_tables({**tiny_frames, "relevance": None})
    with pytest.raises(OSError, match="disk full"):
        write_folder(changed, out, fmt=fmt)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _listing(tmp_path) == ["m"]  # the temporary folder is gone
    assert read_folder(out).fingerprint() == tiny_market.fingerprint()


def test_failure_while_creating_a_new_folder_leaves_nothing(tmp_path, tiny_market, monkeypatch):
    def boom(frame, target, f):
        raise OSError("interrupted")

    monkeypatch.setattr(dio, "_write_table", boom)
    with pytest.raises(OSError):
        write_folder(tiny_market, tmp_path / "new")
    assert _listing(tmp_path) == []


def test_interrupted_commit_is_detected_by_the_fingerprint(
    tmp_path, tiny_market, tiny_frames, monkeypatch
):
    out = write_folder(tiny_market, tmp_path / "m", fmt="parquet")
    real_replace = os.replace
    n = {"calls": 0}

    def flaky_replace(src, dst):
        n["calls"] += 1
        if n["calls"] == 2:  # prices replaced, the rest (meta.json included) not
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(dio.os, "replace", flaky_replace)
    tiny_frames["prices"]["close_hkd"] *= 2.0
    changed = market_from_tables(tiny_frames)
    with pytest.raises(OSError):
        write_folder(changed, out)
    monkeypatch.undo()
    assert not any(p.name.endswith(".tmp") or ".tmp-" in p.name for p in tmp_path.iterdir())
    with pytest.raises(
        DataError, match=r"does not match the fingerprint in meta\.json .*source=.*meta\.json"
    ):
        read_folder(out)
    # the files are individually whole: reading without verification works
    assert read_folder(out, verify=False).fingerprint() != tiny_market.fingerprint()


# --------------------------------------------------------------------------- read errors
@pytest.fixture
def csv_folder(tmp_path, tiny_market):
    return write_folder(tiny_market, tmp_path / "m", fmt="csv")


def _edit_line(path, line_no, old, new):
    lines = path.read_text().splitlines()
    assert old in lines[line_no - 1]
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    path.write_text("\n".join(lines) + "\n")


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="market folder not found"):
        read_folder(tmp_path / "nope")


@pytest.mark.parametrize("table", ["prices", "securities"])
def test_missing_required_file(csv_folder, table):
    (csv_folder / f"{table}.csv").unlink()
    with pytest.raises(DataError, match=rf"missing required file \(source=.*{table}\.csv\)"):
        read_folder(csv_folder)


def test_optional_files_may_be_absent(csv_folder, tiny_market):
    for t in ("actions", "intervals", "relevance", "fx"):
        (csv_folder / f"{t}.csv").unlink()
    (csv_folder / "meta.json").unlink()
    m = read_folder(csv_folder)
    assert len(m.actions) == 0 and len(m.intervals) == 0 and (m.fx == 1.0).all()
    np.testing.assert_array_equal(m.close_hkd, tiny_market.close_hkd)


def test_no_prices_file_at_all(tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(DataError, match=r"missing required file \(source=.*prices\.parquet\)"):
        read_folder(tmp_path / "m")


def test_both_formats_without_meta_is_ambiguous(tmp_path, tiny_market):
    a = write_folder(tiny_market, tmp_path / "a", fmt="csv")
    b = write_folder(tiny_market, tmp_path / "b", fmt="parquet")
    (a / "prices.parquet").write_bytes((b / "prices.parquet").read_bytes())
    assert read_folder(a).fingerprint() == tiny_market.fingerprint()  # meta.json says csv
    (a / "meta.json").unlink()
    with pytest.raises(DataError, match="both prices.parquet and prices.csv"):
        read_folder(a)


def test_table_in_the_other_format(csv_folder):
    (csv_folder / "fx.csv").rename(csv_folder / "fx.parquet")
    with pytest.raises(DataError, match=r"found fx\.parquet but this folder's format is csv"):
        read_folder(csv_folder)


def test_unparseable_number_names_file_row_line_field(csv_folder, tiny_market):
    # line 5 of prices.csv is data row 3: 2024-01-03, 0013
    _edit_line(csv_folder / "prices.csv", 5, "40.5,", "4O.5,")
    with pytest.raises(
        DataError,
        match=r"not a number \(source=.*prices\.csv, row=3, code=0013, field=close_hkd, value='4O\.5', line=5\)",
    ):
        read_folder(csv_folder)


def test_unparseable_date_names_file_row_line_field(csv_folder):
    _edit_line(csv_folder / "prices.csv", 5, "2024-01-03", "2024-13-03")
    with pytest.raises(
        DataError,
        match=r"unparseable date \(source=.*prices\.csv, row=3, code=0013, field=date, value='2024-13-03', line=5\)",
    ):
        read_folder(csv_folder)


def test_bad_boolean_in_csv(csv_folder):
    _edit_line(csv_folder / "securities.csv", 3, "false,true", "nope,true")
    with pytest.raises(
        DataError,
        match=r"not a boolean \(source=.*securities\.csv, row=1, code=1801, field=is_cxo, value='nope', line=3\)",
    ):
        read_folder(csv_folder)


def test_validation_error_names_the_file(csv_folder):
    _edit_line(csv_folder / "prices.csv", 5, ",0.62,", ",1.62,")
    with pytest.raises(
        DataError,
        match=r"free-float factor must lie in \(0, 1\] \(source=.*prices\.csv, row=3, date=2024-01-03, code=0013, field=free_float, value=1\.62, line=5\)",
    ):
        read_folder(csv_folder, verify=False)


def test_off_calendar_date_in_file(csv_folder):
    _edit_line(csv_folder / "prices.csv", 5, "2024-01-03", "2024-01-06")
    with pytest.raises(CalendarError, match=r"prices\.csv row 3, line 5, date=2024-01-06"):
        read_folder(csv_folder, verify=False)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (
            "date,code,close,shares,free_float,traded_value_hkd,suspended",
            r"missing \['close_hkd'\]; unexpected \['close'\]",
        ),
        (
            "date,code,close_hkd,shares,free_float,traded_value_hkd,suspended,note",
            r"unexpected \['note'\]",
        ),
        (
            "date,code,close_hkd,shares,free_float,free_float,suspended",
            r"missing \['traded_value_hkd'\]; duplicated \['free_float'\]",
        ),
    ],
)
def test_wrong_columns(csv_folder, header, match):
    path = csv_folder / "prices.csv"
    lines = path.read_text().splitlines()
    if header.endswith(",note"):
        lines = [lines[0] + ",note"] + [ln + "," for ln in lines[1:]]
    else:
        lines[0] = header
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"wrong columns: {match}.*source=.*prices\.csv"):
        read_folder(csv_folder)


def test_ragged_csv_line(csv_folder):
    path = csv_folder / "fx.csv"
    text = path.read_text()
    path.write_text(text + "2024-02-01,0.91,extra\n")
    line = len(text.splitlines()) + 1
    with pytest.raises(
        DataError, match=rf"line {line} has 3 fields, the header has 2 .*source=.*fx\.csv"
    ):
        read_folder(csv_folder)


@pytest.mark.parametrize("table", ["prices", "securities", "actions", "fx"])
def test_short_line_in_the_middle_of_a_csv(csv_folder, table):
    """A line with fewer fields than the header anywhere in the file (not only a cut last line) is
    an error naming the file, the line and both counts; before, pandas filled the missing fields
    with empty text and a later check blamed whichever field was blank, or nothing noticed."""
    path = csv_folder / f"{table}.csv"
    lines = path.read_text().splitlines()
    width = len(lines[0].split(","))
    k = 2  # the second data line, on line 3
    fields = next(csv.reader([lines[k]]))
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields[:-1])
    lines[k] = out.getvalue()  # its last field and that field's comma lost
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        read_folder(csv_folder)
    msg = str(err.value)
    got = "field" if width - 1 == 1 else "fields"
    assert f"line 3 has {width - 1} {got}, the header has {width}" in msg
    assert f"{table}.csv" in msg and "row=1" in msg and "line=3" in msg
    # hsidi check reports it in its one pass, beside any other problem
    found = check_folder(csv_folder).problems["message"]
    assert any(f"line 3 has {width - 1} {got}," in m and f"{table}.csv" in m for m in found)


def test_short_line_with_a_quoted_line_end_names_the_physical_line(csv_folder):
    path = csv_folder / "securities.csv"
    lines = path.read_text().splitlines()
    head = lines[0].split(",")
    name = head.index("name")
    first = next(csv.reader([lines[1]]))
    first[name] = "two\nlines"
    second = next(csv.reader([lines[2]]))[:-1]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([head, first, second])
    path.write_text(out.getvalue() + "\n".join(lines[3:]) + "\n")
    with pytest.raises(DataError, match=rf"line 4 has {len(head) - 1} fields.*row=1,.*line=4"):
        read_folder(csv_folder)


def test_empty_csv(csv_folder):
    (csv_folder / "relevance.csv").write_text("")
    with pytest.raises(DataError, match=r"empty file .*source=.*relevance\.csv"):
        read_folder(csv_folder)


def test_damaged_parquet(tmp_path, tiny_market):
    out = write_folder(tiny_market, tmp_path / "m")
    (out / "prices.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"unreadable Parquet file .*source=.*prices\.parquet"):
        read_folder(out)


def test_parquet_wrong_columns(tmp_path, tiny_market):
    out = write_folder(tiny_market, tmp_path / "m")
    fx = pd.read_parquet(out / "fx.parquet").rename(columns={"hkd_cny": "rate"})
    fx.to_parquet(out / "fx.parquet")
    with pytest.raises(
        DataError, match=r"wrong columns: missing \['hkd_cny'\]; unexpected \['rate'\].*fx\.parquet"
    ):
        read_folder(out)


def test_parquet_integer_codes_are_padded(tmp_path, tiny_market):
    out = write_folder(tiny_market, tmp_path / "m")
    for t in ("prices", "securities", "actions", "intervals", "relevance"):
        f = pd.read_parquet(out / f"{t}.parquet")
        f["code"] = f["code"].astype(int)
        f.to_parquet(out / f"{t}.parquet")
    assert read_folder(out).fingerprint() == tiny_market.fingerprint()


def test_hand_edit_is_caught_then_accepted(csv_folder, tiny_market):
    _edit_line(csv_folder / "prices.csv", 5, "40.5,", "40.25,")
    with pytest.raises(DataError, match="does not match the fingerprint"):
        read_folder(csv_folder)
    m = read_folder(csv_folder, verify=False)
    assert m.panel("close").loc["2024-01-03", "0013"] == 40.25


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "unreadable meta.json"),
        ("[1, 2]", "meta.json is not a JSON object"),
        ('{"format_version": 99}', r"unsupported folder format version .*value=99"),
        ('{"format": "xlsx"}', r"unknown folder format in meta.json .*value='xlsx'"),
    ],
)
def test_bad_meta(csv_folder, text, match):
    (csv_folder / "meta.json").write_text(text)
    with pytest.raises(DataError, match=match):
        read_folder(csv_folder)


def test_blank_line_in_csv_is_reported(csv_folder):
    path = csv_folder / "intervals.csv"
    lines = path.read_text().splitlines()
    lines.insert(2, "")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"intervals\.csv, row=1.*line=3"):
        read_folder(csv_folder)


def test_tiny_frames_builder_is_deterministic():
    assert (
        market_from_tables(tiny_market_frames()).fingerprint()
        == market_from_tables(tiny_market_frames()).fingerprint()
    )


def test_csv_with_bom_and_windows_line_ends(csv_folder, tiny_market):
    for p in csv_folder.glob("*.csv"):
        text = p.read_text()
        p.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    assert read_folder(csv_folder).fingerprint() == tiny_market.fingerprint()


def test_relative_path(tmp_path, tiny_market, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = write_folder(tiny_market, "rel", fmt="csv")
    assert out == tmp_path / "rel" and _listing(tmp_path) == ["rel"]
    assert read_folder("rel").fingerprint() == tiny_market.fingerprint()


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.lists(st.sampled_from(["a", "", "1.5", " ", "0013"]), max_size=4), max_size=6
    ),
    sep=st.sampled_from(["\n", "\r\n"]),
    end=st.booleans(),
    bom=st.booleans(),
)
def test_byte_field_counts_agree_with_the_csv_module(tmp_path_factory, lines, sep, end, bom):
    """The byte-level count of fields per line (files without quotes) is what csv.reader reads."""
    text = sep.join(",".join(fields) for fields in lines) + (sep if end else "")
    path = tmp_path_factory.mktemp("fc") / "x.csv"
    path.write_bytes((("\ufeff" if bom else "") + text).encode("utf-8"))
    with open(path, encoding="utf-8-sig", newline="") as fh:
        want = [len(r) for r in csv.reader(fh)]
    assert dio._field_counts_unquoted(path).tolist() == want
