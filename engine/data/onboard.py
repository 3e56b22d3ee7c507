"""Onboarding real data: vendor prices plus whatever tables a user has, into a :class:`MarketData`.

:func:`onboard` is the one entry point (:func:`engine.onboard` adds the check of what a
methodology needs).  It takes

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

Memberships and relevance, when missing, are approximated too: ``memberships="all"`` (every code an
HSCI member and Southbound eligible over its whole priced life) and, with no relevance table, a
score from the industry: :math:`r_i = 1` when the industry of code :math:`i` is one of
``drug_industries`` (default :data:`DRUG_INDUSTRIES`), else 0 (``relevance=<score>`` gives every
code the same score).  Each warns.

A listing date from the user or the reference table wins over earlier vendor rows (placeholder
prices before a listing are dropped and reported); a first price a few sessions after the listing
date moves the listing date to it (reported).  Rows the vendor reader leaves out, the placeholder
FX fixing and vendor-adjusted prices are reported too: every warning is on
:attr:`Onboarding.warnings` and on ``market.warnings``, so every result built on the market carries
it.

When ``requires`` is given (a mapping from :func:`engine.rules.requirements.requirements`, which
:func:`engine.onboard` passes), every input those rules need is checked *before* anything is built,
and one :class:`~engine.errors.DataError` lists everything missing, each with the parameter that
supplies it.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from engine._args import date_argument
from engine._display import Result, Summary
from engine._settings import FLAG, Choice, Settings, Whole, setting
from engine.data import onboard_tables as tables
from engine.data.market import MarketData, price_rows
from engine.data.onboard_read import Panel, apply_listing_dates, read_prices
from engine.data.plausibility import Plausibility
from engine.data.vendors import ADJUSTED_NOTE, normalise_code
from engine.errors import DataError

APPROXIMATIONS = ("none", "equal", "traded_value", "market_cap")
"""Names accepted by ``onboard(approximation=...)`` (see the module docstring)."""

PROXY_WINDOW = 126
"""Default window (sessions) of the traded-value size proxy; assumption (about six months, like the
liquidity screen's window)."""

DRUG_INDUSTRIES = ("Pharmaceuticals", "Biotechnology")
"""Industries scored 1 by the relevance-by-industry approximation when no methodology names them:
the two industries of the 2025-08 revision (methodology-research.md section 1, [S3]).  Using them
before the revision too is an assumption (the launch rules score by an unpublished Relevance
Score)."""

CLASSIFICATION_FIELDS = tables.CLASSIFICATION_FIELDS


def reference_table() -> pd.DataFrame:
    """The project's reference table of real HK healthcare codes.

    Columns: ``code, name, industry, sub_industry, is_cxo, is_18a, listing_date, board_lot,
    wht_class, source`` (``source`` says which facts of the row a reference backs and which are an
    assumption).  It covers every HSCI healthcare code of the real-data folder and the codes of
    ``engine/data/universe.py``; it carries no prices, shares, free float, relevance or
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


# =========================================================================== settings
def _when(value, name: str) -> pd.Timestamp | None:
    return date_argument(value, name, "onboard")


@dataclass(frozen=True)
class OnboardSettings(Settings):
    """How :func:`onboard` reads prices and stands in for missing tables (every keyword of
    :func:`onboard` that is not a table).

    Attributes
    ----------
    approximation : str
        Stand-in for missing shares / free float, one of :data:`APPROXIMATIONS` (None = "none").
    adjusted : bool or None
        Whether the closes are vendor-adjusted (dividend-scaled).  None: True for yfinance files and
        ``close_adj``, False for ``close_hkd``; a plain ``close`` column is taken as raw (reported).
    start, end : Timestamp or None
        Keep prices in this date range.
    proxy_window : int
        Sessions of the traded-value size proxy (default :data:`PROXY_WINDOW`, an assumption).
    fill_gaps : bool
        Carry the previous close over a session without a close inside a priced life and flag it
        suspended (reported); False: such a gap is an error.
    wht_default : str or None
        Withholding-tax class for codes without one (an assumption; warns).  None: such a code is
        reported missing when ``requires`` is given (the net variant needs every class).
    closures : tuple
        Whole-day HKEX closures the calendar does not know (see :meth:`MarketData.from_frames`).
    drug_industries : tuple of str
        Industries scored 1 by the relevance-by-industry approximation.
    """

    _error = DataError

    approximation: str | None = setting("none", Choice(APPROXIMATIONS))
    adjusted: bool | None = setting(None, Choice((True, False, None)))
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    proxy_window: int = setting(PROXY_WINDOW, Whole(1))
    fill_gaps: bool = setting(True, FLAG)
    wht_default: str | None = None
    closures: tuple = ()
    drug_industries: tuple[str, ...] = DRUG_INDUSTRIES

    def __post_init__(self) -> None:
        if self.approximation is None:
            object.__setattr__(self, "approximation", "none")
        object.__setattr__(self, "start", _when(self.start, "start"))
        object.__setattr__(self, "end", _when(self.end, "end"))
        if self.start is not None and self.end is not None and self.start > self.end:
            raise DataError(
                "start after end",
                field="start",
                value=(str(self.start.date()), str(self.end.date())),
            )
        object.__setattr__(self, "closures", tuple(self.closures or ()))
        object.__setattr__(self, "drug_industries", tuple(self.drug_industries))
        self.validate()


# =========================================================================== result
@dataclass(frozen=True, eq=False)
class Onboarding(Result):
    """Result of :func:`onboard`: the market and a record of how it was made.

    Attributes
    ----------
    market : MarketData
        The onboarded market (``source`` starts with ``"adjusted:"`` for vendor-adjusted prices).
    warnings : tuple of str
        Every approximation, placeholder and left-out row the market rests on, plus the market's
        plausibility findings: the same tuple as ``market.warnings``, so every result built on the
        market carries it (vendor-adjusted prices first).
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

    _figure = "onboarding_figure"

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
            ("codes", len(m.codes), "count"),
            ("first_session", m.dates[0], "date"),
            ("last_session", m.dates[-1], "date"),
            ("adjusted_prices", str(m.is_adjusted), "text"),
            ("approximation", self.approximation, "text"),
            (
                "classified_from_reference",
                int(self.taken["code"].nunique()) if len(self.taken) else 0,
                "count",
            ),
            ("unclassified", len(self.unclassified), "count"),
            *((f"table_{k}", v, "text") for k, v in self.provided.items()),
            *((f"warning_{i + 1}", w, "text") for i, w in enumerate(self.warnings)),
        ]
        note = {"unclassified": ", ".join(self.unclassified)}
        rows = [{"metric": k, "value": v, "unit": u, "note": note.get(k, "")} for k, v, u in rows]
        return Summary(rows, title=f"Onboarding of {m.source}")

    def __repr__(self) -> str:
        return (
            f"Onboarding({len(self.market.codes)} codes, {self.market.dates[0].date()}.."
            f"{self.market.dates[-1].date()}, approximation={self.approximation!r}, "
            f"{len(self.unclassified)} unclassified, {len(self.warnings)} warnings)"
        )


