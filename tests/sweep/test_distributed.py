"""engine.sweep.run(client=...) on a LocalCluster of two worker processes equals the local run."""

from __future__ import annotations

import distributed  # in the dev extra: the suite always runs the cluster test
import pandas as pd

import engine.sweep as sw


def test_cluster_run_equals_local_run(market):
    g = sw.grid(cap=[0.1, 0.2], max_constituents=[35, 40])
    local = sw.run(market, "hsidi", g, chunk_size=1, keep="levels")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        remote = sw.run(market, "hsidi", g, chunk_size=1, keep="levels", client=client)
    pd.testing.assert_frame_equal(remote.to_frame(), local.to_frame())
    pd.testing.assert_frame_equal(remote.levels, local.levels)
