"""Publishing new versions while requests are in flight fails none of them (production cache on)."""

import json
import threading

import joblib
import pandas as pd

from portal.artifacts import METRICS, MODEL, PREPARED
from portal.config import Settings
from portal.publishing import publish
from tests.conftest import fresh_app

REQUESTS = [
    ("get", "/api/table?limit=50", None),
    ("get", "/api/elite?top_pct=5", None),
    ("get", "/api/gain_curve?points=20", None),
    ("get", "/api/decile_lift", None),
    ("post", "/api/predict", {"customer_id": "14048"}),
    ("get", "/api/meta", None),
]


def test_artifact_swap_during_load_fails_no_request(copied_data_dir):
    final = copied_data_dir / "final"
    server = fresh_app(Settings(data_dir=copied_data_dir), production_cache=True).server
    table = pd.read_parquet(final / PREPARED)
    model = joblib.load(final / MODEL)
    document = json.loads((final / METRICS).read_text())
    failures, served, versions = [], [0], set()
    stop = threading.Event()

    def hammer():
        try:
            client = server.test_client()
            while not stop.is_set():
                for method, path, body in REQUESTS:
                    response = getattr(client, method)(path, json=body)
                    if response.status_code != 200:
                        failures.append((path, response.status_code, response.get_data()[:200]))
                    served[0] += 1
                versions.add(client.get("/api/health").get_json()["version"])
        except Exception as exc:  # a load thread that dies fails the test, not only a warning
            failures.append(("thread", repr(exc)))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for generation in range(6):
            document["version"] = f"swap-{generation}"
            publish(copied_data_dir, table, model, document)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert served[0] > 50
    assert len(versions) >= 2  # the servers really saw new versions mid-run
