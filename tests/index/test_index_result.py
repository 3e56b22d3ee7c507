"""`IndexResult` views: to_frame, returns, level_at, summary, plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from support.markets import actions_frame, market_from_closes, sessions  # noqa: E402
from support.reviews import make_review, make_schedule

from engine.conventions import PERIODS_PER_YEAR  # noqa: E402
from engine.errors import DataError  # noqa: E402
from engine.index import IndexResult, compute  # noqa: E402

A, B = "0001", "0002"


def build(synthetic=True):
    d = sessions(10)
    close = pd.DataFrame(
        {A: [10, 10, 11, 12, 12, 13, 12, 12, 14, 15], B: [20, 20, 20, 19, 21, 21, 22, 22, 22, 24]},
        index=d,
        dtype=float,
    )
    actions = actions_frame([(d[4], A, "cash_dividend", 0.5, np.nan, np.nan)])
    market = market_from_closes(close, actions=actions, synthetic=synthetic)
    reviews = [
        make_review(d[1], d[0], {A: 100.0, B: 50.0}),
        make_review(d[6], d[5], {A: 50.0, B: 100.0}),
    ]
    schedule = make_schedule(reviews, base_date=d[0], base_value=100.0, withholding={"H": 0.1})
    return d, compute(market, schedule)


@pytest.fixture(scope="module")
def res():
    return build()


def test_to_frame_has_levels_and_divisors(res):
    d, r = res
    f = r.to_frame()
    assert list(f.columns) == [
        "level_price",
        "level_gross",
        "level_net",
        "divisor_price",
        "divisor_gross",
        "divisor_net",
    ]
    assert list(f.index) == list(d)
    np.testing.assert_array_equal(f["level_gross"].to_numpy(), r.levels["gross"].to_numpy())
    np.testing.assert_array_equal(f["divisor_net"].to_numpy(), r.divisors["net"].to_numpy())


def test_returns_are_level_ratios(res):
    d, r = res
    ret = r.returns("gross")
    assert len(ret) == len(d) - 1 and ret.index[0] == d[1]
    lv = r.levels["gross"].to_numpy()
    np.testing.assert_allclose(ret.to_numpy(), lv[1:] / lv[:-1] - 1, rtol=1e-14)
    # compounding the returns gives back the last level
    assert 100.0 * np.prod(1 + r.returns("net").to_numpy()) == pytest.approx(
        r.levels["net"].iloc[-1]
    )
    with pytest.raises(DataError, match="variant"):
        r.returns("total")


def test_level_at(res):
    d, r = res
    assert r.level_at(d[0], "price") == 100.0
    row = r.level_at(d[3])
    assert (
        list(row.index) == ["price", "gross", "net"] and row["gross"] == r.levels["gross"].iloc[3]
    )
    # 2024-01-06 is a Saturday: the level of Friday 2024-01-05 (d[3]) applies
    assert r.level_at("2024-01-06", "net") == r.levels["net"].loc["2024-01-05"]
    with pytest.raises(DataError, match="before the index base date"):
        r.level_at("2023-12-29")


def test_summary(res):
    d, r = res
    s = r.summary()
    assert [m for m in s.metrics if m.startswith("total_return_")] == [
        "total_return_price",
        "total_return_gross",
        "total_return_net",
    ]
    assert s.unit("total_return_price") == "%"
    # annualised by session count, like every other annualised figure: 10 sessions are 9 daily
    # returns, p = PERIODS_PER_YEAR sessions a year
    n_returns = len(d) - 1
    assert n_returns == 9
    for v in ("price", "gross", "net"):
        tr = r.levels[v].iloc[-1] / 100.0 - 1
        assert s[f"total_return_{v}"] == pytest.approx(tr, rel=1e-12)
        assert s[f"annualised_return_{v}"] == pytest.approx(
            (1 + tr) ** (PERIODS_PER_YEAR / n_returns) - 1, rel=1e-12
        )
    assert s["reviews"] == 2 and s["events"] == 3
    assert s["total_return_gross"] > s["total_return_net"] > s["total_return_price"]
    assert s["start"] == d[0] and s["end"] == d[-1]
    assert s["sessions"] == len(d)


def test_plot_marks_reviews_and_synthetic(res):
    d, r = res
    ax = r.plot()
    assert "SYNTHETIC" in ax.get_title()
    assert len(ax.get_lines()) == 3 + 2  # three variants + one vertical line per review
    plt.close(ax.figure)
    _, real = build(synthetic=False)
    fig, ax2 = plt.subplots()
    assert real.plot(ax=ax2) is ax2 and "SYNTHETIC" not in ax2.get_title()
    plt.close(fig)


def test_result_metadata(res):
    _, r = res
    assert isinstance(r, IndexResult) and r.synthetic
    assert r.meta["withholding"] == {"H": 0.1} and len(r.meta["data_fingerprint"]) == 16
    assert "SYNTHETIC" in repr(r)
