"""Serving: gunicorn (2 workers) on loopback with 1M SYNTHETIC customers loaded, fixed-rate load."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import numpy as np
import requests
from common import million_customer_artifacts, save
from loadgen import run_load

from tests.serve import gunicorn

CUSTOMERS = 1_000_000
RATE = 200.0
SECONDS = 20.0
JSON = {"Content-Type": "application/json"}


def scenarios(ids: np.ndarray) -> dict:
    rng = np.random.default_rng(0)
    picks = rng.choice(ids, int(RATE * SECONDS) + 1)
    offsets = rng.integers(0, len(ids) - 100, int(RATE * SECONDS) + 1)
    return {
        "POST /api/predict": lambda i: (
            "POST",
            "/api/predict",
            json.dumps({"customer_id": str(picks[i])}).encode(),
            JSON,
        ),
        "POST /api/predict?explain=false": lambda i: (
            "POST",
            "/api/predict?explain=false",
            json.dumps({"customer_id": str(picks[i])}).encode(),
            JSON,
        ),
        "GET /api/table?limit=100": lambda i: (
            "GET",
            f"/api/table?limit=100&offset={offsets[i]}",
            None,
            {},
        ),
        "GET /api/elite?top_pct=5": lambda i: ("GET", "/api/elite?top_pct=5", None, {}),
        "GET /api/health (ceiling)": lambda i: ("GET", "/api/health", None, {}),
    }


def explain_in_process(data_dir, ids: np.ndarray, rows: int = 1000) -> float:
    """Median ms of explaining one stored customer, in-process (no HTTP, no queueing)."""
    from portal import store
    from portal.explain import explain_row

    art = store.ArtifactStore(data_dir / "final").current()
    raw = art.model.raw_features
    timings = []
    for customer in np.random.default_rng(1).choice(ids, rows):
        matrix = art.table.iloc[art.position(customer)][raw].to_numpy(dtype=float)[None, :]
        started = time.perf_counter()
        explain_row(art.model, matrix)
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.median(timings))


def main() -> dict:
    data_dir, ids = million_customer_artifacts(CUSTOMERS)
    results = {}
    with gunicorn(data_dir, workers=2) as (url, _):
        for _ in range(2):  # warm both workers: load the 1M table once each
            requests.post(f"{url}/api/predict", json={"customer_id": str(ids[0])}, timeout=120)
            requests.get(f"{url}/api/elite?top_pct=5", timeout=120)
        time.sleep(1)
        for make in scenarios(ids).values():  # warm-up: every cache and code path, low rate
            run_load(url, make, 50.0, 2.0)
        for name, make in scenarios(ids).items():
            result = run_load(url, make, RATE, SECONDS)
            results[name] = asdict(result)
            print(
                f"  {name:<28} {result.achieved_rps:6.1f} req/s  p50 {result.p50_ms:6.1f} ms  "
                f"p95 {result.p95_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                f"errors {result.errors}",
                flush=True,
            )
    explain_ms = (
        results["POST /api/predict"]["p50_ms"]
        - results["POST /api/predict?explain=false"]["p50_ms"]
    )
    in_process = explain_in_process(data_dir, ids)
    print(
        f"  the explanation adds {explain_ms:.1f} ms to the median /api/predict under load; "
        f"explaining one customer in-process takes {in_process:.2f} ms (median of 1,000)"
    )
    ceiling = results["GET /api/health (ceiling)"]["p99_ms"]
    for name, r in results.items():
        r["p99_vs_ceiling"] = r["p99_ms"] / ceiling if ceiling else None
    print(
        "  p99 / ceiling p99: "
        + ", ".join(f"{k.split('?')[0]} {v['p99_vs_ceiling']:.1f}x" for k, v in results.items())
    )
    out = {
        "customers": CUSTOMERS,
        "workers": 2,
        "rate": RATE,
        "seconds": SECONDS,
        "results": results,
        "explain_adds_p50_ms": explain_ms,
        "explain_in_process_ms": in_process,
        "targets": {"predict_p99_ms": 25, "table_p99_ms": 50, "explain_ms": 5},
    }
    save("serving", out)
    return out


if __name__ == "__main__":
    main()
