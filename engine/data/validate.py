"""Validation and alignment of tidy frames into :class:`~engine.data.market.MarketData`.

Every check raises :class:`~engine.errors.DataError` (or :class:`~engine.errors.CalendarError`) whose
message names the table, the row (0-based position in the input frame), the date, the code and the field.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.calendar import check_sessions, hkex_sessions
from engine.data.market import (
    ACTION_COLUMNS,
    ACTION_KINDS,
    INTERVAL_KINDS,
    PRICE_COLUMNS,
    SECURITY_COLUMNS,
)
from engine.errors import DataError, describe


def _require(frame: pd.DataFrame, columns: list[str], table: str, optional: tuple[str, ...] = ()) -> None:
    missing = [c for c in columns if c not in frame.columns and c not in optional]
    if missing:
        raise DataError(
            describe(
                f"missing column(s) {missing}",
                source=table,
                fix=f"the table needs columns {columns}",
            )
        )


def _dates(series: pd.Series, table: str, field: str) -> pd.Series:
    try:
        out = pd.to_datetime(series)
    except (ValueError, TypeError) as exc:
        raise DataError(describe(f"unparseable date ({exc})", source=table, field=field)) from None
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.astype("datetime64[ns]")


def _codes(series: pd.Series) -> pd.Series:
    def norm(v):
        if isinstance(v, (int, np.integer)):
            return f"{int(v):04d}"
        s = str(v).strip().upper().removesuffix(".HK")
        return s.zfill(4) if s.isdigit() else s

    return series.map(norm).astype(object)


def _first_bad(mask: np.ndarray | pd.Series) -> int | None:
    idx = np.flatnonzero(np.asarray(mask))
    return int(idx[0]) if len(idx) else None


def _check_securities(sec: pd.DataFrame) -> pd.DataFrame:
    _require(sec, SECURITY_COLUMNS, "securities", optional=("sub_industry", "is_18a", "delisting_date"))
    sec = sec.copy().reset_index(drop=True)
    sec["code"] = _codes(sec["code"])
    for col, default in (("sub_industry", ""), ("is_18a", False), ("delisting_date", pd.NaT)):
        if col not in sec.columns:
            sec[col] = default
    dup = sec["code"].duplicated(keep=False)
    if dup.any():
        i = _first_bad(dup)
        raise DataError(describe("duplicated security code", source="securities", row=i, code=sec["code"][i], field="code"))
    sec["listing_date"] = _dates(sec["listing_date"], "securities", "listing_date")
    sec["delisting_date"] = _dates(sec["delisting_date"], "securities", "delisting_date")
    sec["is_cxo"] = sec["is_cxo"].astype(bool)
    sec["is_18a"] = sec["is_18a"].astype(bool)
    lot = pd.to_numeric(sec["board_lot"], errors="coerce")
    bad = _first_bad(~(lot > 0) | (lot != np.round(lot)))
    if bad is not None:
        raise DataError(
            describe("board lot must be a positive whole number", source="securities", row=bad,
                     code=sec["code"][bad], field="board_lot", value=sec["board_lot"][bad])
        )
    sec["board_lot"] = lot.astype(np.int64)
    for col in ("name", "industry", "sub_industry", "wht_class"):
        sec[col] = sec[col].fillna("").astype(str).astype(object)
    return sec[SECURITY_COLUMNS].sort_values("code").reset_index(drop=True)


def build(cls, *, prices, securities, actions, intervals, relevance, fx, synthetic, source):
    """Validate the frames and return ``cls(...)`` (a :class:`MarketData`)."""
    sec = _check_securities(securities)
    known = set(sec["code"])

    # ---------------------------------------------------------------- prices
    _require(prices, PRICE_COLUMNS, "prices", optional=("suspended",))
    px = prices.reset_index(drop=True).copy()
    px["code"] = _codes(px["code"])
    px["date"] = _dates(px["date"], "prices", "date")
    if "suspended" not in px.columns:
        px["suspended"] = False
    unknown = ~px["code"].isin(known)
    if unknown.any():
        i = _first_bad(unknown)
        raise DataError(
            describe("price row for a code missing from the security master", source="prices", row=i,
                     date=px["date"][i], code=px["code"][i], field="code",
                     fix="add the security to the master or remove its rows")
        )
    dup = px.duplicated(["date", "code"], keep=False)
    if dup.any():
        i = _first_bad(dup)
        raise DataError(
            describe("duplicated (date, code) row", source="prices", row=i, date=px["date"][i],
                     code=px["code"][i], fix="keep one row per security and session")
        )
    for col, lo_open, hi in (("close_hkd", True, None), ("shares", True, None), ("free_float", True, 1.0),
                             ("traded_value_hkd", False, None)):
        vals = pd.to_numeric(px[col], errors="coerce").to_numpy(dtype=float)
        bad_mask = ~np.isfinite(vals) | ((vals <= 0) if lo_open else (vals < 0))
        if hi is not None:
            bad_mask |= vals > hi
        i = _first_bad(bad_mask)
        if i is not None:
            rule = {"close_hkd": "close price must be a positive number",
                    "shares": "issued shares must be a positive number",
                    "free_float": "free-float factor must lie in (0, 1]",
                    "traded_value_hkd": "traded value must be a non-negative number"}[col]
            raise DataError(describe(rule, source="prices", row=i, date=px["date"][i], code=px["code"][i],
                                     field=col, value=px[col][i]))
        px[col] = vals
    px["suspended"] = px["suspended"].fillna(False).astype(bool)
    check_sessions(pd.DatetimeIndex(px["date"].unique()), source="prices")

    dates = hkex_sessions(px["date"].min(), px["date"].max())
    codes = tuple(sec["code"])
    t = dates.get_indexer(px["date"])
    j = pd.Index(codes).get_indexer(px["code"])
    shape = (len(dates), len(codes))
    panels = {}
    for col in ("close_hkd", "shares", "free_float", "traded_value_hkd"):
        arr = np.full(shape, np.nan)
        arr[t, j] = px[col].to_numpy()
        panels[col] = arr
    susp = np.zeros(shape, dtype=bool)
    susp[t, j] = px["suspended"].to_numpy()

    # every session between first and last row must be there (suspended days are rows, flagged)
    have = ~np.isnan(panels["close_hkd"])
    for jj, code in enumerate(codes):
        rows = np.flatnonzero(have[:, jj])
        if len(rows) == 0:
            continue
        gap = _first_bad(~have[rows[0]: rows[-1] + 1, jj])
        if gap is not None:
            raise DataError(
                describe("missing price row inside the listed period", source="prices",
                         date=dates[rows[0] + gap], code=code, field="close_hkd",
                         fix="add the row (a suspended day carries the last close with suspended=True)")
            )

    # ---------------------------------------------------------------- actions
    if actions is None or len(actions) == 0:
        act = pd.DataFrame({c: pd.Series(dtype=float) for c in ACTION_COLUMNS})
        act["ex_date"] = act["ex_date"].astype("datetime64[ns]")
        act["pay_date"] = act["pay_date"].astype("datetime64[ns]")
        act["code"] = act["code"].astype(object)
        act["kind"] = act["kind"].astype(object)
    else:
        _require(actions, ACTION_COLUMNS, "actions", optional=("amount_hkd", "ratio", "price_hkd", "pay_date"))
        act = actions.reset_index(drop=True).copy()
        for c in ("amount_hkd", "ratio", "price_hkd"):
            act[c] = pd.to_numeric(act[c], errors="coerce") if c in act.columns else np.nan
        act["code"] = _codes(act["code"])
        act["ex_date"] = _dates(act["ex_date"], "actions", "ex_date")
        act["pay_date"] = _dates(act["pay_date"], "actions", "pay_date") if "pay_date" in act.columns else pd.NaT
        act["pay_date"] = act["pay_date"].fillna(act["ex_date"])
        act["kind"] = act["kind"].astype(str).str.strip().str.lower()
        for i in range(len(act)):
            r = act.iloc[i]
            where = {"source": "actions", "row": i, "date": r["ex_date"], "code": r["code"]}
            if r["code"] not in known:
                raise DataError(describe("corporate action for an unknown code", field="code", **where))
            if r["kind"] not in ACTION_KINDS:
                raise DataError(describe("unknown corporate-action kind", field="kind", value=r["kind"],
                                         fix=f"use one of {ACTION_KINDS}", **where))
            need = {"cash_dividend": ("amount_hkd",), "split": ("ratio",), "bonus": ("ratio",),
                    "rights": ("ratio", "price_hkd")}[r["kind"]]
            for c in need:
                if not (np.isfinite(r[c]) and r[c] > 0):
                    raise DataError(describe(f"{r['kind']} needs a positive {c}", field=c, value=r[c], **where))
            if r["pay_date"] < r["ex_date"]:
                raise DataError(describe("pay date before ex-date", field="pay_date", **where))
            tt = dates.get_indexer([r["ex_date"]])[0]
            if tt < 0:
                raise DataError(describe("ex-date is not a session of the price data", field="ex_date", **where))
            jj = codes.index(r["code"])
            if np.isnan(panels["close_hkd"][tt, jj]) or tt == 0 or np.isnan(panels["close_hkd"][tt - 1, jj]):
                raise DataError(describe("ex-date outside the security's priced life (needs a close on the ex-date "
                                         "and the session before)", field="ex_date", **where))
            if r["kind"] == "cash_dividend" and r["amount_hkd"] >= panels["close_hkd"][tt - 1, jj]:
                raise DataError(describe("dividend not below the previous close", field="amount_hkd",
                                         value=r["amount_hkd"], **where))
        act = act[ACTION_COLUMNS].sort_values(["ex_date", "code", "kind"], kind="stable").reset_index(drop=True)

    # ---------------------------------------------------------------- intervals
    if intervals is None or len(intervals) == 0:
        iv = pd.DataFrame({"code": pd.Series(dtype=object), "kind": pd.Series(dtype=object),
                           "start": pd.Series(dtype="datetime64[ns]"), "end": pd.Series(dtype="datetime64[ns]")})
    else:
        _require(intervals, ["code", "kind", "start", "end"], "intervals")
        iv = intervals.reset_index(drop=True).copy()
        iv["code"] = _codes(iv["code"])
        iv["kind"] = iv["kind"].astype(str).str.strip().str.lower()
        iv["start"] = _dates(iv["start"], "intervals", "start")
        iv["end"] = _dates(iv["end"], "intervals", "end")
        for i in range(len(iv)):
            r = iv.iloc[i]
            where = {"source": "intervals", "row": i, "code": r["code"]}
            if r["code"] not in known:
                raise DataError(describe("membership interval for an unknown code", field="code", **where))
            if r["kind"] not in INTERVAL_KINDS:
                raise DataError(describe("unknown interval kind", field="kind", value=r["kind"],
                                         fix=f"use one of {INTERVAL_KINDS}", **where))
            if pd.notna(r["end"]) and r["end"] < r["start"]:
                raise DataError(describe("interval ends before it starts", field="end", date=r["end"], **where))
        iv = iv[["code", "kind", "start", "end"]].sort_values(["kind", "code", "start"]).reset_index(drop=True)

    # ---------------------------------------------------------------- relevance
    if relevance is None or len(relevance) == 0:
        rel = pd.DataFrame({"as_of": pd.Series(dtype="datetime64[ns]"), "code": pd.Series(dtype=object),
                            "score": pd.Series(dtype=float)})
    else:
        _require(relevance, ["as_of", "code", "score"], "relevance")
        rel = relevance.reset_index(drop=True)[["as_of", "code", "score"]].copy()
        rel["code"] = _codes(rel["code"])
        rel["as_of"] = _dates(rel["as_of"], "relevance", "as_of")
        rel["score"] = pd.to_numeric(rel["score"], errors="coerce")
        i = _first_bad(~rel["code"].isin(known))
        if i is not None:
            raise DataError(describe("relevance score for an unknown code", source="relevance", row=i,
                                     code=rel["code"][i], field="code"))
        i = _first_bad(~np.isfinite(rel["score"].to_numpy()) | (rel["score"].to_numpy() < 0))
        if i is not None:
            raise DataError(describe("relevance score must be a non-negative number", source="relevance", row=i,
                                     code=rel["code"][i], field="score", value=rel["score"][i]))
        dup = rel.duplicated(["as_of", "code"], keep=False)
        if dup.any():
            i = _first_bad(dup)
            raise DataError(describe("duplicated (as_of, code) relevance row", source="relevance", row=i,
                                     date=rel["as_of"][i], code=rel["code"][i]))

    # ---------------------------------------------------------------- fx
    if fx is None:
        fx_s = pd.Series(1.0, index=dates, name="hkd_cny")
    else:
        if isinstance(fx, pd.DataFrame):
            _require(fx, ["date", "hkd_cny"], "fx")
            fx_s = pd.Series(pd.to_numeric(fx["hkd_cny"], errors="coerce").to_numpy(),
                             index=pd.DatetimeIndex(_dates(fx["date"], "fx", "date")))
        else:
            fx_s = pd.Series(pd.to_numeric(fx, errors="coerce").to_numpy(),
                             index=pd.DatetimeIndex(_dates(pd.Series(fx.index), "fx", "date")))
        if fx_s.index.duplicated().any():
            raise DataError(describe("duplicated fixing date", source="fx",
                                     date=fx_s.index[fx_s.index.duplicated()][0]))
        fx_s = fx_s.reindex(dates)
        i = _first_bad(~np.isfinite(fx_s.to_numpy()) | (fx_s.to_numpy() <= 0))
        if i is not None:
            raise DataError(describe("HKD->CNY fixing missing or non-positive on a session", source="fx",
                                     date=dates[i], field="hkd_cny",
                                     fix="provide a positive fixing for every HKEX session"))
        fx_s = fx_s.rename("hkd_cny")
    fx_s.index.name = "date"

    for arr in (*panels.values(), susp):
        arr.setflags(write=False)
    return cls(
        dates=dates,
        codes_=codes,
        close_hkd=panels["close_hkd"],
        shares=panels["shares"],
        free_float=panels["free_float"],
        traded_value_hkd=panels["traded_value_hkd"],
        suspended=susp,
        securities=sec,
        intervals=iv,
        actions=act,
        relevance=rel.sort_values(["as_of", "code"]).reset_index(drop=True),
        fx=fx_s,
        synthetic=bool(synthetic),
        source=source,
    )
