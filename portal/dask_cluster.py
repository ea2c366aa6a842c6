"""The Dask engine's cluster: the user's scheduler, or a LocalCluster sized to this machine."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None, memory: str | None = None):
    """A distributed Client: on the user's scheduler, or on a LocalCluster sized to this machine
    (one single-threaded worker process per core, the memory divided between them), bound to
    127.0.0.1 and closed on exit."""
    from distributed import Client, LocalCluster

    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)  # per-shuffle notices
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    import psutil

    workers = workers or os.cpu_count() or 1
    memory = memory or int(psutil.virtual_memory().total * 0.8 / workers)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            memory_limit=memory,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def worker_memory(client) -> str:
    """The workers' memory limits, for the record ("9.6 GB" each)."""
    limits = {w["memory_limit"] for w in client.scheduler_info()["workers"].values()}
    return ", ".join(f"{limit / 1e9:.1f} GB" for limit in sorted(limits))
