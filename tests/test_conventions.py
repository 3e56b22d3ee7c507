"""Return conventions: hand-worked values and error messages."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine import conventions as cv
from engine.data.calendar import hkex_sessions
from engine.errors import DataError


def _s(values, start="2024-01-02"):
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)), dtype=float)


def test_simple_returns_hand_worked():
    # 100 -> 110 (+10%) -> 99 (-10%) -> 108.9 (+10%)
    r = cv.simple_returns(_s([100.0, 110.0, 99.0, 108.9]))
    assert len(r) == 3
    np.testing.assert_allclose(r.to_numpy(), [0.1, -0.1, 0.1], rtol=0, atol=1e-15)
    assert r.index[0] == pd.Timestamp("2024-01-03")  # the first date has no return


def test_compound_matches_level_ratio():
    # 1.1 * 0.9 * 1.1 - 1 = 0.089
    assert cv.compound([0.1, -0.1, 0.1]) == pytest.approx(0.089, abs=1e-15)
    assert cv.total_return(_s([100.0, 110.0, 99.0, 108.9])) == pytest.approx(0.089, abs=1e-14)
    assert cv.compound([]) == 0.0


def test_annualisation_hand_worked():
    p = cv.PERIODS_PER_YEAR
    # +21% over two years of sessions -> sqrt(1.21) - 1 = 10% a year
    assert cv.annualise_return(0.21, 2 * p) == pytest.approx(0.10, abs=1e-14)
    # half a year: (1.05)^2 - 1 = 10.25%
    assert cv.annualise_return(0.05, p // 2, p) == pytest.approx(0.1025, abs=1e-14)
    assert math.isnan(cv.annualise_return(0.1, 0))
    assert math.isnan(cv.annualise_return(-1.0, 10))
    assert cv.annualise_vol(0.01, 100) == pytest.approx(0.1)
    assert cv.annualise_mean(0.001, 250) == pytest.approx(0.25)
    assert cv.year_fraction(p) == 1.0
    assert cv.act365("2024-01-01", "2025-01-01") == pytest.approx(366 / 365)


def test_periods_per_year_matches_the_hkex_calendar():
    # the constant is the median session count of recent full years (assumption stated in the module)
    s = hkex_sessions("2010-01-01", "2025-12-31")
    counts = pd.Series(1, index=s).groupby(s.year).sum()
    assert cv.PERIODS_PER_YEAR == int(np.median(counts))
    assert abs(counts.mean() - cv.PERIODS_PER_YEAR) < 1


def test_sample_std_ddof():
    x = [1.0, 2.0, 3.0, 4.0]
    # mean 2.5, squared deviations 2.25+0.25+0.25+2.25 = 5; /3
    assert cv.sample_std(x) == pytest.approx(math.sqrt(5 / 3))
    assert cv.sample_std(x, ddof=0) == pytest.approx(math.sqrt(5 / 4))
    assert math.isnan(cv.sample_std([1.0]))


@pytest.mark.parametrize(
    ("values", "bad_date", "bad_value"),
    [
        ([100.0, np.nan, 101.0], "2024-01-03", "nan"),
        ([100.0, 101.0, 0.0], "2024-01-04", "0.0"),
        ([100.0, -5.0, 101.0], "2024-01-03", "-5.0"),
        ([100.0, np.inf, 101.0], "2024-01-03", "inf"),
    ],
)
def test_bad_levels_name_the_date(values, bad_date, bad_value):
    with pytest.raises(DataError) as exc:
        cv.simple_returns(_s(values).rename("nav"))
    msg = str(exc.value)
    assert bad_date in msg and bad_value in msg and "source=nav" in msg and "Fix:" in msg


def test_unsorted_or_non_series_levels_rejected():
    s = _s([1.0, 2.0, 3.0]).iloc[::-1]
    with pytest.raises(DataError, match="unique and ascending"):
        cv.check_levels(s)
    with pytest.raises(DataError, match="pandas Series"):
        cv.check_levels(np.array([1.0, 2.0]))


def test_conventions_validation():
    assert cv.Conventions().periods_per_year == cv.PERIODS_PER_YEAR
    with pytest.raises(DataError, match="periods_per_year"):
        cv.Conventions(periods_per_year=0)
    with pytest.raises(DataError, match="ddof"):
        cv.Conventions(ddof=2)


def test_annualise_overflow_is_inf_not_an_exception():
    assert cv.annualise_return(1e6, 4) == float("inf")
