"""Pipeline scale: train + score time and peak RSS at 10k, 100k and 1M SYNTHETIC customers; with
``--engine dask --customers N`` the Dask engine (a LocalCluster sized to the machine) on N
SYNTHETIC customers written as parts, next to the pandas engine where it fits (``--with-pandas``):
wall time and the peak memory of all the run's processes together (psutil over the process tree).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from common import REPO_ROOT, SYNTH_CUTOFF, WORK, save, synthetic_log, synthetic_parts

SIZES = (10_000, 100_000, 1_000_000)
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from portal.ingest import ColumnMap
from portal.pipeline import run
start = time.perf_counter()
doc = run({path!r}, {out!r}, ColumnMap(), {cutoff!r}, seed=0)
print(json.dumps({{"seconds": time.perf_counter() - start, "rows": doc["data"]["rows"],
                  "customers": doc["customers"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "normalized_gini": doc["backtest"]["model"]["normalized_gini"]}}))
"""


DASK_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from portal import dask_cluster, dask_engine
from portal.ingest import ColumnMap
if __name__ == "__main__":
    start = time.perf_counter()
    with dask_cluster.connect() as client:
        workers = client.nthreads()
        print("workers", workers, "memory limit per worker", dask_cluster.worker_memory(client),
              flush=True)
        doc = dask_engine.train_source({path!r}, {out!r}, ColumnMap(), {cutoff!r}, 0,
                                       client=client, report=lambda line: print(
                                           f"{{time.perf_counter() - start:7.1f}}s {{line}}",
                                           flush=True))
    print(json.dumps({{"seconds": time.perf_counter() - start, "rows": doc["data"]["rows"],
                      "customers": doc["customers"], "partitions": doc["partitions"],
                      "workers": len(workers),
                      "normalized_gini": doc["backtest"]["model"]["normalized_gini"]}}))
"""
PANDAS_PARTS_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
import pandas as pd
from portal import partitions
from portal.ingest import ColumnMap, load_transactions
from portal.pipeline import train_frame
start = time.perf_counter()
log = pd.concat([load_transactions(p, ColumnMap()) for p in partitions.source_parts({path!r})])
doc = train_frame(log.reset_index(drop=True), "parts", {out!r}, {cutoff!r}, seed=0)
print(json.dumps({{"seconds": time.perf_counter() - start, "rows": doc["data"]["rows"],
                  "customers": doc["customers"],
                  "normalized_gini": doc["backtest"]["model"]["normalized_gini"]}}))
"""


def tree_peak(command: list[str], echo: bool = True) -> tuple[str, float]:
    """Run ``command``; its stdout and the peak of the summed RSS of it and all its descendants
    (sampled every 0.2 s), in MB."""
    import psutil

    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
    process, peak, lines = psutil.Process(child.pid), 0, []
    os.set_blocking(child.stdout.fileno(), False)
    while child.poll() is None:
        try:
            members = [process, *process.children(recursive=True)]
            peak = max(peak, sum(_rss(m) for m in members))
        except psutil.NoSuchProcess:
            pass
        for line in iter(child.stdout.readline, ""):
            lines.append(line)
            if echo and not line.startswith("{"):
                print("   ", line.rstrip(), flush=True)
        time.sleep(0.2)
    lines.extend(child.stdout.readlines())
    if child.returncode:
        raise RuntimeError(f"run failed ({child.returncode}): {''.join(lines[-20:])}")
    return "".join(lines), peak / 2**20


def _rss(process) -> int:
    try:
        return process.memory_info().rss
    except Exception:  # the process ended between listing and reading
        return 0


def measure_dask(customers: int, with_pandas: bool) -> dict:
    """The Dask engine (and the pandas engine on the same parts) on ``customers`` customers."""
    import psutil

    parts = synthetic_parts(customers)
    result = {"customers_generated": customers, "load_1min_before": os.getloadavg()[0]}
    result["machine_memory_gb"] = psutil.virtual_memory().total / 2**30
    runs = [("dask", DASK_CHILD)] + ([("pandas", PANDAS_PARTS_CHILD)] if with_pandas else [])
    for engine, child in runs:
        out = WORK / f"scale_{engine}_{customers}"
        shutil.rmtree(out, ignore_errors=True)  # a first version: an empty registry and database
        code = child.format(root=str(REPO_ROOT), path=str(parts), out=str(out), cutoff=SYNTH_CUTOFF)
        output, peak = tree_peak([sys.executable, "-c", code])
        run = json.loads(output.strip().splitlines()[-1])
        run["peak_tree_rss_mb"] = peak
        run["load_1min_after"] = os.getloadavg()[0]
        result[engine] = run
        print(
            f"{engine:>6}: {customers:>11,} customers  {run['rows']:>12,} rows  "
            f"train+score {run['seconds']:8.1f} s  peak memory (all processes) {peak:8.0f} MB  "
            f"Gini {run['normalized_gini']:.4f}  load {result['load_1min_before']:.1f}"
            f"->{run['load_1min_after']:.1f}",
            flush=True,
        )
    return result


def main_dask(customers: int, with_pandas: bool) -> dict:
    result = measure_dask(customers, with_pandas)
    result["targets"] = {"10M_seconds": 1200, "10M_peak_mb": 16384}
    save(f"scale_dask_{customers}", result)
    return result


def measure(customers: int) -> dict:
    """Train in a fresh process (so peak RSS is this run's own)."""
    path = synthetic_log(customers)
    out = WORK / f"scale_{customers}"
    code = CHILD.format(root=str(REPO_ROOT), path=str(path), out=str(out), cutoff=SYNTH_CUTOFF)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> dict:
    rows = []
    for size in SIZES:
        started = time.perf_counter()
        synthetic_log(size)
        generated = time.perf_counter() - started
        result = measure(size)
        result["generate_seconds"] = generated
        rows.append(result)
        print(
            f"{size:>9,} customers  {result['rows']:>11,} rows  train+score "
            f"{result['seconds']:7.1f} s  peak RSS {result['peak_rss_mb']:7.0f} MB  "
            f"(synthetic data generated in {generated:.1f} s)",
            flush=True,
        )
    for small, big in zip(rows, rows[1:]):
        print(
            f"  x{big['customers'] / small['customers']:.0f} customers -> "
            f"x{big['seconds'] / small['seconds']:.1f} time"
        )
    result = {"sizes": rows, "targets": {"1M_seconds": 120, "1M_peak_rss_mb": 6144}}
    save("scale", result)
    return result


if __name__ == "__main__":
    options = argparse.ArgumentParser()
    options.add_argument("--engine", choices=("pandas", "dask"), default="pandas")
    options.add_argument("--customers", type=int, default=1_000_000)
    options.add_argument("--with-pandas", action="store_true")
    chosen = options.parse_args()
    if chosen.engine == "dask":
        main_dask(chosen.customers, chosen.with_pandas)
    else:
        main()
