"""EtfConfig: defaults, validation messages, effect switches."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.errors import FundConfigError
from engine.fund import EFFECTS, EtfConfig
from engine.fund.config import QDII_WITHHOLDING, STOCK_CONNECT_WITHHOLDING


def test_effects_order_and_default_all_on():
    assert EFFECTS == (
        "fx",
        "withholding_tax",
        "fees",
        "cash_drag",
        "trading_costs",
        "lot_rounding",
        "flow_timing",
    )
    cfg = EtfConfig.default()
    assert cfg.effects == EFFECTS
    assert all(cfg.is_on(e) for e in EFFECTS)


def test_default_describes_520500():
    cfg = EtfConfig.default()
    assert cfg.inception_date == pd.Timestamp("2024-12-27")
    assert cfg.initial_units == 122_000_000
    assert cfg.management_fee == 0.005 and cfg.custody_fee == 0.001
    assert cfg.stamp_duty == 0.001 and cfg.sfc_levy == 0.000027
    assert cfg.afrc_levy == 0.0000015 and cfg.trading_fee == 0.0000565
    assert cfg.withholding_rates == QDII_WITHHOLDING
    assert cfg.flow_lag_sessions == 1
    # per-side cost rate is the sum of the six kinds
    assert cfg.cost_rate_per_side == pytest.approx(
        0.001 + 0.000027 + 0.0000015 + 0.0000565 + 0.0003 + 0.0005
    )


def test_stock_connect_variant():
    cfg = EtfConfig.stock_connect()
    assert cfg.withholding_rates == STOCK_CONNECT_WITHHOLDING
    assert cfg.withholding_rates["red_chip"] == 0.28
    assert EtfConfig.stock_connect(cash_buffer=0.01).cash_buffer == 0.01


def test_config_is_frozen_and_hashable():
    a, b = EtfConfig.default(), EtfConfig(withholding=dict(QDII_WITHHOLDING))
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.cash_buffer = 0.1  # type: ignore[misc]


def test_with_effects_exact_set_in_canonical_order():
    cfg = EtfConfig.default().with_effects(["flow_timing", "fx"])
    assert cfg.effects == ("fx", "flow_timing")
    assert not cfg.is_on("fees")
    assert EtfConfig.default().with_effects(()).effects == ()
    assert EtfConfig.default().with_effects("fees").effects == ("fees",)
    # the rates themselves are kept: effects only decide what the simulator uses
    assert cfg.management_fee == 0.005


def test_unknown_effect_names_the_value():
    with pytest.raises(FundConfigError, match=r"unknown effect.*field=effects, value='cash'"):
        EtfConfig.default().with_effects(["fx", "cash"])
    with pytest.raises(FundConfigError, match="unknown effect"):
        EtfConfig.default().is_on("taxes")


@pytest.mark.parametrize(
    "field, value, pattern",
    [
        ("management_fee", -0.001, r"field=management_fee, value=-0.001"),
        ("stamp_duty", -1e-4, r"field=stamp_duty"),
        ("brokerage", float("nan"), r"field=brokerage"),
        (
            "cash_buffer",
            1.0,
            r"cash_buffer must be a number in \[0, 1\).*field=cash_buffer, value=1.0",
        ),
        ("cash_buffer", -0.01, r"field=cash_buffer"),
        ("creation_unit", 0, r"creation_unit must be a number in \(0, inf\).*value=0"),
        ("creation_unit", -5.0, r"field=creation_unit"),
        ("initial_units", 0.0, r"field=initial_units"),
        ("flow_lag_sessions", -1, r"field=flow_lag_sessions"),
        ("flow_lag_sessions", 0.5, r"field=flow_lag_sessions"),
        ("fx_source", "bloomberg", r"fx_source must be one of.*'bloomberg'"),
        # TOML values of the wrong type are errors, not read another way
        ("management_fee", False, r"management_fee must be a number.*value=False"),
        ("use_board_lots", "false", r"use_board_lots must be one of \(True, False\).*'false'"),
        ("flow_lag_sessions", True, r"field=flow_lag_sessions"),
        ("review_trade_timing", "open", r"review_trade_timing"),
    ],
)
def test_invalid_settings_name_field_and_value(field, value, pattern):
    with pytest.raises(FundConfigError, match=pattern):
        EtfConfig(**{field: value})


def test_invalid_withholding():
    with pytest.raises(FundConfigError, match=r"withholding\['H'\].*1.5"):
        EtfConfig(withholding={"H": 1.5})
    with pytest.raises(FundConfigError, match="withholding must map"):
        EtfConfig(withholding=42)


def test_inception_date_parsed_and_checked():
    assert EtfConfig(inception_date="2025-01-02").inception_date == pd.Timestamp("2025-01-02")
    with pytest.raises(FundConfigError, match="inception_date"):
        EtfConfig(inception_date="not a date")


def test_replace_revalidates():
    with pytest.raises(FundConfigError, match="custody_fee"):
        EtfConfig.default().replace(custody_fee=-1.0)
