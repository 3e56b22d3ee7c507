"""engine.sweep.run: a variant of the sweep is exactly the single build; errors name axis and value."""

from __future__ import annotations

import sys

import matplotlib.axes
import numpy as np
import pandas as pd
import pytest

import engine
import engine.sweep as sw
from engine._display import Summary
from engine.analytics.compare import membership_changes
from engine.analytics.tracking import metrics_from_returns
from engine.conventions import PERIODS_PER_YEAR, annualise_return, sample_std
from engine.errors import SweepError
from engine.fund import EtfConfig, backtest
from engine.rules import load_history


@pytest.fixture(scope="module")
def base_run(market):
    return engine.build_index(market, "hsidi")


def _expected_metrics(level: pd.Series, against: pd.Series) -> dict:
    r = level.pct_change().dropna().to_numpy()
    common = level.index.intersection(against.index)
    t = metrics_from_returns(
        level.reindex(common).pct_change().dropna().to_numpy(),
        against.reindex(common).pct_change().dropna().to_numpy(),
    )
    total = level.iloc[-1] / level.iloc[0] - 1.0
    return {
        "total_return": total,
        "annualised_return": annualise_return(total, len(level) - 1),
        "volatility": sample_std(r) * np.sqrt(PERIODS_PER_YEAR),
        "max_drawdown": float((level / level.cummax() - 1.0).min()),
        "tracking_difference": t["td_period"],
        "tracking_error_std": t["tracking_error_std"],
        "correlation": t["correlation"],
    }


@pytest.mark.parametrize("kind", ["price", "net"])
def test_single_variant_is_build_index(market, base_run, kind):
    against = base_run.levels["gross"].iloc[::3].rename("gross index, every third day")
    res = sw.run(market, "hsidi", sw.grid(cap=[0.15]), against=against, keep="levels", kind=kind)
    one = engine.build_index(market, load_history("hsidi").replace(cap=0.15))
    level = one.levels[kind]
    np.testing.assert_array_equal(res.levels[0].to_numpy(), level.to_numpy())
    assert res.levels.index.equals(level.index)
    row = res.to_frame().iloc[0]
    assert row["cap"] == 0.15 and row["error"] == ""
    for m, x in _expected_metrics(level, against).items():
        assert row[m] == pytest.approx(x, rel=1e-12, abs=1e-15), m
    tv = membership_changes(one)["turnover"].iloc[1:].mean()
    assert row["turnover_drifted"] == pytest.approx(tv, rel=1e-12)
    assert res.against == "gross index, every third day"


def test_fund_variant_is_backtest(market, base_run):
    g = sw.grid(**{"fund.management_fee": [0.01]})
    res = sw.run(market, "hsidi", g, keep="levels")
    nav = backtest(base_run, market, EtfConfig.default().replace(management_fee=0.01)).nav
    np.testing.assert_array_equal(res.levels[0].to_numpy(), nav["nav_per_unit_cny"].to_numpy())
    assert res.kind == "nav_per_unit_cny"
    total = nav["nav_per_unit_cny"].iloc[-1] / nav["nav_per_unit_cny"].iloc[0] - 1
    assert res.to_frame()["total_return"].iloc[0] == pytest.approx(total, rel=1e-12)


def test_chunking_changes_nothing(market):
    g = sw.grid(cap=[0.1, 0.2], max_constituents=[35, 40])
    a = sw.run(market, "hsidi", g, chunk_size=1)
    b = sw.run(market, "hsidi", g, chunk_size=3)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.levels is None
    # the four variants differ (the axes do something)
    assert a.to_frame()["total_return"].nunique() == 4


def test_failing_combination_is_reported_per_variant(market):
    g = sw.grid(max_constituents=[30, 40], buffer_remove_rank=[48])
    res = sw.run(market, "hsidi", g)
    f = res.to_frame()
    assert "buffer_add_rank <= max_constituents" in f["error"].iloc[0]
    assert np.isnan(f["total_return"].iloc[0])
    assert f["error"].iloc[1] == "" and np.isfinite(f["total_return"].iloc[1])
    assert len(res.failed) == 1
    assert res.summary()["failed"] == 1


def test_every_variant_failing_raises(market):
    g = sw.grid(max_constituents=[20, 30], buffer_remove_rank=[48])
    with pytest.raises(SweepError, match="every variant failed"):
        sw.run(market, "hsidi", g)


@pytest.mark.parametrize(
    "axes, field",
    [
        ({"cap": [0.1, 0.02]}, "cap"),  # 0.02 x 40 constituents of the base < 1
        ({"fund.cash_buffer": [0.01, 1.5]}, "fund.cash_buffer"),
        ({"frequency": ["monthly"]}, "frequency"),
    ],
)
def test_value_rejected_by_base_names_axis(market, axes, field):
    with pytest.raises(SweepError, match=f"axis '{field}'") as err:
        sw.run(market, "hsidi", sw.grid(**axes))
    assert f"field={field}" in str(err.value)


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"metrics": ("sharpe",)}, "unknown metric"),
        ({"metrics": ("tracking_error_std",)}, "needs a series"),
        ({"keep": "everything"}, "unknown keep"),
        ({"kind": "total"}, "unknown level kind"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_arguments(market, kwargs, text):
    with pytest.raises(SweepError, match=text):
        sw.run(market, "hsidi", sw.grid(cap=[0.1]), **kwargs)


def test_client_without_distributed_says_what_to_install(market, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(SweepError, match=r"pip install 'hsidi-engine\[distributed\]'"):
        sw.run(market, "hsidi", sw.grid(cap=[0.1]), client=object())


def test_result_protocol(market):
    res = sw.run(market, "hsidi", sw.grid(cap=[0.1, 0.2], max_constituents=[35, 40]))
    s = res.summary()
    assert isinstance(s, Summary)
    assert s["variants"] == 4
    f = res.to_frame()
    assert s["total_return_max"] == pytest.approx(f["total_return"].max())
    assert s.unit("volatility_median") == "%"
    assert isinstance(res.plot(), matplotlib.axes.Axes)
    assert "4 variants over cap x max_constituents" in repr(res)
    assert "<table" in res._repr_html_()
    assert res.best("total_return", 1)["total_return"].iloc[0] == f["total_return"].max()
