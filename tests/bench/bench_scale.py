"""Pipeline scale: train + score time and peak RSS at 10k, 100k and 1M SYNTHETIC customers."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from common import REPO_ROOT, SYNTH_CUTOFF, WORK, save, synthetic_log

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
    main()
