"""Every result's ``plot()`` returns the same kind of object: the matplotlib ``Axes`` it drew on;
every ``summary()`` is an :class:`engine._display.Summary`.

A multi-panel figure returns its first, main panel (the others are ``ax.figure.axes[1:]``); without
``ax`` the figure is a pyplot one, so a notebook shows it inline; ``plot(ax=ax)`` draws into ``ax``
and returns it.  The list of result types is checked against every class in ``engine`` that defines
``plot``, so a new result type cannot skip this test.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

import engine
import engine.plotting
from engine._display import Provenance, Result, Summary

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module")
def run():
    from engine.data import default_market
    from engine.fund import backtest

    market = default_market()
    chained = engine.build_index(market, "hsidi")
    launch = engine.build_index(market, "hsidi-2023-05")
    return market, launch, chained, backtest(chained, market)


def _observed(run):
    from engine.analytics.observed import align_calendars, exchange_sessions

    _, _, chained, _ = run
    sh = exchange_sessions("XSHG", "2024-06-03", "2025-12-31")
    return align_calendars(chained.levels["price"], sh).rename("fake ETF")


def _onboarding(run):
    from engine.data import hkex_sessions
    from engine.data.onboard import onboard

    days = hkex_sessions("2025-01-02", "2025-03-31")
    rng = np.random.default_rng(0)
    rows = [
        pd.DataFrame(
            {
                "date": days,
                "code": c,
                "close": 10.0 * np.cumprod(1 + rng.normal(0, 0.02, len(days))),
                "volume": rng.uniform(1e6, 5e6, len(days)),
            }
        )
        for c in ("1801", "9926")
    ]
    return onboard(
        pd.concat(rows, ignore_index=True),
        approximation="equal",
        memberships="all",
        relevance=1.0,
        wht_default="foreign",
    )


def _implied(run):
    from engine.analytics import implied_weights

    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2025-01-02", periods=60)
    x = pd.DataFrame(rng.normal(0, 0.02, (60, 3)), index=dates, columns=["1000", "1001", "1002"])
    return implied_weights(x @ np.array([0.5, 0.3, 0.2]), x)


def _calibration(run):
    import engine.sweep as sw

    market = run[0]
    return sw.calibrate(
        _observed(run), market, "hsidi", sw.grid(cap=[0.10, 0.15]), objective="te", n_boot=20
    )


def _check_report(run):
    from engine.data.check import CheckReport

    problems = pd.DataFrame(
        {
            "file": ["prices.csv", "prices.csv", "actions.csv"],
            "row": [3, 7, 0],
            "date": ["2025-01-02", "2025-01-03", "2025-01-02"],
            "code": ["1801", "1801", "9926"],
            "field": ["close", "close", "kind"],
            "message": ["close <= 0", "close missing", "unknown kind"],
        }
    )
    return CheckReport(path="folder", problems=problems, warnings=("one",))


BUILDERS = {
    "engine.index.result.IndexResult": lambda r: r[2],
    "engine.rules.schedule.ReviewSchedule": lambda r: r[2].schedule,
    "engine.fund.result.FundResult": lambda r: r[3],
    "engine.analytics.tracking.TrackingResult": lambda r: engine.analytics.fund_tracking(
        r[3], r[2]
    ),
    "engine.analytics.attribution.Waterfall": lambda r: engine.analytics.attribute(r[2], r[0]),
    "engine.analytics.compare.IndexComparison": lambda r: engine.analytics.compare_indexes(
        r[1], r[2]
    ),
    "engine.analytics.versions.VersionComparison": lambda r: engine.analytics.compare(
        r[1], r[2], market=r[0], labels=("launch", "chained")
    ),
    "engine.analytics.observed.ObservedComparison": lambda r: engine.analytics.compare_observed(
        r[2], _observed(r), limit=None
    ),
    "engine.analytics.implied.ImpliedWeights": _implied,
    "engine.analytics.contributions_result.Contributions": lambda r: engine.analytics.contributions(
        r[3], r[2], r[0]
    ),
    "engine.analytics.exante.ExAnteRisk": lambda r: engine.analytics.ex_ante(
        r[3], r[0], dates="all"
    ),
    "engine.analytics.concentration.Concentration": lambda r: engine.analytics.concentration(r[2]),
    "engine.analytics.fund_rules.FundRules": lambda r: engine.analytics.fund_rules(r[2], r[0]),
    "engine.analytics.capacity.RebalanceCapacity": lambda r: engine.analytics.capacity(
        r[2], r[0], fund=r[3]
    ),
    "engine.analytics.regulatory.RegulatoryReport": lambda r: engine.analytics.regulatory(
        r[3], r[2], "csrc"
    ),
    "engine.analytics.frontier.ReplicationFrontier": lambda r: (
        engine.analytics.replication_frontier(r[2], r[0], names=(10,), policies=("optimised",))
    ),
    "engine.data.onboard.Onboarding": _onboarding,
    "engine.sweep.result.SweepResult": lambda r: engine.sweep.run(
        r[0], "hsidi", engine.sweep.grid(cap=[0.15])
    ),
    "engine.sweep.calibrate.Calibration": _calibration,
    "engine.data.check.CheckReport": _check_report,
}


def _classes_with_plot() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(engine.__path__, "engine."):
        if info.name.rsplit(".", 1)[-1] == "_nb":
            continue
        mod = importlib.import_module(info.name)
        for obj in vars(mod).values():
            if not (inspect.isclass(obj) and obj.__module__ == mod.__name__) or obj is Result:
                continue
            if "plot" in vars(obj) or issubclass(obj, Result):
                found.add(f"{obj.__module__}.{obj.__qualname__}")
    return found


def test_every_result_with_a_plot_is_listed():
    assert _classes_with_plot() == set(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_plot_returns_the_axes_it_drew_on(run, name):
    import engine.sweep  # noqa: F401 - the sweep builders use engine.sweep

    obj = BUILDERS[name](run)
    assert f"{type(obj).__module__}.{type(obj).__qualname__}" == name
    ax = obj.plot()
    assert isinstance(ax, Axes), (name, type(ax))
    assert ax is ax.figure.axes[0]  # the main panel
    assert plt.fignum_exists(ax.figure.number)  # a pyplot figure: notebooks show it inline
    assert "ax" in inspect.signature(type(obj).plot).parameters
    fig, given = plt.subplots()
    assert obj.plot(ax=given) is given
    assert given.has_data()
    assert isinstance(obj.summary(), Summary), (name, type(obj.summary()))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_result_derives_from_result_and_carries_provenance(run, name):
    import engine.sweep  # noqa: F401 - the sweep builders use engine.sweep

    obj = BUILDERS[name](run)
    assert isinstance(obj, Result)
    assert "_repr_html_" not in vars(type(obj)) or name == "engine.data.check.CheckReport"
    assert getattr(engine.plotting, type(obj)._figure).__module__.startswith("engine.plotting.")
    prov = obj.provenance
    assert isinstance(prov, Provenance)
    assert prov.engine_version == engine.__version__
    assert obj.tag == (" [SYNTHETIC]" if obj.synthetic else "")
    assert obj._repr_html_().startswith("<p><code>")


def test_provenance_names_the_methodology_settings_and_data(run):
    market, _, chained, fund = run
    assert chained.provenance.methodology_hash == chained.schedule.methodology_hash != ""
    assert chained.provenance.data_fingerprint == market.fingerprint()
    assert chained.schedule.provenance.methodology_hash == chained.schedule.methodology_hash
    p = fund.provenance
    assert p.settings_hash == fund.config.hash != ""
    assert p.methodology_hash == chained.schedule.methodology_hash
    assert p.data_fingerprint == market.fingerprint()
    assert p == Provenance.of(chained, fund.config, market)
    for name in (
        "engine.analytics.tracking.TrackingResult",
        "engine.analytics.concentration.Concentration",
        "engine.analytics.fund_rules.FundRules",
        "engine.analytics.capacity.RebalanceCapacity",
    ):  # results built on the chained run name its methodology and data
        prov = BUILDERS[name](run).provenance
        assert prov.methodology_hash == chained.schedule.methodology_hash, name
        assert prov.data_fingerprint == market.fingerprint(), name
    assert BUILDERS["engine.analytics.capacity.RebalanceCapacity"](run).provenance == p
