"""Onboarding and vendor readers reject what they cannot use, by name (issue 13, section 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data import hkex_sessions, read_etf_csv, splice
from engine.data.onboard import OnboardSettings, onboard, read_prices
from engine.data.vendors import read_yfinance_csv
from engine.errors import DataError

pytestmark = pytest.mark.filterwarnings("ignore:market .*placeholder fixing")

OK = {"approximation": "equal", "memberships": "all", "wht_default": "foreign"}


def _long(codes=("1801", "9926"), start="2025-01-02", end="2025-02-28"):
    days = hkex_sessions(start, end)
    rows = [
        pd.DataFrame(
            {
                "date": days,
                "code": c,
                "close": np.linspace(10 + k, 12 + k, len(days)),
                "volume": 1e6,
            }
        )
        for k, c in enumerate(codes)
    ]
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------- relevance
@pytest.mark.parametrize("score", [1.5, -0.1])
def test_relevance_outside_0_1_names_the_code(score):
    rel = pd.DataFrame({"code": ["1801", "9926"], "score": [0.5, score]})
    with pytest.raises(DataError, match=r"relevance score outside \[0, 1\].*code=9926.*score"):
        onboard(_long(), relevance=rel, **OK)
    with pytest.raises(DataError, match=r"outside \[0, 1\]"):
        onboard(_long(), relevance=score, **OK)


def test_relevance_flag_or_unknown_word_is_an_error():
    for bad in (True, "all"):
        with pytest.raises(DataError, match="unknown relevance shortcut"):
            onboard(_long(), relevance=bad, **OK)


def test_relevance_text_score_is_an_error():
    rel = pd.DataFrame({"code": ["1801", "9926"], "score": [0.5, "high"]})
    with pytest.raises(DataError, match="not a number.*code=9926.*field=score"):
        onboard(_long(), relevance=rel, **OK)


# ---------------------------------------------------------------- currency and FX
def test_prices_in_another_currency_are_refused():
    usd = _long().rename(columns={"close": "close_usd"})
    with pytest.raises(DataError, match="prices in USD, not HKD.*field=close_usd"):
        onboard(usd, **OK)
    cny = _long().assign(currency="HKD")
    cny.loc[5, "currency"] = "CNY"
    with pytest.raises(DataError, match="not in HKD.*row=5.*field=currency"):
        onboard(cny, **OK)
    # an all-HKD currency column is fine
    assert len(onboard(_long().assign(currency="HKD"), **OK).market.codes) == 2


def test_fx_that_reads_as_hkd_per_cny_is_refused():
    days = hkex_sessions("2025-01-02", "2025-02-28")
    inverted = pd.Series(1.0 / 0.92, index=days)
    with pytest.raises(DataError, match=r"fx looks inverted.*HKD per CNY.*about 0\.92"):
        onboard(_long(), fx=inverted, **OK)
    ob = onboard(_long(), fx=pd.Series(0.92, index=days), **OK)
    assert not ob.market.fx_is_placeholder
    assert not any("placeholder fixing" in w for w in ob.warnings)


# ---------------------------------------------------------------- market cap
def test_market_cap_for_an_unknown_code_is_named():
    snap = pd.DataFrame(
        {"date": ["2025-01-02"] * 3, "code": ["1801", "9926", "7777"], "market_cap_hkd": 1e10}
    )
    opts = {**OK, "approximation": "market_cap"}
    with pytest.raises(DataError, match="market_cap names 1 code.*code=7777"):
        onboard(_long(), market_cap=snap, **opts)
    snap = snap.iloc[:2].assign(market_cap_hkd=[1e10, "big"])
    with pytest.raises(DataError, match="not a number.*code=9926.*market_cap_hkd"):
        onboard(_long(), market_cap=snap, **opts)


# ---------------------------------------------------------------- dates, numbers, columns
def test_time_stamped_dates_are_refused_and_tz_aware_ones_read_in_hong_kong():
    frame = _long()
    stamped = frame.assign(date=frame["date"] + pd.Timedelta(hours=9, minutes=30))
    with pytest.raises(DataError, match="time of day.*row=0.*code=1801.*field=date"):
        read_prices(stamped)
    # 16:00 UTC on the previous day is midnight in Hong Kong: the Hong Kong date is kept
    utc = frame.assign(
        date=(frame["date"] - pd.Timedelta(hours=8)).dt.tz_localize("UTC").astype(str)
    )
    tidy, _, _ = read_prices(utc)
    assert (tidy["date"].to_numpy() == frame["date"].to_numpy()).all()


def test_text_in_a_numeric_column_is_named():
    frame = _long().astype({"close": object})
    frame.loc[7, "close"] = "n/a"
    with pytest.raises(DataError, match="not a number.*row=7.*code=1801.*field=close.*n/a"):
        read_prices(frame)


def test_missing_or_renamed_column_is_named():
    with pytest.raises(DataError, match=r"lacks column\(s\) \['close'\].*field=close.*last"):
        read_prices(_long().rename(columns={"close": "last"}))
    # capitalised or padded headers are the same columns
    tidy, _, _ = read_prices(_long().rename(columns={"close": " Close ", "date": "Date"}))
    assert list(tidy.columns) == ["date", "code", "close", "volume"]


def test_yfinance_file_with_a_renamed_or_missing_column(tmp_path):
    path = tmp_path / "1801.HK.csv"
    path.write_text("Date,Open,High,Low,Last,Volume\n2025-01-02,1,1,1,1,100\n")
    with pytest.raises(DataError, match=r"unknown column\(s\) \['last'\].*field=last.*line=1"):
        read_yfinance_csv(path)
    path.write_text("Date,Open,High,Low,Volume\n2025-01-02,1,1,1,100\n")
    with pytest.raises(DataError, match="no Close column.*field=Close"):
        read_yfinance_csv(path)


def test_yfinance_time_of_day_without_offset_is_named(tmp_path):
    path = tmp_path / "1801.HK.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n2025-01-02,1,1,1,1,100\n2025-01-03 09:30:00,1,1,1,1,100\n"
    )
    with pytest.raises(DataError, match="time of day and no UTC offset.*line=3"):
        read_yfinance_csv(path)


def test_non_utf8_files_name_the_line(tmp_path):
    good = "Date,Open,High,Low,Close,Volume\n2025-01-02,1,1,1,1,100\n"
    path = tmp_path / "1801.HK.csv"
    path.write_bytes(good.encode() + "2025-01-03,1,1,1,1,100 \u6536\n".encode("gbk"))
    with pytest.raises(DataError, match="not UTF-8 text.*1801.HK.csv.*line=3"):
        read_yfinance_csv(path)
    tidy = tmp_path / "prices.csv"
    body = "date,code,close,volume\n2025-01-02,1801,10,1\n2025-01-03,\u6052\u751f,10,1\n"
    tidy.write_bytes(body.encode("gbk"))
    with pytest.raises(DataError, match="not UTF-8 text.*prices.csv.*line=3"):
        read_prices(tidy)


def test_a_path_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(DataError, match="no such file or folder.*nope"):
        onboard(tmp_path / "nope", **OK)


# ---------------------------------------------------------------- settings
@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"proxy_window": 0}, "proxy_window must be a whole number >= 1"),
        ({"proxy_window": 2.5}, "proxy_window must be a whole number >= 1"),
        ({"proxy_window": True}, "proxy_window must be a whole number >= 1"),
        ({"approximation": "guess"}, "approximation must be one of"),
        ({"start": "not a date"}, "not a date.*field=start"),
        ({"end": "2025-01-02 10:00"}, "end is not a date.*field=end"),
        ({"start": "2025-03-01", "end": "2025-01-01"}, "start after end"),
        ({"fill_gaps": "no"}, "fill_gaps must be one of"),
        ({"adjusted": "yes"}, "adjusted must be one of"),
    ],
)
def test_settings_are_checked(options, match):
    with pytest.raises(DataError, match=match):
        OnboardSettings(**options)
    with pytest.raises(DataError, match=match):
        onboard(_long(), **{**OK, **options})


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="proxy_windw"):
        onboard(_long(), proxy_windw=5, **OK)


def test_settings_object_and_keywords_agree():
    s = OnboardSettings(approximation="equal", wht_default="foreign")
    assert s.to_record()["approximation"] == "equal" and len(s.hash) == 16
    assert s.replace(proxy_window=5).proxy_window == 5
    a = onboard(_long(), settings=s, memberships="all")
    b = onboard(_long(), memberships="all", approximation="equal", wht_default="foreign")
    assert a.market.fingerprint() == b.market.fingerprint()


# ---------------------------------------------------------------- ETF series
def test_etf_files_in_english_chinese_and_no_header_read_the_same(tmp_path):
    en = tmp_path / "en.csv"
    en.write_text("datetime,open,close,high,low,volume\n2025-01-02,1.0,1.10,1.2,0.9,5\n")
    zh = tmp_path / "zh.csv"
    zh.write_text("日期,开盘,最高,最低,收盘,成交量\n2025-01-02,1.0,1.2,0.9,1.10,500\n")
    bare = tmp_path / "bare.csv"
    bare.write_text("2025/01/02,1.0,1.2,0.9,1.10,500,550.0\n")
    series = [read_etf_csv(p) for p in (en, zh, bare)]
    for s in series:
        assert s.to_dict() == {pd.Timestamp("2025-01-02"): 1.10}
        assert s.name == "close_cny"


def test_etf_file_errors_name_the_line(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("日期,开盘,最高,最低,成交量\n2025-01-02,1,1,1,5\n")
    with pytest.raises(DataError, match="no close column.*field=close"):
        read_etf_csv(p)
    p.write_text("date,close\n2025-01-02,1.1\n2025-01-03,abc\n")
    with pytest.raises(DataError, match="not a positive number.*line=3"):
        read_etf_csv(p)
    p.write_text("date,close\n2025-01-02,1.1\n2025-01-02,1.1\n")
    with pytest.raises(DataError, match="repeated date.*line=3"):
        read_etf_csv(p)


def test_splice_takes_the_first_source_and_checks_the_overlap():
    d = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"])
    a = pd.Series([1.0, 1.1, 1.2], index=d[:3])
    b = pd.Series([1.1, 1.2, 1.3], index=d[1:])
    s = splice(a, b)
    assert s.tolist() == [1.0, 1.1, 1.2, 1.3] and s.attrs["overlap"] == 2
    with pytest.raises(DataError, match="disagree.*date=2025-01-06"):
        splice(a, b.replace(1.2, 1.25))


def test_a_data_folder_csv_that_is_not_utf8_names_the_line(tmp_path, tiny_market):
    from engine.data import check_folder, read_folder, write_folder

    folder = write_folder(tiny_market, tmp_path / "m", fmt="csv")
    path = folder / "securities.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b",", "\u6052,".encode("gbk"), 1)  # a GBK name on line 3
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(DataError, match=r"not UTF-8 text.*securities\.csv.*line=3"):
        read_folder(folder, verify=False)
    assert any("not UTF-8 text" in x and "line=3" in x for x in check_folder(folder).lines())


def test_raw_closes_do_not_warn_about_adjusted_prices():
    shares = pd.DataFrame({"code": ["1801", "9926"], "shares": [1e9, 2e9]})
    raw = _long().rename(columns={"close": "close_hkd"})
    ob = onboard(raw, shares=shares, free_float=1.0, memberships="all", wht_default="foreign")
    assert not ob.market.is_adjusted
    assert not any("adjusted" in w for w in ob.warnings)


def test_empty_or_broken_price_files_are_one_line_errors(tmp_path):
    empty = tmp_path / "prices.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty price file"):
        read_prices(empty)
    broken = tmp_path / "prices.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="unreadable Parquet file"):
        read_prices(broken)


def test_sessions_before_every_listing_are_trimmed():
    """When the only rows of the first sessions are placeholders before a listing date, the market
    starts on the first session with a real close."""
    frame = _long()
    cls = pd.DataFrame({"code": ["1801", "9926"], "listing_date": ["2025-01-10", "2025-01-10"]})
    ob = onboard(frame, classification=cls, **OK)
    assert ob.market.dates[0] == pd.Timestamp("2025-01-10")
    assert sum("before the listing date" in w for w in ob.warnings) == 1


def test_dates_of_the_optional_tables_are_checked():
    snap = pd.DataFrame(
        {"date": ["2025-01-02", "soon"], "code": ["1801", "9926"], "market_cap_hkd": 1e10}
    )
    with pytest.raises(DataError, match="unparseable date.*source=market_cap.*row=1.*code=9926"):
        onboard(_long(), market_cap=snap, **{**OK, "approximation": "market_cap"})
    shares = pd.DataFrame(
        {"date": ["2025-01-02 15:00"] * 2, "code": ["1801", "9926"], "shares": [1e9, 2e9]}
    )
    opts = {k: v for k, v in OK.items() if k != "approximation"}
    with pytest.raises(DataError, match="time of day.*source=shares.*row=0"):
        onboard(_long(), shares=shares, free_float=1.0, **opts)
