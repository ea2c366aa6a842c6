"""Start and stop gunicorn on a free loopback port (deploy tests, benchmarks, screenshots)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
SEGMENT_OUTPUTS = [
    ("segments-top-pct-slider", "value"),
    ("segments-top-pct", "value"),
    ("segments-kpis", "children"),
    ("segments-pareto-graph", "figure"),
    ("segments-grid", "rowData"),
    ("segments-grid-note", "children"),
]


def segment_callback(top_pct: float) -> dict:
    """The request body Dash sends when the segments slider moves to ``top_pct``."""
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in SEGMENT_OUTPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in SEGMENT_OUTPUTS],
        "inputs": [
            {"id": "segments-top-pct-slider", "property": "value", "value": top_pct},
            {"id": "segments-top-pct", "property": "value", "value": top_pct},
        ],
        "changedPropIds": ["segments-top-pct-slider.value"],
        "state": [],
    }


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(data_dir: Path | None = None, workers: int = 2, timeout: float = 300):
    """Yield the base URL of gunicorn app:server; SIGTERM it on exit."""
    port = free_port()
    env = dict(
        os.environ,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        LOG_LEVEL="warning",
    )
    if data_dir is not None:
        env["DATA_DIR"] = str(data_dir)
    binary = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(binary), "app:server", "--access-logfile", "/dev/null"], cwd=REPO_ROOT, env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not become healthy")
            time.sleep(0.5)
        yield url, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
