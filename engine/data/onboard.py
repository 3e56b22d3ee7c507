"""Onboarding real data: vendor prices plus whatever tables a user has, into a :class:`MarketData`.

:func:`onboard` is the one entry point.  It takes

* **prices**: a folder of per-stock yfinance CSV files (``<code>.HK.csv``, read with
  :func:`engine.data.vendors.read_yfinance_csv`), one yfinance CSV, a long CSV or Parquet file of
  ``date, code, close, volume`` (``close_adj`` or ``close_hkd`` are accepted for ``close``), or the
  same as a DataFrame;
* optional tables: ``shares``, ``free_float``, ``memberships`` (HSCI, Southbound), ``relevance``,
  ``classification`` (security-master fields), ``market_cap`` (a point-in-time snapshot) and ``fx``.

What is missing is either taken from the project's **reference table** of real HK healthcare codes
(:func:`reference_table`: names, industry, CXO flag, Chapter 18A, listing dates, board lots,
withholding class; each row with its source or "assumption"), reported row by row in
:attr:`Onboarding.taken`, or approximated by a rule the user names, which puts a warning on the
result.  The synthetic parts of :func:`engine.data.default_market` (shares, free float, relevance,
memberships) are never used here.

Approximations for missing shares / free float (``approximation=``):

``"equal"``
    :math:`\\text{shares}_{i,t} = 1 / P_{i,t}`, free float 1: every listed security has the same
    free-float market cap (1 HKD) on every day, so cap-weighting gives equal weights at each
    review (the ffmc ranking ties, broken by code).
``"traded_value"``
    :math:`\\text{shares}_{i,t} = \\overline{TV}_{i,t} / P_{i,t}` with :math:`\\overline{TV}_{i,t}`
    the mean traded value over the ``proxy_window`` sessions ending at :math:`t` (listed sessions
    only): market cap is proxied by traded value (size proxy).  Needs volumes.
``"market_cap"``
    ``market_cap`` gives ``date, code, market_cap_hkd`` snapshots; :math:`\\text{shares}_i =
    MC_{i,s} / P_{i,s}` on each snapshot date :math:`s`, held until the next snapshot and carried
    back before the first one (reported).  Free float 1 unless ``free_float`` is given.

Memberships and relevance, when missing, can also be approximated: ``memberships="all"`` (every
code an HSCI member and Southbound eligible over its whole priced life) and ``relevance=<score>``
(the same score for every code from its first price).  Both warn.

When ``methodology`` is given (default ``"hsidi"``) every input its rules need is checked *before*
anything is built, and one :class:`~engine.errors.DataError` lists everything missing, each with the
parameter that supplies it.
"""

from __future__ import annotations

import dataclasses
import glob
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from engine._args import date_argument
from engine._display import Summary
from engine.data.io import check_field_counts
from engine.data.market import INTERVAL_KINDS, SECURITY_COLUMNS, MarketData
from engine.data.vendors import _wide, normalise_code, read_yfinance_csv
from engine.errors import DataError, describe

APPROXIMATIONS = ("none", "equal", "traded_value", "market_cap")
"""Names accepted by ``onboard(approximation=...)`` (see the module docstring)."""

PROXY_WINDOW = 126
"""Default window (sessions) of the traded-value size proxy; assumption (about six months, like the
liquidity screen's window)."""

CLASSIFICATION_FIELDS = [c for c in SECURITY_COLUMNS if c not in ("code", "delisting_date")]


def reference_table() -> pd.DataFrame:
    """The project's reference table of real HK healthcare codes.

    Columns: ``code, name, industry, sub_industry, is_cxo, is_18a, listing_date, board_lot,
    wht_class, source`` (``source`` says which facts of the row a reference backs and which are an
    assumption).  Built from the facts recorded in ``engine/data/universe.py`` and
    ``methodology-research.md`` section 8; it carries no prices, shares, free float, relevance or
    memberships.
    """
    path = resources.files("engine.data").joinpath("reference/hk_healthcare.csv")
    with resources.as_file(path) as p:
        ref = pd.read_csv(p, dtype={"code": str})
    ref["code"] = ref["code"].map(normalise_code)
    ref["listing_date"] = pd.to_datetime(ref["listing_date"])
    for col in ("is_cxo", "is_18a"):
        ref[col] = ref[col].astype(bool)
    for col in ("name", "industry", "sub_industry", "wht_class", "source"):
        ref[col] = ref[col].fillna("").astype(str)
    return ref


