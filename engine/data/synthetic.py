"""The embedded default market: a seeded, SYNTHETIC Hong Kong healthcare market, 2019-2025.

:func:`default_market` returns a :class:`~engine.data.market.MarketData` built in well under two
seconds from the static universe in :mod:`engine.data.universe` (76 real HK codes and names) and a
seeded random generator. Nothing is read from disk. Every report made from it says SYNTHETIC: the
codes, names, industries, listing dates and board lots are real, the prices, shares, traded values,
corporate-action amounts, suspensions, membership intervals and relevance scores are made up
(calibrated loosely, see below).

Price model
-----------
For security ``j`` in factor group ``g`` (innovative drug, CXO, other healthcare) the log economic
value (price with every corporate action undone) on session ``t`` is

.. math::

    L_{t,j} = \\beta_j G_{t,g} + \\mu_j (t - t_a)/252 + X_{t,j}, \\qquad
    X_{t,j} = \\phi X_{t-1,j} + \\sigma_j \\varepsilon_{t,j}, \\quad \\varepsilon \\sim t_4/\\sqrt{2},

where ``G`` is the group's log level (piecewise linear through the anchors in
:data:`GROUP_ANCHORS` plus Brownian bridges pinned to zero at every anchor, a common one and a group
one), ``mu_j`` a small per-name drift, ``X`` a mean-reverting (``phi = 0.99``) idiosyncratic term with
Student-t shocks, and ``t_a`` the anchor session 2025-06-30. The raw close is

.. math::

    P_{t,j} = S_j \\, e^{L_{t,j} - L_{t_a,j}} \\, D_{t,j},

with ``S_j`` the reference price at 2025-06-30 and ``D`` the step function of corporate actions: on
an ex-date it is multiplied by ``1/ratio`` (split), ``1/(1+ratio)`` (bonus),
``(1 + ratio * price/P_{t-1}) / (1+ratio)`` (rights: the theoretical ex-rights price over the previous
close) or ``1 - amount/P_{t-1}`` (cash dividend). So on an ex-date the raw close is the previous close
adjusted for the action, times that day's move ``exp(L_t - L_{t-1})``. The ``shares`` panel changes
on the same ex-date by ``ratio`` (split) or ``1 + ratio`` (bonus, rights), and at two share placings.
On a suspended session the close repeats the previous one and traded value is 0.

Calendar: the draws are made on the sessions of ``exchange_calendars``' ``XHKG`` calendar; the
whole-day closures it misses (:data:`engine.data.calendar.EXTRA_CLOSURES`: 2023-09-01 and
2023-09-08) are then dropped, each closed day's move added to the next session's, so the market's
sessions are :func:`~engine.data.calendar.hkex_sessions`.  A corporate action's amount is relative
to the previous close of the market (the session before a closed day, for an ex-date right after
one), so adding a closure changes no draw and no price of another day, except through the amount of
a dividend or rights issue that goes ex on the session after the closed day (2877 on 2023-09-04 and
0867 on 2023-09-11).

Calibration (loose, to public facts): the innovative-drug group falls about 73% from June 2021 to
October 2022 (the HK biotech drawdown), declines in each calendar year 2021-2024, and from
2025-01-02 to 2025-08-22 gains ``exp(0.80) - 1`` (about +123%; the real index was +116% YTD to
2025-08-22) while the CXO group gains about +49%.
Reference prices, issued shares (market caps HKD 2bn to 210bn at 2025-06-30), free-float factors
and average daily traded values are set per name in :mod:`engine.data.universe`; traded value
follows market cap and absolute moves and is rescaled so that its 126-session mean at 2025-06-30 is
exactly the name's ``adt_m_hkd``. The HKD->CNY fixing (CNY per HKD) follows the real path loosely
(0.876 at the start of 2019, lows near 0.82 in 2021-2022, 0.86-0.94 in 2023-2025, 0.89-0.95 in 2025)
with small bridged noise; it is positive on every session.

The 2025-06-30 cut-off (review effective 2025-08-11), by construction
-------------------------------------------------------------------------
Under the revision ``hsidi-2025-08`` (listed at the cut-off and on the cap date 2025-08-08, not
suspended, HSCI member, Southbound eligible, not CXO, industry Pharmaceuticals or Biotechnology,
relevance > 0, 126-session ADT >= HKD 20m) exactly 31 names are eligible:

    0013 0512 0867 1093 1177 1513 1530 1801 1877 1952 2096 2142 2157 2162 2171 2186 2196 2607
    3320 3692 3933 6160 6185 6855 6955 6990 9688 9926 9966 9969 9995

(every one with ADT of HKD 50m or more). The others fail, first screen named:

* listed but not yet an HSCI member (late listings): 1276 Hengrui H (listed 2025-05-23; HSCI and
  Southbound from 2025-09-08), 9606 Duality Biotherapeutics (listed 2025-04-15; HSCI from 2025-12-08);
* suspended on the cut-off: 1672 Ascletis (suspended 2025-06-16 to 2025-10-31);
* not an HSCI member: 1244 3D Medicines (never), 2256 Abbisko (member 2022-03-07 to 2023-09-08), 3347 Tigermed (left
  effective 2025-03-10), 2315 Biocytogen (never);
* not Southbound eligible: 6996 Antengene (lost it 2024-03-11), 1167 Jacobio (never);
* CXO (is_cxo): 2269 WuXi Biologics, 2359 WuXi AppTec, 2268 WuXi XDC, 1548 GenScript, 3759
  Pharmaron, 6821 Asymchem, 6127 Joinn, 1521 Frontage, 1873 Viva Biotech, 2228 XtalPi (also 3347 and
  2315 above);
* industry not Pharmaceuticals/Biotechnology: 1099 Sinopharm (relevance 0.3), 6618 JD Health, 0241
  Alibaba Health, 1833 Ping An Healthcare, 1066 Weigao, 0853 MicroPort, 2252 MicroPort MedBot, 6699
  Angelalign, 1302 LifeTech, 1789 AK Medical, 2273 Gushengtang, 1515 CR Medical, 6078 Hygeia, 2158
  Yidu Tech, 2192 Medlive, 1951 Jinxin, 9860 Adicon;
* relevance 0 (traditional Chinese medicine): 0570 CTCM, 0874 Baiyunshan, 2877 Shineway, 3613 Tong
  Ren Tang CM;
* 126-session ADT far below HKD 20m (HKD 3m-7m): 2616 CStone, 9939 Kintor, 2197 Clover, 6622 Zhaoke,
  1477 Ocumension.

Under the launch rules ``hsidi-2023-05`` (listed, not suspended, HSCI member, relevance > 0; CXO,
non-Southbound and illiquid names allowed) 49 names are eligible at 2025-06-30 (the 31, ten CXO
names led by WuXi Biologics, the five illiquid names, the two non-Southbound names and Sinopharm),
and at least 40 at every quarter-end of 2024 and 2025. At the 2025-09-30 cut-off the revision finds
the same 31 plus Hengrui H where a partial liquidity window is accepted.

Corporate actions: cash dividends for 19 payers (one or two a year, amounts 0.5%-5% of the previous
close, paid 3-5 weeks after the ex-date), the WuXi Biologics 3-for-1 split (2020-11-16), a Kintor
5-to-1 consolidation (split ratio 0.2, 2024-05-06), bonus issues (CSPC 0.6 on 2020-10-16, WuXi
AppTec 0.4 and 0.2 in 2020 and 2021), a Luye Pharma 1-for-4 rights issue at 75% of the previous
close (2022-08-15). Amounts and most dates are synthetic; the WuXi Biologics split and the CSPC
bonus issue mirror real events. Two share placings (1801 on 2021-01-22, 9926 on 2024-07-19) raise
issued shares without a corporate action, and the free-float factor steps once for 3692 and 9926.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from engine.data.calendar import hkex_sessions, xhkg_sessions
from engine.data.market import ACTION_COLUMNS, PRICE_COLUMNS, MarketData
from engine.data.universe import UNIVERSE, SecuritySpec, security_master
from engine.errors import DataError

DEFAULT_SEED = 20250811
START, END = "2019-01-02", "2025-12-31"
ANCHOR = "2025-06-30"  # reference prices, shares and ADT are pinned on this session
LIQUIDITY_WINDOW = 126  # sessions in the ADT window that ends at the anchor

GROUP_ANCHORS: dict[str, tuple[tuple[str, float], ...]] = {
    # log level of the group factor on these dates (snapped to the next session), about 0 at the
    # 2025-06-30 anchor where reference prices are pinned
    "drug": (
        ("2019-01-02", -0.35),
        ("2020-03-19", -0.45),
        ("2020-12-31", 0.10),
        ("2021-06-30", 0.40),
        ("2021-12-31", -0.10),
        ("2022-03-15", -0.50),
        ("2022-10-31", -0.90),
        ("2022-12-30", -0.30),
        ("2023-01-27", -0.20),
        ("2023-12-29", -0.40),
        ("2024-09-13", -0.85),
        ("2024-10-07", -0.50),
        ("2025-01-02", -0.55),
        ("2025-08-22", 0.25),
        ("2025-12-31", 0.10),
    ),
    "cxo": (
        ("2019-01-02", -0.30),
        ("2020-03-19", -0.25),
        ("2020-12-31", 0.90),
        ("2021-06-30", 1.20),
        ("2021-12-31", 0.85),
        ("2022-10-31", 0.20),
        ("2022-12-30", 0.35),
        ("2023-12-29", -0.05),
        ("2024-02-28", -0.75),
        ("2024-10-07", -0.30),
        ("2025-01-02", -0.30),
        ("2025-08-22", 0.10),
        ("2025-12-31", 0.05),
    ),
    "other": (
        ("2019-01-02", 0.00),
        ("2020-03-19", 0.10),
        ("2021-02-17", 1.00),
        ("2022-10-31", -0.35),
        ("2023-12-29", -0.45),
        ("2024-10-07", -0.25),
        ("2025-01-02", -0.45),
        ("2025-08-22", 0.20),
        ("2025-12-31", 0.10),
    ),
}
FX_ANCHORS: tuple[tuple[str, float], ...] = (
    ("2019-01-02", 0.876),
    ("2019-09-03", 0.912),
    ("2020-05-27", 0.920),
    ("2021-01-04", 0.834),
    ("2021-06-30", 0.832),
    ("2022-01-03", 0.816),
    ("2022-10-31", 0.928),
    ("2023-01-30", 0.864),
    ("2023-09-08", 0.936),
    ("2024-06-28", 0.912),
    ("2025-04-09", 0.939),
    ("2025-12-31", 0.906),
)

# code -> ((ex month-day, dividend yield on the previous close, first year), ...)
DIVIDENDS: dict[str, tuple[tuple[str, float, int], ...]] = {
    "1093": (("06-05", 0.015, 2019), ("09-20", 0.012, 2019)),
    "1177": (("06-12", 0.010, 2019), ("09-05", 0.008, 2019)),
    "1530": (("06-20", 0.020, 2023),),
    "3692": (("06-10", 0.010, 2020),),
    "0867": (("06-03", 0.030, 2019), ("09-10", 0.020, 2019)),
    "3933": (("06-14", 0.030, 2021), ("09-16", 0.020, 2021)),
    "2359": (("06-03", 0.008, 2019),),
    "1513": (("06-24", 0.030, 2019),),
    "2196": (("07-15", 0.020, 2019),),
    "1099": (("06-18", 0.040, 2019),),
    "2607": (("07-03", 0.035, 2019),),
    "3320": (("06-07", 0.030, 2019), ("09-12", 0.010, 2019)),
    "0512": (("06-13", 0.030, 2019),),
    "0570": (("06-21", 0.030, 2019),),
    "1066": (("06-17", 0.025, 2019), ("09-24", 0.010, 2019)),
    "2096": (("06-19", 0.020, 2021),),
    "0874": (("06-26", 0.040, 2019),),
    "2877": (("06-11", 0.050, 2019), ("09-03", 0.030, 2019)),
    "3613": (("06-06", 0.030, 2019), ("09-18", 0.015, 2019)),
}
DIVIDEND_PAY_LAG_DAYS = (21, 35)
SPLITS = (
    ("2269", "2020-11-16", 3.0),
    ("9939", "2024-05-06", 0.2),
)  # ratio = new shares per old share
BONUSES = (("1093", "2020-10-16", 0.6), ("2359", "2020-06-12", 0.4), ("2359", "2021-06-18", 0.2))
RIGHTS = (("2186", "2022-08-15", 0.25, 0.75),)  # (code, ex, new per held, price / previous close)
PLACINGS = (
    ("1801", "2021-01-22", 0.035),
    ("9926", "2024-07-19", 0.030),
)  # share increase, no action
SUSPENSIONS = (
    ("1672", "2025-06-16", "2025-10-31"),
    ("1093", "2021-01-21", "2021-01-22"),
    ("3347", "2022-03-15", "2022-03-15"),
    ("1952", "2023-03-20", "2023-03-22"),
    ("6996", "2023-11-13", "2023-11-24"),
    ("2196", "2024-04-29", "2024-04-29"),
)
FREE_FLOAT_CHANGES = (
    ("3692", "2023-09-11", 0.25),
    ("9926", "2022-03-07", 0.60),
)  # (code, from, ff before)

_IDIO_SIGMA = {"drug": 0.018, "cxo": 0.020, "other": 0.018}
_IDIO_SIGMA_18A = 0.026
_PHI = 0.99
_BRIDGE_SIGMA = 0.008


@dataclass(frozen=True)
class SyntheticFrames:
    """The tidy frames :func:`default_market` validates, plus the generator's daily moves.

    Attributes
    ----------
    frames
        ``prices, securities, actions, intervals, relevance, fx`` as :meth:`MarketData.from_frames`
        takes them.
    dates, codes
        Sessions and codes (sorted, the column order of the resulting market).
    log_move
        ``[day, security]`` log change of the economic value, ``L_t - L_{t-1}`` (NaN before listing):
        on an ex-date the raw close equals the action-adjusted previous close times ``exp(log_move)``.
    """

    frames: dict
    dates: pd.DatetimeIndex
    codes: tuple[str, ...]
    log_move: np.ndarray


def _snap(dates: pd.DatetimeIndex, day) -> int:
    """Row of the first session on or after ``day`` (clipped to the last session)."""
    return int(min(dates.searchsorted(pd.Timestamp(day), side="left"), len(dates) - 1))


def _bridged(rng: np.random.Generator, n: int, knots: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian random walk of ``n`` steps with the straight line through its values at ``knots``
    removed, i.e. Brownian bridges that are exactly 0 at every knot."""
    walk = np.cumsum(rng.normal(0.0, sigma, n))
    return walk - np.interp(np.arange(n), knots, walk[knots])


