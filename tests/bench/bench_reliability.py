"""Reliability: a 5-minute soak of mixed traffic, and kill -9 of a worker under load
(gunicorn, 2 workers, 1M SYNTHETIC customers)."""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import asdict

import numpy as np
import psutil
import requests
from common import million_customer_artifacts, save
from loadgen import run_load

from tests.serve import gunicorn, segment_callback

CUSTOMERS = 1_000_000
RATE = 200.0
SOAK_SECONDS = 300.0
KILL_SECONDS = 20.0
JSON = {"Content-Type": "application/json"}


def mixed(ids: np.ndarray):
    rng = np.random.default_rng(2)
    total = int(RATE * SOAK_SECONDS) + 1
    picks, offsets = rng.choice(ids, total), rng.integers(0, len(ids) - 100, total)
    pcts = rng.choice([1.0, 5.0, 10.0, 20.0], total)

    def make(i: int):
        kind = i % 4
        if kind == 0:
            return (
                "POST",
                "/api/predict",
                json.dumps({"customer_id": str(picks[i])}).encode(),
                JSON,
            )
        if kind == 1:
            return ("GET", f"/api/table?limit=100&offset={offsets[i]}", None, {})
        if kind == 2:
            return ("GET", f"/api/elite?top_pct={pcts[i]:g}", None, {})
        return (
            "POST",
            "/_dash-update-component",
            json.dumps(segment_callback(pcts[i])).encode(),
            JSON,
        )

    return make


def worker_rss_mb(proc) -> list[float]:
    return [c.memory_info().rss / 2**20 for c in psutil.Process(proc.pid).children()]


def main() -> dict:
    data_dir, ids = million_customer_artifacts(CUSTOMERS)
    make = mixed(ids)
    with gunicorn(data_dir, workers=2) as (url, proc):
        run_load(url, make, 50.0, 4.0)  # warm both workers' caches
        before = worker_rss_mb(proc)
        soak = run_load(url, make, RATE, SOAK_SECONDS)
        after = worker_rss_mb(proc)
        growth = max((a - b) / b for a, b in zip(sorted(after), sorted(before)))
        print(
            f"  soak {SOAK_SECONDS:.0f} s mixed (predict, table, elite, segments callback): "
            f"{soak.achieved_rps:.1f} req/s, p50 {soak.p50_ms:.1f} ms, p99 {soak.p99_ms:.1f} ms, "
            f"errors {soak.errors}; worker RSS {before} -> {after} MB "
            f"(max growth {growth:.1%})",
            flush=True,
        )

        victim = psutil.Process(proc.pid).children()[0]
        killer = threading.Timer(KILL_SECONDS / 3, lambda: victim.send_signal(signal.SIGKILL))
        killer.start()
        killed = run_load(url, make, RATE, KILL_SECONDS)
        time.sleep(5)
        healthy = requests.get(f"{url}/api/health", timeout=30).status_code
        workers = len(psutil.Process(proc.pid).children())
        print(
            f"  kill -9 of worker {victim.pid} under {RATE:.0f} req/s: {killed.errors} failed of "
            f"{killed.requests} requests, p99 {killed.p99_ms:.0f} ms; afterwards health "
            f"{healthy}, {workers} workers",
            flush=True,
        )
    result = {
        "soak": asdict(soak),
        "rss_before_mb": before,
        "rss_after_mb": after,
        "max_rss_growth": growth,
        "kill": asdict(killed),
        "health_after_kill": healthy,
        "workers_after_kill": workers,
    }
    save("reliability", result)
    return result


if __name__ == "__main__":
    main()