# =========================================================================== onboard
_FIX = {
    "memberships.hsci": "pass memberships= (code, kind, start, end) or memberships='all'",
    "memberships.southbound": "pass memberships= with kind 'southbound' rows or memberships='all'",
    "relevance": "pass relevance= (as_of, code, score), a score in [0, 1], or keep reference=True "
    "(scores by industry)",
    "classification.industry": "pass classification= (code, industry, ...) or keep reference=True",
    "classification.is_cxo": "pass classification= with is_cxo, or keep reference=True",
    "volume": "give a volume column with the prices",
    "shares": "pass shares= and free_float=, or approximation='equal' / 'traded_value' / "
    "'market_cap' (with market_cap=)",
}


def onboard(
    prices,
    *,
    shares=None,
    free_float=None,
    memberships=None,
    relevance=None,
    classification=None,
    market_cap=None,
    reference=True,
    fx=None,
    requires: Mapping[str, str] | None = None,
    settings: OnboardSettings | None = None,
    **options,
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
        ``as_of, code, score`` or ``code, score`` (from the first session), scores in [0, 1]; a
        number (the same score for every code; warns); or None / ``"industry"``: 1 for codes whose
        industry is in ``drug_industries``, else 0 (warns).
    classification
        ``code`` plus any security-master fields (``name, industry, sub_industry, is_cxo, is_18a,
        listing_date, board_lot, wht_class``); wins over the reference table field by field.
    market_cap
        ``date, code, market_cap_hkd`` snapshots for ``approximation="market_cap"``.
    reference
        True: fill what ``classification`` leaves open from :func:`reference_table`; False: no
        reference; or a DataFrame in the same layout.
    fx
        HKD->CNY fixings, CNY per HKD (see :meth:`MarketData.from_frames`); default the
        placeholder 1.0 (warns).  A table that reads as HKD per CNY is an error.
    requires
        What the rules need (:func:`engine.rules.requirements.requirements`): checked before
        anything is built; None: no check.  :func:`engine.onboard` passes it for a methodology.
    settings, **options
        An :class:`OnboardSettings`, or its fields as keywords (``approximation``, ``adjusted``,
        ``start``, ``end``, ``proxy_window``, ``fill_gaps``, ``wht_default``, ``closures``,
        ``drug_industries``); keywords win over ``settings``.

    Raises
    ------
    DataError
        One error listing every input ``requires`` names that is missing, with the parameter that
        supplies each; a table that cannot be used (naming table, row, code and field); or any
        validation error of :meth:`MarketData.from_frames`.
    """
    s = _settings(settings, options)
    tidy, label, adjusted, warns = _read(prices, s, fx)
    ref = _reference(reference)
    tabs = _Tables(shares, free_float, memberships, relevance, classification, market_cap, ref, fx)
    panel, sec, taken, unclassified = _master(tidy, label, tabs, requires, s, warns)
    market = _build(panel, sec, tabs, label, adjusted, s, warns)
    return Onboarding(
        market=market,
        warnings=market.warnings,
        taken=taken,
        unclassified=tuple(unclassified),
        provided=_provided(tabs, s),
        approximation=s.approximation,
        meta={"label": label, "adjusted": adjusted, "proxy_window": s.proxy_window},
    )


@dataclass(frozen=True)
class _Tables:
    """The optional tables of one :func:`onboard` call, as given (``reference``: as read)."""

    shares: object
    free_float: object
    memberships: object
    relevance: object
    classification: object
    market_cap: object
    reference: pd.DataFrame | None
    fx: object


def _read(prices, s: OnboardSettings, fx) -> tuple[pd.DataFrame, str, bool, list[str]]:
    """The tidy prices, their label, whether they are adjusted, and the first warnings."""
    tidy, label, known_adj = read_prices(prices, start=s.start, end=s.end, closures=s.closures)
    adjusted = bool(known_adj) if s.adjusted is None else bool(s.adjusted)
    warns: list[str] = []
    if known_adj is None and adjusted is False:
        warns.append(
            f"prices ({label}): the 'close' column is taken as raw exchange closes (pass "
            "adjusted=True for vendor-adjusted prices)"
        )
    report = tidy.attrs.get("report", [])
    if report:
        reasons = Counter(r.reason for r in report)
        shown = "; ".join(str(r) for r in report[:5])
        warns.append(
            f"the vendor reader left out {len(report)} row(s) ("
            + ", ".join(f"{n} {why}" for why, n in reasons.most_common())
            + f"): {shown}{' ...' if len(report) > 5 else ''}"
        )
    tables.check_fx_direction(fx)
    return tidy, label, adjusted, warns


def _master(tidy, label: str, t: _Tables, requires, s: OnboardSettings, warns: list[str]):
    """The price panel (gaps filled) and the security master; every input ``requires`` names
    that is missing is one error, raised before anything is built."""
    missing = _missing(requires, t, s, "volume" in tidy)
    panel = Panel.from_tidy(tidy, label, s.closures)
    sec, taken, unclassified = tables.master(
        panel.codes, t.classification, t.reference, panel.first_sessions(), warns
    )
    apply_listing_dates(panel, sec, warns)
    missing += _withholding(sec, s.wht_default, requires, warns)
    if missing:
        raise DataError(
            f"{len(missing)} input(s) missing to build these rules on these prices:\n  - "
            + "\n  - ".join(missing),
            source=label,
        )
    panel.fill(s.fill_gaps, label, warns)
    return panel, sec, taken, unclassified


def _settings(settings: OnboardSettings | None, options: dict) -> OnboardSettings:
    names = {f.name for f in dataclasses.fields(OnboardSettings)}
    unknown = sorted(set(options) - names)
    if unknown:
        raise TypeError(f"onboard() got unexpected keyword argument(s) {unknown}")
    if settings is not None and not isinstance(settings, OnboardSettings):
        raise DataError(
            "settings must be an OnboardSettings",
            field="settings",
            value=type(settings).__name__,
        )
    base = settings or OnboardSettings()
    return base.replace(**options) if options else base


def _reference(reference) -> pd.DataFrame | None:
    if reference is True:
        return reference_table()
    if reference is False or reference is None:
        return None
    if not isinstance(reference, pd.DataFrame) or "code" not in reference.columns:
        raise DataError(
            "reference must be True, False or a table with a code column",
            field="reference",
            value=type(reference).__name__,
        )
    ref = reference.copy()
    ref["code"] = ref["code"].astype(str).map(normalise_code)
    return ref


def _missing(requires, t: _Tables, s: OnboardSettings, has_volume: bool) -> list[str]:
    """Sentences for every input ``requires`` needs and the call does not supply."""
    approx = s.approximation
    classified = t.classification is not None or t.reference is not None
    have = {
        "memberships.hsci": t.memberships is not None,
        "memberships.southbound": t.memberships is not None,
        "relevance": t.relevance is not None or classified,
        "classification.industry": classified,
        "classification.is_cxo": classified,
        "volume": has_volume,
        "shares": t.shares is not None or approx != "none",
    }
    out = [
        f"{need} (needed by {why}): {_FIX.get(need, 'supply it')}"
        for need, why in (requires or {}).items()
        if not have.get(need, True)
    ]
    if approx == "market_cap" and t.market_cap is None:
        out.append("market_cap (needed by approximation='market_cap'): pass market_cap=")
    if approx == "traded_value" and not has_volume:
        out.append("volume (needed by approximation='traded_value'): give a volume column")
    if t.shares is not None and approx != "none":
        out.append(f"shares were given, so approximation={approx!r} does not apply: drop one")
    return out


def _withholding(sec, wht_default, requires, warns) -> list[str]:
    no_wht = sec["code"][sec["wht_class"].astype(str) == ""].tolist()
    if not no_wht:
        return []
    if wht_default is not None:
        sec.loc[sec["wht_class"].astype(str) == "", "wht_class"] = str(wht_default)
        warns.append(
            f"withholding class {wht_default!r} assumed (wht_default) for {len(no_wht)} code(s) "
            f"without one: {', '.join(no_wht)}"
        )
        return []
    if requires is None:
        return []
    return [
        f"classification.wht_class (needed by index.withholding, the net total-return "
        f"variant) for {len(no_wht)} code(s): {', '.join(no_wht)}: pass classification= with "
        "wht_class or wht_default='foreign' (an assumption)"
    ]


def _provided(t: _Tables, s: OnboardSettings) -> dict:
    approx = s.approximation
    if t.relevance is None or isinstance(t.relevance, str):
        rel = "industry (approximation)"
    else:
        rel = "constant (approximation)" if np.isscalar(t.relevance) else "user"
    return {
        "shares": "user" if t.shares is not None else approx,
        "free_float": "user"
        if t.free_float is not None
        else ("approximation" if approx != "none" else "missing"),
        "classification": "user"
        if t.classification is not None
        else ("reference" if t.reference is not None else "missing"),
        "memberships": "missing"
        if t.memberships is None
        else ("all (approximation)" if isinstance(t.memberships, str) else "user"),
        "relevance": rel,
    }


def _shares_and_float(s: OnboardSettings, adjusted, t: _Tables, panel, warns):
    shape = panel.raw.shape
    ff = (
        tables.per_code_panel(t.free_float, "free_float", panel.sessions, panel.codes, "free_float")
        if t.free_float is not None
        else np.ones(shape)
    )
    approx = s.approximation
    if approx != "none" and t.free_float is None:
        warns.append(
            f"free float not given: free float 1.0 for every code ({approx} approximation)"
        )
    if approx == "none":
        sh = tables.per_code_panel(t.shares, "shares", panel.sessions, panel.codes, "shares")
    elif approx == "equal":
        sh = tables.proxy_equal(panel.close, warns)
    elif approx == "traded_value":
        sh = tables.proxy_traded_value(
            panel.close, panel.traded, panel.life, panel.sessions, s.proxy_window, warns
        )
    else:
        sh = tables.proxy_market_cap(
            t.market_cap, panel.close, panel.life, panel.sessions, panel.codes, warns
        )
    if adjusted and approx in ("none", "market_cap"):
        warns.append(
            "market-cap weights on vendor-adjusted prices: past prices are scaled down by dividend "
            "adjustments, so market caps (shares x adjusted close) understate dividend payers "
            "before their ex-dates"
        )
    sh = np.where(panel.life, sh, np.nan)
    bad = panel.life & ~(sh > 0)
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise DataError(
            "no positive shares for a priced session",
            date=panel.sessions[t],
            code=panel.codes[j],
            field="shares",
            fix="check the shares / market_cap table",
        )
    return sh, np.where(panel.life, ff, np.nan)


def _delistings(sec: pd.DataFrame, panel: Panel, warns: list[str]) -> None:
    """A code whose prices end before the last session is taken as delisted on its last price."""
    last = panel.sessions[panel.last_i]
    ended = last < panel.sessions[-1]
    sec["delisting_date"] = pd.to_datetime(np.where(ended, last, pd.NaT))
    if ended.any():
        warns.append(
            f"{int(ended.sum())} code(s) have no price on the last session "
            f"{panel.sessions[-1]:%Y-%m-%d}; taken as delisted on their last price: "
            + ", ".join(np.asarray(panel.codes)[ended])
        )


_HELD_PROXIES = ("traded_value", "market_cap")
_PROXY_PLAUSIBILITY = Plausibility(shares_unexplained_ratio=np.inf)
"""Plausibility thresholds for a market whose shares are a proxy held between refreshes
(:data:`_HELD_PROXIES`): a lasting change at a refresh is the proxy moving, not an unexplained
change of issued shares, so that warning is off (the proxy's own warning says what it is).  Spikes
are still checked: a held proxy cannot make one.  ``approximation="equal"`` keeps every default:
its shares are 1 / close, so a close that jumps and reverts shows as a shares spike too."""


def _build(panel, sec, t: _Tables, label, adjusted, s: OnboardSettings, warns) -> MarketData:
    """The market: shares and free float, delistings, memberships and relevance, then
    :meth:`MarketData.from_frames`; the warnings it raises (the placeholder FX fixing) are
    recorded on the market too, after the onboarding's own."""
    shares_a, ff_a = _shares_and_float(s, adjusted, t, panel, warns)
    _delistings(sec, panel, warns)
    intervals = tables.memberships_table(t.memberships, panel.codes, panel.first_sessions(), warns)
    rel = tables.relevance_table(t.relevance, sec, panel.sessions, s.drug_industries, warns)
    if adjusted:  # first: summaries that show the first few warnings show this one
        warns.insert(0, ADJUSTED_NOTE)
    panels = dict(close_hkd=panel.close, shares=shares_a, free_float=ff_a)
    panels.update(traded_value_hkd=panel.traded, suspended=panel.gaps)
    frame = price_rows(panel.sessions, panel.codes, panel.life, panels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        market = MarketData.from_frames(
            frame,
            sec,
            intervals=intervals,
            relevance=rel,
            fx=t.fx,
            source=f"{'adjusted:' if adjusted else ''}onboard({label})",
            sources={"prices": label},
            closures=s.closures,
            warnings=tuple(warns),
            plausibility=_PROXY_PLAUSIBILITY if s.approximation in _HELD_PROXIES else None,
        )
    extra = tuple(str(w.message) for w in caught if issubclass(w.category, UserWarning))
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return dataclasses.replace(market, warnings=tuple(market.warnings) + extra)


__all__ = [
    "APPROXIMATIONS",
    "DRUG_INDUSTRIES",
    "OnboardSettings",
    "Onboarding",
    "PROXY_WINDOW",
    "onboard",
    "read_prices",
    "reference_table",
]
