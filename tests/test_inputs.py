"""Every JSON/TOML input (``--config``, ``meta.json``, methodology files) goes through one parser
per kind: empty, truncated, not UTF-8 or deeply nested files are one ``engine.errors`` line naming the
file and line; values of the wrong type, a weekend inception, string flags, missing paths, unknown
calendars, garbage dates and zero bootstrap or window sizes are errors naming the argument or field."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from support.terminal import one_line_error

from engine._args import raise_at_first
from engine._files import MAX_DEPTH, nesting, parse_text, read_text_file
from engine.cli import main
from engine.errors import CalendarError, DataError, FundConfigError, MethodologyError, SweepError

DEEP = {"JSON": b"[" * 100_000 + b"]" * 100_000, "TOML": b"a = " + b"[" * 100_000 + b"]" * 100_000}
JUST_TOO_DEEP = {
    "JSON": ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).encode(),
    "TOML": ("a = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH).encode(),  # the table is one more level
}


# ---------------------------------------------------------------------- the one parser
def test_raise_at_first_names_the_first_flagged_position_and_its_entries():
    raise_at_first(np.zeros(3, dtype=bool), "never raised")  # nothing flagged: nothing raised
    levels = pd.Series([1.5, -2.0, -3.0], index=[10, 11, 12])  # a Series is read by position
    dates = pd.DatetimeIndex(["2025-01-02", "2025-01-03", "2025-01-06"])
    with pytest.raises(CalendarError) as info:
        raise_at_first(
            levels.to_numpy() < 0,
            lambda i: f"level {i} is negative",
            row=True,
            error=CalendarError,
            source="t.csv",
            date=dates,
            code="0013",  # text: the same for every row
            value=levels.to_numpy(),  # a NumPy scalar is shown as a plain number
            line=lambda i: i + 2,
            fix="fix it",
        )
    assert str(info.value) == (
        "level 1 is negative (source=t.csv, row=1, date=2025-01-03, code=0013, value=-2.0, "
        "line=3). Fix: fix it"
    )


@pytest.mark.parametrize("kind", ["JSON", "TOML"])
def test_empty_deep_and_not_utf8_are_one_error_naming_the_source(kind):
    for raw, words in (
        (b"", "empty"),
        (b"  \n\t", "empty"),
        (DEEP[kind], "nested more than"),
        (JUST_TOO_DEEP[kind], "nested more than"),
        (b"a = 1\n\xff\n", "not valid UTF-8"),
    ):
        with pytest.raises(DataError, match=words) as info:
            parse_text(raw, kind, source="x.file")
        assert "source=x.file" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(DataError, match="line=2"):
        parse_text(b"a = 1\n\xff\n", kind, source="x.file")
    ok = {"JSON": "[" * MAX_DEPTH + "]" * MAX_DEPTH}  # exactly the limit is read
    ok["TOML"] = "a = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert nesting(parse_text(ok[kind].encode(), kind, source="x")) == MAX_DEPTH


def test_truncated_files_name_line_and_column():
    with pytest.raises(
        DataError,
        match=r"unreadable file: not valid JSON: Expecting value \(column 10\) \(source=m.json, line=3\)",
    ):
        parse_text(b'{\n "a": 1,\n "b": [1,', "JSON", source="m.json")
    with pytest.raises(FundConfigError, match=r"not valid TOML.*line=2"):
        parse_text(b"a = 1\nb = [1,\n", "TOML", source="c.toml", error=FundConfigError)
    with pytest.raises(
        MethodologyError,
        match=r"unreadable file: not valid TOML: Invalid value \(at end of document\) \(source=c.toml, line=2\)",
    ):
        parse_text(b"a = 1\nb = ", "TOML", source="c.toml", error=MethodologyError)


def test_a_json_null_or_number_is_read_as_such():
    assert parse_text(b"null", "JSON", source="x") is None
    assert parse_text(b" 3 ", "JSON", source="x") == 3


def test_nesting_counts_levels_without_recursion():
    assert nesting(1) == 0 and nesting([]) == 1 and nesting({"a": [1, {"b": 2}]}) == 3
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    assert nesting(deep, limit=10) == 11  # stops counting past the limit


def test_missing_folder_or_huge_file_names_what_it_is(tmp_path):
    with pytest.raises(FundConfigError, match="--config file does not exist"):
        read_text_file(tmp_path / "nope.toml", "TOML", error=FundConfigError, what="--config file")
    with pytest.raises(FundConfigError, match="--config file is not a file"):
        read_text_file(tmp_path, "TOML", error=FundConfigError, what="--config file")
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b"1," * 600 + b"1]")
    with pytest.raises(DataError, match="too large"):
        read_text_file(big, "JSON", max_bytes=1000)


# ---------------------------------------------------------------------- --config through the CLI

CONFIGS = {
    "empty": (b"", "empty TOML"),
    "truncated": (b"management_fee = 0.005\nbrokerage = [", "line=2"),
    "deeply nested": (DEEP["TOML"], "nested more than"),
    "fee false": (b"management_fee = false\n", "field=management_fee, value=False"),
    "board lots as text": (b'use_board_lots = "false"\n', "field=use_board_lots, value='false'"),
    "not a table (JSON)": (b"[1, 2]", "must be a table"),
}


@pytest.mark.parametrize("content, words", CONFIGS.values(), ids=CONFIGS.keys())
def test_bad_config_file_is_one_line_exit_2(tmp_path, capsys, content, words):
    config = tmp_path / ("c.json" if content.startswith(b"[1") else "c.toml")
    config.write_bytes(content)
    assert main(["backtest", "--config", str(config), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    line = one_line_error(capsys, "backtest")
    assert words in line and str(config) in line
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option", ["--config", "--fx"])
def test_input_path_that_does_not_exist_names_the_option(tmp_path, capsys, option):
    missing = tmp_path / "nowhere.toml"
    assert main(["backtest", option, str(missing), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    line = one_line_error(capsys, "backtest")
    assert f"{option} file does not exist" in line and str(missing) in line


def test_wrong_types_in_the_settings_are_errors_through_the_api():
    from engine.fund import EtfConfig

    for field, value in (("management_fee", False), ("cash_buffer", True), ("initial_units", True)):
        with pytest.raises(FundConfigError, match=f"field={field}"):
            EtfConfig(**{field: value})
    with pytest.raises(FundConfigError, match="field=use_board_lots"):
        EtfConfig(use_board_lots="false")
    assert EtfConfig(management_fee=0, use_board_lots=False).management_fee == 0


def test_weekend_or_holiday_inception_is_an_error_not_moved():
    from engine.data import default_market
    from engine.fund import EtfConfig, fund_sessions

    market = default_market()
    saturday = pd.Timestamp("2025-01-04")
    assert saturday.day_name() == "Saturday" and saturday not in market.dates
    with pytest.raises(FundConfigError, match="not an HKEX session.*Saturday") as info:
        fund_sessions(market, EtfConfig(inception_date=saturday))
    assert "field=inception_date" in str(info.value) and "2025-01-06" in str(info.value)
    christmas = pd.Timestamp("2024-12-25")
    with pytest.raises(FundConfigError, match="holiday"):
        fund_sessions(market, EtfConfig(inception_date=christmas))
    assert fund_sessions(market, EtfConfig(inception_date="2025-01-06"))[0] == pd.Timestamp(
        "2025-01-06"
    )


# ---------------------------------------------------------------------- meta.json and methodology files
@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from engine.data import default_market, write_folder

    path = tmp_path_factory.mktemp("market") / "data"
    write_folder(default_market(), path, fmt="csv")
    return path


META = {
    "flag as text": (lambda m: {**m, "synthetic": "false"}, "field=synthetic, value='false'"),
    "adjusted as 0": (lambda m: {**m, "adjusted": 0}, "field=adjusted"),
    "empty": (b"", "empty JSON"),
    "truncated": (b'{"format_version": 1,\n "synthetic": ', "line=2"),
    "deeply nested": (DEEP["JSON"], "nested more than"),
}


@pytest.mark.parametrize("change, words", META.values(), ids=META.keys())
def test_bad_meta_json_is_a_data_error_naming_file_and_field(folder, tmp_path, change, words):
    from engine.data import read_folder

    copy = tmp_path / "data"
    shutil.copytree(folder, copy)
    meta = copy / "meta.json"
    if callable(change):
        meta.write_text(json.dumps(change(json.loads(meta.read_text()))))
    else:
        meta.write_bytes(change)
    with pytest.raises(DataError, match="meta.json") as info:
        read_folder(copy)
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty TOML"),
        (b"[meta]\nname = ", "not valid TOML"),
        (DEEP["TOML"], "nested more than"),
    ],
    ids=["empty", "truncated", "deeply nested"],
)
def test_bad_methodology_file_is_one_methodology_error(tmp_path, content, words):
    from engine.rules.methodology import load_methodology

    path = tmp_path / "mine.toml"
    path.write_bytes(content)
    with pytest.raises(MethodologyError, match=words) as info:
        load_methodology(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------- observed, calibrate, onboard
def _series():
    hk = pd.bdate_range("2025-01-02", periods=30)
    return pd.Series(np.linspace(100, 110, 30), index=hk), pd.Series(
        np.linspace(1, 1.1, 30), index=hk
    )


@pytest.mark.parametrize("calendar", ["XXXX", "", 5, None])
def test_unknown_calendar_names_the_argument(calendar):
    from engine.analytics import compare_observed

    levels, observed = _series()
    with pytest.raises(CalendarError, match="unknown exchange calendar.*field=calendar"):
        compare_observed(levels, observed, calendar)


@pytest.mark.parametrize(
    "name, value",
    [
        ("split", "garbage"),
        ("split", "2025-13-45"),
        ("split", 20250811),
        ("start", "yesterday-ish"),
        ("start", pd.Timestamp("2025-01-03", tz="Asia/Shanghai")),
        ("end", "2025-01-03 15:00"),
        ("split", float("nan")),
    ],
)
def test_garbage_dates_name_the_argument(name, value):
    from engine.analytics import compare_observed

    levels, observed = _series()
    with pytest.raises(DataError, match=f"{name} is not a date.*field={name}"):
        compare_observed(levels, observed, "XSHG", **{name: value})


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n_boot": 0}, "n_boot"),
        ({"block": 0}, "block"),
        ({"block": -3}, "block"),
        ({"n_boot": 2.5}, "n_boot"),
        ({"calendar": "NOPE"}, "calendar"),
        ({"split": "garbage"}, "split"),
    ],
)
def test_calibrate_checks_its_arguments_before_sweeping(kwargs, field, monkeypatch):
    import engine.sweep as sw
    from engine.sweep import calibrate

    def no_sweep(*a, **k):
        raise AssertionError("swept before checking the arguments")

    monkeypatch.setattr(sw, "run", no_sweep)
    _, observed = _series()
    with pytest.raises((SweepError, DataError), match=f"field={field}"):
        calibrate(observed, object(), grid=sw.grid(cap=[0.1, 0.2]), **kwargs)


def test_block_bootstrap_rejects_zero_sizes():
    from engine.sweep.calibrate import block_bootstrap_gap

    a = (np.zeros(40), np.zeros(40), np.zeros(40))
    for kwargs in ({"n_boot": 0}, {"block": 0}):
        with pytest.raises(SweepError, match=f"field={next(iter(kwargs))}"):
            block_bootstrap_gap(a, a, "r2", **kwargs)


@pytest.mark.parametrize("window", [0, -5, 2.5, True])
def test_onboard_proxy_window_must_be_a_positive_whole_number(window):
    from engine.data.onboard import onboard

    prices = pd.DataFrame({"date": ["2025-01-02"], "code": ["1801"], "close": [1.0]})
    with pytest.raises(DataError, match="proxy_window.*field=proxy_window"):
        onboard(prices, proxy_window=window)


def test_compare_and_onboard_name_a_garbage_date():
    from engine.analytics import compare
    from engine.data.onboard import onboard

    with pytest.raises(DataError, match="split is not a date.*field=split"):
        compare("hsidi-2023-05", "hsidi", market=object(), split="2025-02-30")
    prices = pd.DataFrame({"date": ["2025-01-02"], "code": ["1801"], "close": [1.0]})
    for name in ("start", "end"):
        with pytest.raises(DataError, match=f"{name} is not a date.*source=onboard, field={name}"):
            onboard(prices, **{name: "not a day"})
