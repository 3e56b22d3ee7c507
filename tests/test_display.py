"""What a reader sees: short reprs and HTML for every result, readable numbers, plots as Axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from engine._display import _plain, fmt, result_html  # noqa: E402


@pytest.fixture(scope="module")
def run():
    from engine import build_index
    from engine.data import default_market
    from engine.fund import backtest

    market = default_market()
    idx = build_index(market, "hsidi")
    return market, idx, backtest(idx, market)


def test_reprs_are_a_line_and_html_shows_the_summary(run):
    _, idx, fund = run
    for obj in (idx.schedule, idx.schedule.reviews[-1], idx, fund):
        text = repr(obj)
        assert len(text) < 300 and "\n" not in text, (type(obj).__name__, len(text))
    assert repr(idx.schedule).startswith("ReviewSchedule(hsidi, ")
    assert "hsidi-2025-08" in repr(idx.schedule)
    for obj in (idx.schedule, idx, fund):
        page = obj._repr_html_()
        assert page.startswith("<p><code>") and "<table" in page
        assert "e+0" not in page and "e-1" not in page  # no exponent noise in the tables


def test_plain_numbers_have_no_exponent_noise():
    assert _plain(4.5016e6) == "4,501,600"
    assert _plain(-1.1102e-11) == "0"
    assert _plain(0.0123456) == "0.01235"
    assert fmt(4.5016e6, "CNY") == "4,501,600 CNY"


def test_result_html_of_a_table_free_object():
    class Bare:
        def __repr__(self):
            return "Bare(<x>)"

    assert result_html(Bare()) == "<p><code>Bare(&lt;x&gt;)</code></p>"


def test_plots_return_axes(run):
    import matplotlib.pyplot as plt

    _, idx, fund = run
    for obj in (idx, fund):
        ax = obj.plot()
        assert isinstance(ax, Axes)
        plt.close(ax.figure)


def test_summary_text_fits_100_columns_with_notes_as_footnotes():
    from engine._display import Summary

    long = "a definition long enough that it cannot sit beside its row in a terminal " * 2
    s = Summary(
        [
            {
                "metric": "tracking_error_std",
                "value": 0.0037,
                "unit": "%",
                "against": "B",
                "note": long,
            },
            {"metric": "trades", "value": 12, "unit": "count", "note": "short"},
        ],
        title="T",
    )
    text = repr(s)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "tracking_error_std" in text and "[1]" in text and "short" in text
    # the footnote holds the whole note, wrapped
    assert " ".join(text.split("[1] ", 1)[1].split()) == " ".join(long.split())


def test_provenance_from_a_record_or_attributes():
    from types import MappingProxyType

    from engine import __version__
    from engine._display import Provenance, Result

    rec = {"engine_version": "9.9", "methodology_hash": "abc", "settings_hash": "def", "x": 1}
    assert Provenance.from_record(rec) == Provenance("9.9", "abc", "def", "")
    assert Provenance.from_record(MappingProxyType({})).engine_version == __version__

    class Bare(Result):  # no meta: the attributes of the provenance's names
        methodology_hash = "m1"
        data_fingerprint = None

    assert Bare().provenance == Provenance(__version__, "m1", "", "")

    class WithMeta(Result):
        methodology_hash = "ignored"  # meta is the one storage when a result has it
        meta = {"data_fingerprint": "f1"}

    assert WithMeta().provenance == Provenance(__version__, "", "", "f1")
    assert (
        WithMeta().tag == "" and type("S", (Result,), {"synthetic": True})().tag == " [SYNTHETIC]"
    )
