"""Several-instance mode: the data page's training runs on a Celery worker through Redis."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from portal import registry
from portal.config import REPO_ROOT
from tests.browser.conftest import click
from tests.browser.test_data_page import unusual_csv, upload
from tests.serve import free_port, gunicorn

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server") and not os.environ.get("CI"),
    reason="redis-server not installed (.ci/run installs it)",
)


@pytest.fixture
def redis_url():
    """A throw-away Redis on a free loopback port, stopped by the test."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield url
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


@pytest.fixture
def celery_worker(redis_url, copied_data_dir, monkeypatch, tmp_path) -> Path:
    """`celery -A app:celery_app worker` as the README starts it, on the copied data folder;
    yields the path of its log."""
    monkeypatch.setenv("CELERY_BROKER_URL", redis_url)
    monkeypatch.setenv("DATA_DIR", str(copied_data_dir))
    binary = Path(sys.executable).with_name("celery")
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [str(binary), "-A", "app:celery_app", "worker", "--pool", "solo", "--loglevel", "info"],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    yield log
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)


def tasks_run(log: Path) -> list[str]:
    """Ids of the tasks the worker's log says it received and finished successfully."""
    text = log.read_text()
    received = set(re.findall(r"Task \S+\[([0-9a-f-]{36})\] received", text))
    succeeded = re.findall(r"Task \S+\[([0-9a-f-]{36})\] succeeded", text)
    return [task for task in succeeded if task in received]


def test_training_from_the_data_page_runs_on_a_celery_worker(
    dash_duo, celery_worker, copied_data_dir, tmp_path
):
    before = registry.current_version(copied_data_dir)
    assert tasks_run(celery_worker) == []
    with gunicorn(copied_data_dir, workers=2) as (url, _):
        dash_duo.driver.get(f"{url}/data")
        dash_duo.wait_for_element(".navbar")
        upload(dash_duo, unusual_csv(tmp_path / "orders.csv"))
        dash_duo.wait_for_text_to_equal("#data-map-amount .dash-dropdown-value", "Umsatz EUR")
        dash_duo.wait_for_contains_text("#data-verdict", "Ready to train")
        click(dash_duo, "#data-train")
        dash_duo.wait_for_element("#data-new-version", timeout=120)
        version = dash_duo.find_element("#data-new-version").text
    assert version != before and registry.current_version(copied_data_dir) == version
    # the worker's own log shows the job: received and succeeded (a job the web server ran
    # itself, on the diskcache fallback, would publish too but leave no task here)
    assert len(tasks_run(celery_worker)) >= 1
    assert dash_duo.get_logs() == []
