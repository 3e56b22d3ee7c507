"""Suite-wide settings: headless matplotlib, a bounded hypothesis profile, the real-data location."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from hypothesis import HealthCheck, settings  # noqa: E402
from support.markets import REAL_DATA  # noqa: E402

settings.register_profile(
    "suite", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The licence-unknown real data folder beside the repo; tests using it skip when it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data folder {REAL_DATA} is absent")
    return REAL_DATA


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    """Results' ``plot()`` draws into a new pyplot figure (so notebooks show it inline); close what
    a test leaves open."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
