"""gunicorn with 2 workers, started as Procfile does, on a free loopback port of an empty DATA_DIR."""

import psutil
import requests

from tests.serve import gunicorn


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