def _anchored_path(dates, anchors, rng, knots, common) -> np.ndarray:
    rows = np.array([_snap(dates, d) for d, _ in anchors])
    level = np.interp(np.arange(len(dates)), rows, [v for _, v in anchors])
    return level + 0.7 * common + 0.7 * _bridged(rng, len(dates), knots, _BRIDGE_SIGMA)


def _review_effective_days(dates: pd.DatetimeIndex) -> np.ndarray:
    """Rows of the HSCI review effective days: the session after the first Friday of March and
    September (HSI practice)."""
    out = []
    for year in range(dates[0].year, dates[-1].year + 1):
        for month in (3, 9):
            first = pd.Timestamp(year, month, 1)
            friday = first + pd.Timedelta(days=(4 - first.weekday()) % 7)
            row = dates.searchsorted(friday, side="right")
            if row < len(dates):
                out.append(int(row))
    return np.array(out)


def _intervals(specs, dates, first_rows) -> pd.DataFrame:
    reviews = _review_effective_days(dates)
    rows = []
    for s, first in zip(specs, first_rows, strict=True):
        if s.hsci is None:
            if first == 0:
                start = dates[0]
            else:
                start = dates[reviews[reviews >= first + 60][0]]
            hsci = ((start, None),)
        else:
            hsci = s.hsci
        southbound = hsci if s.southbound is None else s.southbound
        for kind, ivs in (("hsci", hsci), ("southbound", southbound)):
            for start, end in ivs:
                end = pd.NaT if end is None else pd.Timestamp(end)
                rows.append(
                    {"code": s.code, "kind": kind, "start": pd.Timestamp(start), "end": end}
                )
    return pd.DataFrame(rows, columns=["code", "kind", "start", "end"])


