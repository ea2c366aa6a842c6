"""Prediction history at scale: recording 1M SYNTHETIC customers' predictions per run, and
reading one customer's history, in SQLite and (with BENCH_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import million_customer_artifacts, save
from sqlalchemy import create_engine

from portal import db

RUNS = 3
LOOKUPS = 500


def measure(url: str, table: pd.DataFrame, document: dict, ids: np.ndarray) -> dict:
    """Record the scored table RUNS times as separate versions, then time history lookups."""
    leftover = create_engine(db.normalise_url(url))
    db.metadata.drop_all(leftover)
    leftover.dispose()
    record_seconds = []
    for run in range(RUNS):
        started = time.perf_counter()
        db.record_version(url, {**document, "version": f"bench-{run}"}, table)
        record_seconds.append(time.perf_counter() - started)
    rng = np.random.default_rng(0)
    lookups = []
    for customer in rng.choice(ids, LOOKUPS, replace=False):
        started = time.perf_counter()
        points = db.customer_history(url, str(customer))
        lookups.append((time.perf_counter() - started) * 1000)
        assert len(points) == RUNS
    return {
        "customers": len(table),
        "record_seconds": record_seconds,
        "history_ms_p50": statistics.median(lookups),
        "history_ms_p99": float(np.percentile(lookups, 99)),
    }


def main() -> dict:
    data_dir, ids = million_customer_artifacts()
    final = data_dir / "final"
    table = pd.read_parquet(final / "clv_prepared.parquet", columns=db.PREDICTION_COLUMNS)
    document = json.loads((final / "metrics.json").read_text())
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        targets = {"sqlite": f"sqlite:///{Path(folder) / 'bench.db'}"}
        if os.environ.get("BENCH_DATABASE_URL"):
            targets["postgresql"] = os.environ["BENCH_DATABASE_URL"]
        for name, url in targets.items():
            results[name] = result = measure(url, table, document, ids)
            print(
                f"{name:<10} record {result['customers']:,} predictions: "
                + ", ".join(f"{s:.1f} s" for s in result["record_seconds"])
                + f"; one customer's history ({RUNS} points): p50 "
                f"{result['history_ms_p50']:.2f} ms, p99 {result['history_ms_p99']:.2f} ms",
                flush=True,
            )
    save("history", results)
    return results


if __name__ == "__main__":
    main()
