"""One-call entry points that chain the stages: data -> rules -> index (-> fund)."""

from __future__ import annotations

from engine.data.market import MarketData
from engine.data.onboard import DRUG_INDUSTRIES, Onboarding
from engine.data.onboard import onboard as _onboard
from engine.index.compute import compute
from engine.rules.methodology import resolve
from engine.rules.requirements import drug_industries, earliest_base_date, requirements
from engine.rules.run import run_reviews


def build_index(
    market: MarketData,
    methodology="hsidi",
    *,
    progress: bool = False,
    base_date=None,
    **index_kwargs,
):
    """Run the rulebook and the index calculator in one call.

    Parameters
    ----------
    market
        The market to build on (``engine.data.default_market()`` for the embedded default).
    methodology
        A history name (``"hsidi"``: launch rules until 2025-08-08, the revision from 2025-08-11), a
        version name (``"hsidi-2023-05"``, ``"hsidi-2025-08"``), a path to a TOML file, or a loaded
        ``Methodology`` / ``MethodologyHistory``.
    progress
        Show a progress bar over the reviews.
    base_date
        None: the methodology's ``index.base_date``.  A date: that base date instead (every
        version).  ``"auto"``: :func:`engine.rules.requirements.earliest_base_date` of the market,
        for data that start after the methodology's base date.
    **index_kwargs
        Passed to :func:`engine.index.compute` (``base_value``, ``withholding``).

    Returns
    -------
    IndexResult
    """
    if base_date is not None:
        spec = resolve(methodology)
        if isinstance(base_date, str) and base_date == "auto":
            base_date = earliest_base_date(market, spec)
        methodology = spec.replace(base_date=base_date)
    schedule = run_reviews(market, methodology, progress=progress)
    return compute(market, schedule, **index_kwargs)


def onboard(prices, methodology="hsidi", **kwargs) -> Onboarding:
    """:func:`engine.data.onboard.onboard` checked against what ``methodology`` needs.

    ``requires`` defaults to :func:`engine.rules.requirements.requirements` of ``methodology`` and
    ``drug_industries`` to its industries (:func:`~engine.rules.requirements.drug_industries`, or
    :data:`~engine.data.onboard.DRUG_INDUSTRIES` when it names none); ``methodology=None`` checks
    nothing.  Every other keyword goes to :func:`engine.data.onboard.onboard`.
    """
    if methodology is not None:
        kwargs.setdefault("requires", requirements(methodology))
        kwargs.setdefault("drug_industries", drug_industries(methodology) or DRUG_INDUSTRIES)
    return _onboard(prices, **kwargs)


__all__ = ["build_index", "onboard"]