def _relevance(specs, dates, first_rows) -> pd.DataFrame:
    """One row at listing (or 2019-01-02) and one at every June-30 restatement after it."""
    rows = []
    for s, first in zip(specs, first_rows, strict=True):
        start = dates[first]
        tiers = dict(s.relevance)

        def score(year, tiers=tiers):
            years = [y for y in tiers if y <= year]
            return tiers[max(years)] if years else tiers[min(tiers)]

        rows.append({"as_of": start, "code": s.code, "score": score(start.year)})
        for year in range(dates[0].year, dates[-1].year + 1):
            as_of = pd.Timestamp(year, 6, 30)
            if as_of > start:
                rows.append({"as_of": as_of, "code": s.code, "score": score(year)})
    return pd.DataFrame(rows, columns=["as_of", "code", "score"])


def _suspended_mask(dates, col, shape) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for code, lo, hi in SUSPENSIONS:
        hi_row = dates.searchsorted(pd.Timestamp(hi), side="right")
        mask[_snap(dates, lo) : hi_row, col[code]] = True
    return mask


def _events(dates, col, first_rows, suspended) -> list[tuple[int, int, str, float, float]]:
    """Corporate events as ``(row, column, kind, value, extra)``, sorted; ex-dates that fall on or
    right after a suspended day, or on a security's first session, move to the next clean session."""
    n = len(dates)
    raw = []
    for code, sched in DIVIDENDS.items():
        for mmdd, dy, first_year in sched:
            for year in range(max(first_year, dates[0].year), dates[-1].year + 1):
                raw.append((pd.Timestamp(f"{year}-{mmdd}"), code, "cash_dividend", dy, 0.0))
    raw += [(pd.Timestamp(d), c, "split", r, 0.0) for c, d, r in SPLITS]
    raw += [(pd.Timestamp(d), c, "bonus", r, 0.0) for c, d, r in BONUSES]
    raw += [(pd.Timestamp(d), c, "rights", r, disc) for c, d, r, disc in RIGHTS]
    raw += [(pd.Timestamp(d), c, "placing", r, 0.0) for c, d, r in PLACINGS]
    out = []
    for day, code, kind, value, extra in raw:
        j = col[code]
        t = _snap(dates, day)
        while t < n and (t <= first_rows[j] or suspended[t, j] or suspended[t - 1, j]):
            t += 1
        if t < n - 1:
            out.append((t, j, kind, value, extra))
    out.sort()
    return out


