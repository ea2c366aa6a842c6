"""Serving at scale (issue #20), on the 1M (pandas engine) or 10M (Dask engine) SYNTHETIC version
behind gunicorn (2 workers x 2 threads unless stated), in parts:

* ``throughput``: closed-loop requests/s with wrk (2 threads, 8 connections, 3 s per run, 5
  rounds of back-to-back runs, the median ratio of the rounds) of ``/api/health``, ``POST /api/predict`` with its explanation (cold: 100,000 distinct customers;
  warm: 1,000 customers, whose answers the workers keep) and ``/api/table?limit=100`` at
  random offsets, and each route's ratio to health's rate in the same run;
* ``latency``: open-loop 200 requests/s for 20 s (``loadgen``): p99 of predict with its
  explanation (cold) and of the table;
* ``memory``: 1, 2 and 4 workers after the same warm-up (every route, every worker), each count
  starting with an empty figure cache: the summed RSS and PSS of the workers (PSS splits the
  shared file pages among the processes mapping them);
* ``kill``: ``kill -9`` of a worker under 200 requests/s of predictions: p99 over the 20 s after,
  and how long a fresh process takes to map the version and answer (a new worker's start).

Needs ``wrk`` (Debian: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

import numpy as np
import psutil
import requests
from common import REPO_ROOT, RESULTS, forget_figures, million_customer_artifacts, save
from loadgen import run_load

from tests.serve import gunicorn

RATE = 200.0
ROUNDS = 5
SECONDS = 20.0
JSON = {"Content-Type": "application/json"}
SEEDED_LUA = """
local thread_number = 0
function setup(thread)
  thread_number = thread_number + 1
  thread:set("seed", thread_number)
end
function init(args) math.randomseed(seed) end
"""  # each wrk thread draws its own sequence
PREDICT_LUA = (
    SEEDED_LUA
    + """
