"""Shared fixtures of the sweep tests: the default market (built once per session)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def market():
    from engine.data import default_market

    return default_market()
