"""The small tables: corporate actions, membership intervals, relevance scores and FX fixings."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd

from engine.data.fx import is_placeholder as is_placeholder_fx
from engine.data.plausibility import check_rights
from engine.data.schema import (
    ACTION_COLUMNS,
    ACTION_KINDS,
    ACTION_NEEDS,
    FX_COLUMNS,
    INTERVAL_COLUMNS,
    INTERVAL_KINDS,
    OPTIONAL_COLUMNS,
    RELEVANCE_COLUMNS,
)
from engine.data.validate._common import (
    Report,
    _codes,
    _describe,
    _first_bad,
    _numbers,
    _plain,
    _require,
    _Where,
    date_values,
)
from engine.data.validate.prices import Aligned
from engine.errors import DataError


# --------------------------------------------------------------------------- actions
def _empty(columns: list[str], **dtypes) -> pd.DataFrame:
    """A table with ``columns`` and no rows: dates, text (``object``) and floats as ``dtypes`` say
    (``True`` for dates); float where unnamed."""
    kinds = {c: "datetime64[ns]" if d is True else d for c, d in dtypes.items()}
    return pd.DataFrame({c: pd.Series(dtype=kinds.get(c, float)) for c in columns})


def _check_actions(
    actions, known, a: Aligned, where: _Where, rep: Report, dropped=frozenset(), plausibility=None
):
    """The validated actions table, sorted by (ex_date, code, kind): parsed (:func:`_read_actions`),
    each row checked in order (:func:`_action_checks`), duplicates and, with ``plausibility``,
    rights priced above the market reported; the rows at fault left out (collect mode)."""
    if actions is None or len(actions) == 0:
        return _empty(ACTION_COLUMNS, ex_date=True, pay_date=True, code=object, kind=object)
    _require(actions, ACTION_COLUMNS, where, "actions", optional=OPTIONAL_COLUMNS["actions"])
    act = _read_actions(actions, where, rep)
    keep = (act["code"] != "").to_numpy() & act["ex_date"].notna().to_numpy()
    if dropped:
        keep &= ~act["code"].isin(dropped).to_numpy()
    code = act["code"].to_numpy(object)
    kind = act["kind"].to_numpy(object)
    ex = act["ex_date"]
    close = a.panels["close_hkd"]
    tt = a.dates.get_indexer(pd.DatetimeIndex(ex))
    jj = pd.Index(a.codes).get_indexer(pd.Index(code, dtype=object))
    ok = (tt > 0) & (jj >= 0)
    c_on = np.where(ok, close[np.maximum(tt, 0), np.maximum(jj, 0)], np.nan)
    c_prev = np.where(ok, close[np.maximum(tt - 1, 0), np.maximum(jj, 0)], np.nan)
    c_on = np.where(tt == 0, np.nan, c_on)
    checks = _action_checks(act, known, code, kind, tt, c_on, c_prev)
    _ordered_checks(checks, keep, "actions", where, rep, dates=ex, codes=code, kinds=kind)
    _check_duplicate_actions(act, where, rep, keep)
    if plausibility is not None:
        check_rights(act[keep], c_prev[keep], plausibility, where, rep)
    act = act[keep] if not keep.all() else act
    act = act[ACTION_COLUMNS]
    return act.sort_values(["ex_date", "code", "kind"], kind="stable").reset_index(drop=True)


def _read_actions(actions: pd.DataFrame, where: _Where, rep: Report) -> pd.DataFrame:
    """The actions with numbers, normalised codes, parsed dates (pay date defaulting to the
    ex-date) and lower-case kinds."""
    act = actions.reset_index(drop=True).copy()
    for c in ("amount_hkd", "ratio", "price_hkd"):
        act[c] = _numbers(act[c]) if c in act.columns else np.nan
    act["code"] = _codes(act["code"], where, "actions", rep)
    code_at = act["code"].__getitem__
    act["ex_date"] = date_values(
        act["ex_date"], where, "actions", "ex_date", required=True, rep=rep, code_at=code_at
    )
    if "pay_date" in act.columns:
        act["pay_date"] = date_values(
            act["pay_date"], where, "actions", "pay_date", required=False, rep=rep, code_at=code_at
        )
    else:
        act["pay_date"] = pd.NaT
    act["pay_date"] = act["pay_date"].fillna(act["ex_date"]).astype("datetime64[ns]")
    act["kind"] = _kinds(act["kind"])
    return act


def _kinds(kind: pd.Series) -> pd.Series:
    """A kind column as lower-case text without surrounding blanks ("" where missing)."""
    kind = kind.astype(object).where(kind.notna(), "")
    return kind.astype(str).str.strip().str.lower().astype(object)


def _action_checks(act, known, code, kind, tt, c_on, c_prev) -> list[tuple[np.ndarray, dict]]:
    """The row checks of the actions table, in the order a row is reported for the first it fails
    (see :func:`_ordered_checks`); ``tt`` the ex-date row, ``c_on`` / ``c_prev`` the closes on the
    ex-date and the session before (NaN where none)."""
    ex = act["ex_date"]
    checks: list[tuple[np.ndarray, dict]] = [
        (
            ~pd.Series(code).isin(known).to_numpy(),
            dict(
                what="corporate action for an unknown code",
                field="code",
                fix="add the security to the master or remove the action",
            ),
        ),
        (
            ~pd.Series(kind).isin(ACTION_KINDS).to_numpy(),
            dict(
                what="unknown corporate-action kind",
                field="kind",
                value=kind,
                fix=f"use one of {ACTION_KINDS}",
            ),
        ),
    ]
    for c in ("amount_hkd", "ratio", "price_hkd"):  # (rights: ratio before price)
        v = act[c].to_numpy(float)
        need = np.isin(kind, [k for k, cols in ACTION_NEEDS.items() if c in cols])
        with np.errstate(invalid="ignore"):
            bad = need & ~(np.isfinite(v) & (v > 0))
        spec = dict(what="{kind} needs a positive " + c, field=c, value=v, fix=f"fill in {c}")
        checks.append((bad, spec))
    checks += [
        (
            (act["pay_date"] < ex).to_numpy(),
            dict(what="pay date before ex-date", field="pay_date"),
        ),
        (
            tt < 0,
            dict(
                what="ex-date is not a session of the price data",
                field="ex_date",
                fix="use an HKEX session inside the price history",
            ),
        ),
        (
            np.isnan(c_on) | np.isnan(c_prev),
            dict(
                what="ex-date outside the security's priced life (needs a close on the ex-date "
                "and the session before)",
                field="ex_date",
            ),
        ),
        (
            (kind == "cash_dividend") & (act["amount_hkd"].to_numpy(float) >= c_prev),
            dict(
                what="dividend not below the previous close",
                field="amount_hkd",
                value=act["amount_hkd"].to_numpy(float),
            ),
        ),
    ]
    return checks


def _ordered_checks(checks, keep, table, where: _Where, rep: Report, *, dates, codes, kinds=None):
    """Row checks in order: each row is reported for the first check it fails (in raise mode the
    first row at fault raises), and ``keep`` loses the rows at fault."""
    status = np.full(len(keep), -1)
    for k, (mask, _) in enumerate(checks):
        status[(status < 0) & keep & np.asarray(mask, dtype=bool)] = k
    if not rep.collect:
        first = _first_bad(status >= 0)
        if first is not None:
            status = np.where(np.arange(len(keep)) == first, status, -1)
    for k, (_, spec) in enumerate(checks):
        spec = dict(spec)
        what = spec.pop("what")
        for i in rep.each(status == k, what, where.label(table)):
            extra = {
                key: (_plain(val[i]) if isinstance(val, np.ndarray) else val)
                for key, val in spec.items()
            }
            rep.fail(
                what.format(kind=None if kinds is None else kinds[i]),
                **where(table, i, date=dates[i], code=codes[i]),
                **extra,
            )
    keep &= status < 0


def _check_duplicate_actions(act: pd.DataFrame, where: _Where, rep: Report, keep) -> None:
    """Reject repeated action rows, which would otherwise be applied twice.

    A split, bonus or rights issue is identified by ``(ex_date, code, kind)``: two of the same kind
    on one day for one code are a duplicate.  Cash dividends are identified by ``(ex_date, code,
    kind, amount_hkd)``: two dividends of different amounts on one day (e.g. a final and a special
    dividend) stay allowed, the same amount twice is a duplicate.
    """
    key = act["amount_hkd"].where(act["kind"] == "cash_dividend")
    ident = pd.DataFrame(
        {
            "ex_date": act["ex_date"],
            "code": act["code"],
            "kind": act["kind"],
            "amount": key.to_numpy(dtype=float),
        }
    )[keep]
    dup = np.zeros(len(act), dtype=bool)
    dup[np.flatnonzero(keep)] = ident.duplicated(keep="first").to_numpy(dtype=bool)
    label = where.label("actions")
    for i in rep.each(dup, "duplicated corporate action", label):
        same = (
            (ident["ex_date"] == act["ex_date"][i])
            & (ident["code"] == act["code"][i])
            & (ident["kind"] == act["kind"][i])
        ).to_numpy(dtype=bool)
        if act["kind"][i] == "cash_dividend":
            same = same & (ident["amount"] == ident["amount"][i]).to_numpy(dtype=bool)
        first = int(ident.index[np.flatnonzero(same)[0]])
        line = f" (line {first + 2})" if label.endswith(".csv") else ""
        what = (
            f"cash dividend of HKD {act['amount_hkd'][i]!r}"
            if act["kind"][i] == "cash_dividend"
            else str(act["kind"][i])
        )
        rep.fail(
            f"duplicated corporate action: {what} repeats row {first}{line} with the same "
            "ex-date and code (it would be applied twice)",
            **where("actions", i, date=act["ex_date"][i], code=act["code"][i], field="kind"),
            value=f"rows {first} and {i}",
            fix="keep one row per action (two different cash dividends on one day need "
            "different amounts; otherwise merge them into one row)",
        )
    keep &= ~dup


# --------------------------------------------------------------------------- intervals
def _check_intervals(intervals, known, where: _Where, rep: Report, dropped=frozenset()):
    if intervals is None or len(intervals) == 0:
        return _empty(INTERVAL_COLUMNS, code=object, kind=object, start=True, end=True)
    _require(intervals, INTERVAL_COLUMNS, where, "intervals")
    iv = intervals.reset_index(drop=True).copy()
    iv["code"] = _codes(iv["code"], where, "intervals", rep)
    iv["kind"] = _kinds(iv["kind"])
    for col in ("start", "end"):
        at = dict(required=col == "start", rep=rep, code_at=iv["code"].__getitem__)
        iv[col] = date_values(iv[col], where, "intervals", col, **at)
    keep = (iv["code"] != "").to_numpy() & iv["start"].notna().to_numpy()
    if dropped:
        keep &= ~iv["code"].isin(dropped).to_numpy()
    kinds = {"value": iv["kind"], "fix": f"use one of {INTERVAL_KINDS}"}
    for mask, what, field, extra in (
        (
            ~iv["code"].isin(known).to_numpy(),
            "membership interval for an unknown code",
            "code",
            {"fix": "add the security to the master or remove the interval"},
        ),
        (~iv["kind"].isin(INTERVAL_KINDS).to_numpy(), "unknown interval kind", "kind", kinds),
        (
            (iv["end"] < iv["start"]).to_numpy(dtype=bool),
            "interval ends before it starts",
            "end",
            {},
        ),
    ):
        date = iv["end"] if field == "end" else None
        rep.flag(
            mask & keep, what, where, "intervals", date=date, code=iv["code"], field=field, **extra
        )
        keep &= ~mask
    _check_overlaps(iv, keep, where, rep)
    iv = iv[keep] if not keep.all() else iv
    iv = iv[["code", "kind", "start", "end"]]
    return iv.sort_values(["kind", "code", "start"], kind="stable").reset_index(drop=True)


def _check_overlaps(iv: pd.DataFrame, keep: np.ndarray, where: _Where, rep: Report) -> None:
    """Two intervals of one kind for one code must not overlap (one would be counted twice, or an
    end date would be hidden inside a later interval)."""
    rows = np.flatnonzero(keep)
    if len(rows) < 2:
        return
    srt = iv.iloc[rows].sort_values(["kind", "code", "start"], kind="stable")
    group = [srt["kind"], srt["code"]]
    reach = srt["end"].fillna(pd.Timestamp.max).groupby(group).cummax()
    before = reach.groupby(group).shift(1)  # the latest end among the group's earlier intervals
    overlap = (before.notna() & (before >= srt["start"])).to_numpy()
    if not overlap.any():
        return
    hit = np.zeros(len(iv), dtype=bool)
    hit[srt.index.to_numpy()[overlap]] = True
    partner = {}
    for i in np.flatnonzero(hit):  # error path: the earlier interval each one runs into
        mine = srt[(srt["kind"] == iv["kind"][i]) & (srt["code"] == iv["code"][i])]
        ends = mine["end"].fillna(pd.Timestamp.max)
        earlier = mine[(mine["start"] <= iv["start"][i]) & (ends >= iv["start"][i])]
        partner[i] = int(next(k for k in earlier.index if k != i))
    label = where.label("intervals")
    for i in rep.each(hit, "overlapping membership intervals", label):
        k = partner[i]
        line = f" (line {k + 2})" if label.endswith(".csv") else ""
        end = iv["end"][k]
        rep.fail(
            f"membership interval overlaps row {k}{line} of the same code and kind "
            f"({iv['start'][k]:%Y-%m-%d}..{'open' if pd.isna(end) else f'{end:%Y-%m-%d}'})",
            **where("intervals", i, date=iv["start"][i], code=iv["code"][i], field="start"),
            value=iv["kind"][i],
            fix="merge the two intervals or end the first before the second starts",
        )
    keep &= ~hit


# --------------------------------------------------------------------------- relevance
def _check_relevance(relevance, known, where: _Where, rep: Report, dropped=frozenset()):
    if relevance is None or len(relevance) == 0:
        return _empty(RELEVANCE_COLUMNS, as_of=True, code=object)
    _require(relevance, RELEVANCE_COLUMNS, where, "relevance")
    rel = relevance.reset_index(drop=True)[RELEVANCE_COLUMNS].copy()
    rel["code"] = _codes(rel["code"], where, "relevance", rep)
    rel["as_of"] = date_values(
        rel["as_of"],
        where,
        "relevance",
        "as_of",
        required=True,
        rep=rep,
        code_at=rel["code"].__getitem__,
    )
    raw_score = rel["score"]
    rel["score"] = _numbers(rel["score"])
    keep = (rel["code"] != "").to_numpy() & rel["as_of"].notna().to_numpy()
    if dropped:
        keep &= ~rel["code"].isin(dropped).to_numpy()
    flag = partial(rep.flag, where=where, table="relevance", date=rel["as_of"], code=rel["code"])
    unknown = ~rel["code"].isin(known).to_numpy() & keep
    fix = "add the security to the master or remove the score"
    flag(unknown, "relevance score for an unknown code", field="code", fix=fix)
    keep &= ~unknown
    score = rel["score"].to_numpy()
    with np.errstate(invalid="ignore"):
        bad = (~np.isfinite(score) | (score < 0)) & keep
    flag(bad, "relevance score must be a non-negative number", field="score", value=raw_score)
    keep &= ~bad
    dup = np.zeros(len(rel), dtype=bool)
    dup[keep] = rel[keep].duplicated(["as_of", "code"], keep="first").to_numpy()
    flag(dup, "duplicated (as_of, code) relevance row", fix="keep one score per security and date")
    keep &= ~dup
    rel = rel[keep] if not keep.all() else rel
    return rel.sort_values(["as_of", "code"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- fx
def _check_fx(
    fx, dates: pd.DatetimeIndex, where: _Where, source: str = "frames", rep: Report | None = None
) -> pd.Series:
    rep = rep or Report()
    if fx is None:
        fx_s = pd.Series(1.0, index=dates, name="hkd_cny")
    else:
        if isinstance(fx, pd.DataFrame):
            _require(fx, FX_COLUMNS, where, "fx")
            fx_dates = date_values(fx["date"], where, "fx", "date", required=True, rep=rep)
            values = _numbers(fx["hkd_cny"])
        elif isinstance(fx, pd.Series):
            fx_dates = date_values(pd.Series(fx.index), where, "fx", "date", required=True, rep=rep)
            values = _numbers(fx)
        else:
            raise DataError(
                _describe(
                    f"fx must be a Series or a DataFrame, got {type(fx).__name__}",
                    **where("fx"),
                    fix="pass a Series indexed by date or a frame with date, hkd_cny",
                )
            )
        fx_dates = pd.Series(fx_dates)
        keep = fx_dates.notna().to_numpy().copy()
        dup = fx_dates.duplicated(keep="first").to_numpy() & keep
        rep.flag(
            dup,
            "duplicated fixing date",
            where,
            "fx",
            date=fx_dates,
            field="date",
            fix="keep one fixing per date",
        )
        keep &= ~dup
        fx_s = pd.Series(values[keep], index=pd.DatetimeIndex(fx_dates[keep])).reindex(dates)
        arr = fx_s.to_numpy()
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(arr) | (arr <= 0)
        what = "HKD->CNY fixing missing or non-positive on a session"
        for i in rep.each(bad, what, where.label("fx")):
            rep.fail(
                what,
                **where("fx", date=dates[i], field="hkd_cny"),
                value=None if np.isnan(arr[i]) else float(arr[i]),
                fix="provide a positive fixing for every HKEX session of the price data",
            )
        fx_s = fx_s.rename("hkd_cny")
    fx_s.index.name = "date"
    if is_placeholder_fx(fx_s) and not rep.collect:
        given = "no HKD->CNY fixings were given" if fx is None else "every fixing is exactly 1.0"
        warnings.warn(
            f"market {source!r}: {given}, so the placeholder fixing 1.0 CNY per HKD is used and "
            "every CNY figure (fund NAV, cash) equals the HKD figure; pass fx= (CNY per HKD per "
            "session) for real CNY values",
            UserWarning,
            stacklevel=4,
        )
    return fx_s
