"""Linked per-code contributions to the tracking difference: the public call against pandas.

``python -m benchmarks.bench_contributions`` builds, for each case, an index and a fund run, then

1. computes ``engine.analytics.contributions(fund, index, market).by_code`` and the same numbers the
   obvious pandas way (:func:`pandas_contributions`: wide frames, ``pivot_table`` of the trades,
   ``shift``/``diff``, Carino coefficients with ``numpy.log1p``), and **checks they agree to 1e-12**
   (a mismatch is printed as FAILED and the case is not timed);
2. times both: the first engine call (kernels compiled or loaded from the cache, the index's dense
   ``index_shares`` already built, as the pandas version needs it too) and the best of ``--repeat``
   calls of each.

Cases: ``default`` (the README run: ``engine.build_index(default_market(), "hsidi")`` and
``engine.fund.backtest``) and ``L`` (the standard workload of :mod:`benchmarks.workload`, 2,600 codes x
5,172 sessions, a fund from the index's first session to the end with the default flows).  Target
(issue 14, section 8): under 1 s at L.  Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from workload import best_of  # noqa: E402

TOLERANCE = 1e-12


def default_case():
    import engine
    from engine.data import default_market
    from engine.fund import backtest

    market = default_market()
    index = engine.build_index(market, "hsidi")
    return market, index, backtest(index, market)


def workload_case(size: str):
    import impls
    import workload

    import engine
    from engine.fund import EtfConfig, backtest

    w = workload.make(size)
    market = impls.engine_market(w)
    index = engine.build_index(market, workload.methodology(w))
    config = EtfConfig(inception_date=index.levels.index[1], withholding={"H": 0.10})
    return market, index, backtest(index, market, config)


def engine_contributions(fund, index, market) -> pd.Series:
    from engine.analytics import contributions

    return contributions(fund, index, market).by_code


def pandas_contributions(fund, index, market) -> pd.Series:
    """The same rows as the engine, written with pandas frames over every market code."""
    nav, px = fund.nav, fund.prices
    codes = px.columns
    hold = fund.holdings.reindex(columns=codes, fill_value=0.0)
    value = (hold * px).where(hold != 0, 0.0)
    tr = fund.trades.assign(signed=lambda d: np.where(d.side == "sell", 1, -1) * d.value_hkd)
    cash = tr.pivot_table(index="date", columns="code", values="signed", aggfunc="sum")
    ev = fund.events[fund.events["kind"].isin(["dividend", "cash_in_lieu", "rights"])]
    if len(ev):
        rates = dict(fund.config.withholding)
        wht = market.securities.set_index("code")["wht_class"].map(rates)
        gross = np.where(ev["kind"] == "dividend", 1 / (1 - ev["code"].map(wht)), 1.0)
        ev = ev.assign(gross=ev["cash_hkd"] * gross)
        cash = cash.add(
            ev.pivot_table(index="date", columns="code", values="gross", aggfunc="sum"),
            fill_value=0.0,
        )
    cash = cash.reindex(index=px.index, columns=codes).fillna(0.0)
    nav_prev = nav["nav_hkd"].shift(1)
    f = (value.diff() + cash).div(nav_prev, axis=0).iloc[1:]
    wf = value.shift(1).div(nav_prev, axis=0).iloc[1:]
    q = index.index_shares.reindex(index=px.index, columns=codes).fillna(0.0)
    prior = px.shift(1)
    open_cap = (q * prior).sum(axis=1)
    wb = (q * prior).div(open_cap, axis=0).iloc[1:].fillna(0.0)
    b = (q * (px - prior)).where(q != 0, 0.0).div(open_cap, axis=0).iloc[1:]
    level = index.levels[fund.config.benchmark].reindex(px.index)
    rb = level.pct_change().iloc[1:]
    rows = f - b - (wf - wb).mul(rb, axis=0)
    extra = {}
    for col, label, sign in (
        ("cash_hkd", "cash", 1),
        ("receivable_hkd", "dividends receivable", 1),
        ("accrued_fees_hkd", "fees accrued", -1),
        ("payable_hkd", "redemptions payable", -1),
    ):
        extra[label] = -sign * nav[col].shift(1).div(nav_prev).iloc[1:] * rb
    costs = fund.costs.div(nav["fx"], axis=0)
    groups = {
        "cost: management fee": ["management_fee"],
        "cost: custody fee": ["custody_fee"],
        "cost: trading costs": [
            "stamp_duty", "sfc_levy", "afrc_levy", "trading_fee", "brokerage", "market_impact",
        ],
        "cost: withholding tax": ["withholding_tax"],
        "cost: FX conversion": ["fx"],
    }  # fmt: skip
    for label, kinds in groups.items():
        extra[label] = -costs[kinds].sum(axis=1).iloc[1:] / nav_prev.iloc[1:]
    extra["flows: unit dilution"] = _dilution(fund)
    per_unit = nav["nav_hkd"] / nav["units"]
    fx_move = nav["fx"].pct_change()
    extra["fx: fixing change x HKD active return"] = ((per_unit.pct_change() - rb) * fx_move).iloc[
        1:
    ]
    rows = pd.concat([rows, pd.DataFrame(extra)], axis=1)
    nav_pu, bench = nav["nav_per_unit_cny"], fund.benchmark_cny()
    r_f, r_b = nav_pu.pct_change().iloc[1:], bench.pct_change().iloc[1:]
    big_f, big_b = nav_pu.iloc[-1] / nav_pu.iloc[0] - 1, bench.iloc[-1] / bench.iloc[0] - 1
    k = (np.log1p(r_f) - np.log1p(r_b)) / (r_f - r_b)
    k = k.where(r_f != r_b, 1 / (1 + r_b))
    big_k = (np.log1p(big_f) - np.log1p(big_b)) / (big_f - big_b)
    return rows.mul(k.to_numpy() / big_k, axis=0).sum()


def _dilution(fund) -> pd.Series:
    nav, cash = fund.nav, fund.cash
    red = fund.trades[fund.trades["reason"] == "redemption"]
    withheld = red.groupby("date")["participant_cost_hkd"].sum().reindex(nav.index, fill_value=0)
    fx_cost = fund.costs["fx"] / nav["fx"]
    booked = nav["payable_hkd"].diff().fillna(nav["payable_hkd"]) + cash["redemptions_paid_hkd"]
    booked = booked + withheld - fx_cost
    booked = booked.where(nav["flow_units"] < 0, cash["subscriptions_hkd"])
    u = nav["flow_units"]
    price = (booked / u.abs()).where(u != 0, 0.0)
    x_post = nav["nav_hkd"] - price * nav["units"]
    delta = (x_post * (nav["units"].shift(1) / nav["units"] - 1)).where(u != 0, 0.0)
    return (delta / nav["nav_hkd"].shift(1)).iloc[1:]


def run_case(name: str, repeat: int) -> dict:
    t0 = time.perf_counter()
    market, index, fund = default_case() if name == "default" else workload_case(name)
    build_s = time.perf_counter() - t0
    _ = index.index_shares  # the lazy dense [date, code] frame both versions read
    t0 = time.perf_counter()
    eng = engine_contributions(fund, index, market)
    first_s = time.perf_counter() - t0
    pdv = pandas_contributions(fund, index, market)
    common = pdv.reindex(eng.index).fillna(0.0)
    diff = float((eng - common).abs().max())
    extra = float(pdv.drop(eng.index, errors="ignore").abs().max()) if len(pdv) > len(eng) else 0.0
    out = {
        "case": name,
        "codes x sessions": f"{fund.prices.shape[1]:,} x {len(fund.nav):,}",
        "rows": len(eng),
        "build_s": build_s,
        "max_abs_diff": max(diff, extra),
    }
    if out["max_abs_diff"] > TOLERANCE:
        out["status"] = "FAILED"
        return out
    out["status"] = "ok"
    out["engine_first_s"] = first_s
    out["engine_s"] = best_of(lambda: engine_contributions(fund, index, market), repeat)
    out["pandas_s"] = best_of(lambda: pandas_contributions(fund, index, market), repeat)
    out["ratio"] = out["pandas_s"] / out["engine_s"]
    return out


def table(results) -> str:
    head = (
        "| case | codes x sessions | rows | engine first call (s) | engine, best of N (s) | "
        "pandas, best of N (s) | pandas / engine | max abs diff |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for r in results:
        if r["status"] != "ok":
            lines.append(
                f"| {r['case']} | {r['codes x sessions']} | {r['rows']} | FAILED | | | | "
                f"{r['max_abs_diff']:.1e} |"
            )
            continue
        lines.append(
            f"| {r['case']} | {r['codes x sessions']} | {r['rows']} | {r['engine_first_s']:.3f} | "
            f"{r['engine_s']:.4f} | {r['pandas_s']:.4f} | {r['ratio']:.0f}x | "
            f"{r['max_abs_diff']:.1e} |"
        )
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, pandas {pd.__version__}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="default,L", help="default and/or S, M, L")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    results = [run_case(c.strip(), args.repeat) for c in args.cases.split(",") if c.strip()]
    print(table(results))
    print(f"\nmachine: {machine()}")
    return 1 if any(r["status"] != "ok" for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
