"""gunicorn with 2 workers, started as Procfile does, on a free loopback port."""

import json
import time

import psutil
import requests

from tests.serve import gunicorn


def chunked(body: bytes):
    """A generator body: requests sends it chunked, without Content-Length."""
    for start in range(0, len(body), 8192):
        yield body[start : start + 8192]


def test_two_workers_serve_api_and_pages(tmp_path):
    # the start-up check trains because DATA_DIR is empty; the context manager stops the server
    with gunicorn(tmp_path, workers=2, timeout=600) as (url, proc):  # training: 245 s on busy cores
        health = requests.get(f"{url}/api/health", timeout=5)
        assert health.status_code == 200 and health.json()["customers"] == 23570
        assert (tmp_path / "final" / "metrics.json").exists()
        page = requests.get(f"{url}/", timeout=5)
        assert page.status_code == 200 and "_dash-renderer" in page.text
        assert requests.get(f"{url}/vendor/bootstrap/css/bootstrap.min.css", timeout=5).ok
        assert wait_for_workers(proc, 2) == 2


def wait_for_workers(proc, wanted: int, seconds: float = 30.0) -> int:
    """The master's worker count once it reaches ``wanted`` (gunicorn forks them one after the
    other, and the first one may already answer), or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while len(psutil.Process(proc.pid).children()) < wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return len(psutil.Process(proc.pid).children())


def test_chunked_bodies_over_the_cap_are_refused(copied_data_dir):
    """A chunked body over the cap is 413, as the same body with a Content-Length is (issue #15)."""
    with gunicorn(copied_data_dir, workers=2) as (url, _proc):
        assert_chunked_bodies_over_the_cap_are_refused(url)


def assert_chunked_bodies_over_the_cap_are_refused(url: str) -> None:
    """/api/predict with 70 kB (over the 64 KB cap) and 30 kB bodies, declared and chunked."""
    big = json.dumps({"customer_id": "14048", "pad": "x" * 70_000}).encode()  # cap: 64 KB
    small = json.dumps({"customer_id": "14048", "pad": "x" * 30_000}).encode()
    headers = {"Content-Type": "application/json"}
    declared = requests.post(f"{url}/api/predict", data=big, headers=headers, timeout=10)
    refused = requests.post(f"{url}/api/predict", data=chunked(big), headers=headers, timeout=10)
    served = requests.post(f"{url}/api/predict", data=chunked(small), headers=headers, timeout=10)
    assert declared.status_code == refused.status_code == 413
    assert refused.json()["error"]["code"] == "request_entity_too_large"
    assert served.status_code == 200 and served.json()["customer_id"] == "14048"


def test_post_fork_sets_dash_up_before_the_worker_takes_requests(settings):
    """Dash's first-request setup is not thread-safe: done by the hook, no request can race it."""
    import importlib.util
    from types import SimpleNamespace

    from portal.config import REPO_ROOT
    from tests.conftest import fresh_app

    spec = importlib.util.spec_from_file_location("gunicorn_conf", REPO_ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    app = fresh_app(settings)
    assert not app.registered_paths
    worker = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app.server), pid=1)
    conf.post_fork(SimpleNamespace(log=None), worker)
    assert "deps/react-dom@18.3.1.min.js" in app.registered_paths["dash"]
