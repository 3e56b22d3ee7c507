"""One row of a :class:`engine._display.Summary`, written in one call."""


def row(metric: str, value, unit: str, against: str = "", note: str = "") -> dict:
    """A Summary row: ``metric``, its ``value`` in ``unit`` (:data:`engine._display.UNITS`), the
    series it is measured ``against`` and a ``note``."""
    return {"metric": metric, "value": value, "unit": unit, "against": against, "note": note}
