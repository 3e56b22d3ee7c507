"""The optional tables of :func:`engine.data.onboard.onboard`, each read and checked in one step.

Every step takes the priced ``codes`` and ``sessions`` of the onboarded market, raises a
:class:`~engine.errors.DataError` naming the table, row, code and field for what it cannot use, and
appends a sentence to ``warns`` for every approximation or row it leaves out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine._args import raise_at_first
from engine.data.market import INTERVAL_KINDS, SECURITY_COLUMNS
from engine.data.onboard_read import numbers, session_dates
from engine.data.vendors import normalise_code
from engine.errors import DataError

CLASSIFICATION_FIELDS = [c for c in SECURITY_COLUMNS if c not in ("code", "delisting_date")]

HKD_PER_CNY_RANGE = (1.0, 1.35)
"""Fixings in this range read as HKD per CNY (the inverse of the CNY per HKD the engine wants):
HKD->CNY has stayed between about 0.79 and 0.95 since 2009; its inverse between about 1.05 and
1.27.  A table whose median falls here is rejected as inverted (assumption: a tolerance band)."""


def _codes_of(table: pd.DataFrame, name: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame) or "code" not in table.columns:
        raise DataError(f"{name} must be a table with a code column", source=name, field="code")
    t = table.copy()
    t["code"] = t["code"].astype(str).map(normalise_code)
    return t


def _need_column(t: pd.DataFrame, col: str, name: str, fix: str | None = None) -> None:
    if col not in t.columns:
        what = f"{name} has no {col} column"
        raise DataError(what, source=name, field=col, value=list(t.columns), fix=fix)


def _refuse(codes: list, name: str, what: str, fix: str) -> None:
    """A DataError listing ``codes`` (the first one named) when there are any."""
    if codes:
        raise DataError(what, source=name, code=codes[0], value=codes, fix=fix)


def drop_unpriced(t: pd.DataFrame, codes, name: str, warns: list[str]) -> pd.DataFrame:
    """Rows of ``t`` whose code has prices; the others are left out with a warning."""
    known = t["code"].isin(set(codes)).to_numpy()
    if not known.all():
        extra = sorted(set(t["code"][~known]))
        warns.append(
            f"{name}: {int((~known).sum())} row(s) for {len(extra)} code(s) without prices left "
            f"out: {', '.join(extra)}"
        )
    return t[known].reset_index(drop=True)


# =========================================================================== per-code panels
def per_code_panel(table, value: str, sessions, codes, name: str) -> np.ndarray:
    """``[day, code]`` array from ``code, value`` or ``date, code, value`` (ffill, then bfill)."""
    if np.isscalar(table):
        return np.full((len(sessions), len(codes)), float(table))
    t = _codes_of(table, name)
    _need_column(t, value, name)
    _refuse(
        sorted(set(t["code"]) - set(codes)),
        name,
        f"{name} names codes without prices",
        "drop those rows or add their prices",
    )
    absent = [c for c in codes if c not in set(t["code"])]
    _refuse(
        absent,
        name,
        f"{name} lacks {len(absent)} code(s) that have prices",
        "give every code a value (or use an approximation)",
    )
    t[value] = numbers(t, value, name)
    if "date" in t:
        t["date"] = session_dates(t, name)
        w = t.pivot_table(index="date", columns="code", values=value, aggfunc="last")
        w = w.reindex(w.index.union(sessions)).sort_index().ffill().bfill().reindex(sessions)
    else:
        s = t.drop_duplicates("code", keep="last").set_index("code")[value]
        w = pd.DataFrame(np.tile(s.to_numpy(), (len(sessions), 1)), index=sessions, columns=s.index)
    return w.reindex(columns=codes).to_numpy(float)


def proxy_equal(close, warns) -> np.ndarray:
    """Shares ``1 / close``: every listed code has a market cap of 1 HKD every day."""
    warns.append(
        "shares approximated as 1 / close (approximation='equal'): every listed code has the "
        "same market cap, so weights are equal at each review and rank ties break by code"
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / close


def proxy_traded_value(close, traded, life, sessions, window: int, warns) -> np.ndarray:
    r"""Shares ``mean traded value over window sessions / close``, refreshed on the last session of
    each month (and on a code's first session) and held in between.

    With :math:`\overline{TV}_{i,s}` the mean traded value of code :math:`i` over the ``window``
    listed sessions ending at :math:`s`, :math:`\text{shares}_{i,t} = \overline{TV}_{i,s}/P_{i,s}`
    for the latest refresh session :math:`s \le t`.  Holding the proxy between refreshes keeps
    market caps moving with prices (as real issued shares do) and keeps the proxy from tripping the
    issued-shares plausibility checks.  A code that has not traded yet gets a thousandth of the
    day's smallest positive proxy (so it ranks last).
    """
    tv = pd.DataFrame(np.where(life, traded, np.nan))
    adv = tv.rolling(window, min_periods=1).mean().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = np.nanmin(np.where(adv > 0, adv, np.nan), axis=1, keepdims=True)
        adv = np.where(life & ~(adv > 0), np.nan_to_num(floor, nan=1.0) * 1e-3, adv)
        daily = adv / close
    month_end = np.r_[sessions.month[1:] != sessions.month[:-1], True]
    first = life & ~np.vstack([np.zeros((1, life.shape[1]), bool), life[:-1]])
    refresh = (month_end[:, None] & life) | first
    sh = pd.DataFrame(np.where(refresh, daily, np.nan)).ffill().to_numpy()
    warns.append(
        f"shares approximated by traded value (approximation='traded_value'): market cap "
        f"is proxied by the mean traded value over {window} sessions, refreshed at each month "
        "end and held in between; not a real market cap"
    )
    return sh


def proxy_market_cap(market_cap, close, life, sessions, codes, warns) -> np.ndarray:
    """Shares ``market cap / close`` on each snapshot date, held to the next, back before the first."""
    name = "market_cap"
    t = _codes_of(market_cap, name)
    _need_column(t, "market_cap_hkd", name, "give date, code, market_cap_hkd (HKD)")
    unknown = sorted(set(t["code"]) - set(codes))
    _refuse(
        unknown,
        name,
        f"market_cap names {len(unknown)} code(s) without prices",
        "drop those rows or add the codes' prices",
    )
    mc = numbers(t, "market_cap_hkd", name)
    raise_at_first(
        ~(mc > 0),
        "market cap must be positive",
        row=True,
        source=name,
        code=t["code"],
        field="market_cap_hkd",
        value=t["market_cap_hkd"],
    )
    dates = session_dates(t, name) if "date" in t else pd.Series(sessions[0], index=t.index)
    pos = sessions.searchsorted(pd.DatetimeIndex(dates))
    late = pos >= len(sessions)
    if late.any():
        warns.append(
            f"market_cap: {int(late.sum())} snapshot(s) after the last session left out "
            f"(first: {t['code'][late].iloc[0]} {pd.Timestamp(dates[late].iloc[0]):%Y-%m-%d})"
        )
    snap = np.full(close.shape, np.nan)
    col = {c: j for j, c in enumerate(codes)}
    for i in np.flatnonzero(~late):
        p, j = int(pos[i]), col[t["code"].iloc[i]]
        snap[p, j] = mc[i] / close[p, j] if life[p, j] else np.nan
    warns.append(
        "shares approximated from point-in-time market-cap snapshots "
        "(approximation='market_cap'): shares = market cap / close on each snapshot date, "
        "held until the next snapshot and carried back before the first"
    )
    return pd.DataFrame(snap).ffill().bfill().to_numpy()


# =========================================================================== security master
def _user_classification(classification, codes, warns) -> pd.DataFrame | None:
    if classification is None:
        return None
    user = _codes_of(classification, "classification")
    extra = sorted(set(user.columns) - set(CLASSIFICATION_FIELDS) - {"code", "source"})
    if extra:
        raise DataError(
            "unknown classification column(s)",
            source="classification",
            value=extra,
            fix=f"use {CLASSIFICATION_FIELDS}",
        )
    user = drop_unpriced(user, codes, "classification", warns)
    return user.drop_duplicates("code", keep="last").set_index("code")


def _master_row(code, first_session, user, refi, taken) -> tuple[dict, set, bool]:
    row = {
        "code": code,
        "name": code,
        "industry": "",
        "sub_industry": "",
        "is_cxo": False,
        "is_18a": False,
        "listing_date": first_session,
        "board_lot": 1,
        "wht_class": "",
    }
    got_user = set()
    if user is not None and code in user.index:
        for f in CLASSIFICATION_FIELDS:
            if f in user.columns and not pd.isna(user.at[code, f]):
                row[f] = user.at[code, f]
                got_user.add(f)
    in_ref = refi is not None and code in refi.index
    if in_ref:
        src = refi.at[code, "source"] if "source" in refi.columns else "reference"
        for f in CLASSIFICATION_FIELDS:
            if f not in got_user and f in refi.columns and not pd.isna(refi.at[code, f]):
                row[f] = refi.at[code, f]
                taken.append({"code": code, "field": f, "value": refi.at[code, f], "source": src})
    return row, got_user, in_ref


def master(codes, classification, ref, first_sessions, warns):
    """Security master of the priced codes: user classification, then the reference table, then
    placeholders (name = code, blank industry, CXO flag False, listing date = first price)."""
    user = _user_classification(classification, codes, warns)
    refi = ref.drop_duplicates("code", keep="last").set_index("code") if ref is not None else None
    rows, taken, unclassified, no_cxo = [], [], [], []
    for code, first in zip(codes, first_sessions, strict=True):
        row, got_user, in_ref = _master_row(code, first, user, refi, taken)
        if "industry" not in got_user and not in_ref:
            unclassified.append(code)
        if "is_cxo" not in got_user and not in_ref:
            no_cxo.append(code)
        rows.append(row)
    sec = pd.DataFrame(rows).astype({"is_cxo": bool, "is_18a": bool, "board_lot": int})
    sec["listing_date"] = pd.to_datetime(sec["listing_date"])
    sec["delisting_date"] = pd.NaT
    sec = sec[SECURITY_COLUMNS]
    if unclassified:
        warns.append(
            f"{len(unclassified)} code(s) have no classification (blank industry, name = code): "
            + ", ".join(unclassified)
        )
    if no_cxo:
        warns.append(
            f"{len(no_cxo)} code(s) carry a placeholder CXO flag (is_cxo=False, not known): "
            + ", ".join(no_cxo)
        )
    blank = sorted(set(sec["code"][sec["industry"] == ""]) - set(unclassified))
    if blank:
        warns.append(f"{len(blank)} classified code(s) have a blank industry: {', '.join(blank)}")
    return sec, pd.DataFrame(taken, columns=["code", "field", "value", "source"]), unclassified


# =========================================================================== memberships
def memberships_table(memberships, codes, first_sessions, warns) -> pd.DataFrame:
    """``code, kind, start, end`` intervals: the user's (rows for unpriced codes left out, warned)
    or, for ``"all"``, every code a member of both kinds over its priced life (warned)."""
    cols = ["code", "kind", "start", "end"]
    if memberships is None:
        return pd.DataFrame(columns=cols)
    if isinstance(memberships, str):
        if memberships != "all":
            raise DataError(
                "unknown memberships shortcut",
                source="memberships",
                value=memberships,
                fix="use 'all' or pass a table",
            )
        warns.append(
            "memberships approximated (memberships='all'): every code counted as an HSCI member "
            "and Southbound eligible over its whole priced life"
        )
        return pd.DataFrame(
            [
                {"code": c, "kind": k, "start": first, "end": pd.NaT}
                for c, first in zip(codes, first_sessions, strict=True)
                for k in INTERVAL_KINDS
            ],
            columns=cols,
        )
    return drop_unpriced(_codes_of(memberships, "memberships"), codes, "memberships", warns)


# =========================================================================== relevance
def relevance_table(relevance, sec: pd.DataFrame, sessions, drug_industries, warns):
    """``as_of, code, score`` with scores in [0, 1]: the user's table or number, or (``None`` /
    ``"industry"``) 1 for codes whose industry is one of ``drug_industries`` and 0 for the rest."""
    cols = ["as_of", "code", "score"]
    codes = list(sec["code"])
    if relevance is None or (isinstance(relevance, str) and relevance == "industry"):
        return _relevance_by_industry(sec, sessions, drug_industries, warns)
    if isinstance(relevance, (str, bool, np.bool_)):
        raise DataError(
            "unknown relevance shortcut",
            source="relevance",
            value=relevance,
            fix="use 'industry', a number in [0, 1] or a table",
        )
    if np.isscalar(relevance):
        score = _score_in_range(np.array([relevance], dtype=object), None)[0]
        warns.append(
            f"relevance approximated: score {score:g} for every code (ranking by "
            "relevance then falls back to its free-float market cap tie-break)"
        )
        return pd.DataFrame({"as_of": [sessions[0]] * len(codes), "code": codes, "score": score})
    rel = drop_unpriced(_codes_of(relevance, "relevance"), codes, "relevance", warns)
    _need_column(rel, "score", "relevance")
    rel["score"] = _score_in_range(rel["score"].to_numpy(object), rel)
    if "as_of" not in rel:
        rel["as_of"] = sessions[0]
    return rel[cols]


def _score_in_range(values: np.ndarray, rel: pd.DataFrame | None) -> np.ndarray:
    num = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    raise_at_first(
        ~((num >= 0) & (num <= 1)),
        lambda i: "relevance score outside [0, 1]" if not np.isnan(num[i]) else "not a number",
        row=rel is not None,
        source="relevance",
        code=lambda i: None if rel is None else rel["code"].iloc[i],
        field="score",
        value=values,
        fix="scores run from 0 (no innovative-drug business) to 1",
    )
    return num


def _relevance_by_industry(sec, sessions, drug_industries, warns) -> pd.DataFrame:
    inds = tuple(drug_industries)
    score = sec["industry"].isin(inds).to_numpy(float)
    zero = list(sec["code"][score == 0])
    warns.append(
        f"relevance approximated from industry (no relevance table): score 1 for the "
        f"{int(score.sum())} code(s) in {' / '.join(inds)}, 0 for the {len(zero)} other(s) "
        f"(not an HSI Relevance Score; unclassified codes score 0): {', '.join(zero)}"
    )
    return pd.DataFrame(
        {"as_of": [sessions[0]] * len(sec), "code": list(sec["code"]), "score": score}
    )


# =========================================================================== fx
def check_fx_direction(fx) -> None:
    """Reject a fixing table that reads as HKD per CNY (see :data:`HKD_PER_CNY_RANGE`)."""
    if fx is None:
        return
    values = fx["hkd_cny"] if isinstance(fx, pd.DataFrame) and "hkd_cny" in fx else fx
    if not isinstance(values, pd.Series):
        return
    num = pd.to_numeric(values, errors="coerce")
    med = float(num.median()) if num.notna().any() else np.nan
    lo, hi = HKD_PER_CNY_RANGE
    if lo < med < hi:
        raise DataError(
            f"fx looks inverted: median fixing {med:.4f} reads as HKD per CNY",
            source="fx",
            field="hkd_cny",
            value=med,
            fix=f"pass CNY per HKD (about {1 / med:.4f}), i.e. 1 / the values given",
        )
