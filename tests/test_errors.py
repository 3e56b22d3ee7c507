"""`engine.errors`: one message format for every engine error."""

from __future__ import annotations

import pickle

import pytest

from engine.errors import CalendarError, DataError, EngineError, SweepError, describe


def test_describe_orders_the_where_fields_and_appends_the_fix():
    msg = describe(
        "close price must be positive", fix="drop the row", value=-1.0, code="1801", source="p.csv"
    )
    assert (
        msg
        == "close price must be positive (source=p.csv, code=1801, value=-1.0). Fix: drop the row"
    )
    assert describe("plain") == "plain"


@pytest.mark.parametrize("cls", [DataError, CalendarError, SweepError, EngineError])
def test_an_error_takes_describes_arguments_and_pickles(cls):
    """``X(what, **where)`` carries ``describe(what, **where)`` as its one argument, as
    ``X(describe(...))`` does, and survives pickling (errors come back from Dask workers)."""
    where = dict(
        source="prices.csv", row=17, date="2024-03-01", field="close_hkd", fix="correct it"
    )
    err = cls("close price must be positive", **where)
    assert err.args == (describe("close price must be positive", **where),)
    assert str(err) == str(cls(describe("close price must be positive", **where)))
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls and back.args == err.args
    assert str(cls("no where")) == "no where" and cls().args == ()
    assert isinstance(err, EngineError)
