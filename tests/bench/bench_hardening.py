"""Hardening figures (issue #15): what a portal login costs per request, wrong-password floods,
the largest expansion an upload is refused, concurrent training requests, chunked bodies,
half-sent requests."""

from __future__ import annotations

import base64
import json
import os
import socket
import statistics
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import dash._pages
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import requests
from common import WORK, save, synthetic_log

from portal import create_app, jobs, login, registry, uploads
from portal.config import Settings
from portal.ingest import ColumnMap
from portal.security import hash_password
from tests.serve import gunicorn

PASSWORD = "wonderland"
ASSET = "/vendor/bootstrap/css/bootstrap.min.css"
FLOOD_THREADS = 8
FLOOD_SECONDS = 10.0


def _median_ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def login_cost(data_dir: Path) -> dict:
    """One asset request's time with the login verified every time (before) and remembered."""
    users = f"alice:{hash_password(PASSWORD)}"
    settings = Settings(data_dir=data_dir, portal_users=users, login_max_failures=10**9)
    dash._pages.PAGE_REGISTRY.clear()
    client = create_app(settings, testing=True).server.test_client()
    good, wrong, unknown = ("alice", PASSWORD), ("alice", "nope"), ("mallory", "nope")
    kept, login.REMEMBER_SECONDS = login.REMEMBER_SECONDS, 0.0  # remembered for no time
    try:
        every_time = _median_ms(lambda: client.get(ASSET, auth=good), 10)
    finally:
        login.REMEMBER_SECONDS = kept
    remembered = _median_ms(lambda: client.get(ASSET, auth=good), 50)
    wrong_ms = _median_ms(lambda: client.get(ASSET, auth=wrong), 10)
    unknown_ms = _median_ms(lambda: client.get(ASSET, auth=unknown), 10)
    return {
        "verified_every_request_ms": every_time,
        "remembered_ms": remembered,
        "wrong_password_ms": wrong_ms,
        "unknown_user_ms": unknown_ms,
    }


