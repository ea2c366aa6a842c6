"""gunicorn with 2 workers, started as Procfile does, on a free loopback port of an empty DATA_DIR."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from portal.config import REPO_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn_server(tmp_path):
    """gunicorn app:server on 127.0.0.1; trains at start-up because DATA_DIR is empty."""
    port = free_port()
    env = dict(
        os.environ, HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2", DATA_DIR=str(tmp_path)
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "app:server"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.5)
        yield url, proc, tmp_path
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_two_workers_serve_api_and_pages(gunicorn_server):
    url, proc, data_dir = gunicorn_server
    health = requests.get(f"{url}/api/health", timeout=5)
    assert health.status_code == 200 and health.json()["customers"] == 23570
    assert (data_dir / "final" / "metrics.json").exists()  # trained by the start-up check
    page = requests.get(f"{url}/", timeout=5)
    assert page.status_code == 200 and "_dash-renderer" in page.text
    assert requests.get(f"{url}/vendor/bootstrap/css/bootstrap.min.css", timeout=5).ok
    assert len(psutil.Process(proc.pid).children()) == 2
