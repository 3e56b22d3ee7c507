"""Parameter sweeps: many methodology and fund variants evaluated in chunks, reduced to metrics.

    import engine.sweep as sw
    g = sw.grid(cap=[0.08, 0.10, 0.15], max_constituents=[30, 40])
    res = sw.run(market, "hsidi", g)          # one row per variant
    res.to_frame(); res.summary(); res.plot()

``run(..., client=dask.distributed.Client(...))`` evaluates the chunks on a cluster.
"""

from engine.sweep.calibrate import Calibration, calibrate
from engine.sweep.grid import Grid, grid
from engine.sweep.metrics import METRICS
from engine.sweep.result import SweepResult
from engine.sweep.run import run

__all__ = ["METRICS", "Calibration", "Grid", "SweepResult", "calibrate", "grid", "run"]
