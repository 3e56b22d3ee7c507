"""yfinance CSV loader and the adjusted-price market builder, on small hand-written files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.vendors import (
    ADJ_SHARES,
    DroppedRow,
    market_from_adjusted_closes,
    normalise_code,
    read_yfinance_csv,
)
from engine.errors import CalendarError, DataError

MULTI = """Price,Close,High,Low,Open,Volume
Ticker,2269.HK,2269.HK,2269.HK,2269.HK,2269.HK
Date,,,,,
2023-08-29,30.0,31.0,29.5,29.8,1000
2023-08-30,30.5,31.5,30.0,30.1,2000
2023-08-31,31.0,31.2,30.2,30.6,1500
2023-09-02,31.0,31.0,31.0,31.0,0
2023-09-04,31.5,31.5,31.5,31.5,0
2023-09-05,,,,,0
2023-09-06,30.0,31.6,29.9,31.4,2500
"""
# 2023-09-01 (typhoon closure; a session in exchange_calendars' XHKG, not in hkex_sessions) has no
# row; 2023-09-02 is a Saturday; 2023-09-04 is a zero-volume session row (kept); 2023-09-05 has no
# close.

SINGLE = """Date,Open,High,Low,Close,Volume,Dividends,Stock Splits
2020-01-02 00:00:00+08:00,33.0,33.9,32.7,33.5,9722019,0.0,0.0
2020-01-03 00:00:00+08:00,33.9,34.5,33.4,33.8,7824663,0.25,0.0
2020-01-06 00:00:00+08:00,33.3,33.5,32.0,32.5,11991108,0.0,3.0
"""


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# --------------------------------------------------------------------------- reader
def test_multi_header_layout(tmp_path):
    df = read_yfinance_csv(_write(tmp_path, "2269.HK.csv", MULTI))
    assert df.attrs["adjusted"] is True
    assert df.attrs["layout"] == "multi-header" and df.attrs["code"] == "2269"
    assert list(df.columns) == [
        "date",
        "code",
        "open_adj",
        "high_adj",
        "low_adj",
        "close_adj",
        "volume",
    ]
    assert df["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-08-29",
        "2023-08-30",
        "2023-08-31",
        "2023-09-04",
        "2023-09-06",
    ]
    assert df["close_adj"].tolist() == [30.0, 30.5, 31.0, 31.5, 30.0]
    assert df["open_adj"].tolist() == [29.8, 30.1, 30.6, 31.5, 31.4]
    assert df.loc[3, "volume"] == 0.0  # zero-volume session row kept
    assert (df["code"] == "2269").all()
    report = df.attrs["report"]
    assert [(r.line, r.date, r.reason) for r in report] == [
        (7, "2023-09-02", "not an XHKG session (weekend, holiday or closure)"),
        (9, "2023-09-05", "no close"),
    ]
    assert all(isinstance(r, DroppedRow) and r.code == "2269" for r in report)
    assert str(report[0]).endswith(
        ":7 2023-09-02 2269: not an XHKG session (weekend, holiday or closure)"
    )


def test_single_header_layout_with_offsets_dividends_splits(tmp_path):
    df = read_yfinance_csv(_write(tmp_path, "13.HK.csv", SINGLE))
    assert df.attrs["layout"] == "single-header"
    assert df.attrs["code"] == "0013"
    assert df["date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-01-02", "2020-01-03", "2020-01-06"]
    assert df["date"].dt.tz is None
    assert df["close_adj"].tolist() == [33.5, 33.8, 32.5]
    assert df["dividend"].tolist() == [0.0, 0.25, 0.0]
    assert df["split_ratio"].tolist() == [0.0, 0.0, 3.0]
    assert df["volume"].tolist() == [9722019.0, 7824663.0, 11991108.0]
    assert df.attrs["report"] == []


def test_code_argument_overrides_file_name(tmp_path):
    df = read_yfinance_csv(_write(tmp_path, "whatever.csv", SINGLE), code="1801.HK")
    assert df.attrs["code"] == "1801" and (df["code"] == "1801").all()


def test_adj_close_column_is_used(tmp_path):
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,10,11,9,10.5,9.75,100\n"
    df = read_yfinance_csv(_write(tmp_path, "1801.HK.csv", text))
    assert df["close_adj"].tolist() == [9.75]


def test_several_tickers_in_one_file(tmp_path):
    text = (
        "Price,Close,Close,Volume,Volume\n"
        "Ticker,1801.HK,2269.HK,1801.HK,2269.HK\n"
        "Date,,,,\n"
        "2024-01-02,40.1,20.2,10,20\n"
        "2024-01-03,40.3,20.0,11,21\n"
    )
    p = _write(tmp_path, "multi.csv", text)
    df = read_yfinance_csv(p, code="2269")
    assert df["close_adj"].tolist() == [20.2, 20.0] and df["volume"].tolist() == [20.0, 21.0]
    with pytest.raises(
        DataError, match=r"file holds several tickers \['1801', '2269'\].*line=2.*pass code="
    ):
        read_yfinance_csv(p)
    with pytest.raises(DataError, match=r"code not among the file's tickers .*code=6160"):
        read_yfinance_csv(p, code="6160")


def test_exact_duplicate_row_is_dropped_and_reported(tmp_path):
    text = SINGLE + "2020-01-06 00:00:00+08:00,33.3,33.5,32.0,32.5,11991108,0.0,3.0\n"
    df = read_yfinance_csv(_write(tmp_path, "2269.HK.csv", text))
    assert len(df) == 3
    (r,) = df.attrs["report"]
    assert (r.line, r.date, r.reason) == (5, "2020-01-06", "repeats line 4")


def test_conflicting_duplicate_is_an_error(tmp_path):
    text = SINGLE + "2020-01-06 00:00:00+08:00,33.3,33.5,32.0,32.6,11991108,0.0,3.0\n"
    with pytest.raises(
        DataError,
        match=r"two different rows for one date \(lines 4 and 5\).*date=2020-01-06.*line=5",
    ):
        read_yfinance_csv(_write(tmp_path, "2269.HK.csv", text))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Open,Close\n1,2\n", r"unrecognised yfinance CSV layout .*line=1"),
        ("", "empty vendor file"),
        (
            SINGLE.replace("2020-01-03 00", "03/01/2020 00"),
            r"unparseable date .*code=2269, field=Date, value='03/01/2020 00:00:00\+08:00', line=3",
        ),
        (SINGLE.replace("33.8,", "33,8,"), r"line 3 has 9 fields, the header has 8 .*line=3"),
        # a short line in the middle of the file, not only a cut last line
        (
            SINGLE.replace(",0.25,0.0\n", ",0.25\n"),
            r"line 3 has 7 fields, the header has 8 .*line=3",
        ),
        (
            MULTI.replace("2023-08-30,30.5,31.5,30.0,30.1,2000", "2023-08-30,30.5,31.5,30.0,2000"),
            r"line 5 has 5 fields, the header has 6 .*line=5",
        ),
        (
            SINGLE.replace(",33.8,", ",n/a,"),
            r"not a number .*date=2020-01-03, code=2269, field=Close, value='n/a', line=3",
        ),
        (
            SINGLE.replace(",33.8,", ",0.0,"),
            r"close must be positive .*date=2020-01-03, code=2269, field=Close, value=0\.0, line=3",
        ),
        (
            SINGLE.replace("Stock Splits", "Capital Gains"),
            r"unknown column\(s\) \['capital gains'\]",
        ),
        ("Date,Open,Volume\n2024-01-02,1,2\n", r"no Close column"),
        (MULTI.replace(",2269.HK\nDate", "\nDate"), r"4 tickers for 5 price fields .*line=2"),
        (
            MULTI.replace("Date,,,,,", "Datum,,,,,"),
            r"third header line should start with 'Date' .*line=3",
        ),
    ],
)
def test_reader_errors(tmp_path, text, match):
    with pytest.raises(DataError, match=match):
        read_yfinance_csv(_write(tmp_path, "2269.HK.csv", text))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="vendor file not found"):
        read_yfinance_csv(tmp_path / "nope.csv")


def test_header_only_file_gives_empty_frame(tmp_path):
    df = read_yfinance_csv(_write(tmp_path, "2269.HK.csv", SINGLE.splitlines()[0] + "\n"))
    assert len(df) == 0 and df.attrs["adjusted"] is True


@pytest.mark.parametrize(
    ("ticker", "code"),
    [("2269.HK", "2269"), ("13.HK", "0013"), ("0013.hk", "0013"), ("AAPL", "AAPL")],
)
def test_normalise_code(ticker, code):
    assert normalise_code(ticker) == code


# --------------------------------------------------------------------------- market builder
def _wide():
    dates = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"])
    closes = pd.DataFrame(
        {"2269.HK": [20.0, 21.0, 19.95, 20.5, 21.0], "1801": [np.nan, np.nan, 40.0, 41.0, 40.5]},
        index=dates,
    )
    volumes = pd.DataFrame(
        {"2269": [100.0, 200.0, 0.0, np.nan, 50.0], "1801": [np.nan, np.nan, 10, 20, 30]},
        index=dates,
    )
    return closes, volumes


def test_market_from_wide_closes():
    closes, volumes = _wide()
    m = market_from_adjusted_closes(closes, volumes=volumes, source="unit test")
    assert m.is_adjusted and m.source == "adjusted:unit test" and "ADJUSTED" in repr(m)
    assert m.codes == ["1801", "2269"]
    assert len(m.actions) == 0 and not m.synthetic
    # the market says its returns are total-return-like, first among its warnings
    assert "total-return-like" in m.warnings[0]
    listed = m.listed()
    assert (m.shares[listed] == ADJ_SHARES).all() and (m.free_float[listed] == 1.0).all()
    tv = m.panel("traded_value")
    assert tv["2269"].tolist() == [2000.0, 4200.0, 0.0, 0.0, 1050.0]  # NaN volume counts as 0
    assert tv["1801"].tolist()[2:] == [400.0, 820.0, 1215.0]
    sec = m.securities.set_index("code")
    assert sec.loc["1801", "listing_date"] == pd.Timestamp("2024-01-04")
    assert sec.loc["1801", "board_lot"] == 1 and sec.loc["1801", "name"] == "1801"
    # the return series is exactly the vendor's (total-return-like)
    ret = m.panel("close").pct_change()
    np.testing.assert_allclose(
        ret["2269"].to_numpy()[1:], [0.05, 19.95 / 21 - 1, 20.5 / 19.95 - 1, 21 / 20.5 - 1]
    )


def test_market_without_volumes_has_zero_traded_value():
    closes, _ = _wide()
    m = market_from_adjusted_closes(closes)
    assert np.nansum(m.traded_value_hkd) == 0.0 and m.source == "adjusted:closes"


def test_market_from_tidy_reader_output(tmp_path):
    df = read_yfinance_csv(_write(tmp_path, "2269.HK.csv", MULTI))
    # the 2023-09-01 typhoon closure is not a gap (engine.data.calendar.EXTRA_CLOSURES); 09-05 is
    with pytest.raises(
        DataError,
        match=r"1 session\(s\) without a close inside the priced life .*date=2023-09-05, code=2269.*fill_gaps=True",
    ):
        market_from_adjusted_closes(df)
    m = market_from_adjusted_closes(df, fill_gaps=True)
    assert m.source == f"adjusted:{tmp_path / '2269.HK.csv'}"
    assert pd.Timestamp("2023-09-01") not in m.dates
    close = m.panel("close")["2269"]
    # 2023-09-05 was filled with the previous close and flagged suspended
    assert close.loc["2023-09-05"] == 31.5
    susp = m.panel("suspended")["2269"]
    assert susp[susp].index.strftime("%Y-%m-%d").tolist() == ["2023-09-05"]
    assert m.panel("traded_value")["2269"].loc["2023-09-05"] == 0.0
    assert m.panel("traded_value")["2269"].loc["2023-08-30"] == 30.5 * 2000
    # a closure the calendar does not know, declared: 2023-09-05 is then no gap either
    rows = df[df["date"] != pd.Timestamp("2023-09-05")]
    m2 = market_from_adjusted_closes(rows, closures=["2023-09-05"])
    assert pd.Timestamp("2023-09-05") not in m2.dates and not m2.suspended.any()


def test_market_off_calendar_date():
    closes, _ = _wide()
    closes.loc[pd.Timestamp("2024-01-06")] = [20.0, 40.0]  # a Saturday
    with pytest.raises(
        CalendarError,
        match=r"1 date\(s\) are not XHKG sessions .*date=2024-01-06.*read_yfinance_csv",
    ):
        market_from_adjusted_closes(closes)


def test_market_with_a_master():
    closes, _ = _wide()
    sec = pd.DataFrame(
        {
            "code": ["2269", "1801"],
            "name": ["WuXi Bio", "Innovent"],
            "industry": ["Pharmaceuticals", "Biotechnology"],
            "is_cxo": [True, False],
            "listing_date": pd.to_datetime(["2017-06-13", "2018-10-31"]),
            "board_lot": [500, 500],
            "wht_class": ["red_chip", "foreign"],
        }
    )
    # 1801 was listed in 2018, so its missing closes on 2024-01-02/03 are gaps, not pre-listing
    with pytest.raises(
        DataError, match=r"missing price row inside the listed period .*date=2024-01-02, code=1801"
    ):
        market_from_adjusted_closes(closes, sec)
    closes["1801"] = closes["1801"].fillna(39.0)
    m = market_from_adjusted_closes(closes, sec)
    assert m.securities.set_index("code").loc["2269", "is_cxo"]
    with pytest.raises(DataError, match=r"code missing from the security master .*code=2269"):
        market_from_adjusted_closes(closes, sec.iloc[[1]])


def test_adjusted_closes_ending_early_are_a_reported_delisting():
    closes, _ = _wide()
    closes.loc[pd.Timestamp("2024-01-05") :, "2269.HK"] = np.nan  # 2269's closes end on 01-04
    with pytest.warns(
        UserWarning,
        match=r"1 code\(s\) have no close on the last session 2024-01-08; the placeholder "
        r"security master sets their delisting_date to their last close: 2269 \(2024-01-04\)",
    ):
        m = market_from_adjusted_closes(closes, fx=pd.Series(0.9, index=closes.index))
    sec = m.securities.set_index("code")
    assert sec.loc["2269", "delisting_date"] == pd.Timestamp("2024-01-04")
    assert pd.isna(sec.loc["1801", "delisting_date"])  # priced to the last session
    assert m.panel("close")["2269"].loc["2024-01-05":].isna().all()


def test_adjusted_closes_ending_early_with_a_master_need_its_delisting_date():
    closes, _ = _wide()
    closes.loc[pd.Timestamp("2024-01-05") :, "2269.HK"] = np.nan
    closes["1801"] = closes["1801"].fillna(39.0)
    sec = pd.DataFrame(
        {
            "code": ["2269", "1801"],
            "name": ["WuXi Bio", "Innovent"],
            "industry": ["Pharmaceuticals", "Biotechnology"],
            "is_cxo": [True, False],
            "listing_date": pd.to_datetime(["2017-06-13", "2018-10-31"]),
            "board_lot": [500, 500],
            "wht_class": ["red_chip", "foreign"],
        }
    )
    with pytest.raises(DataError, match=r"price rows stop on 2024-01-04.*code=2269"):
        market_from_adjusted_closes(closes, sec)
    sec["delisting_date"] = pd.to_datetime(["2024-01-04", None])
    m = market_from_adjusted_closes(closes, sec, fx=pd.Series(0.9, index=closes.index))
    assert m.securities.set_index("code").loc["2269", "delisting_date"] == pd.Timestamp(
        "2024-01-04"
    )


def _put_text(closes):
    out = closes.astype(object)
    out.loc[pd.Timestamp("2024-01-03"), "2269.HK"] = "x"
    return out


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (_put_text, r"not a number \(date=2024-01-03, code=2269"),
        (lambda c: c.iloc[:, :0], "no closes given"),
        (lambda c: c.assign(**{"6160": np.nan}), r"no close for this code .*code=6160"),
        (lambda c: pd.concat([c, c.iloc[[0]]]), "duplicated date in closes"),
    ],
)
def test_market_bad_wide_input(mutate, match):
    closes, _ = _wide()
    with pytest.raises(DataError, match=match):
        market_from_adjusted_closes(mutate(closes))


def test_market_duplicated_tidy_rows(tmp_path):
    df = read_yfinance_csv(_write(tmp_path, "0013.HK.csv", SINGLE))
    with pytest.raises(DataError, match=r"duplicated \(date, code\) close .*code=0013"):
        market_from_adjusted_closes(pd.concat([df, df]))