@contextmanager
def environment(**values: str):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def flood(data_dir: Path, max_failures: int) -> dict:
    """8 threads of wrong passwords for 10 s; /api/health and a signed-in page meanwhile."""
    users = f"alice:{hash_password(PASSWORD)}"
    statuses: dict[int, int] = {}
    stop = threading.Event()
    lock = threading.Lock()

    def attacker():
        with requests.Session() as session:
            while not stop.is_set():
                status = session.get(url + ASSET, auth=("alice", "guess"), timeout=60).status_code
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    with (
        environment(CLV_PORTAL_USERS=users, CLV_LOGIN_MAX_FAILURES=str(max_failures)),
        gunicorn(data_dir, workers=2) as (url, _proc),
    ):
        quiet = _median_ms(lambda: requests.get(f"{url}/api/health", timeout=60), 20)
        requests.get(url + ASSET, auth=("alice", PASSWORD), timeout=60)
        threads = [threading.Thread(target=attacker) for _ in range(FLOOD_THREADS)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        started = time.monotonic()
        health, page = [], []
        while time.monotonic() - started < FLOOD_SECONDS:
            health.append(_median_ms(lambda: requests.get(f"{url}/api/health", timeout=60), 1))
            page.append(_median_ms(lambda: requests.get(url + ASSET, auth=("alice", PASSWORD)), 1))
        stop.set()
        for thread in threads:
            thread.join()
    return {
        "health_quiet_ms": quiet,
        "health_under_flood_ms": statistics.median(health),
        "signed_in_asset_under_flood_ms": statistics.median(page),
        "attack_statuses": statuses,
        "attack_rps": sum(statuses.values()) / (FLOOD_SECONDS + 1.0),
    }


def expansion_refused(folder: Path) -> dict:
    """The issue's parquet (20 row groups of 1M constant rows, zstd + dictionary) uploaded under
    the default caps: refused from its metadata; time and this process's RSS growth."""
    path = folder / "bomb.parquet"
    rows = 1_000_000
    table = pa.table(
        {
            "customer": pa.array(["c1"] * rows),
            "date": pa.array(["2024-01-05"] * rows),
            "amount": pa.array([12.5] * rows),
        }
    )
    with pq.ParquetWriter(path, table.schema, compression="zstd", use_dictionary=True) as writer:
        for _ in range(20):
            writer.write_table(table)
    del table
    contents = "data:;base64," + base64.b64encode(path.read_bytes()).decode()
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    try:
        uploads.save(folder / "uploads", "bomb.parquet", contents, 50 * 2**20, "bench",
                     Settings().upload_limits)  # fmt: skip
        message = "accepted"
    except uploads.UploadError as exc:
        message = str(exc)
    return {
        "file_bytes": path.stat().st_size,
        "rows": pq.ParquetFile(path).metadata.num_rows,
        "refused_in_ms": (time.perf_counter() - started) * 1000,
        "rss_growth_mb": (process.memory_info().rss - before) / 2**20,
        "message": message,
    }


def concurrent_training(folder: Path, requests_at_once: int = 3) -> dict:
    """``requests_at_once`` data-page training requests on one upload at the same moment."""
    settings = Settings(data_dir=folder)
    log = synthetic_log(2_000)
    contents = "data:;base64," + base64.b64encode(log.read_bytes()).decode()
    upload = uploads.save(settings.uploads_dir, "log.parquet", contents, 2**30, "bench")
    columns = ColumnMap("customer_id", "date", "amount")
    outcomes, steps = [], [0] * requests_at_once
    barrier = threading.Barrier(requests_at_once)

    def request(i: int):
        def count(*_step):
            steps[i] += 1

        barrier.wait()
        try:
            outcomes.append(jobs.train_upload(settings, upload.id, columns, count)["version"])
        except jobs.RunInProgress:
            outcomes.append("followed the running run")
        except jobs.TrainingFailed as exc:
            outcomes.append(f"failed: {exc}")

    started = time.perf_counter()
    threads = [threading.Thread(target=request, args=(i,)) for i in range(requests_at_once)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": requests_at_once,
        "outcomes": outcomes,
        "progress_steps_seen": steps,
        "versions_published": len(registry.versions(folder)),
        "training_logs": len(list(upload.folder.glob("train-*.log"))),
        "seconds": time.perf_counter() - started,
    }


def chunked_bodies(data_dir: Path) -> dict:
    """/api/predict bodies over and under the 64 KB cap, declared and chunked."""

    def chunks(body: bytes):
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    headers = {"Content-Type": "application/json"}
    result = {}
    with gunicorn(data_dir, workers=2) as (url, _proc):
        for size in (30_000, 70_000, 1_000_000):
            body = json.dumps({"customer_id": "14048", "pad": "x" * size}).encode()
            result[f"{len(body):,} bytes"] = [
                _status(url, body, headers),
                _status(url, chunks(body), headers),
            ]
    return result


def _status(url: str, data, headers: dict) -> int | str:
    """The status of a /api/predict POST, or how the connection ended when the server stopped
    reading a refused body."""
    try:
        return requests.post(
            f"{url}/api/predict", data=data, headers=headers, timeout=60
        ).status_code
    except requests.ConnectionError as exc:
        return f"connection closed ({type(exc).__name__})"


def slow_headers(data_dir: Path, connections: int = 8) -> dict:
    """``connections`` half-sent requests (twice every thread of 2 workers x 2 threads), then
    /api/health: with gunicorn's plain gthread worker (as before) and the configured one."""
    partial = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    result = {}
    for label, args in (("gthread (before)", "--worker-class gthread"), ("configured", "")):
        with environment(GUNICORN_CMD_ARGS=args), gunicorn(data_dir, workers=2) as (url, _proc):
            port = int(url.rsplit(":", 1)[1])
            clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
            for client in clients:
                client.sendall(partial)
            started = time.perf_counter()
            try:
                status = requests.get(f"{url}/api/health", timeout=70).status_code
            except requests.Timeout:
                status = "no answer within 70 s"
            result[label] = {"health": status, "seconds": time.perf_counter() - started}
            for client in clients:
                client.close()
    return result


def main() -> dict:
    root = WORK / "hardening"
    data_dir = root / "cdnow"
    data_dir.mkdir(parents=True, exist_ok=True)
    result = {}
    with gunicorn(data_dir, workers=2, timeout=300):  # trains the CDNOW backtest when empty
        pass
    result["login"] = login_cost(data_dir)
    print(f"  login cost per request: {result['login']}", flush=True)
    for label, limit in (("no limit (as before)", 10**9), ("limit 10/min", 10)):
        result[f"flood, {label}"] = flood(data_dir, limit)
        print(f"  wrong-password flood, {label}: {result[f'flood, {label}']}", flush=True)
    with tempfile.TemporaryDirectory(dir=root) as scratch:
        result["expansion"] = expansion_refused(Path(scratch))
        print(f"  parquet expansion: {result['expansion']}", flush=True)
        result["concurrent_training"] = concurrent_training(Path(scratch) / "data")
        print(f"  concurrent training requests: {result['concurrent_training']}", flush=True)
    result["chunked"] = chunked_bodies(data_dir)
    print(f"  request bodies [declared, chunked] status: {result['chunked']}", flush=True)
    result["slow_headers"] = slow_headers(data_dir)
    print(f"  /api/health behind 8 half-sent requests: {result['slow_headers']}", flush=True)
    save("hardening", result)
    return result


if __name__ == "__main__":
    main()
