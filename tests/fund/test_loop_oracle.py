"""A plain-Python statement of the daily loop (no corporate actions) compared with the kernel."""

from __future__ import annotations

import numpy as np
import pytest
from support.cases import fund_loop_case
from support.comparisons import fund_loop_oracle_run, run_fund_loop


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("lots_on", [True, False])
def test_kernel_matches_plain_python_loop(seed, lots_on):
    case = fund_loop_case(seed, lots_on)
    out = run_fund_loop(case)
    hold, days_out, costs, pcosts = out["hold"], out["days"], out["costs"], out["pcosts"]
    trades, events = out["trades"], out["events"]
    expected, trade_costs = fund_loop_oracle_run(case)
    for t, (h, cash, units, nav) in enumerate(expected):
        np.testing.assert_allclose(hold[t], h, rtol=1e-9, atol=1e-6, err_msg=f"holdings, row {t}")
        assert days_out[t]["cash_hkd"] == pytest.approx(cash, rel=1e-9, abs=1e-5), t
        assert days_out[t]["units"] == units
        assert days_out[t]["nav_hkd"] == pytest.approx(nav, rel=1e-10), t
    assert costs[:, 2:8].sum() == pytest.approx(trade_costs, rel=1e-9)
    # the member that left at the review is sold out, and cash is never negative
    assert (hold[20:, 1] == 0).all()
    assert (days_out["cash_hkd"] >= -1e-6).all()
    assert (pcosts == 0).all()  # the fund bears every cost under PAYER_FUND
    assert len(events) == 0 and len(trades) > 0