def synthetic_frames(seed: int = DEFAULT_SEED) -> SyntheticFrames:
    """Generate the default market's tidy frames (deterministic in ``seed``); see the module docstring
    for the model. :func:`default_market` validates these into a :class:`MarketData`.

    The steps draw from one generator in a fixed order (economic paths, liquidity noise, the FX
    path); the dividend pay dates from a second one seeded ``[seed, 1]``.
    """
    seed = _check_seed(seed)
    rng = np.random.default_rng(seed)
    g = _grid(xhkg_sessions(pd.Timestamp(START), pd.Timestamp(END)))
    log_level, log_move = _economic_paths(rng, g)
    suspended = _suspended_mask(g.dates, g.col, (len(g.dates), len(g.codes))) & g.listed
    events = _events(g.dates, g.col, g.first_rows, suspended)
    close, shares, rounded = _closes_and_shares(g, log_level, events, suspended)
    traded = _traded_value(rng, g, close, shares, log_move, suspended)
    frames = {
        "prices": _price_frame(g, close, shares, traded, suspended),
        "securities": _master_frame(g),
        "actions": _action_frame(np.random.default_rng([seed, 1]), g, events, rounded),
        "intervals": _intervals(g.specs, g.dates, g.first_rows),
        "relevance": _relevance(g.specs, g.dates, g.first_rows),
        "fx": _fx_path(rng, g.dates),
    }
    # whole-day closures that XHKG lists as sessions (engine.data.calendar.EXTRA_CLOSURES): the
    # draws above are made on XHKG's sessions, so a closure moves no price of another day
    dates = g.dates
    if not g.is_open.all():
        frames, dates, log_move = _drop_closed_days(frames, dates, log_move, dates[g.is_open])
    log_move.setflags(write=False)
    return SyntheticFrames(frames=frames, dates=dates, codes=g.codes, log_move=log_move)