# =========================================================================== result
@dataclass(frozen=True, eq=False)
class Onboarding:
    """Result of :func:`onboard`: the market and a record of how it was made.

    Attributes
    ----------
    market : MarketData
        The onboarded market (``source`` starts with ``"adjusted:"`` for vendor-adjusted prices).
    warnings : tuple of str
        Every approximation and placeholder the market rests on.  Also on ``market.warnings`` when
        :class:`MarketData` has that field.
    taken : DataFrame
        ``code, field, value, source``: every security-master value taken from the reference table.
    unclassified : tuple of str
        Codes with neither a reference row nor a user classification (industry blank, CXO flag a
        placeholder ``False``); they stay in the market, listed here.
    provided : dict
        Table name -> ``"user"``, ``"reference"``, an approximation name or ``"missing"``.
    approximation : str
        The shares / free-float approximation used (``"none"`` when both were given).
    """

    market: MarketData
    warnings: tuple[str, ...]
    taken: pd.DataFrame
    unclassified: tuple[str, ...]
    provided: dict
    approximation: str = "none"
    meta: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per code: the security master plus ``classified_by`` (``user``, ``reference``
        or ``none``), first and last priced session."""
        sec = self.market.securities.set_index("code")
        listed = self.market.listed()
        first = [self.market.dates[np.argmax(listed[:, j])] for j in range(listed.shape[1])]
        last = [
            self.market.dates[len(listed) - 1 - np.argmax(listed[::-1, j])]
            for j in range(listed.shape[1])
        ]
        out = sec.reindex(self.market.codes).copy()
        by = pd.Series("user", index=out.index)
        by[by.index.isin(self.taken["code"])] = "reference"
        by[by.index.isin(self.unclassified)] = "none"
        out["classified_by"] = by
        out["first_price"] = first
        out["last_price"] = last
        return out

    def summary(self) -> Summary:
        m = self.market
        rows = [
            {"metric": "codes", "value": len(m.codes), "unit": "count"},
            {"metric": "first_session", "value": m.dates[0], "unit": "date"},
            {"metric": "last_session", "value": m.dates[-1], "unit": "date"},
            {"metric": "adjusted_prices", "value": str(m.is_adjusted), "unit": "text"},
            {"metric": "approximation", "value": self.approximation, "unit": "text"},
            {
                "metric": "classified_from_reference",
                "value": int(self.taken["code"].nunique()) if len(self.taken) else 0,
                "unit": "count",
            },
            {
                "metric": "unclassified",
                "value": len(self.unclassified),
                "unit": "count",
                "note": ", ".join(self.unclassified),
            },
        ]
        rows += [
            {"metric": f"table_{k}", "value": v, "unit": "text"} for k, v in self.provided.items()
        ]
        rows += [
            {"metric": f"warning_{i + 1}", "value": w, "unit": "text"}
            for i, w in enumerate(self.warnings)
        ]
        return Summary(rows, title=f"Onboarding of {m.source}")

    def plot(self, ax=None):
        """Number of priced codes per session; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 3))
        pd.Series(self.market.listed().sum(axis=1), index=self.market.dates).plot(ax=ax)
        ax.set_ylabel("priced codes")
        ax.set_title(f"Onboarded market ({self.approximation})")
        return ax

    def __repr__(self) -> str:
        return (
            f"Onboarding({len(self.market.codes)} codes, {self.market.dates[0].date()}.."
            f"{self.market.dates[-1].date()}, approximation={self.approximation!r}, "
            f"{len(self.unclassified)} unclassified, {len(self.warnings)} warnings)"
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


# =========================================================================== read
def read_prices(
    prices, *, start=None, end=None, closures=()
) -> tuple[pd.DataFrame, str, bool | None]:
    """Tidy ``date, code, close, volume`` from any accepted ``prices`` input.

    Returns the frame, a label and whether the input is known to be adjusted (yfinance: True;
    a ``close_adj`` column: True; ``close_hkd``: False; ``close``: None = not known).
    """
    adjusted: bool | None = None
    if isinstance(prices, pd.DataFrame):
        frame, label = prices.copy(), str(prices.attrs.get("source") or "prices frame")
    else:
        p = Path(os.fspath(prices))
        label = str(p)
        if p.is_dir():
            files = sorted(glob.glob(str(p / "*.csv")))
            if not files:
                raise DataError(
                    describe(
                        "no CSV files in the folder", source=label, fix="pass the files' folder"
                    )
                )
            frame = pd.concat(
                [read_yfinance_csv(f, closures=closures) for f in files], ignore_index=True
            )
            adjusted = True
        elif p.suffix.lower() == ".parquet":
            frame = pd.read_parquet(p)
        elif p.suffix.lower() == ".csv":
            head = p.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
            first = head[0].lower() if head else ""
            if (
                first.startswith("price,")
                or first.startswith("date,open")
                or "stock splits" in first
            ):
                frame, adjusted = read_yfinance_csv(p, closures=closures), True
            else:
                check_field_counts(p)
                frame = pd.read_csv(p, dtype={"code": str})
        else:
            raise DataError(
                describe(
                    "cannot read prices from this path",
                    source=label,
                    fix="pass a folder of yfinance CSVs, a .csv or .parquet file, or a DataFrame",
                )
            )
    if "close_adj" in frame.columns:
        adjusted = True if adjusted is None else adjusted
        frame = frame.rename(columns={"close_adj": "close"})
    elif "close_hkd" in frame.columns:
        adjusted = False
        frame = frame.rename(columns={"close_hkd": "close"})
    missing = [c for c in ("date", "code", "close") if c not in frame.columns]
    if missing:
        raise DataError(
            describe(
                f"price table lacks column(s) {missing}",
                source=label,
                value=list(frame.columns),
                fix="give long rows of date, code, close (and volume)",
            )
        )
    keep = ["date", "code", "close"] + (["volume"] if "volume" in frame.columns else [])
    frame = frame[keep].copy()
    frame["code"] = frame["code"].astype(str).map(normalise_code)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    start, end = date_argument(start, "start", "onboard"), date_argument(end, "end", "onboard")
    if start is not None:
        frame = frame[frame["date"] >= start]
    if end is not None:
        frame = frame[frame["date"] <= end]
    if frame.empty:
        raise DataError(describe("no prices in the chosen dates", source=label, value=(start, end)))
    return frame.reset_index(drop=True), label, adjusted


# =========================================================================== requirements
def requirements(methodology="hsidi") -> dict[str, str]:
    """What the rules of ``methodology`` (every version of a history) read from a market.

    Returns a mapping table -> reason, over ``memberships.hsci``, ``memberships.southbound``,
    ``relevance``, ``classification.industry``, ``classification.is_cxo``, ``volume`` and
    ``shares`` (always: free-float market cap ranks or weights every FFMC methodology).
    """
    from engine.rules.methodology import MethodologyHistory, resolve

    spec = resolve(methodology)
    versions = spec.versions if isinstance(spec, MethodologyHistory) else (spec,)
    need: dict[str, list[str]] = {"shares": ["weighting.method (free-float market cap)"]}

    def add(key: str, why: str) -> None:
        need.setdefault(key, []).append(why)

    for m in versions:
        u = m.universe
        if u.require_hsci:
            add("memberships.hsci", f"{m.name} universe.require_hsci")
        if u.require_southbound:
            add("memberships.southbound", f"{m.name} universe.require_southbound")
        if m.selection.ranking == "relevance" or u.min_relevance >= 0:
            add("relevance", f"{m.name} selection.ranking / universe.min_relevance")
        if u.industries:
            add("classification.industry", f"{m.name} universe.industries")
        if u.exclude_cxo:
            add("classification.is_cxo", f"{m.name} universe.exclude_cxo")
        if m.liquidity.enabled:
            add("volume", f"{m.name} liquidity.enabled")
    return {k: ", ".join(v) for k, v in need.items()}


_FIX = {
    "memberships.hsci": "pass memberships= (code, kind, start, end) or memberships='all'",
    "memberships.southbound": "pass memberships= with kind 'southbound' rows or memberships='all'",
    "relevance": "pass relevance= (as_of, code, score) or a constant score, e.g. relevance=1.0",
    "classification.industry": "pass classification= (code, industry, ...) or keep reference=True",
    "classification.is_cxo": "pass classification= with is_cxo, or keep reference=True",
    "volume": "give a volume column with the prices",
    "shares": "pass shares= and free_float=, or approximation='equal' / 'traded_value' / "
    "'market_cap' (with market_cap=)",
}


# =========================================================================== onboard
def onboard(
    prices,
    *,
    shares=None,
    free_float=None,
    memberships=None,
    relevance=None,
    classification=None,
    approximation: str | None = None,
    market_cap=None,
    reference=True,
    fx=None,
    adjusted: bool | None = None,
    start=None,
    end=None,
    methodology="hsidi",
    proxy_window: int = PROXY_WINDOW,
    fill_gaps: bool = True,
    wht_default: str | None = None,
    closures=(),
) -> Onboarding:
    """Turn vendor prices and optional tables into a validated :class:`MarketData`.

    Parameters
    ----------
    prices
        A folder of yfinance CSV files, one CSV / Parquet file, or a DataFrame of ``date, code,
        close[, volume]`` (``close_adj`` / ``close_hkd`` accepted).  Volume is in shares; traded
        value is close x volume.
    shares, free_float
        Tables ``code, shares`` / ``code, free_float`` (constant) or ``date, code, <value>``
        (carried forward from each date, back before the first).  ``free_float`` may be a number.
    memberships
        ``code, kind, start, end`` intervals (``kind`` in ``hsci``, ``southbound``), or ``"all"``
        (approximation: every code a member of both over its priced life; warns).
    relevance
        ``as_of, code, score`` or ``code, score`` (from the first session), or a number (the same
        score for every code; warns).
    classification
        ``code`` plus any security-master fields (``name, industry, sub_industry, is_cxo, is_18a,
        listing_date, board_lot, wht_class``); wins over the reference table field by field.
    approximation
        How to stand in for missing shares / free float: one of :data:`APPROXIMATIONS`.  Required
        when ``shares`` is missing; ``"none"`` (or None) with shares given.
    market_cap
        ``date, code, market_cap_hkd`` snapshots for ``approximation="market_cap"``.
    reference
        True: fill what ``classification`` leaves open from :func:`reference_table`; False: no
        reference; or a DataFrame in the same layout.
    fx
        HKD->CNY fixings (see :meth:`MarketData.from_frames`); default the placeholder 1.0.
    adjusted
        Whether the closes are vendor-adjusted (dividend-scaled).  Default: True for yfinance
        files and ``close_adj``; False for ``close_hkd``; a plain ``close`` column is taken as raw
        and the assumption is reported.
    start, end
        Keep prices in this date range.
    methodology
        Check, before building, that everything these rules read is supplied (None: no check).
    proxy_window
        Sessions of the traded-value size proxy.
    wht_default
        Withholding-tax class given to codes that have none (an assumption; warns).  Without it,
        a code without a class is reported missing (the net variant needs every class).
    fill_gaps
        Carry the previous close over a session without a close inside a priced life and flag
        it suspended (reported); False: such a gap is an error.
    closures
        Whole-day HKEX closures the calendar does not know (see :meth:`MarketData.from_frames`):
        not sessions, so they are neither gaps nor filled.

    Raises
    ------
    DataError
        One error listing every input ``methodology`` needs that is missing, with the parameter
        that supplies each; or any validation error of :meth:`MarketData.from_frames`.
    """
    if (
        isinstance(proxy_window, bool)
        or not isinstance(proxy_window, int | np.integer)
        or proxy_window < 1
    ):
        raise DataError(
            describe(
                "proxy_window must be a whole number of sessions >= 1",
                source="onboard",
                field="proxy_window",
                value=proxy_window,
                fix=f"use e.g. {PROXY_WINDOW} (about six months of sessions)",
            )
        )
    approx = "none" if approximation is None else str(approximation)
    if approx not in APPROXIMATIONS:
        raise DataError(
            describe(
                "unknown approximation", value=approximation, fix=f"use one of {APPROXIMATIONS}"
            )
        )
    tidy, label, known_adj = read_prices(prices, start=start, end=end, closures=closures)
    if adjusted is None:
        adjusted = bool(known_adj)
    warns: list[str] = []
    if known_adj is None and adjusted is False:
        warns.append(
            f"prices ({label}): the 'close' column is taken as raw exchange closes (pass "
            "adjusted=True for vendor-adjusted prices)"
        )
    provided: dict[str, str] = {}
    has_volume = "volume" in tidy.columns

    # ---- everything the rules need, checked at once
    missing = []
    if methodology is not None:
        for need, why in requirements(methodology).items():
            ok = {
                "memberships.hsci": memberships is not None,
                "memberships.southbound": memberships is not None,
                "relevance": relevance is not None,
                "classification.industry": classification is not None or reference is not False,
                "classification.is_cxo": classification is not None or reference is not False,
                "volume": has_volume,
                "shares": shares is not None or approx != "none",
            }[need]
            if not ok:
                missing.append(f"{need} (needed by {why}): {_FIX[need]}")
    if approx == "market_cap" and market_cap is None:
        missing.append("market_cap (needed by approximation='market_cap'): pass market_cap=")
    if approx == "traded_value" and not has_volume:
        missing.append("volume (needed by approximation='traded_value'): give a volume column")
    if shares is not None and approx != "none":
        missing.append(f"shares were given, so approximation={approx!r} does not apply: drop one")
    # ---- panels
    tidy = tidy.rename(columns={"close": "close_adj"})
    close_w, vol_w = _wide(tidy, None)
    close_w = close_w.sort_index()
    codes = list(close_w.columns)
    from engine.data.calendar import hkex_sessions

    sessions = hkex_sessions(close_w.index.min(), close_w.index.max(), closures)
    off = close_w.index.difference(sessions)
    if len(off):
        raise DataError(
            describe(
                f"{len(off)} date(s) are not XHKG sessions",
                source=label,
                date=off[0],
                fix="drop them (read_yfinance_csv drops and reports them)",
            )
        )
    close_w = close_w.reindex(sessions)
    vol_w = (
        vol_w.reindex(index=sessions, columns=codes)
        if vol_w is not None
        else pd.DataFrame(0.0, index=sessions, columns=codes)
    )
    raw = close_w.to_numpy(float)
    have = ~np.isnan(raw)
    first_i = np.argmax(have, axis=0)
    last_i = len(sessions) - 1 - np.argmax(have[::-1], axis=0)
    life = np.zeros_like(have)
    for j in range(len(codes)):
        life[first_i[j] : last_i[j] + 1, j] = True
    gaps = life & ~have
    if gaps.any():
        t, j = np.argwhere(gaps)[0]
        if not fill_gaps:
            raise DataError(
                describe(
                    f"{int(gaps.sum())} session(s) without a close inside priced lives",
                    source=label,
                    date=sessions[t],
                    code=codes[j],
                    fix="pass fill_gaps=True to carry the previous close and flag the day suspended",
                )
            )
        shown = ", ".join(
            f"{codes[jj]} {sessions[tt]:%Y-%m-%d}" for tt, jj in np.argwhere(gaps)[:10]
        )
        warns.append(
            f"{int(gaps.sum())} session(s) without a close inside a priced life carry the previous "
            f"close and are flagged suspended: {shown}{' ...' if gaps.sum() > 10 else ''}"
        )
    close = close_w.ffill().where(life).to_numpy(float)
    volume = np.where(gaps, 0.0, np.nan_to_num(vol_w.to_numpy(float), nan=0.0))
    traded = np.where(life, np.nan_to_num(close) * volume, np.nan)

    shares_a = ff_a = None
    if not missing:
        shares_a, ff_a = _shares_and_float(
            approx,
            shares,
            free_float,
            market_cap,
            close,
            traded,
            life,
            sessions,
            codes,
            proxy_window,
            warns,
        )
    provided["shares"] = "user" if shares is not None else approx
    provided["free_float"] = (
        "user" if free_float is not None else ("approximation" if approx != "none" else "missing")
    )
    if adjusted and approx in ("none", "market_cap"):
        warns.append(
            "market-cap weights on vendor-adjusted prices: past prices are scaled down by dividend "
            "adjustments, so market caps (shares x adjusted close) understate dividend payers "
            "before their ex-dates"
        )

    # ---- security master
    ref = None
    if reference is True:
        ref = reference_table()
    elif isinstance(reference, pd.DataFrame):
        ref = reference.copy()
        ref["code"] = ref["code"].astype(str).map(normalise_code)
    sec, taken, unclassified = _master(codes, classification, ref, sessions, first_i, warns)
    no_wht = sec["code"][sec["wht_class"].astype(str) == ""].tolist()
    if no_wht and wht_default is not None:
        sec.loc[sec["wht_class"].astype(str) == "", "wht_class"] = str(wht_default)
        warns.append(
            f"withholding class {wht_default!r} assumed (wht_default) for {len(no_wht)} code(s) "
            f"without one: {', '.join(no_wht)}"
        )
    elif no_wht and methodology is not None:
        missing.append(
            f"classification.wht_class (needed by index.withholding, the net total-return "
            f"variant) for {len(no_wht)} code(s): {', '.join(no_wht)}: pass classification= with "
            "wht_class or wht_default='foreign' (an assumption)"
        )
    if missing:
        raise DataError(
            describe(
                f"{len(missing)} input(s) missing to build {methodology!r} on these prices:\n  - "
                + "\n  - ".join(missing),
                source=label,
            )
        )

    provided["classification"] = (
        "user" if classification is not None else ("reference" if ref is not None else "missing")
    )
    last_session = sessions[-1]
    sec["delisting_date"] = [
        sessions[last_i[j]] if sessions[last_i[j]] < last_session else pd.NaT
        for j in range(len(codes))
    ]
    sec["delisting_date"] = pd.to_datetime(sec["delisting_date"])
    ended = [c for j, c in enumerate(codes) if sessions[last_i[j]] < last_session]
    if ended:
        warns.append(
            f"{len(ended)} code(s) have no price on the last session {last_session:%Y-%m-%d}; "
            f"taken as delisted on their last price: {', '.join(ended)}"
        )
    # a listing date after the first price would be rejected: the first price wins (reported)
    lst = pd.to_datetime(sec["listing_date"])
    firsts = pd.DatetimeIndex([sessions[first_i[j]] for j in range(len(codes))])
    late = lst.to_numpy() > firsts.to_numpy()
    if late.any():
        warns.append(
            "listing date after the first price for "
            + ", ".join(sec["code"][late])
            + "; the first price is used as listing date"
        )
        sec.loc[late, "listing_date"] = firsts[late]

    # ---- memberships and relevance
    intervals = _memberships(memberships, codes, sessions, first_i, last_i, warns)
    provided["memberships"] = (
        "missing"
        if memberships is None
        else ("all (approximation)" if isinstance(memberships, str) else "user")
    )
    rel = _relevance(relevance, codes, sessions, first_i, warns)
    provided["relevance"] = (
        "missing"
        if relevance is None
        else ("constant (approximation)" if np.isscalar(relevance) else "user")
    )

    t_idx, j_idx = np.nonzero(life)
    frame = pd.DataFrame(
        {
            "date": sessions[t_idx],
            "code": np.asarray(codes, dtype=object)[j_idx],
            "close_hkd": close[t_idx, j_idx],
            "shares": shares_a[t_idx, j_idx],
            "free_float": ff_a[t_idx, j_idx],
            "traded_value_hkd": traded[t_idx, j_idx],
            "suspended": gaps[t_idx, j_idx],
        }
    )
    source = f"{'adjusted:' if adjusted else ''}onboard({label})"
    market = MarketData.from_frames(
        frame,
        sec,
        intervals=intervals,
        relevance=rel,
        fx=fx,
        synthetic=False,
        source=source,
        sources={"prices": label},
        closures=closures,
    )
    if "warnings" in {f.name for f in dataclasses.fields(MarketData)}:
        market = dataclasses.replace(
            market, warnings=tuple(getattr(market, "warnings", ()) or ()) + tuple(warns)
        )
    return Onboarding(
        market=market,
        warnings=tuple(warns),
        taken=taken,
        unclassified=tuple(unclassified),
        provided=provided,
        approximation=approx,
        meta={"label": label, "adjusted": bool(adjusted), "proxy_window": proxy_window},
    )


# =========================================================================== pieces
def _per_code_panel(table, value: str, sessions, codes, name: str) -> np.ndarray:
    """``[day, code]`` array from ``code, value`` or ``date, code, value`` (ffill, then bfill)."""
    if np.isscalar(table):
        return np.full((len(sessions), len(codes)), float(table))
    if not isinstance(table, pd.DataFrame) or "code" not in table or value not in table:
        raise DataError(
            describe(
                f"{name} must be a table with code and {value} columns (and optionally date)",
                source=name,
            )
        )
    t = table.copy()
    t["code"] = t["code"].astype(str).map(normalise_code)
    unknown = sorted(set(t["code"]) - set(codes))
    if unknown:
        raise DataError(
            describe(
                f"{name} names codes without prices",
                source=name,
                code=unknown[0],
                value=unknown,
                fix="drop those rows or add their prices",
            )
        )
    absent = [c for c in codes if c not in set(t["code"])]
    if absent:
        raise DataError(
            describe(
                f"{name} lacks {len(absent)} code(s) that have prices",
                source=name,
                code=absent[0],
                value=absent,
                fix="give every code a value (or use an approximation)",
            )
        )
    if "date" in t:
        t["date"] = pd.to_datetime(t["date"])
        w = t.pivot_table(index="date", columns="code", values=value, aggfunc="last")
        w = w.reindex(w.index.union(sessions)).sort_index().ffill().bfill().reindex(sessions)
    else:
        s = t.drop_duplicates("code", keep="last").set_index("code")[value].astype(float)
        w = pd.DataFrame(np.tile(s.to_numpy(), (len(sessions), 1)), index=sessions, columns=s.index)
    return w.reindex(columns=codes).to_numpy(float)


def _shares_and_float(
    approx, shares, free_float, market_cap, close, traded, life, sessions, codes, window, warns
):
    n = close.shape
    ff = (
        _per_code_panel(free_float, "free_float", sessions, codes, "free_float")
        if free_float is not None
        else np.ones(n)
    )
    if approx != "none" and free_float is None:
        warns.append(
            f"free float not given: free float 1.0 for every code ({approx} approximation)"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        if approx == "none":
            sh = _per_code_panel(shares, "shares", sessions, codes, "shares")
        elif approx == "equal":
            sh = 1.0 / close
            warns.append(
                "shares approximated as 1 / close (approximation='equal'): every listed code has the "
                "same market cap, so weights are equal at each review and rank ties break by code"
            )
        elif approx == "traded_value":
            tv = pd.DataFrame(np.where(life, traded, np.nan))
            adv = tv.rolling(window, min_periods=1).mean().to_numpy()
            sh = np.where(adv > 0, adv, np.nan) / close
            # a code with no trading yet keeps the smallest positive proxy of the day
            floor = np.nanmin(np.where(adv > 0, adv, np.nan), axis=1, keepdims=True)
            sh = np.where(np.isnan(sh) & life, np.nan_to_num(floor, nan=1.0) * 1e-3 / close, sh)
            warns.append(
                f"shares approximated by traded value (approximation='traded_value'): market cap "
                f"is proxied by the mean traded value over {window} sessions, not a real market cap"
            )
        else:  # market_cap
            t = market_cap.copy()
            t["date"] = pd.to_datetime(t["date"]) if "date" in t else sessions[0]
            snap = pd.DataFrame(np.nan, index=sessions, columns=codes)
            for _, r in t.iterrows():
                code, d = normalise_code(r["code"]), pd.Timestamp(r["date"])
                pos = sessions.searchsorted(d)
                if pos >= len(sessions):
                    continue
                j = codes.index(code)
                snap.iat[pos, j] = (
                    float(r["market_cap_hkd"]) / close[pos, j] if life[pos, j] else np.nan
                )
            sh = snap.ffill().bfill().to_numpy()
            warns.append(
                "shares approximated from point-in-time market-cap snapshots "
                "(approximation='market_cap'): shares = market cap / close on each snapshot date, "
                "held until the next snapshot and carried back before the first"
            )
    sh = np.where(life, sh, np.nan)
    bad = life & ~(sh > 0)
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise DataError(
            describe(
                "no positive shares for a priced session",
                date=sessions[t],
                code=codes[j],
                field="shares",
                fix="check the shares / market_cap table",
            )
        )
    return sh, np.where(life, ff, np.nan)


def _master(codes, classification, ref, sessions, first_i, warns):
    user = None
    if classification is not None:
        if not isinstance(classification, pd.DataFrame) or "code" not in classification:
            raise DataError(
                describe(
                    "classification must be a table with a code column", source="classification"
                )
            )
        user = classification.copy()
        user["code"] = user["code"].astype(str).map(normalise_code)
        extra = sorted(set(user.columns) - set(CLASSIFICATION_FIELDS) - {"code", "source"})
        if extra:
            raise DataError(
                describe(
                    "unknown classification column(s)",
                    source="classification",
                    value=extra,
                    fix=f"use {CLASSIFICATION_FIELDS}",
                )
            )
        user = user.drop_duplicates("code", keep="last").set_index("code")
    refi = ref.drop_duplicates("code", keep="last").set_index("code") if ref is not None else None
    rows, taken, unclassified, no_cxo = [], [], [], []
    for j, code in enumerate(codes):
        row = {
            "code": code,
            "name": code,
            "industry": "",
            "sub_industry": "",
            "is_cxo": False,
            "is_18a": False,
            "listing_date": sessions[first_i[j]],
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
            for f in CLASSIFICATION_FIELDS:
                if f not in got_user and f in refi.columns and not pd.isna(refi.at[code, f]):
                    row[f] = refi.at[code, f]
                    taken.append(
                        {
                            "code": code,
                            "field": f,
                            "value": refi.at[code, f],
                            "source": refi.at[code, "source"]
                            if "source" in refi.columns
                            else "reference",
                        }
                    )
        if "industry" not in got_user and not in_ref:
            unclassified.append(code)
        if "is_cxo" not in got_user and not in_ref:
            no_cxo.append(code)
        rows.append(row)
    sec = pd.DataFrame(rows)
    sec["is_cxo"] = sec["is_cxo"].astype(bool)
    sec["is_18a"] = sec["is_18a"].astype(bool)
    sec["listing_date"] = pd.to_datetime(sec["listing_date"])
    sec["board_lot"] = sec["board_lot"].astype(int)
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


def _memberships(memberships, codes, sessions, first_i, last_i, warns):
    cols = ["code", "kind", "start", "end"]
    if memberships is None:
        return pd.DataFrame(columns=cols)
    if isinstance(memberships, str):
        if memberships != "all":
            raise DataError(
                describe(
                    "unknown memberships shortcut",
                    value=memberships,
                    fix="use 'all' or pass a table",
                )
            )
        warns.append(
            "memberships approximated (memberships='all'): every code counted as an HSCI member "
            "and Southbound eligible over its whole priced life"
        )
        return pd.DataFrame(
            [
                {"code": c, "kind": k, "start": sessions[first_i[j]], "end": pd.NaT}
                for j, c in enumerate(codes)
                for k in INTERVAL_KINDS
            ],
            columns=cols,
        )
    iv = memberships.copy()
    iv["code"] = iv["code"].astype(str).map(normalise_code)
    return iv


def _relevance(relevance, codes, sessions, first_i, warns):
    cols = ["as_of", "code", "score"]
    if relevance is None:
        return pd.DataFrame(columns=cols)
    if np.isscalar(relevance):
        warns.append(
            f"relevance approximated: score {float(relevance):g} for every code (ranking by "
            "relevance then falls back to its free-float market cap tie-break)"
        )
        return pd.DataFrame(
            {"as_of": [sessions[0]] * len(codes), "code": codes, "score": float(relevance)}
        )
    rel = relevance.copy()
    rel["code"] = rel["code"].astype(str).map(normalise_code)
    if "as_of" not in rel:
        rel["as_of"] = sessions[0]
    return rel[cols]


__all__ = [
    "APPROXIMATIONS",
    "Onboarding",
    "PROXY_WINDOW",
    "onboard",
    "read_prices",
    "reference_table",
    "requirements",
]
