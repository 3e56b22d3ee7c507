"""Real yfinance files from ../shared/data/real (skipped when absent; nothing is copied into the repo).

Facts checked come from that folder's README: WuXi Biologics (2269) closed at 49.25 on 2022-09-19, and
on 2021-12-15 2269 fell about 19.2%, 2359 about 19.1%, 1801 about 9.9% and 1177 about 5.0%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data.io import read_folder, write_folder
from engine.data.vendors import market_from_adjusted_closes, read_yfinance_csv
from engine.errors import DataError

pytestmark = pytest.mark.realdata

CODES = ["2269", "2359", "1801", "1177"]


@pytest.fixture(scope="module")
def frames(real_data):
    raw = real_data / "hk_hsci_yfinance_luciusneo" / "raw"
    return {c: read_yfinance_csv(raw / f"{c}.HK.csv") for c in CODES}


def test_known_close_and_moves(frames):
    close = {c: f.set_index("date")["close_adj"] for c, f in frames.items()}
    assert close["2269"].loc["2022-09-19"] == pytest.approx(49.25, abs=1e-6)
    moves = {c: close[c].pct_change().loc["2021-12-15"] for c in CODES}
    expected = {"2269": -0.192, "2359": -0.191, "1801": -0.099, "1177": -0.050}
    for c, want in expected.items():
        assert moves[c] == pytest.approx(want, abs=0.003), c


def test_first_dates_and_reports(frames):
    first = {c: f["date"].iloc[0].strftime("%Y-%m-%d") for c, f in frames.items()}
    assert (
        first["2269"] == "2017-06-13"
        and first["1801"] == "2018-10-31"
        and first["2359"] == "2018-12-13"
    )
    for f in frames.values():
        assert f.attrs["adjusted"] is True and f.attrs["layout"] == "multi-header"
        assert f["date"].is_monotonic_increasing and not f["date"].duplicated().any()
    # 2017-08-23 (typhoon Hato, market closed) has a vendor row: dropped and reported, not silently
    dropped = {(r.date, r.reason.split(" (")[0]) for r in frames["2269"].attrs["report"]}
    assert ("2017-08-23", "not an XHKG session") in dropped
    # zero-volume half-day rows are kept
    f = frames["2269"].set_index("date")
    assert f.loc["2024-12-24", "volume"] == 0 and f.loc["2024-12-24", "close_adj"] > 0


def test_two_layouts_agree(frames, real_data):
    other = read_yfinance_csv(real_data / "hk_hsi_yfinance_ccf0001" / "2269.HK.csv")
    assert other.attrs["layout"] == "single-header" and other.attrs["code"] == "2269"
    a = frames["2269"].set_index("date")["close_adj"].pct_change()
    b = other.set_index("date")["close_adj"].pct_change()
    common = a.index.intersection(b.index)[1:]
    assert len(common) > 1300
    assert np.max(np.abs(a[common] - b[common])) < 1e-5


def test_repeated_split_rows_are_kept_as_given(real_data):
    # README quirk: yfinance lists 1093's 1.6 split on both 2020-10-15 and 2020-10-16
    f = read_yfinance_csv(real_data / "hk_hsi_yfinance_ccf0001" / "1093.HK.csv").set_index("date")
    assert f.loc["2020-10-15", "split_ratio"] == pytest.approx(1.6)
    assert f.loc["2020-10-16", "split_ratio"] == pytest.approx(1.6)


def test_adjusted_market_from_real_files(frames, tmp_path):
    tidy = pd.concat(frames.values(), ignore_index=True)
    # a vendor gap: 2012-03-19 for 1177; the 2023-09-01/08 closures, which the files skip, are
    # not sessions (engine.data.calendar.EXTRA_CLOSURES), so they are no gap
    with pytest.raises(
        DataError, match=r"1 session\(s\) without a close .*date=2012-03-19, code=1177"
    ):
        market_from_adjusted_closes(tidy)
    m = market_from_adjusted_closes(tidy, fill_gaps=True, source="luciusneo")
    assert m.is_adjusted and m.codes == sorted(CODES)
    assert m.dates[-1] == pd.Timestamp("2025-10-30")
    for d in ("2023-09-01", "2023-09-08"):
        assert pd.Timestamp(d) not in m.dates
    assert m.panel("suspended").loc["2012-03-19", "1177"]
    # price returns are the vendor's
    ret = m.panel("close").pct_change()
    assert ret.loc["2021-12-15", "2269"] == pytest.approx(-0.192, abs=0.003)
    assert m.panel("close").loc["2022-09-19", "2269"] == pytest.approx(49.25, abs=1e-6)
    back = read_folder(write_folder(m, tmp_path / "real", fmt="parquet"))
    assert back.fingerprint() == m.fingerprint() and back.is_adjusted


def test_every_real_yfinance_file_loads(real_data):
    files = sorted((real_data / "hk_hsci_yfinance_luciusneo" / "raw").glob("*.HK.csv"))
    files += sorted((real_data / "hk_hsi_yfinance_ccf0001").glob("*.HK.csv"))
    assert len(files) >= 70
    reasons = set()
    for f in files:
        df = read_yfinance_csv(f)
        assert df.attrs["code"] == f.name.removesuffix(".HK.csv")
        assert len(df) > 20 and (df["close_adj"] > 0).all()
        assert not df["date"].duplicated().any()
        reasons |= {r.reason for r in df.attrs["report"]}
    # the only rows left out are off-calendar days (some without a close); each is reported
    assert reasons <= {
        "not an XHKG session (weekend, holiday or closure)",
        "not an XHKG session (weekend, holiday or closure); no close",
    }