@dataclass(frozen=True)
class _Grid:
    """The shape every step shares: XHKG sessions, the securities in code order, their first rows."""

    dates: pd.DatetimeIndex
    specs: list[SecuritySpec]
    codes: tuple
    col: dict
    t_anchor: int
    first_rows: np.ndarray
    listed: np.ndarray
    is_open: np.ndarray
    prev_open: np.ndarray


def _grid(dates: pd.DatetimeIndex) -> _Grid:
    specs = sorted(UNIVERSE, key=lambda s: s.code)
    codes = tuple(s.code for s in specs)
    first_rows = np.array([_snap(dates, s.listing_date) for s in specs])
    # an action's amount is relative to the previous close of the market: the row before, or
    # the one before a whole-day closure that XHKG lists as a session (dropped at the end)
    is_open = dates.isin(hkex_sessions(START, END))
    prev_open = np.maximum.accumulate(np.where(is_open, np.arange(len(dates)), 0))
    return _Grid(
        dates=dates,
        specs=specs,
        codes=codes,
        col={c: j for j, c in enumerate(codes)},
        t_anchor=_snap(dates, ANCHOR),
        first_rows=first_rows,
        listed=np.arange(len(dates))[:, None] >= first_rows[None, :],
        is_open=is_open,
        prev_open=np.concatenate([[0], prev_open[:-1]]),
    )


