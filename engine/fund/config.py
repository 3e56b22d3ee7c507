"""`EtfConfig`: every setting of the ETF 520500 simulation, with its source or the word "assumption".

Source tags refer to ``reference/methodology-research.md`` (section 7 and the source list).  Rates are
fractions (``0.005`` = 0.50 %).  Trading-cost rates apply per side to the consideration (shares x
price) of every trade; fees accrue on calendar days (``/365``) on the NAV.

The seven *effects* of :data:`EFFECTS` are the switches of the attribution waterfall.  With an effect
off, the simulator idealises that part of the fund:

* ``fx`` off: the HKD->CNY fixing is held constant at its inception value (and no conversion spread);
* ``withholding_tax`` off: dividends are received gross;
* ``fees`` off: no management or custody fee;
* ``cash_drag`` off: no cash buffer, dividends are credited on their ex-date, and every cash-generating
  or cash-consuming event (dividends, rights take-up, deletions) is reinvested or financed at once at
  the index's adjusted prior close;
* ``trading_costs`` off: no stamp duty, levies, trading fee, brokerage or market impact;
* ``lot_rounding`` off: fractional shares may be held;
* ``flow_timing`` off: subscription cash is invested (and redemptions financed) at the close of the day
  the units are issued or cancelled.

With every effect off (``EtfConfig.default().with_effects(())``) the fund reproduces the gross total
return index exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from engine._settings import FLAG, POSITIVE, Choice, Interval, Settings, Whole, setting
from engine.enums import COST_KINDS, TRADING_COST_KINDS
from engine.errors import EngineError, FundConfigError, describe


def fund_error(
    what: str, cls: type[EngineError] = FundConfigError, source="EtfConfig", **where
) -> EngineError:
    """An error of ``cls`` (:class:`~engine.errors.FundConfigError` unless told) with the message
    :func:`engine.errors.describe` writes from ``what``, ``source`` (the fund's settings unless
    told; ``None``: none) and ``where`` (``date``, ``code``, ``field``, ``value``, ``fix``)."""
    return cls(describe(what, source=source, **where))


EFFECTS = (
    "fx",
    "withholding_tax",
    "fees",
    "cash_drag",
    "trading_costs",
    "lot_rounding",
    "flow_timing",
)
"""The switchable effects of the attribution waterfall, in waterfall order."""

WHT_CLASSES = ("H", "red_chip", "p_chip", "foreign", "hk")

QDII_WITHHOLDING = {"H": 0.10, "red_chip": 0.10, "p_chip": 0.0, "foreign": 0.0, "hk": 0.0}
"""Dividend withholding for a QDII fund (non-resident enterprise). H shares 10 % [S53] (weak source);
red chips 10 % (assumption: treated like H shares as PRC-resident enterprises); P chips, foreign and
HK-incorporated issuers 0 % because Hong Kong does not tax dividends [S52] (assumption for the classes)."""

STOCK_CONNECT_WITHHOLDING = {
    "H": 0.20,
    "red_chip": 0.28,
    "p_chip": 0.20,
    "foreign": 0.20,
    "hk": 0.20,
}
"""Dividend withholding through Southbound Stock Connect for a mainland securities investment fund
(taxed like an individual) [S52]: 20 % on H shares and non-H shares, 28 % on red chips deemed
PRC-resident (10 % + 20 %)."""

REVIEW_TRADE_TIMINGS = ("cap_date_close",)
CREATION_COST_PAYERS = ("participant", "fund")
FX_SOURCES = ("market", "constant")
DIVIDEND_TIMINGS = ("pay_date",)
BENCHMARKS = ("price", "gross", "net")
"""Index variants a fund can be measured against (:attr:`EtfConfig.benchmark`)."""
REPLICATIONS = ("full", "optimised", "sampled")
"""Replication policies (:attr:`EtfConfig.replication`, :mod:`engine.fund.replication`)."""
COVARIANCE_MODELS = ("ewma", "sample")
"""Covariance models of the optimised policy (:func:`engine.covariance.covariance`)."""
SAMPLING_BUCKETS = ("sub_industry", "industry")
"""Security-master columns the sampled policy can bucket by."""


@dataclass(frozen=True)
class _OrNone:
    """``None`` or a value that passes ``check`` (a settings check, see :mod:`engine._settings`)."""

    check: object

    @property
    def fix(self) -> str:
        return self.check.fix

    def accepts(self, value) -> bool:
        return value is None or self.check.accepts(value)

    def describe(self) -> str:
        return f"None or {self.check.describe()}"


COST_RATE = Interval(
    0.0,
    1.0,
    hi_open=True,
    fix="give the rate as a fraction per year (fees) or per side (costs), e.g. 0.001",
)
"""What a fee, cost or cash rate accepts: a fraction in [0, 1)."""

# cost kinds, indexed as in the kernel's cost arrays (defined once in engine.enums)
PARTICIPANT_COST_KINDS = (*TRADING_COST_KINDS, "fx")
"""Cost kinds a creating or redeeming participant can bear (``FundResult.participant_costs``)."""


def _ts(value) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise fund_error(f"unparseable date ({exc})", field="inception_date", value=value) from None
    if ts is pd.NaT or pd.isna(ts):
        raise fund_error("inception date is missing", field="inception_date")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


@dataclass(frozen=True)
class EtfConfig(Settings):
    """Settings of the simulated ETF (frozen and hashable).

    NAV and fees
        ``NAV_cny = (sum_i h_i P_i + cash_hkd + receivable_hkd - accrued_fees_hkd - payable_hkd) * fx``.
        Fees accrue each session on that session's NAV for the calendar days elapsed since the
        previous session: ``fee_t = NAV_t * (management_fee + custody_fee) * days_t / 365``; the accrued
        amount is paid from cash on the last session of every calendar month and on the last session
        of the run (holdings are sold pro rata if cash is short).

    Trading costs
        Per side, on the consideration ``shares * price_hkd``: ``stamp_duty + sfc_levy + afrc_levy +
        trading_fee + brokerage + market_impact``.
    """

    inception_date: pd.Timestamp = field(default=pd.Timestamp("2024-12-27"))
    """First valuation day. Assumption: the first day of 520500 in public price data is 2024-12-27
    and the fund existed by end-2024 [S16]; the true inception date is UNCONFIRMED."""
    initial_nav_cny: float = setting(1.0, POSITIVE)
    """NAV per unit at inception (assumption: SSE ETFs usually launch at 1.000)."""
    initial_units: float = setting(122_000_000.0, POSITIVE)
    """Units at inception: 122m units at end-2024 [S16] (assumption: no flows before)."""
    management_fee: float = setting(0.005, COST_RATE)
    """Per year. Assumption by analogy with peers (0.50 %) [S48][S49][S50]; UNCONFIRMED for 520500."""
    custody_fee: float = setting(0.001, COST_RATE)
    """Per year. Assumption by analogy with peers (0.10 %) [S48][S49][S50]."""
    stamp_duty: float = setting(0.001, COST_RATE)
    """Per side, 0.10 % since 17 Nov 2023 [S54][S55]."""
    sfc_levy: float = setting(0.000027, COST_RATE)
    """Per side, SFC transaction levy 0.0027 % [S57]."""
    afrc_levy: float = setting(0.0000015, COST_RATE)
    """Per side, AFRC transaction levy 0.00015 % [S57]."""
    trading_fee: float = setting(0.0000565, COST_RATE)
    """Per side, HKEX trading fee 0.00565 % [S57]."""
    brokerage: float = setting(0.0003, COST_RATE)
    """Per side, assumption (brokerage is negotiable [S57]): 3 bp."""
    market_impact: float = setting(0.0005, COST_RATE)
    """Per side, assumption: 5 bp of consideration."""
    withholding: tuple[tuple[str, float], ...] = tuple(sorted(QDII_WITHHOLDING.items()))
    """Dividend withholding rate by ``wht_class`` (pass a dict; stored as sorted pairs). Default: QDII,
    see :data:`QDII_WITHHOLDING` (assumption / [S53][S52]); structure of 520500 is UNCONFIRMED."""
    cash_buffer: float = setting(0.005, COST_RATE)
    """Target cash weight kept uninvested at reviews and subscriptions (assumption: 0.5 %)."""
    reinvest_threshold: float = setting(0.0025, COST_RATE)
    """Idle cash above the buffer is invested at the index weights on any close where it exceeds this
    share of the NAV (assumption: 0.25 %); creation cash is invested when due whatever its size."""
    use_board_lots: bool = setting(True, FLAG)
    """Trade whole board lots only (``securities.board_lot``); HKEX practice, UNCONFIRMED [sec. 7]."""
    creation_unit: float = setting(1_000_000.0, POSITIVE)
    """Units per creation/redemption basket (assumption)."""
    review_trade_timing: str = setting("cap_date_close", Choice(REVIEW_TRADE_TIMINGS))
    """Review trades happen at the close of the session before the effective date (the cap date under
    the default one-session lag): the index's own repricing point (assumption)."""
    flow_lag_sessions: int = setting(
        1, Whole(0, fix="use 0 (trade at the issuing close) or 1 (the next close)")
    )
    """Sessions between issuing/cancelling units at a day's NAV and trading the cash (assumption: 1,
    subscription cash received at day t's NAV is invested at the close of t+1)."""
    creation_true_up: bool = setting(False, FLAG)
    """The creating participant bears the price move of investing its creation cash (assumption:
    off).  Shanghai cross-border ETFs settle creations in cash with a true-up: the cash paid at day
    t's NAV is corrected afterwards by what buying the basket actually cost.  On: when the cash is
    invested ``flow_lag_sessions`` later, the participant pays (or receives) ``cash x (V_now /
    V_then - 1)``, V the fund's holdings valued at that close and at the issuing close, so the
    price move over the lag does not dilute the other holders (the flow-timing effect then holds
    only rounding and costs).  Off: the fund bears it.  UNCONFIRMED for 520500."""
    fx_source: str = setting("market", Choice(FX_SOURCES))
    """``"market"``: the HKD->CNY fixing in ``market.fx``; ``"constant"``: the inception fixing."""
    dividend_timing: str = setting("pay_date", Choice(DIVIDEND_TIMINGS))
    """Entitlement on holdings at the ex-date open (accrued as a receivable in the NAV); cash arrives on
    the pay date (assumption)."""
    fx_spread: float = setting(0.0, COST_RATE)
    """Proportional cost of converting subscription/redemption cash between CNY and HKD
    (assumption: 0, settlement at the fixing)."""
    effects: tuple[str, ...] = EFFECTS
    """Effects that are on (see :data:`EFFECTS`); the others are idealised."""
    max_redemption_fraction: float = setting(0.9, Interval(0.0, 1.0, lo_open=True))
    """Plausibility threshold (assumption): one session's redemptions may cancel at most this share
    of the units outstanding before them.  Redeeming all but a few units leaves the fund's residual
    cash, rounding and costs to those few (NAV per unit can jump from 1.0 to hundreds of thousands),
    so a larger redemption is rejected as a likely data error (a :class:`~engine.errors.FlowError`);
    raise it (at most 1) to simulate a near-liquidation on purpose."""
    max_creation_multiple: float = setting(10.0, POSITIVE)
    """Plausibility threshold (assumption): one session's creations may add at most this multiple of
    the units outstanding before them (520500 grew about tenfold in a year, never in a day);
    larger creations are rejected as a likely data error (a :class:`~engine.errors.FlowError`)."""
    creation_costs: str = setting("participant", Choice(CREATION_COST_PAYERS))
    """Who bears the costs of a creation or redemption: ``"participant"`` (default) or ``"fund"``.

    Assumption (UNCONFIRMED for 520500): in a cash-creation ETF such as 520500 the subscribing or
    redeeming participant pays the duties and charges of buying or selling the basket (a cash
    creation/redemption fee or "duties and charges" added to or withheld from the cash), so that
    existing holders' NAV is not diluted by other investors' flows.  Under ``"participant"`` the
    trading costs of investing creation cash (pro rata to the creation cash in the amount invested
    that close), of the inception purchase (the seed participant) and of the sales that raise
    redemption cash (withheld from the payout), and the CNY<->HKD conversion cost of the flows
    (``fx_spread``), are booked in ``FundResult.participant_costs`` and do not lower the NAV; the
    inception NAV per unit is then exactly ``initial_nav_cny``.  ``"fund"``: the fund bears them
    (every holder pays; the inception NAV per unit is struck after the purchase costs and the
    inception-day costs are in ``FundResult.costs``)."""
    benchmark: str = setting("price", Choice(BENCHMARKS))
    """Index variant the fund is measured against, converted to CNY at the fund's valuation fixing
    (:math:`B_t = I_t \\, fx_t / fx_0`): ``"price"`` (default), ``"gross"`` or ``"net"`` total return.
    Every tracking difference and tracking error the engine reports (``FundResult.summary()``,
    :func:`engine.analytics.fund_tracking`, the attribution waterfall, the report) is taken against
    this one series and names it. Assumption: the fund contract of 520500 is not public; peer QDII
    ETFs on Hong Kong drug indexes state their benchmark as the *price* index "adjusted by the
    valuation exchange rate" (159567 [S48]), so the price index in CNY is the most plausible official
    benchmark. Against it the fund earns the dividends it receives, so its tracking difference is
    higher than against a total-return index; ``"net"`` is the like-for-like alternative (dividends
    after withholding), ``"gross"`` the index with untaxed dividends (what an ideal fund reproduces)."""

    replication: str = setting("full", Choice(REPLICATIONS))
    """Which names the fund holds at each review (:mod:`engine.fund.replication`): ``"full"``
    (default: every constituent at its index weight), ``"optimised"`` (``replication_names`` names
    minimising the ex-ante tracking error) or ``"sampled"`` (stratified by sub-industry and size)."""
    replication_names: int | None = setting(
        None, _OrNone(Whole(1, fix="give a number of names from 1 to the constituent count"))
    )
    """Most names held under ``"optimised"`` or ``"sampled"`` (``None``: every constituent); a
    number above a review's constituent count is an error at that review."""
    turnover_budget: float | None = setting(
        None, _OrNone(Interval(0.0, 1.0, fix="give the one-way turnover as a fraction, e.g. 0.1"))
    )
    """Most one-way turnover :math:`\\frac12 \\sum_i |w_i - w^0_i|` per review of the optimised policy
    against the current book (fraction of the basket; ``None``: no budget).  Assumption: the
    current book is the previous policy carried forward at prices (module
    :mod:`engine.fund.replication`)."""
    covariance_model: str = setting("ewma", Choice(COVARIANCE_MODELS))
    """Covariance of the constituents' daily returns for the optimised policy (assumption: EWMA)."""
    covariance_halflife: float = setting(60.0, POSITIVE)
    """EWMA half-life in sessions (assumption: 60, about a quarter; decay 2^(-1/60) = 0.9885 a session)."""
    covariance_window: int = setting(250, Whole(2, fix="give a number of sessions, e.g. 250"))
    """Sessions of returns up to the review close used for the covariance (assumption: 250, about a
    year; cut to the history there is)."""
    sampling_bucket: str = setting("sub_industry", Choice(SAMPLING_BUCKETS))
    """Security-master column that, with the size bucket, defines the sampled policy's buckets."""
    size_buckets: int = setting(3, Whole(1, fix="give the number of size groups, e.g. 3"))
    """Equal-count size groups by index weight at the review for the sampled policy (assumption:
    terciles)."""

    _error = FundConfigError

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        object.__setattr__(self, "inception_date", _ts(self.inception_date))
        wht = self.withholding
        if isinstance(wht, Mapping):
            wht = tuple(sorted((str(k), float(v)) for k, v in wht.items()))
        else:
            try:
                wht = tuple(sorted((str(k), float(v)) for k, v in wht))
            except (TypeError, ValueError):
                raise fund_error(
                    "withholding must map wht_class -> rate",
                    field="withholding",
                    value=self.withholding,
                    fix="pass a dict such as {'H': 0.10, 'red_chip': 0.10, ...}",
                ) from None
        object.__setattr__(self, "withholding", wht)
        for cls_, rate in wht:
            if not (0.0 <= rate <= 1.0):
                raise fund_error(
                    "withholding rate must lie in [0, 1]",
                    field=f"withholding[{cls_!r}]",
                    value=rate,
                )
        super().__post_init__()
        object.__setattr__(self, "effects", _check_effects(self.effects))
        if self.replication == "full" and self.replication_names is not None:
            raise fund_error(
                "replication_names applies to the optimised and sampled policies only",
                field="replication_names",
                value=self.replication_names,
                fix="set replication='optimised' or 'sampled', or leave replication_names None",
            )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def default(cls) -> EtfConfig:
        """The settings that describe ETF 520500 (QDII withholding, every effect on)."""
        return cls()

    @classmethod
    def stock_connect(cls, **overrides) -> EtfConfig:
        """The default with Stock Connect withholding rates (:data:`STOCK_CONNECT_WITHHOLDING`, [S52])."""
        overrides.setdefault("withholding", dict(STOCK_CONNECT_WITHHOLDING))
        return cls(**overrides)

    def with_effects(self, on: Iterable[str]) -> EtfConfig:
        """A copy where exactly the effects in ``on`` are switched on (see the module docstring)."""
        if isinstance(on, str):
            on = (on,)
        return dataclasses.replace(self, effects=tuple(on))

    # ------------------------------------------------------------------ derived values
    def is_on(self, effect: str) -> bool:
        """Whether ``effect`` (one of :data:`EFFECTS`) is on."""
        _check_effects((effect,))
        return effect in self.effects

    @property
    def withholding_rates(self) -> dict[str, float]:
        """Withholding rate by ``wht_class`` as a dict (the configured rates, whatever the effects)."""
        return dict(self.withholding)

    @property
    def trading_cost_rates(self) -> dict[str, float]:
        """Per-side cost rates by kind (the configured rates, whatever the effects)."""
        return {kind: float(getattr(self, kind)) for kind in TRADING_COST_KINDS}

    @property
    def cost_rate_per_side(self) -> float:
        """Sum of the per-side trading-cost rates."""
        return float(sum(self.trading_cost_rates.values()))


def _check_effects(effects) -> tuple[str, ...]:
    if isinstance(effects, str):
        effects = (effects,)
    try:
        names = tuple(effects)
    except TypeError:
        raise fund_error(
            "effects must be an iterable of names",
            field="effects",
            value=effects,
        ) from None
    for name in names:
        if name not in EFFECTS:
            raise fund_error(
                "unknown effect",
                field="effects",
                value=name,
                fix=f"use names from {EFFECTS}",
            )
    return tuple(e for e in EFFECTS if e in names)


__all__ = [
    "BENCHMARKS",
    "COST_KINDS",
    "CREATION_COST_PAYERS",
    "EFFECTS",
    "EtfConfig",
    "PARTICIPANT_COST_KINDS",
    "REPLICATIONS",
    "QDII_WITHHOLDING",
    "STOCK_CONNECT_WITHHOLDING",
    "TRADING_COST_KINDS",
]
