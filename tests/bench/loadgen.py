"""An open-loop HTTP load generator: requests start on a fixed schedule, whatever the server does.

Latency is measured from each request's scheduled start, so queueing delay counts (no coordinated
omission). Threads with keep-alive connections; standard library only.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np


@dataclass
class LoadResult:
    """Figures of one run."""

    target_rps: float
    achieved_rps: float
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def run_load(
    base_url: str, make_request, rate: float, seconds: float, threads: int = 8
) -> LoadResult:
    """Send ``rate`` requests/s for ``seconds``.

    Args:
        make_request: i -> (method, path, body bytes or None, headers dict).
    """
    parts = urlsplit(base_url)
    total = int(rate * seconds)
    latencies = np.full(total, np.nan)
    failed = np.zeros(total, dtype=bool)
    counter = iter(range(total))
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            method, path, body, headers = make_request(i)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                failed[i] = response.status >= 400
            except (OSError, http.client.HTTPException):
                failed[i] = True
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            latencies[i] = (time.perf_counter() - scheduled) * 1000

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    done = latencies[~np.isnan(latencies)]
    return LoadResult(
        target_rps=rate,
        achieved_rps=len(done) / elapsed,
        requests=len(done),
        errors=int(failed.sum()),
        p50_ms=float(np.percentile(done, 50)),
        p95_ms=float(np.percentile(done, 95)),
        p99_ms=float(np.percentile(done, 99)),
        max_ms=float(done.max()),
    )