def _economic_paths(rng, g: _Grid) -> tuple[np.ndarray, np.ndarray]:
    """Economic log value ``L[t, j]`` (group path, beta, drift, AR(1) idiosyncratic part) and its
    daily move (NaN before listing, 0 on the first session)."""
    n_t, n_j = len(g.dates), len(g.codes)
    knot_days = sorted({d for anchors in GROUP_ANCHORS.values() for d, _ in anchors})
    knots = np.unique([_snap(g.dates, d) for d in knot_days])
    common = _bridged(rng, n_t, knots, _BRIDGE_SIGMA)
    groups = {
        k: _anchored_path(g.dates, GROUP_ANCHORS[k], rng, knots, common) for k in GROUP_ANCHORS
    }
    g_panel = np.column_stack([groups[s.group] for s in g.specs])
    beta = rng.uniform(0.85, 1.15, n_j)
    drift = rng.normal(0.0, 0.05, n_j)
    sigma = np.array([_IDIO_SIGMA_18A if s.is_18a else _IDIO_SIGMA[s.group] for s in g.specs])
    shocks = rng.standard_t(4, size=(n_t, n_j)) / np.sqrt(2.0) * sigma
    shocks[0] = rng.normal(0.0, 1.0, n_j) * sigma / np.sqrt(1.0 - _PHI**2)  # stationary start
    idio = np.empty_like(shocks)
    acc = np.zeros(n_j)
    for t in range(n_t):  # AR(1) recursion, 1.7k steps of a 76-vector
        acc = _PHI * acc + shocks[t]
        idio[t] = acc
    log_level = beta * g_panel + drift * (np.arange(n_t)[:, None] - g.t_anchor) / 252.0 + idio
    log_move = np.vstack([np.zeros((1, n_j)), np.diff(log_level, axis=0)])
    log_move[~g.listed] = np.nan
    log_move[g.first_rows, np.arange(n_j)] = 0.0
    return log_level, log_move


def _event_factors(g: _Grid, events, econ, amounts_fixed: dict | None, scale: np.ndarray):
    """Step multipliers for price (D) and shares (M) after each event, per column, and the
    rounded amounts (dividend per share, rights price) keyed by event number."""
    n_j = len(g.codes)
    d_steps = [[] for _ in range(n_j)]
    m_steps = [[] for _ in range(n_j)]
    d_cur = np.ones(n_j)
    details = {}
    for k, (t, j, kind, value, extra) in enumerate(events):
        prev = scale[j] * econ[g.prev_open[t], j] * d_cur[j]
        if kind == "cash_dividend":
            amount = value * prev if amounts_fixed is None else amounts_fixed[k]
            f, m = 1.0 - amount / prev, 1.0
            details[k] = round(value * prev, 3)
        elif kind == "split":
            f, m = 1.0 / value, value
        elif kind == "bonus":
            f, m = 1.0 / (1.0 + value), 1.0 + value
        elif kind == "rights":
            price = extra * prev if amounts_fixed is None else amounts_fixed[k]
            f, m = (1.0 + value * price / prev) / (1.0 + value), 1.0 + value
            details[k] = round(extra * prev, 2)
        else:  # placing: shares only
            f, m = 1.0, 1.0 + value
        d_cur[j] *= f
        d_steps[j].append((t, f))
        m_steps[j].append((t, m))
    return d_steps, m_steps, details


def _step_panel(steps, shape) -> np.ndarray:
    out = np.ones(shape)
    for j, st in enumerate(steps):
        for t, f in st:
            out[t:, j] *= f
    return out


def _closes_and_shares(g: _Grid, log_level, events, suspended):
    """Raw closes (the anchor price pinned, actions applied, suspended sessions carrying the previous
    close), issued shares and the rounded action amounts."""
    shape = (len(g.dates), len(g.codes))
    econ = np.exp(log_level - log_level[g.t_anchor])  # economic value relative to the anchor
    # pass 1 (scale-free yields) fixes the scale that pins the anchor price; pass 2 uses rounded amounts
    d_steps, _, _ = _event_factors(g, events, econ, None, np.ones(shape[1]))
    scale = np.array([s.price_hkd for s in g.specs]) / _step_panel(d_steps, shape)[g.t_anchor]
    _, _, rounded = _event_factors(g, events, econ, None, scale)
    d_steps, m_steps, _ = _event_factors(g, events, econ, rounded, scale)
    close = scale * econ * _step_panel(d_steps, shape)
    m_panel = _step_panel(m_steps, shape)
    shares = np.round(np.array([s.shares_m for s in g.specs]) * 1e6 * m_panel / m_panel[g.t_anchor])
    for t, j in zip(*np.nonzero(suspended), strict=True):
        close[t, j] = close[t - 1, j]
    return close, shares, rounded


