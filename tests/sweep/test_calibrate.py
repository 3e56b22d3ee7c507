"""engine.sweep.calibrate: the variant that made the observed series ranks first; twins are not separable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine
import engine.sweep as sw
from engine.analytics.observed import align_calendars, exchange_sessions
from engine.errors import DataError
from engine.rules.methodology import load_history

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def market():
    return engine.data.default_market()


def _observed(market, cap, noise=0.0, seed=0):
    idx = engine.build_index(market, load_history("hsidi").replace(cap=cap))
    sh = exchange_sessions("XSHG", "2024-06-03", "2025-12-31")
    obs = align_calendars(idx.levels["price"], sh)
    rng = np.random.default_rng(seed)
    return pd.Series(
        obs.to_numpy() * np.cumprod(1 + rng.normal(0, noise, len(sh))), index=sh, name="fake ETF"
    )


def test_the_generating_variant_ranks_first(market):
    obs = _observed(market, 0.15, noise=0.002)
    cal = sw.calibrate(
        obs,
        market,
        "hsidi",
        sw.grid(cap=[0.10, 0.15, 0.25]),
        objective="r2_same",
        n_boot=100,
        block=10,
    )
    assert cal.best["cap"] == 0.15
    assert cal.ranking["rank"].tolist() == [1, 2, 3]
    assert cal.ranking["objective"].is_monotonic_decreasing
    assert cal.best["objective"] > 0.95
    s = cal.separability
    assert s["separable"] and s["gap_lo"] > 0 and s["p_better"] > 0.95
    summ = cal.summary()
    units = summ.to_frame().set_index("metric")["unit"]
    assert units["best_objective"] == units["gap_to_runner_up"] == "ratio"  # an R2
    assert summ["best_variant"] == "cap=0.15"
    assert summ["separable"] == "True"
    assert set(cal.comparisons) <= set(cal.ranking["variant"])


def test_identical_variants_are_not_separable(market):
    # caps of 0.6 and 0.9 bind nobody on the default market: the two levels are the same
    obs = _observed(market, 0.10, noise=0.01, seed=2)
    cal = sw.calibrate(obs, market, "hsidi", sw.grid(cap=[0.6, 0.9]), objective="te", n_boot=50)
    assert cal.separability["gap"] == pytest.approx(0.0, abs=1e-12)
    assert not cal.separability["separable"]
    # te is ranked smallest first; objective holds the TE itself
    assert cal.best["objective"] == pytest.approx(cal.best["te"])
    # a TE objective is a fraction shown as %, and so are the gaps between TEs
    units = cal.summary().to_frame().set_index("metric")["unit"]
    for row in ("best_objective", "gap_to_runner_up", "gap_lo_5pct", "gap_hi_95pct", "best_te"):
        assert units[row] == "%", row
    assert units["best_r2_lag"] == "ratio" and units["p_best_better"] == "ratio"


def test_unknown_objective(market):
    with pytest.raises(DataError, match="objective"):
        sw.calibrate(pd.Series(dtype=float), market, "hsidi", sw.grid(cap=[0.1]), objective="fit")


def test_parameters_keep_their_types(market):
    obs = _observed(market, 0.10, noise=0.01, seed=3)
    cal = sw.calibrate(
        obs, market, "hsidi", sw.grid(cap=[0.10, 0.15], cap_factor_lag_sessions=[1, 2]), n_boot=20
    )
    assert {cal.params(k) for k in (1, 2, 3, 4)} == {
        f"cap={c}, cap_factor_lag_sessions={lag}" for c in (0.1, 0.15) for lag in (1, 2)
    }


def test_warnings_carried(market):
    obs = _observed(market, 0.10, noise=0.01, seed=4)
    cal = sw.calibrate(obs, market, "hsidi", sw.grid(cap=[0.10]), warnings=["equal weights"])
    assert cal.summary()["warning_1"] == "equal weights"
    c = next(iter(cal.comparisons.values()))
    assert "approximation: equal weights" in c.notes
