"""FundResult's frame and figure use the configured benchmark, the one its summary names."""

from __future__ import annotations

import pytest

import engine
from engine.data import default_market
from engine.fund import EtfConfig, backtest, default_flows


@pytest.mark.parametrize("benchmark", ["price", "gross"])
def test_frame_and_plot_use_the_configured_benchmark(benchmark):
    market = default_market()
    index = engine.build_index(market, "hsidi")
    config = EtfConfig.default().replace(benchmark=benchmark)
    fund = backtest(index, market, config, flows=default_flows(market, config))
    frame = fund.to_frame()
    bench = frame["benchmark_cny"]
    assert bench.iloc[-1] / bench.iloc[0] - 1 == pytest.approx(
        fund.summary()["benchmark_return"], rel=1e-12
    )
    assert bench.iloc[0] == pytest.approx(frame["nav_per_unit_cny"].iloc[0], rel=1e-12)
    labels = [line.get_label() for line in fund.plot().get_lines()]
    assert f"benchmark: {fund.benchmark_cny().name}" in labels
    assert benchmark in fund.benchmark_cny().name
