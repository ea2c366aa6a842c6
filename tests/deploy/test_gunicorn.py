"""gunicorn with 2 workers, started as Procfile does, on a free loopback port of an empty DATA_DIR."""

import psutil
import requests

from tests.bench.serve import gunicorn


def test_two_workers_serve_api_and_pages(tmp_path):
    # the start-up check trains because DATA_DIR is empty; the context manager stops the server
    with gunicorn(tmp_path, workers=2, timeout=180) as (url, proc):
        health = requests.get(f"{url}/api/health", timeout=5)
        assert health.status_code == 200 and health.json()["customers"] == 23570
        assert (tmp_path / "final" / "metrics.json").exists()
        page = requests.get(f"{url}/", timeout=5)
        assert page.status_code == 200 and "_dash-renderer" in page.text
        assert requests.get(f"{url}/vendor/bootstrap/css/bootstrap.min.css", timeout=5).ok
        assert len(psutil.Process(proc.pid).children()) == 2