local ids = {%s}
function request()
  local body = '{"customer_id": "' .. ids[math.random(#ids)] .. '"}'
  return wrk.format("POST", "/api/predict", {["Content-Type"] = "application/json"}, body)
end
"""
)
TABLE_LUA = (
    SEEDED_LUA
    + """
function request()
  return wrk.format("GET", "/api/table?limit=100&offset=" .. math.random(0, %d))
end
"""
)


def wrk(url: str, script: str | None = None, seconds: int = 10) -> float:
    """Requests/s of a closed-loop wrk run (2 threads, 8 connections); non-2xx count as failure."""
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        if script:
            lua.write(script)
            lua.flush()
            command[4:4] = ["-s", lua.name]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw failed requests:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def predict_script(ids: np.ndarray) -> str:
    return PREDICT_LUA % ",".join(json.dumps(str(i)) for i in ids)


def throughput(url: str, ids: np.ndarray, rng) -> dict:
    """Each route's rate and its ratio to health's, in ROUNDS rounds of back-to-back runs: the
    median ratio of the rounds (a round's routes see the same machine: its rate drifts)."""
    cold, warm = rng.choice(ids, 100_000, replace=False), rng.choice(ids, 1_000, replace=False)
    wrk(url + "/api/health", seconds=3)  # warm-up
    wrk(url + "/api/predict", predict_script(warm), seconds=10)  # both workers keep the warm set
    runs = {
        "GET /api/health": (url + "/api/health", None),
        "POST /api/predict (explained, cold)": (url + "/api/predict", predict_script(cold)),
        "POST /api/predict (explained, warm)": (url + "/api/predict", predict_script(warm)),
        "GET /api/table?limit=100": (url + "/api/table", TABLE_LUA % (len(ids) - 100)),
    }
    rates = {name: [] for name in runs}
    for _ in range(ROUNDS):
        for name, (target, script) in runs.items():
            rates[name].append(wrk(target, script, seconds=3))
    health = np.array(rates["GET /api/health"])
    result = {}
    for name, rate in rates.items():
        ratios = np.array(rate) / health
        result[name] = {
            "rps": rate,
            "vs_health": ratios.tolist(),
            "median": float(np.median(ratios)),
        }
        print(
            f"  {name:<38} {np.median(rate):8.0f} req/s  {np.median(ratios):5.2f}x health "
            f"(rounds {ratios.min():.2f}-{ratios.max():.2f}x)",
            flush=True,
        )
    return result


def predict_requests(ids: np.ndarray, rng):
    picks = rng.choice(ids, int(RATE * (SECONDS + 2)))
    return lambda i: (
        "POST",
        "/api/predict",
        json.dumps({"customer_id": str(picks[i])}).encode(),
        JSON,
    )


def latency(url: str, ids: np.ndarray, rng) -> dict:
    offsets = rng.integers(0, len(ids) - 100, int(RATE * SECONDS) + 1)
    scenarios = {
        "POST /api/predict (explained)": predict_requests(ids, rng),
        "GET /api/table?limit=100": lambda i: (
            "GET",
            f"/api/table?limit=100&offset={offsets[i]}",
            None,
            {},
        ),
    }
    results = {}
    for name, make in scenarios.items():
        run_load(url, make, 50.0, 2.0)  # warm-up
        result = run_load(url, make, RATE, SECONDS)
        results[name] = asdict(result)
        print(
            f"  {name:<32} {result.achieved_rps:6.1f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  errors {result.errors}",
            flush=True,
        )
    return results


def warm_every_route(url: str, ids: np.ndarray, rng) -> None:
    """Enough requests of every route that each worker has answered each of them."""
    for _ in range(8):
        requests.get(f"{url}/api/table?limit=100&offset={rng.integers(len(ids) - 100)}")
        requests.get(f"{url}/api/table?limit=100&sort=frequency&order=desc")
        requests.get(f"{url}/api/elite?top_pct=5")
        requests.get(f"{url}/api/decile_lift")
        requests.get(f"{url}/api/gain_curve")
        requests.get(f"{url}/api/audience?top_pct=1&limit=100")
        requests.post(f"{url}/api/predict", json={"customer_id": str(rng.choice(ids))})


def anonymous_bytes(pid: int) -> int:
    """A process's anonymous memory (its heap: not file pages, not shared with the page cache)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) * 1024
    return 0


def worker_memory_mb(proc) -> dict:
    workers = psutil.Process(proc.pid).children()
    full = [w.memory_full_info() for w in workers]
    return {
        "workers": len(workers),
        "rss_mb": sum(f.rss for f in full) / 2**20,
        "pss_mb": sum(f.pss for f in full) / 2**20,
        "uss_mb": sum(f.uss for f in full) / 2**20,
        "anonymous_mb": sum(anonymous_bytes(w.pid) for w in workers) / 2**20,
    }


def memory(data_dir: Path, ids: np.ndarray, rng) -> dict:
    rows = {}
    for workers in (1, 2, 4):
        forget_figures(data_dir)  # each count of workers computes the shared figures once
        with gunicorn(data_dir, workers=workers) as (url, proc):
            warm_every_route(url, ids, rng)
            rows[workers] = worker_memory_mb(proc)
        m = rows[workers]
        print(
            f"  {workers} worker(s): RSS {m['rss_mb']:7.0f} MB  PSS {m['pss_mb']:7.0f} MB  "
            f"USS {m['uss_mb']:7.0f} MB  anonymous {m['anonymous_mb']:7.0f} MB (all workers)",
            flush=True,
        )
    for figure in ("rss_mb", "pss_mb", "anonymous_mb"):
        per_worker = (rows[4][figure] - rows[1][figure]) / 3
        print(f"  {figure[:-3]} per added worker: {per_worker:.0f} MB", flush=True)
    return {str(k): v for k, v in rows.items()}


MAP_AND_ANSWER = """
import sys, time
sys.path.insert(0, {root!r})
from portal import create_app
from portal.config import Settings
from portal.startup import prepare
settings = Settings.from_env()
prepare(settings)
client = create_app(settings).server.test_client()
started = time.perf_counter()
status = client.get("/api/health").status_code
print(status, time.perf_counter() - started)
"""


def kill(url: str, proc, data_dir: Path, ids: np.ndarray, rng) -> dict:
    make = predict_requests(ids, rng)
    run_load(url, make, 50.0, 2.0)
    victim = psutil.Process(proc.pid).children()[0]
    timer = threading.Timer(1.0, lambda: victim.send_signal(signal.SIGKILL))
    timer.start()
    result = run_load(url, make, RATE, SECONDS + 1.0)
    env = {"DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", MAP_AND_ANSWER.format(root=str(REPO_ROOT))],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    first_answer = float(out[1])
    print(
        f"  kill -9 of a worker under {RATE:.0f} req/s: p99 {result.p99_ms:.0f} ms over the next "
        f"{SECONDS:.0f} s, {result.errors} failed of {result.requests}; a fresh process maps the "
        f"version and answers its first request in {first_answer * 1000:.0f} ms (status {out[0]})",
        flush=True,
    )
    return {"load": asdict(result), "first_answer_s": first_answer}


def earlier_parts(customers: int) -> dict:
    """The parts a previous run at this size saved (a run of some parts keeps the others')."""
    path = RESULTS / f"serving_scale_{customers}.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    return {
        part: saved[part] for part in ("throughput", "latency", "memory", "kill") if part in saved
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--parts", default="throughput,latency,memory,kill", help="comma-separated parts"
    )
    args = parser.parse_args()
    data_dir, ids = million_customer_artifacts(args.customers)
    rng = np.random.default_rng(0)
    parts = args.parts.split(",")
    print(f"serving {len(ids):,} customers: {', '.join(parts)}", flush=True)
    result: dict = {"customers": len(ids)}
    if "memory" in parts:
        result["memory"] = memory(data_dir, ids, rng)
    with gunicorn(data_dir, workers=2) as (url, proc):
        warm_every_route(url, ids, rng)
        if "throughput" in parts:
            result["throughput"] = throughput(url, ids, rng)
        if "latency" in parts:
            result["latency"] = latency(url, ids, rng)
        if "kill" in parts:
            result["kill"] = kill(url, proc, data_dir, ids, rng)
    save(f"serving_scale_{args.customers}", {**earlier_parts(args.customers), **result})


if __name__ == "__main__":
    main()
