"""replication_frontier: each row is the backtest of its policy and N measured by engine.metrics,
the full fund is the reference row, bad input names the argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.cases import random_fund_case as random_case

from engine import metrics
from engine.analytics import fund_tracking, replication_frontier
from engine.enums import TRADING_COST_KINDS
from engine.errors import FundConfigError
from engine.fund import EtfConfig, backtest

NO_FLOWS = pd.Series(dtype=float)


@pytest.fixture(scope="module")
def case():
    market, idx = random_case(4)
    cfg = EtfConfig(
        inception_date=market.dates[3],
        initial_units=2e7,
        creation_unit=1e5,
        covariance_window=20,
    )
    frontier = replication_frontier(idx, market, cfg, names=(2, 4), flows=NO_FLOWS)
    return market, idx, cfg, frontier


def test_rows_are_the_backtests(case):
    market, idx, cfg, frontier = case
    table = frontier.to_frame()
    assert list(table["policy"]) == ["optimised", "optimised", "sampled", "sampled", "full"]
    assert list(table["names"][:4]) == [2, 4, 2, 4]
    for _, row in table.iloc[[0, 3, 4]].iterrows():  # a row of each policy and the full fund
        c = (
            cfg
            if row["policy"] == "full"
            else cfg.replace(replication=row["policy"], replication_names=int(row["names"]))
        )
        fund = backtest(idx, market, c, flows=NO_FLOWS)
        tr = fund_tracking(fund, idx)
        nav = fund.nav["nav_per_unit_cny"].to_numpy()
        bench = tr.levels["benchmark"].to_numpy()
        a = np.diff(nav) / nav[:-1] - np.diff(bench) / bench[:-1]
        assert row["tracking_error_std"] == pytest.approx(
            float(np.std(a, ddof=1) * np.sqrt(tr.conventions.periods_per_year)), rel=1e-9
        )
        assert row["tracking_difference"] == pytest.approx(
            nav[-1] / nav[0] - bench[-1] / bench[0], abs=1e-12
        )
        costs = fund.costs[list(TRADING_COST_KINDS)].to_numpy().sum()
        assert row["trading_costs_cny"] == pytest.approx(costs, rel=1e-12)
        if row["policy"] != "full":
            plan = fund.meta["replication"]
            assert row["te_ex_ante_policy"] == pytest.approx(plan.table["te_ex_ante"].mean())
            assert (fund.holdings.gt(0).sum(axis=1) <= row["names"]).all()
    full = frontier.full
    assert full["te_ex_ante_policy"] == 0.0 and np.isnan(full["turnover"])


def test_fewer_names_track_worse_ex_ante(case):
    table = case[3].to_frame()
    opt = table[table["policy"] == "optimised"].set_index("names")["te_ex_ante_policy"]
    assert opt.loc[2] > opt.loc[4] >= 0.0


def test_protocol(case):
    frontier = case[3]
    s = frontier.summary()
    assert s["tracking_error_std"] == frontier.full["tracking_error_std"]
    assert s.unit("trading_costs_cny") == "CNY"
    assert "optimised_tracking_error_std" in s.metrics
    assert "te_ex_ante_policy" in metrics.REGISTRY
    assert "ReplicationFrontier(" in repr(frontier) and "<table" in frontier._repr_html_()
    ax = frontier.plot()
    assert len(ax.lines) == 5  # realised and ex-ante per policy, the full fund's line


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"policies": ("synthetic",)}, "policies"),
        ({"policies": ()}, "policies"),
        ({"names": (0,)}, "names"),
        ({"names": (9,)}, "names"),
    ],
)
def test_bad_input_names_the_argument(case, kw, field):
    market, idx, cfg, _ = case
    with pytest.raises(FundConfigError, match=f"field={field}"):
        replication_frontier(idx, market, cfg, flows=NO_FLOWS, **kw)
