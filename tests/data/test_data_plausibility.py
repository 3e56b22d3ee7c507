"""Plausibility and consistency: each input here was accepted without a word before (issue 7 §7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.markets import market_from_tables

from engine.data import Plausibility, read_folder, write_folder
from engine.data.vendors import market_from_adjusted_closes, read_yfinance_csv
from engine.errors import DataError

STRICT = Plausibility(on_finding="error")


def _row(px, date, code):
    (i,) = np.flatnonzero(((px["date"] == pd.Timestamp(date)) & (px["code"] == code)).to_numpy())
    return int(i)


# --------------------------------------------------------------------------- one-day spikes
def test_clean_market_has_no_warnings_and_warnings_do_not_change_the_fingerprint(tiny_frames):
    m = market_from_tables(tiny_frames)
    assert m.warnings == ()
    again = market_from_tables(tiny_frames, warnings=["a note"])
    assert again.warnings == ("a note",) and again.fingerprint() == m.fingerprint()


def test_hundredfold_price_print_that_reverts(tiny_frames):
    px = tiny_frames["prices"]
    i = _row(px, "2024-01-16", "0013")
    px.loc[i, "close_hkd"] *= 100
    m = market_from_tables(tiny_frames)  # default: a warning the market carries
    (w,) = m.warnings
    assert "one-day jump in close that reverts" in w
    assert f"row={i}, date=2024-01-16, code=0013, field=close_hkd" in w
    with pytest.raises(
        DataError, match=rf"close that reverts.*row={i}, date=2024-01-16, code=0013"
    ):
        market_from_tables(tiny_frames, plausibility=STRICT)
    # below the threshold, or switched off: nothing
    assert (
        market_from_tables(tiny_frames, plausibility=Plausibility(price_spike_ratio=200)).warnings
        == ()
    )
    assert market_from_tables(tiny_frames, plausibility=Plausibility.off()).warnings == ()


def test_a_lasting_move_is_not_a_spike(tiny_frames):
    px = tiny_frames["prices"]
    later = (px["code"] == "0013") & (px["date"] >= pd.Timestamp("2024-01-16"))
    px.loc[later, "close_hkd"] *= 10  # a re-rating that stays is not reverted
    assert not any("close" in w for w in market_from_tables(tiny_frames).warnings)


def test_spike_in_a_folder_survives_write_and_read(tmp_path, tiny_frames):
    px = tiny_frames["prices"]
    i = _row(px, "2024-01-16", "0013")
    px.loc[i, "close_hkd"] *= 100
    m = market_from_tables(tiny_frames)
    for fmt in ("csv", "parquet"):
        back = read_folder(write_folder(m, tmp_path / fmt, fmt=fmt))
        assert back.warnings and all("close that reverts" in w for w in back.warnings)
        assert back.fingerprint() == m.fingerprint()
        with pytest.raises(DataError, match="close that reverts"):
            read_folder(tmp_path / fmt, plausibility=STRICT)


def test_one_day_jump_in_issued_shares(tiny_frames):
    px = tiny_frames["prices"]
    i = _row(px, "2024-01-18", "2269")
    px.loc[i, "shares"] *= 3
    (w,) = market_from_tables(tiny_frames).warnings
    assert "one-day jump in issued shares" in w and "code=2269, field=shares" in w
    with pytest.raises(DataError, match=r"issued shares that reverts.*date=2024-01-18, code=2269"):
        market_from_tables(tiny_frames, plausibility=STRICT)


def test_lasting_share_change_without_an_action_warns_but_a_split_explains_it(tiny_frames):
    # 1801's shares double on its 2-for-1 split: explained, nothing said
    assert market_from_tables(tiny_frames, plausibility=STRICT).warnings == ()
    px = tiny_frames["prices"]
    later = (px["code"] == "0013") & (px["date"] >= pd.Timestamp("2024-01-24"))
    px.loc[later, "shares"] *= 4
    (w,) = market_from_tables(tiny_frames, plausibility=STRICT).warnings  # always a warning
    assert "no split, bonus or rights" in w and "date=2024-01-24, code=0013" in w


def test_vendor_closes_spike(tmp_path):
    lines = ["Date,Open,High,Low,Close,Volume"]
    days = pd.bdate_range("2024-03-04", periods=8)
    for k, d in enumerate(days):
        close = 20.0 + k if k != 4 else 2000.0 + k
        lines.append(f"{d:%Y-%m-%d} 00:00:00+08:00,{close},{close},{close},{close},1000")
    f = tmp_path / "2269.HK.csv"
    f.write_text("\n".join(lines) + "\n")
    frame = read_yfinance_csv(f)
    m = market_from_adjusted_closes(frame, fx=pd.Series(0.92, index=frame["date"]))
    assert any("close that reverts" in w and "2024-03-08" in w for w in m.warnings)
    with pytest.raises(DataError, match="close that reverts"):
        market_from_adjusted_closes(
            frame, fx=pd.Series(0.92, index=frame["date"]), plausibility=STRICT
        )


# --------------------------------------------------------------------------- rights
def _rights(frames, price):
    act = frames["actions"]
    row = {
        "ex_date": pd.Timestamp("2024-01-17"),
        "code": "0013",
        "kind": "rights",
        "amount_hkd": np.nan,
        "ratio": 0.5,
        "price_hkd": price,
        "pay_date": pd.NaT,
    }
    frames["actions"] = pd.concat([act, pd.DataFrame([row])], ignore_index=True)
    return len(act)


def test_rights_priced_far_above_the_market(tiny_frames):
    # 0013 closes at 45.0 on 2024-01-16; a subscription at HKD 450 is ten times the market
    i = _rights(tiny_frames, 450.0)
    (w,) = market_from_tables(tiny_frames).warnings
    assert "rights issue priced at 10 times the close" in w
    assert f"source=actions, row={i}, date=2024-01-17, code=0013, field=price_hkd" in w
    with pytest.raises(DataError, match=r"rights issue priced at 10 times.*field=price_hkd"):
        market_from_tables(tiny_frames, plausibility=STRICT)


def test_rights_slightly_above_the_market_is_a_warning_and_a_discount_is_fine(tiny_frames):
    _rights(tiny_frames, 50.0)  # 1.11x the previous close: a warning even when strict
    (w,) = market_from_tables(tiny_frames, plausibility=STRICT).warnings
    assert "rights_warn_ratio" in w
    tiny_frames["actions"].loc[len(tiny_frames["actions"]) - 1, "price_hkd"] = 30.0
    assert market_from_tables(tiny_frames, plausibility=STRICT).warnings == ()


# --------------------------------------------------------------------------- intervals
def test_overlapping_membership_intervals(tiny_frames):
    iv = tiny_frames["intervals"]
    extra = {"code": "1801", "kind": "hsci", "start": pd.Timestamp("2024-01-15"), "end": pd.NaT}
    tiny_frames["intervals"] = pd.concat([iv, pd.DataFrame([extra])], ignore_index=True)
    with pytest.raises(
        DataError,
        match=r"overlaps row 1 of the same code and kind \(2024-01-02\.\.2024-01-19\) "
        r"\(source=intervals, row=3, date=2024-01-15, code=1801, field=start, value='hsci'",
    ):
        market_from_tables(tiny_frames)
    # back to back is fine
    tiny_frames["intervals"].loc[3, "start"] = pd.Timestamp("2024-01-22")
    assert len(market_from_tables(tiny_frames).intervals) == 4


def test_interval_nested_in_an_open_one_overlaps(tiny_frames):
    iv = tiny_frames["intervals"]
    rows = [
        {
            "code": "0013",
            "kind": "hsci",
            "start": pd.Timestamp("2024-01-08"),
            "end": pd.Timestamp("2024-01-09"),
        },
        {
            "code": "0013",
            "kind": "hsci",
            "start": pd.Timestamp("2024-01-15"),
            "end": pd.Timestamp("2024-01-16"),
        },
    ]
    tiny_frames["intervals"] = pd.concat([iv, pd.DataFrame(rows)], ignore_index=True)
    with pytest.raises(DataError, match=r"overlaps row 0 .*row=3, date=2024-01-08, code=0013"):
        market_from_tables(tiny_frames)


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("03/04/2024", "ambiguous date"),
        ("16/01/2024", "day-first date"),
        ("16.01.2024", "day-first date"),
    ],
)
def test_day_first_dates_are_refused_never_swapped(tiny_frames, text, what):
    px = tiny_frames["prices"]
    px["date"] = px["date"].dt.strftime("%Y-%m-%d").astype(object)
    px.loc[5, "date"] = text
    with pytest.raises(
        DataError, match=rf"{what}.*row=5, code={px.loc[5, 'code']}, field=date, value='{text}'"
    ):
        market_from_tables(tiny_frames)


def test_timezone_aware_dates_read_as_hong_kong_dates(tiny_frames, tiny_market):
    # the same sessions as UTC instants of Hong Kong midnight: every date would shift back by one
    px = tiny_frames["prices"]
    px["date"] = px["date"].dt.tz_localize("Asia/Hong_Kong").dt.tz_convert("UTC")
    assert (
        px["date"].dt.tz_localize(None).dt.normalize()
        != px["date"].dt.tz_convert("Asia/Hong_Kong").dt.tz_localize(None)
    ).all()
    assert market_from_tables(tiny_frames).fingerprint() == tiny_market.fingerprint()
    # and as text with an offset
    px["date"] = px["date"].dt.tz_convert("Asia/Hong_Kong").dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert market_from_tables(tiny_frames).fingerprint() == tiny_market.fingerprint()
    px["date"] = pd.to_datetime(px["date"]).dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert market_from_tables(tiny_frames).fingerprint() == tiny_market.fingerprint()


def test_naive_timestamp_with_a_time_of_day_is_refused(tiny_frames):
    px = tiny_frames["prices"]
    px.loc[3, "date"] = px.loc[3, "date"] - pd.Timedelta(hours=8)  # a UTC instant without its zone
    with pytest.raises(
        DataError, match=r"date with a time of day and no time zone \(source=prices, row=3"
    ):
        market_from_tables(tiny_frames)


def test_vendor_utc_offsets_keep_the_hong_kong_date(tmp_path):
    f = tmp_path / "2269.HK.csv"
    f.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-03-03 16:00:00+00:00,1,1,1,20.0,10\n"  # = 2024-03-04 00:00 in Hong Kong
        "2024-03-05 00:00:00+08:00,1,1,1,21.0,10\n"
    )
    frame = read_yfinance_csv(f)
    assert list(frame["date"]) == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-05")]
    assert frame.attrs["report"] == []


# --------------------------------------------------------------------------- truncated CSV
def test_csv_cut_mid_line_is_reported_as_truncated(tmp_path, tiny_market):
    folder = write_folder(tiny_market, tmp_path / "m", fmt="csv")
    f = folder / "prices.csv"
    text = f.read_text()
    n_lines = text.count("\n")
    f.write_text(
        text[: text.rstrip("\n").rfind(",", 0, len(text) - 30)]
    )  # cut inside the last line
    with pytest.raises(
        DataError, match=rf"file is truncated: line {n_lines} \(the last\).*source={f}"
    ):
        read_folder(folder, verify=False)


def test_csv_without_final_line_end_warns(tmp_path, tiny_market):
    folder = write_folder(tiny_market, tmp_path / "m", fmt="csv")
    f = folder / "fx.csv"
    f.write_text(f.read_text().rstrip("\n"))
    m = read_folder(folder)
    assert any("no line end" in w and "fx.csv" in w for w in m.warnings)


def test_plausibility_settings_are_checked():
    with pytest.raises(DataError, match=r"price_spike_ratio must be a number in \(1, inf\]"):
        Plausibility(price_spike_ratio=0.5)
    with pytest.raises(DataError, match="on_finding"):
        Plausibility(on_finding="ignore")