def _traded_value(rng, g: _Grid, close, shares, log_move, suspended) -> np.ndarray:
    """Daily traded value (HKD): a noisy power of market cap, scaled so the mean over the liquidity
    window before the anchor equals each name's average daily turnover."""
    cap = close * shares
    with np.errstate(invalid="ignore"):
        shape = (cap / cap[g.t_anchor]) ** 0.8 * np.exp(rng.normal(-0.125, 0.5, cap.shape))
        shape *= 1.0 + 5.0 * np.abs(np.nan_to_num(log_move))
    shape[suspended] = 0.0
    shape[~g.listed] = np.nan
    lo = g.t_anchor - LIQUIDITY_WINDOW + 1
    window_mean = np.nanmean(
        np.where(g.listed[lo : g.t_anchor + 1], shape[lo : g.t_anchor + 1], np.nan), axis=0
    )
    adt = np.array([s.adt_m_hkd for s in g.specs]) * 1e6
    traded = np.round(shape * (adt / np.where(np.isnan(window_mean), 1.0, window_mean)))
    # names listed after the window use their first LIQUIDITY_WINDOW sessions instead
    for j in np.flatnonzero(np.isnan(window_mean)):
        first = g.first_rows[j]
        traded[:, j] = np.round(
            shape[:, j] * adt[j] / np.nanmean(shape[first : first + LIQUIDITY_WINDOW, j])
        )
    return traded


def _price_frame(g: _Grid, close, shares, traded, suspended) -> pd.DataFrame:
    free_float = np.tile(np.array([s.free_float for s in g.specs]), (len(g.dates), 1))
    for code, day, before in FREE_FLOAT_CHANGES:
        free_float[: _snap(g.dates, day), g.col[code]] = before
    t_idx, j_idx = np.nonzero(g.listed)
    return pd.DataFrame(
        {
            "date": g.dates[t_idx],
            # categorical: a loader maps each distinct code once instead of once per row
            "code": pd.Categorical.from_codes(j_idx, categories=list(g.codes)),
            "close_hkd": close[t_idx, j_idx],
            "shares": shares[t_idx, j_idx],
            "free_float": free_float[t_idx, j_idx],
            "traded_value_hkd": traded[t_idx, j_idx],
            "suspended": suspended[t_idx, j_idx],
        },
        columns=PRICE_COLUMNS,
    )


def _master_frame(g: _Grid) -> pd.DataFrame:
    securities = security_master().set_index("code").loc[list(g.codes)].reset_index()
    # listings inside the data keep their first session; older ones keep the real listing date
    securities["listing_date"] = np.where(
        g.first_rows > 0, g.dates[g.first_rows], securities["listing_date"]
    )
    return securities


def _action_frame(pay_rng, g: _Grid, events, rounded) -> pd.DataFrame:
    """The corporate actions table (placings change shares only and are not listed)."""
    n_t = len(g.dates)
    rows = []
    for k, (t, j, kind, value, _extra) in enumerate(events):
        if kind == "placing":
            continue
        row = {"ex_date": g.dates[t], "code": g.codes[j], "kind": kind, "pay_date": pd.NaT}
        row |= dict.fromkeys(("amount_hkd", "ratio", "price_hkd"), np.nan)
        if kind == "cash_dividend":
            row["amount_hkd"] = rounded[k]
            lag = int(pay_rng.integers(DIVIDEND_PAY_LAG_DAYS[0], DIVIDEND_PAY_LAG_DAYS[1] + 1))
            row["pay_date"] = g.dates[
                min(_snap(g.dates, g.dates[t] + pd.Timedelta(days=lag)), n_t - 1)
            ]
        elif kind == "rights":
            row["ratio"], row["price_hkd"] = value, rounded[k]
        else:
            row["ratio"] = value
        rows.append(row)
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


