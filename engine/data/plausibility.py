"""Plausibility checks: values that pass every format rule but are almost surely wrong.

A market can be well formed and still hold a typo that changes the numbers: a close printed 100
times too high for one day (the index reads 40,176 instead of 3,829 that day), issued shares that
jump for one session, a rights issue priced far above the market (applied as given, the index
loses 29% for good).  :class:`Plausibility` holds the thresholds, each a named parameter; the
defaults are **assumptions** (the rulebook sets none), documented in ``docs/data-format.md``.

Each finding is a message naming the file, row, date, code and field: a warning carried in
:attr:`MarketData.warnings` (``on_finding="warn"``, the default, so that a rare genuine move never
stops a build) or an :class:`~engine.errors.DataError` (``on_finding="error"``, what
:func:`engine.data.check_folder` and ``hsidi check`` use).  A lasting change of issued shares without a corporate action is always a
warning (placements and buy-backs are not in the actions table).

Definitions (``x`` a close or issued-shares series of one security, ``t`` a session):

* a **jump** at ``t``: ``max(x[t]/x[t-1], x[t-1]/x[t]) >= ratio``;
* it **reverts** when the next session undoes at least ``revert_fraction`` of it in log terms:
  ``|log(x[t+1]/x[t-1])| <= (1 - revert_fraction) * |log(x[t]/x[t-1])|``;
* a jump on the ex-date of a split, bonus or rights issue of the security (or the session after
  it) is explained and not reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine._settings import FLAG, Choice, Interval, Settings, setting
from engine.errors import DataError

ON_FINDING = ("error", "warn")
ABOVE_ONE = Interval(1.0, lo_open=True, fix="use float('inf') to switch the check off")
"""What a spike ratio accepts: a number above 1 (``inf`` switches the check off)."""


@dataclass(frozen=True)
class Plausibility(Settings):
    """Thresholds of the plausibility checks (defaults: assumptions, see ``docs/data-format.md``).

    Parameters
    ----------
    price_spike_ratio
        A one-session move of the close by at least this factor (up or down) that reverts the next
        session is a finding.  Default 5.0 (assumption: a genuine five-fold move undone the next day
        is far rarer than a misplaced decimal point).
    shares_spike_ratio
        The same for issued shares.  Default 1.5 (assumption: issued shares do not rise by half and
        fall back overnight).
    revert_fraction
        How much of a jump the next session must undo, in log terms, to count as reverting.
        Default 0.5 (assumption).
    shares_unexplained_ratio
        A lasting change of issued shares by at least this factor on a session with no split, bonus
        or rights issue of the security (on that day or the one before) is a *warning* (it may be a
        placement or a buy-back; or a missing corporate action).  Default 2.0 (assumption).
    rights_warn_ratio, rights_error_ratio
        A rights issue whose subscription price is above ``rights_warn_ratio`` times the close before
        the ex-date is a warning; above ``rights_error_ratio`` times it is a finding.  Defaults 1.0
        and 1.5 (assumption: rights are offered at a discount; one priced far above the market is
        not taken up, and the theoretical ex-rights adjustment would move the index for good).
    on_finding
        ``"warn"`` (default): a finding is carried in :attr:`MarketData.warnings` (and results
        built on the market carry it on); ``"error"``: it raises :class:`~engine.errors.DataError`
        (what :func:`engine.data.check_folder` uses).
    enabled
        False switches every plausibility check off (:meth:`off`).
    """

    _error = DataError

    price_spike_ratio: float = setting(5.0, ABOVE_ONE)
    shares_spike_ratio: float = setting(1.5, ABOVE_ONE)
    revert_fraction: float = setting(0.5, Interval(0.0, 1.0, lo_open=True))
    shares_unexplained_ratio: float = setting(2.0, ABOVE_ONE)
    rights_warn_ratio: float = setting(1.0, Interval(0.0, lo_open=True))
    rights_error_ratio: float = setting(1.5, Interval(0.0, lo_open=True))
    on_finding: str = setting("warn", Choice(ON_FINDING))
    enabled: bool = setting(True, FLAG)

    def __post_init__(self):
        super().__post_init__()
        if not self.rights_warn_ratio <= self.rights_error_ratio:
            raise DataError(
                "rights_warn_ratio must not exceed rights_error_ratio",
                source="Plausibility",
                field="rights_warn_ratio",
                value=(self.rights_warn_ratio, self.rights_error_ratio),
            )

    @classmethod
    def off(cls) -> Plausibility:
        """Every plausibility check switched off."""
        return cls(enabled=False)


def jumps(
    x: np.ndarray, ratio: float, revert_fraction: float, *, sparse: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells of ``x`` (``[day, security]``, positive, NaN where absent) that jump by at least
    ``ratio`` against the day before: ``(t, j, reverts)`` arrays, ``reverts`` as defined in the
    module docstring (False on the last day or when the next value is missing).

    ``sparse``: look only where the value changes first (cheaper for issued shares, which rarely
    change).
    """
    empty = np.zeros(0, dtype=np.int64)
    if not np.isfinite(ratio) or x.shape[0] < 2:
        return empty, empty, np.zeros(0, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if sparse:
            t, j = np.nonzero(x[1:] != x[:-1])
            r = x[t + 1, j] / x[t, j]
            big = (r >= ratio) | (r <= 1.0 / ratio)
            t, j = t[big], j[big]
        else:
            r = x[1:] / x[:-1]
            t, j = np.nonzero((r >= ratio) | (r <= 1.0 / ratio))
            del r
    t = t + 1
    size = np.abs(np.log(x[t, j] / x[t - 1, j]))
    nxt = np.minimum(t + 1, x.shape[0] - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        back = np.abs(np.log(x[nxt, j] / x[t - 1, j]))
        reverts = (t + 1 < x.shape[0]) & (back <= (1.0 - revert_fraction) * size)
    return t, j, reverts


def _explained(actions: pd.DataFrame, dates: pd.DatetimeIndex, codes, n_days: int, n_codes: int):
    """Flat ``[day, security]`` positions on which a split, bonus or rights issue (ex-date, or the
    session after it) explains a jump."""
    cap = actions[actions["kind"].isin(("split", "bonus", "rights"))]
    if len(cap) == 0:
        return np.zeros(0, dtype=np.int64)
    tt = dates.get_indexer(pd.DatetimeIndex(cap["ex_date"]))
    jj = pd.Index(codes).get_indexer(pd.Index(cap["code"], dtype=object))
    ok = (tt >= 0) & (jj >= 0)
    tt, jj = tt[ok], jj[ok]
    cells = np.concatenate([tt * n_codes + jj, np.minimum(tt + 1, n_days - 1) * n_codes + jj])
    return np.unique(cells)


def _finding(rep, severity: str, what: str, **where) -> None:
    if severity == "error":
        rep.fail(what, **where)
    else:
        rep.warn(what, **where)


def check_market(aligned, actions: pd.DataFrame, p: Plausibility, where, rep) -> None:
    """Price spikes and issued-shares jumps on the aligned panels (see the module docstring)."""
    if not p.enabled:
        return
    dates, codes = aligned.dates, aligned.codes
    n_days, n_codes = len(dates), len(codes)
    explained = _explained(actions, dates, codes, n_days, n_codes)
    label = where.label("prices")
    shown = {"error": 0, "warn": 0}
    for field, ratio in (("close_hkd", p.price_spike_ratio), ("shares", p.shares_spike_ratio)):
        x = aligned.panels[field]
        if field == "shares":  # one pass for both share checks, at the lower ratio
            low = min(ratio, p.shares_unexplained_ratio)
            t0, j0, rev0 = jumps(x, low, p.revert_fraction, sparse=True)
            step = np.abs(np.log(x[t0, j0] / x[t0 - 1, j0]))
            at = step >= np.log(ratio) if np.isfinite(ratio) else np.zeros(len(t0), bool)
            t, j, reverts = t0[at], j0[at], rev0[at]
        else:
            t, j, reverts = jumps(x, ratio, p.revert_fraction)
        free = ~np.isin(t * n_codes + j, explained)
        spikes = np.flatnonzero(reverts & free)
        noun = "close" if field == "close_hkd" else "issued shares"
        for k in _cap(spikes, rep, p.on_finding, label, f"one-day {noun} jumps", shown):
            tt, jj = int(t[k]), int(j[k])
            _finding(
                rep,
                p.on_finding,
                f"one-day jump in {noun} that reverts the next session: "
                f"{x[tt - 1, jj]:.6g} on {dates[tt - 1]:%Y-%m-%d}, {x[tt, jj]:.6g}, then "
                f"{x[tt + 1, jj]:.6g} on {dates[tt + 1]:%Y-%m-%d} (a factor "
                f"{max(x[tt, jj] / x[tt - 1, jj], x[tt - 1, jj] / x[tt, jj]):.3g}; threshold "
                f"Plausibility.{'price' if field == 'close_hkd' else 'shares'}_spike_ratio="
                f"{ratio:g})",
                **where("prices", int(aligned.rowpos[tt, jj]), date=dates[tt], code=codes[jj]),
                field=field,
                value=float(x[tt, jj]),
                fix="correct the value (a misplaced decimal point or a stray print?), or raise "
                "the threshold if the move is real",
            )
        if field == "shares" and np.isfinite(p.shares_unexplained_ratio):
            at = step >= np.log(p.shares_unexplained_ratio)
            t2, j2, rev2 = t0[at], j0[at], rev0[at]
            back = (t0[rev0] + 1) * n_codes + j0[rev0]  # the fall back after a reverting spike
            free2 = ~np.isin(t2 * n_codes + j2, np.concatenate([explained, back])) & ~rev2
            for k in _cap(np.flatnonzero(free2), rep, "warn", label, "share changes", shown):
                tt, jj = int(t2[k]), int(j2[k])
                rep.warn(
                    f"issued shares change by a factor {x[tt, jj] / x[tt - 1, jj]:.3g} "
                    f"({x[tt - 1, jj]:.6g} -> {x[tt, jj]:.6g}) with no split, bonus or rights "
                    "issue in the actions table (threshold "
                    f"Plausibility.shares_unexplained_ratio={p.shares_unexplained_ratio:g})",
                    **where("prices", int(aligned.rowpos[tt, jj]), date=dates[tt], code=codes[jj]),
                    field="shares",
                    fix="add the corporate action, or check the shares",
                )


def _cap(idx: np.ndarray, rep, severity: str, label: str, what: str, shown: dict):
    """At most ``rep.limit`` findings of one kind listed (then a count of the rest)."""
    head = idx if (severity == "error" and not rep.collect) else idx[: rep.limit]
    yield from (int(k) for k in head)
    rest = len(idx) - len(head)
    if rest > 0:
        line = f"{label}: {what}: {rest} more not listed"
        if severity == "error":
            rep.record(line, source=label)
        else:
            rep.warnings.append(line)


def check_rights(act: pd.DataFrame, prev_close: np.ndarray, p: Plausibility, where, rep) -> None:
    """Rights issues priced above the market (``act``: action rows with their original row labels;
    ``prev_close``: the close before each ex-date, aligned with ``act``)."""
    if not p.enabled or len(act) == 0:
        return
    rights = (act["kind"] == "rights").to_numpy()
    price = act["price_hkd"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        premium = price / prev_close
    for k in np.flatnonzero(rights & (premium > p.rights_warn_ratio)):
        i = int(act.index[k])
        severe = premium[k] > p.rights_error_ratio
        _finding(
            rep,
            p.on_finding if severe else "warn",
            f"rights issue priced at {premium[k]:.3g} times the close before the ex-date (HKD "
            f"{price[k]:g} against {prev_close[k]:g}; threshold Plausibility."
            f"{'rights_error_ratio' if severe else 'rights_warn_ratio'}="
            f"{p.rights_error_ratio if severe else p.rights_warn_ratio:g}): rights are offered "
            "at a discount, and one above the market would move the index for good",
            **where("actions", i, date=act["ex_date"][i], code=act["code"][i]),
            field="price_hkd",
            value=float(price[k]),
            fix="check price_hkd (a subscription price per share, HKD) and the ex-date",
        )


__all__ = ["ON_FINDING", "Plausibility", "check_market", "check_rights", "jumps"]
