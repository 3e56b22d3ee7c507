"""Validation of tidy frames into MarketData: the happy path worked by hand, then every error path."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.markets import market_from_tables, tiny_market_frames

from engine.data.market import MarketData
from engine.errors import CalendarError, DataError


def _idx(frame: pd.DataFrame, **eq) -> int:
    """Position of the single row of ``frame`` matching every ``column=value``."""
    mask = np.ones(len(frame), dtype=bool)
    for col, val in eq.items():
        v = pd.Timestamp(val) if col in ("date", "ex_date", "as_of", "start") else val
        mask &= (frame[col] == v).to_numpy()
    (pos,) = np.flatnonzero(mask)
    return int(pos)


def _raises(frames, match, exc=DataError, **kw):
    with pytest.raises(exc, match=match):
        market_from_tables(frames, **kw)


# --------------------------------------------------------------------------- happy path
def test_tiny_market_panels_by_hand(tiny_market):
    m = tiny_market
    assert m.codes == ["0013", "1801", "2269", "6160"]
    assert len(m.dates) == 22  # 23 weekdays in January 2024 minus New Year's Day
    assert m.dates[0] == pd.Timestamp("2024-01-02") and m.dates[-1] == pd.Timestamp("2024-01-31")
    assert not any(d.weekday() >= 5 for d in m.dates)
    close = m.panel("close")
    # 2269 listed on 2024-01-10: NaN before, priced from then on
    assert close.loc[:"2024-01-09", "2269"].isna().all()
    assert close.loc["2024-01-10":, "2269"].notna().all()
    # 6160 delisted on 2024-01-25: NaN after
    assert close.loc["2024-01-26":, "6160"].isna().all()
    assert close.loc[:"2024-01-25", "6160"].notna().all()
    # 1801 suspended 11th and 12th: close carried from the 10th (t=6 -> 40 + 0.25*6 = 41.5)
    assert close.loc["2024-01-10", "1801"] == 41.5
    assert close.loc["2024-01-11", "1801"] == 41.5 and close.loc["2024-01-12", "1801"] == 41.5
    susp = m.panel("suspended")
    assert susp.to_numpy().sum() == 2
    assert susp.loc["2024-01-11", "1801"] and susp.loc["2024-01-12", "1801"]
    # shares double on the split day
    assert m.panel("shares").loc["2024-01-22", "1801"] == 3.2e9
    # pay_date defaults to ex_date
    split = m.actions[m.actions["kind"] == "split"].iloc[0]
    assert split["pay_date"] == pd.Timestamp("2024-01-22")
    assert m.fx.loc["2024-01-02"] == pytest.approx(0.9101)
    assert m.relevance_at("2024-01-20")["1801"] == 0.95
    assert m.membership("southbound")[m.row("2024-01-08"), m.col("1801")]
    assert not m.membership("southbound")[m.row("2024-01-05"), m.col("1801")]
    assert not m.is_adjusted


def test_order_and_dtypes_do_not_change_fingerprint(tiny_frames, tiny_market):
    f = tiny_market_frames()
    f["prices"] = f["prices"].sample(frac=1.0, random_state=3)
    f["securities"] = f["securities"].iloc[::-1]
    f["securities"]["is_cxo"] = f["securities"]["is_cxo"].map({True: "TRUE", False: "false"})
    f["prices"]["code"] = f["prices"]["code"].map(lambda c: f"{c}.HK")
    f["actions"] = f["actions"].iloc[::-1]
    assert market_from_tables(f).fingerprint() == tiny_market.fingerprint()


def test_to_frames_round_trip(tiny_market):
    fr = tiny_market.to_frames()
    again = market_from_tables(fr)
    assert again.fingerprint() == tiny_market.fingerprint()


def test_integer_codes_are_zero_padded(tiny_frames):
    f = tiny_frames
    f["securities"]["code"] = [13, 1801, 2269, 6160]
    f["prices"]["code"] = f["prices"]["code"].astype(int)
    m = market_from_tables(f)
    assert m.codes[0] == "0013"


def test_string_false_is_false(tiny_frames):
    f = tiny_frames
    f["securities"]["is_cxo"] = ["False", "no", "True", "0"]
    f["prices"]["suspended"] = f["prices"]["suspended"].map({True: "yes", False: ""})
    m = market_from_tables(f)
    assert m.securities.set_index("code")["is_cxo"].to_dict() == {
        "0013": False,
        "1801": False,
        "2269": True,
        "6160": False,
    }
    assert m.suspended.sum() == 2


def test_sources_label_errors_with_file_row_and_line(tiny_frames):
    f = tiny_frames
    i = _idx(f["prices"], date="2024-01-16", code="2269")
    f["prices"].loc[i, "close_hkd"] = -1.0
    msg = rf"source=data/prices\.csv, row={i}, date=2024-01-16, code=2269, field=close_hkd, value=-1\.0, line={i + 2}"
    _raises(f, msg, sources={"prices": "data/prices.csv"})


# --------------------------------------------------------------------------- securities
def test_securities_missing_column(tiny_frames):
    tiny_frames["securities"] = tiny_frames["securities"].drop(columns="is_cxo")
    _raises(tiny_frames, r"missing column\(s\) \['is_cxo'\].*source=securities")


def test_securities_not_a_frame(tiny_frames):
    tiny_frames["securities"] = [1, 2]
    _raises(tiny_frames, "expected a pandas DataFrame, got list")


def test_securities_missing_code(tiny_frames):
    tiny_frames["securities"].loc[2, "code"] = None
    _raises(tiny_frames, r"missing security code \(source=securities, row=2, field=code")


def test_securities_duplicated_code(tiny_frames):
    tiny_frames["securities"].loc[3, "code"] = "13"
    _raises(tiny_frames, r"duplicated security code \(source=securities, row=0, code=0013")


def test_securities_missing_listing_date(tiny_frames):
    tiny_frames["securities"].loc[1, "listing_date"] = pd.NaT
    _raises(tiny_frames, r"missing date \(source=securities, row=1, code=1801, field=listing_date")


def test_securities_unparseable_listing_date(tiny_frames):
    sec = tiny_frames["securities"]
    sec["listing_date"] = sec["listing_date"].dt.strftime("%Y-%m-%d").astype(object)
    sec.loc[1, "listing_date"] = "31/31/2018"
    _raises(
        tiny_frames,
        r"unparseable date \(source=securities, row=1, code=1801, field=listing_date, value='31/31/2018'",
    )


def test_securities_delisting_before_listing(tiny_frames):
    tiny_frames["securities"].loc[3, "delisting_date"] = pd.Timestamp("2010-01-04")
    _raises(
        tiny_frames,
        r"delisting date before listing date \(source=securities, row=3, date=2010-01-04, code=6160",
    )


def test_securities_bad_boolean(tiny_frames):
    tiny_frames["securities"]["is_18a"] = ["no", "maybe", "no", "yes"]
    _raises(
        tiny_frames,
        r"not a boolean \(source=securities, row=1, code=1801, field=is_18a, value='maybe'",
    )


@pytest.mark.parametrize("lot", [0, -100, 1.5, "lots", np.nan])
def test_securities_bad_board_lot(tiny_frames, lot):
    sec = tiny_frames["securities"]
    sec["board_lot"] = sec["board_lot"].astype(object)
    sec.loc[2, "board_lot"] = lot
    _raises(
        tiny_frames,
        r"board lot must be a positive whole number \(source=securities, row=2, code=2269, field=board_lot",
    )


# --------------------------------------------------------------------------- prices
def test_prices_missing_column(tiny_frames):
    tiny_frames["prices"] = tiny_frames["prices"].drop(columns="free_float")
    _raises(tiny_frames, r"missing column\(s\) \['free_float'\].*source=prices")


def test_prices_suspended_column_optional(tiny_frames):
    px = tiny_frames["prices"]
    tiny_frames["prices"] = px[~px["suspended"]].drop(columns="suspended")
    # without the suspended rows 1801 now has a gap on the 11th
    _raises(
        tiny_frames,
        r"missing price row inside the listed period \(source=prices, date=2024-01-11, code=1801",
    )


def test_prices_empty(tiny_frames):
    tiny_frames["prices"] = tiny_frames["prices"].iloc[:0]
    _raises(tiny_frames, r"no price rows \(source=prices\)")


def test_prices_unknown_code(tiny_frames):
    px = tiny_frames["prices"]
    i = _idx(px, date="2024-01-05", code="6160")
    px.loc[i, "code"] = "9999"
    _raises(
        tiny_frames,
        rf"code missing from the security master \(source=prices, row={i}, date=2024-01-05, code=9999, field=code",
    )


def test_prices_missing_date(tiny_frames):
    px = tiny_frames["prices"]
    px.loc[7, "date"] = pd.NaT
    _raises(
        tiny_frames, rf"missing date \(source=prices, row=7, code={px.loc[7, 'code']}, field=date"
    )


def test_prices_duplicated_row(tiny_frames):
    px = tiny_frames["prices"]
    extra = px.iloc[[5]]
    tiny_frames["prices"] = pd.concat([px, extra], ignore_index=True)
    d = extra["date"].iloc[0].strftime("%Y-%m-%d")
    _raises(
        tiny_frames,
        rf"duplicated \(date, code\) row \(source=prices, row={len(px)}, date={d}, code={extra['code'].iloc[0]}",
    )


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("close_hkd", 0.0, "close price must be a positive number"),
        ("close_hkd", np.nan, "close price must be a positive number"),
        ("close_hkd", np.inf, "close price must be a positive number"),
        ("shares", -5.0, "issued shares must be a positive number"),
        ("free_float", 0.0, r"free-float factor must lie in \(0, 1\]"),
        ("free_float", 1.2, r"free-float factor must lie in \(0, 1\]"),
        ("traded_value_hkd", -1.0, "traded value must be a non-negative number"),
        ("traded_value_hkd", "lots", "traded value must be a non-negative number"),
    ],
)
def test_prices_bad_values(tiny_frames, field, value, rule):
    px = tiny_frames["prices"]
    px[field] = px[field].astype(object)
    i = _idx(px, date="2024-01-18", code="0013")
    px.loc[i, field] = value
    _raises(
        tiny_frames,
        rf"{rule} \(source=prices, row={i}, date=2024-01-18, code=0013, field={field}, value=",
    )


def test_free_float_of_one_is_fine(tiny_frames):
    tiny_frames["prices"]["free_float"] = 1.0
    assert (
        market_from_tables(tiny_frames).free_float[
            ~np.isnan(market_from_tables(tiny_frames).close_hkd)
        ]
        == 1.0
    ).all()


def test_prices_off_calendar_date(tiny_frames):
    px = tiny_frames["prices"]
    i = _idx(px, date="2024-01-05", code="0013")
    px.loc[i, "date"] = pd.Timestamp("2024-01-06")  # a Saturday
    with pytest.raises(
        CalendarError, match=rf"not HKEX trading sessions \(source=prices row {i}, date=2024-01-06"
    ):
        market_from_tables(tiny_frames)


def test_prices_on_a_holiday(tiny_frames):
    # 2024-02-12 is a Lunar New Year holiday in Hong Kong
    px = tiny_frames["prices"]
    row = px.iloc[[0]].copy()
    row["date"] = pd.Timestamp("2024-02-12")
    tiny_frames["prices"] = pd.concat([px, row], ignore_index=True)
    with pytest.raises(CalendarError, match="date=2024-02-12"):
        market_from_tables(tiny_frames)


def test_prices_before_listing(tiny_frames):
    px = tiny_frames["prices"]
    row = px[px["code"] == "2269"].iloc[[0]].copy()
    row["date"] = pd.Timestamp("2024-01-09")
    tiny_frames["prices"] = pd.concat([px, row], ignore_index=True)
    _raises(
        tiny_frames,
        rf"before the security's listing date 2024-01-10 \(source=prices, row={len(px)}, date=2024-01-09, code=2269, field=date",
    )


def test_prices_after_delisting(tiny_frames):
    px = tiny_frames["prices"]
    row = px[px["code"] == "6160"].iloc[[-1]].copy()
    row["date"] = pd.Timestamp("2024-01-26")
    tiny_frames["prices"] = pd.concat([px, row], ignore_index=True)
    _raises(
        tiny_frames,
        rf"after the security's delisting date 2024-01-25 \(source=prices, row={len(px)}, date=2024-01-26, code=6160",
    )


def test_prices_gap_inside_life(tiny_frames):
    px = tiny_frames["prices"]
    tiny_frames["prices"] = px.drop(index=_idx(px, date="2024-01-17", code="1801"))
    _raises(
        tiny_frames,
        r"missing price row inside the listed period \(source=prices, date=2024-01-17, code=1801, field=date\)",
    )


def test_prices_gap_at_window_start_for_an_already_listed_security(tiny_frames):
    # 0013 was listed in 2006: its rows must start with the window, not on 2024-01-04
    px = tiny_frames["prices"]
    drop = [_idx(px, date=d, code="0013") for d in ("2024-01-02", "2024-01-03")]
    tiny_frames["prices"] = px.drop(index=drop)
    _raises(
        tiny_frames,
        r"missing price row inside the listed period \(source=prices, date=2024-01-02, code=0013",
    )


def test_prices_gap_before_delisting(tiny_frames):
    # 6160 is delisted on 2024-01-25 (inside the window): its rows must run until then
    px = tiny_frames["prices"]
    drop = [_idx(px, date=d, code="6160") for d in ("2024-01-24", "2024-01-25")]
    tiny_frames["prices"] = px.drop(index=drop)
    _raises(
        tiny_frames,
        r"missing price row inside the listed period \(source=prices, date=2024-01-24, code=6160",
    )


def test_prices_stopping_early_without_delisting_date_is_a_truncated_feed(tiny_frames):
    # 2269 loses its last two rows (2024-01-30/31) and the master gives no delisting date: that is
    # a truncated feed, not a delisting (the index would otherwise delete the security)
    px = tiny_frames["prices"]
    drop = [_idx(px, date=d, code="2269") for d in ("2024-01-30", "2024-01-31")]
    tiny_frames["prices"] = px.drop(index=drop)
    _raises(
        tiny_frames,
        r"price rows stop on 2024-01-29, before the data's last session 2024-01-31, and the "
        r"security master gives no delisting_date .*code=2269.*set delisting_date in the security "
        r"master \(or supply the missing rows\)",
    )
    # a delisting date after the data's end does not excuse the missing rows either
    sec = tiny_frames["securities"]
    sec.loc[sec["code"] == "2269", "delisting_date"] = pd.Timestamp("2024-03-01")
    _raises(tiny_frames, r"price rows stop on 2024-01-29, .*delisting_date 2024-03-01 is after")
    # with the delisting date on the last row the market builds and the security ends there
    sec.loc[sec["code"] == "2269", "delisting_date"] = pd.Timestamp("2024-01-29")
    close = market_from_tables(tiny_frames).panel("close")["2269"]
    assert close.loc["2024-01-30":].isna().all() and close.loc["2024-01-29"] > 0
    # ... and a gap before that last row is still an error
    px = tiny_frames["prices"]
    tiny_frames["prices"] = px.drop(index=_idx(px, date="2024-01-26", code="2269"))
    _raises(
        tiny_frames,
        r"missing price row inside the listed period \(source=prices, date=2024-01-26, code=2269",
    )


def test_listed_security_without_rows(tiny_frames):
    sec = tiny_frames["securities"]
    extra = sec.iloc[[0]].assign(code="0700", listing_date=pd.Timestamp("2004-06-16"))
    tiny_frames["securities"] = pd.concat([sec, extra], ignore_index=True)
    _raises(
        tiny_frames,
        r"listed during the price data but without any price row \(source=prices, date=2024-01-02, code=0700",
    )


@pytest.mark.parametrize(
    ("listing", "delisting"),
    [("2024-02-01", None), ("2010-01-04", "2023-12-29"), ("2024-01-06", "2024-01-07")],
)
def test_unlisted_security_without_rows_is_fine(tiny_frames, listing, delisting):
    # listed after the window, delisted before it, or "listed" only over a weekend
    sec = tiny_frames["securities"]
    extra = sec.iloc[[0]].assign(
        code="0700", listing_date=pd.Timestamp(listing), delisting_date=pd.Timestamp(delisting)
    )
    tiny_frames["securities"] = pd.concat([sec, extra], ignore_index=True)
    m = market_from_tables(tiny_frames)
    assert "0700" in m.codes and not m.listed()[:, m.col("0700")].any()


def test_suspended_close_must_carry(tiny_frames):
    px = tiny_frames["prices"]
    i = _idx(px, date="2024-01-12", code="1801")
    px.loc[i, "close_hkd"] = 41.51
    _raises(
        tiny_frames,
        rf"suspended day's close differs from the previous close \(41\.51 vs 41\.5 on 2024-01-11\) \(source=prices, row={i}, date=2024-01-12, code=1801, field=close_hkd",
    )


def test_suspended_first_row_has_nothing_to_carry(tiny_frames):
    # a security suspended on the first day of the window: no previous close, nothing to compare
    px = tiny_frames["prices"]
    i = _idx(px, date="2024-01-02", code="0013")
    px.loc[i, ["suspended", "traded_value_hkd"]] = [True, 0.0]
    assert market_from_tables(tiny_frames).suspended[0, 0]


def test_suspended_with_trading(tiny_frames):
    px = tiny_frames["prices"]
    i = _idx(px, date="2024-01-11", code="1801")
    px.loc[i, "traded_value_hkd"] = 1e6
    _raises(
        tiny_frames,
        rf"suspended day with a non-zero traded value \(source=prices, row={i}, date=2024-01-11, code=1801, field=traded_value_hkd, value=1000000\.0",
    )


# --------------------------------------------------------------------------- actions
def _add_action(frames, **row):
    base = {
        "ex_date": pd.Timestamp("2024-01-17"),
        "code": "0013",
        "kind": "cash_dividend",
        "amount_hkd": 0.1,
        "ratio": np.nan,
        "price_hkd": np.nan,
        "pay_date": pd.NaT,
    }
    base.update(row)
    frames["actions"] = pd.concat([frames["actions"], pd.DataFrame([base])], ignore_index=True)
    return len(frames["actions"]) - 1


def test_action_unknown_code(tiny_frames):
    i = _add_action(tiny_frames, code="9999")
    _raises(
        tiny_frames,
        rf"corporate action for an unknown code \(source=actions, row={i}, date=2024-01-17, code=9999, field=code",
    )


def test_action_unknown_kind(tiny_frames):
    i = _add_action(tiny_frames, kind="Spinoff")
    _raises(
        tiny_frames,
        rf"unknown corporate-action kind \(source=actions, row={i}, date=2024-01-17, code=0013, field=kind, value='spinoff'",
    )


@pytest.mark.parametrize(
    ("kind", "missing", "row"),
    [
        ("split", "ratio", {"amount_hkd": np.nan}),
        ("bonus", "ratio", {"ratio": -0.1}),
        ("cash_dividend", "amount_hkd", {"amount_hkd": np.nan}),
        ("rights", "price_hkd", {"ratio": 0.2}),
    ],
)
def test_action_missing_ratio_or_amount(tiny_frames, kind, missing, row):
    i = _add_action(tiny_frames, kind=kind, **row)
    _raises(
        tiny_frames,
        rf"{kind} needs a positive {missing} \(source=actions, row={i}, date=2024-01-17, code=0013, field={missing}",
    )


def test_action_without_optional_columns(tiny_frames):
    tiny_frames["actions"] = tiny_frames["actions"].iloc[[1]][["ex_date", "code", "kind", "ratio"]]
    m = market_from_tables(tiny_frames)
    assert list(m.actions["kind"]) == ["split"] and np.isnan(m.actions["amount_hkd"][0])


def test_action_pay_before_ex(tiny_frames):
    i = _add_action(tiny_frames, pay_date=pd.Timestamp("2024-01-16"))
    _raises(
        tiny_frames,
        rf"pay date before ex-date \(source=actions, row={i}, date=2024-01-17, code=0013, field=pay_date",
    )


def test_action_missing_ex_date(tiny_frames):
    i = _add_action(tiny_frames, ex_date=pd.NaT)
    _raises(tiny_frames, rf"missing date \(source=actions, row={i}, code=0013, field=ex_date")


def test_action_ex_date_not_a_session(tiny_frames):
    i = _add_action(tiny_frames, ex_date=pd.Timestamp("2024-01-13"))
    _raises(
        tiny_frames,
        rf"ex-date is not a session of the price data \(source=actions, row={i}, date=2024-01-13",
    )


def test_action_ex_date_on_first_priced_day(tiny_frames):
    i = _add_action(tiny_frames, ex_date=pd.Timestamp("2024-01-10"), code="2269")
    _raises(
        tiny_frames,
        rf"ex-date outside the security's priced life .* \(source=actions, row={i}, date=2024-01-10, code=2269",
    )


def test_action_dividend_not_below_close(tiny_frames):
    i = _add_action(tiny_frames, amount_hkd=1000.0)
    _raises(
        tiny_frames,
        rf"dividend not below the previous close \(source=actions, row={i}, date=2024-01-17, code=0013, field=amount_hkd, value=1000\.0",
    )


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        ("split", {"ratio": 2.0, "amount_hkd": np.nan}),
        ("bonus", {"ratio": 0.1, "amount_hkd": np.nan}),
        ("rights", {"ratio": 0.2, "price_hkd": 5.0, "amount_hkd": np.nan}),
        ("cash_dividend", {"amount_hkd": 0.1}),
    ],
)
def test_action_exact_duplicate_is_rejected(tiny_frames, kind, row):
    first = _add_action(tiny_frames, kind=kind, **row)
    second = _add_action(tiny_frames, kind=kind, **row)
    _raises(
        tiny_frames,
        rf"duplicated corporate action: .*repeats row {first} with the same ex-date and code "
        rf".*\(source=actions, row={second}, date=2024-01-17, code=0013, field=kind, "
        rf"value='rows {first} and {second}'",
    )


def test_action_duplicate_split_with_another_ratio_is_still_a_duplicate(tiny_frames):
    # two splits of one code on one day: whatever the ratios, one of them is wrong
    _add_action(tiny_frames, kind="split", ratio=2.0, amount_hkd=np.nan)
    i = _add_action(tiny_frames, kind="split", ratio=5.0, amount_hkd=np.nan)
    _raises(tiny_frames, rf"duplicated corporate action: split .*row={i}, date=2024-01-17")


def test_action_two_different_dividends_on_one_day_are_kept(tiny_frames):
    # a final and a special dividend on the same ex-date: different amounts, both kept
    _add_action(tiny_frames, amount_hkd=0.1)
    _add_action(tiny_frames, amount_hkd=0.25)
    # a dividend and a split of the same code on one day are not duplicates either
    _add_action(tiny_frames, kind="split", ratio=2.0, amount_hkd=np.nan)
    act = market_from_tables(tiny_frames).actions
    day = act[(act["code"] == "0013") & (act["ex_date"] == pd.Timestamp("2024-01-17"))]
    assert sorted(day["kind"]) == ["cash_dividend", "cash_dividend", "split"]
    assert sorted(day["amount_hkd"].dropna()) == [0.1, 0.25]


def test_action_duplicate_named_with_csv_lines(tiny_frames):
    first = _add_action(tiny_frames, kind="bonus", ratio=0.1, amount_hkd=np.nan)
    second = _add_action(tiny_frames, kind="bonus", ratio=0.1, amount_hkd=np.nan)
    _raises(
        tiny_frames,
        rf"repeats row {first} \(line {first + 2}\).*row={second},.*line={second + 2}",
        sources={"actions": "data/actions.csv"},
    )


# --------------------------------------------------------------------------- intervals
def _add_interval(frames, **row):
    base = {"code": "2269", "kind": "hsci", "start": pd.Timestamp("2024-01-10"), "end": pd.NaT}
    base.update(row)
    frames["intervals"] = pd.concat([frames["intervals"], pd.DataFrame([base])], ignore_index=True)
    return len(frames["intervals"]) - 1


def test_interval_unknown_code(tiny_frames):
    i = _add_interval(tiny_frames, code="0700")
    _raises(
        tiny_frames,
        rf"membership interval for an unknown code \(source=intervals, row={i}, code=0700, field=code",
    )


def test_interval_unknown_kind(tiny_frames):
    i = _add_interval(tiny_frames, kind="hsi")
    _raises(
        tiny_frames,
        rf"unknown interval kind \(source=intervals, row={i}, code=2269, field=kind, value='hsi'",
    )


def test_interval_end_before_start(tiny_frames):
    i = _add_interval(tiny_frames, end=pd.Timestamp("2024-01-09"))
    _raises(
        tiny_frames,
        rf"interval ends before it starts \(source=intervals, row={i}, date=2024-01-09, code=2269, field=end",
    )


def test_interval_missing_start(tiny_frames):
    i = _add_interval(tiny_frames, start=pd.NaT)
    _raises(tiny_frames, rf"missing date \(source=intervals, row={i}, code=2269, field=start")


# --------------------------------------------------------------------------- relevance
def _add_score(frames, **row):
    base = {"as_of": pd.Timestamp("2024-01-16"), "code": "2269", "score": 0.5}
    base.update(row)
    frames["relevance"] = pd.concat([frames["relevance"], pd.DataFrame([base])], ignore_index=True)
    return len(frames["relevance"]) - 1


def test_relevance_unknown_code(tiny_frames):
    i = _add_score(tiny_frames, code="0700")
    _raises(
        tiny_frames,
        rf"relevance score for an unknown code \(source=relevance, row={i}, date=2024-01-16, code=0700",
    )


@pytest.mark.parametrize("score", [-0.1, np.nan, "high"])
def test_relevance_bad_score(tiny_frames, score):
    tiny_frames["relevance"]["score"] = tiny_frames["relevance"]["score"].astype(object)
    i = _add_score(tiny_frames, score=score)
    _raises(
        tiny_frames,
        rf"relevance score must be a non-negative number \(source=relevance, row={i}, date=2024-01-16, code=2269, field=score",
    )


def test_relevance_duplicated(tiny_frames):
    i = _add_score(tiny_frames, code="1801")
    _raises(
        tiny_frames,
        rf"duplicated \(as_of, code\) relevance row \(source=relevance, row={i}, date=2024-01-16, code=1801",
    )


def test_relevance_missing_as_of(tiny_frames):
    i = _add_score(tiny_frames, as_of=pd.NaT)
    _raises(tiny_frames, rf"missing date \(source=relevance, row={i}, code=2269, field=as_of")


# --------------------------------------------------------------------------- fx
def test_fx_gap(tiny_frames):
    fx = tiny_frames["fx"]
    tiny_frames["fx"] = fx[fx["date"] != pd.Timestamp("2024-01-19")]
    _raises(
        tiny_frames,
        r"HKD->CNY fixing missing or non-positive on a session \(source=fx, date=2024-01-19, field=hkd_cny\)",
    )


def test_fx_non_positive(tiny_frames):
    tiny_frames["fx"].loc[3, "hkd_cny"] = 0.0
    d = tiny_frames["fx"]["date"][3].strftime("%Y-%m-%d")
    _raises(
        tiny_frames,
        rf"fixing missing or non-positive on a session \(source=fx, date={d}, field=hkd_cny, value=0\.0",
    )


def test_fx_duplicated_date(tiny_frames):
    fx = tiny_frames["fx"]
    tiny_frames["fx"] = pd.concat([fx, fx.iloc[[4]]], ignore_index=True)
    d = fx["date"][4].strftime("%Y-%m-%d")
    _raises(tiny_frames, rf"duplicated fixing date \(source=fx, row={len(fx)}, date={d}")


def test_fx_series_and_extra_days(tiny_frames, tiny_market):
    fx = tiny_frames["fx"].set_index("date")["hkd_cny"]
    # a fixing on a Saturday (mainland fixings exist on days Hong Kong is closed) is not needed
    fx.loc[pd.Timestamp("2024-01-06")] = 0.91
    tiny_frames["fx"] = fx
    assert market_from_tables(tiny_frames).fingerprint() == tiny_market.fingerprint()


def test_fx_default_is_one(tiny_frames):
    tiny_frames["fx"] = None
    with pytest.warns(UserWarning, match=r"market 'tiny-nofx': no HKD->CNY fixings"):
        m = market_from_tables(tiny_frames, source="tiny-nofx")
    assert (m.fx == 1.0).all() and m.fx.index.equals(m.dates)
    assert m.fx_is_placeholder


def test_fx_placeholder_warning_says_cny_equals_hkd(tiny_frames):
    tiny_frames["fx"] = None
    with pytest.warns(UserWarning) as record:
        market_from_tables(tiny_frames)
    (w,) = [r for r in record if "fixing" in str(r.message)]
    assert "'frames'" in str(w.message)
    assert "every CNY figure (fund NAV, cash) equals the HKD figure" in str(w.message)


def test_real_fx_is_not_a_placeholder_and_does_not_warn(tiny_frames):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = market_from_tables(tiny_frames)
    assert not m.fx_is_placeholder
    # a fixing that is 1.0 on most sessions but not all is real data
    fx = tiny_frames["fx"].assign(hkd_cny=1.0)
    fx.loc[3, "hkd_cny"] = 0.99
    tiny_frames["fx"] = fx
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not market_from_tables(tiny_frames).fx_is_placeholder


def test_fx_given_as_exactly_one_everywhere_is_the_placeholder(tiny_frames):
    tiny_frames["fx"] = tiny_frames["fx"].assign(hkd_cny=1.0)
    with pytest.warns(UserWarning, match="every fixing is exactly 1.0"):
        m = market_from_tables(tiny_frames)
    assert m.fx_is_placeholder


def test_fx_wrong_type(tiny_frames):
    tiny_frames["fx"] = [0.9] * 22
    _raises(tiny_frames, "fx must be a Series or a DataFrame, got list")


def test_from_frames_is_the_entry_point():
    f = tiny_market_frames()
    m = MarketData.from_frames(f["prices"], f["securities"])
    assert len(m.actions) == 0 and len(m.intervals) == 0 and len(m.relevance) == 0
    assert re.search(r"4 securities, 0 actions", repr(m))


_BAD_VALUES = {
    "close_hkd": [0.0, -3.0, np.nan, np.inf],
    "shares": [0.0, -1.0, np.nan],
    "free_float": [0.0, 1.0000001, -0.5, np.nan],
    "traded_value_hkd": [-0.01, np.nan, -np.inf],
}


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_bad_cell_is_named(data):
    """Invariant: one bad value anywhere in prices -> an error naming exactly that row, code, field."""
    f = tiny_market_frames()
    px = f["prices"]
    i = data.draw(st.integers(0, len(px) - 1), label="row")
    field = data.draw(st.sampled_from(sorted(_BAD_VALUES)), label="field")
    value = data.draw(st.sampled_from(_BAD_VALUES[field]), label="value")
    px.loc[i, field] = value
    d = px.loc[i, "date"].strftime("%Y-%m-%d")
    with pytest.raises(
        DataError,
        match=rf"\(source=prices, row={i}, date={d}, code={px.loc[i, 'code']}, field={field}, value=",
    ):
        market_from_tables(f)