def _fx_path(rng, dates) -> pd.Series:
    """HKD->CNY fixing: log-linear between :data:`FX_ANCHORS` plus a bridged wiggle."""
    n_t = len(dates)
    fx_knots = np.array([_snap(dates, d) for d, _ in FX_ANCHORS])
    fx_level = np.interp(np.arange(n_t), fx_knots, np.log([v for _, v in FX_ANCHORS]))
    return pd.Series(
        np.exp(fx_level + _bridged(rng, n_t, fx_knots, 0.0012)), index=dates, name="hkd_cny"
    )


def _drop_closed_days(frames: dict, dates, log_move, open_days):
    r"""The frames without the rows of the XHKG sessions that are not in ``open_days``.

    Each closed day's economic move is added to the next session's (so ``log_move`` stays
    :math:`L_t - L_{t-1}` between market sessions: a raw close still equals the previous close,
    action-adjusted, times :math:`e^{log\_move}`); an ex-date or pay date on a closed day moves to
    the next session (the action's factor is relative to the close before the closed day, the
    previous session's, so the ex-date identity holds there)."""
    shut = dates.difference(open_days)
    rows = dates.get_indexer(shut)
    if rows.max() >= len(dates) - 1:
        raise DataError("a closure on the default market's last session", date=shut[-1])
    move = log_move.copy()
    for t in rows[::-1]:  # later days first, so two closed days in a row add up
        was_first = np.isnan(move[t - 1]) & ~np.isnan(move[t]) if t > 0 else ~np.isnan(move[t])
        both = ~np.isnan(move[t]) & ~np.isnan(move[t + 1])
        move[t + 1] = np.where(both, move[t] + move[t + 1], move[t + 1])
        move[t + 1, was_first] = 0.0
    keep = np.ones(len(dates), dtype=bool)
    keep[rows] = False
    out = dict(frames)
    prices = frames["prices"]
    prices = prices[~prices["date"].isin(shut)].reset_index(drop=True)
    # a suspended day carries the previous close: one right after a closed day would carry the
    # closed day's close (the suspensions are fixed dates in SUSPENSIONS, not drawn)
    after = dates[rows + 1]
    if prices.loc[prices["date"].isin(after), "suspended"].any():
        raise DataError(
            "a suspension of the default market starts right after a closed day",
            date=after[0],
            fix="move it in engine.data.synthetic.SUSPENSIONS",
        )
    out["prices"] = prices
    actions = frames["actions"].copy()
    for col in ("ex_date", "pay_date"):
        on = actions[col].isin(shut)
        if on.any():
            nxt = open_days[open_days.searchsorted(actions.loc[on, col], side="left")]
            actions.loc[on, col] = nxt
    out["actions"] = actions
    out["fx"] = frames["fx"][~frames["fx"].index.isin(shut)]
    return out, dates[keep], move[keep]


def default_market(seed: int = DEFAULT_SEED) -> MarketData:
    """The embedded SYNTHETIC default market: 76 real HK healthcare codes, 2019-01-02 to 2025-12-31.

    Deterministic in ``seed`` and cached per seed (:class:`MarketData` is immutable, so every caller
    may share one object). Built through :meth:`MarketData.from_frames` with ``synthetic=True`` and
    ``source="default_market"``. At the 2025-06-30 cut-off exactly 31 securities pass the screens of
    the 2025 revision, whatever the seed (see the module docstring for who fails which screen).

    Parameters
    ----------
    seed
        Seed of the NumPy generator (prices, traded values, FX noise, dividend pay lags).
    """
    return _cached_market(_check_seed(seed))


def _check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(
            "seed must be a non-negative integer",
            source="default_market",
            field="seed",
            value=seed,
            fix=f"pass an int such as {DEFAULT_SEED} (the default)",
        )
    return int(seed)


@lru_cache(maxsize=8)
def _cached_market(seed: int) -> MarketData:
    return build_market(seed)


def build_market(seed: int = DEFAULT_SEED) -> MarketData:
    """Build the default market afresh (no cache); :func:`default_market` is the cached entry point."""
    f = synthetic_frames(_check_seed(seed)).frames
    return MarketData.from_frames(
        f["prices"],
        f["securities"],
        actions=f["actions"],
        intervals=f["intervals"],
        relevance=f["relevance"],
        fx=f["fx"],
        synthetic=True,
        source="default_market",
    )


__all__ = ["DEFAULT_SEED", "SyntheticFrames", "build_market", "default_market", "synthetic_frames"]
