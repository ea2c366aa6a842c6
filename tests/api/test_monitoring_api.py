"""/api/monitoring and /api/monitoring/<version>, field by field against independent figures."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from portal import analytics, features, registry
from portal.artifacts import METRICS, PREPARED
from portal.config import Settings
from tests.conftest import cdnow_until, fresh_app


@pytest.fixture(scope="module")
def client(monitored_data_dir):
    return fresh_app(Settings(data_dir=monitored_data_dir)).server.test_client()


@pytest.fixture(scope="module")
def truth(monitored_data_dir):
    """The only version's parquet and metrics, and its customers' spend in 1998H1 (full log)."""
    name = registry.current_version(monitored_data_dir)
    folder = registry.version_dir(monitored_data_dir, name)
    table = pd.read_parquet(folder / PREPARED)
    ids = table["customer_id"].to_numpy()
    days = features.daily(cdnow_until())
    actual = features.build_labels(days, ids, pd.Timestamp("1998-01-01"))["actual_6m"].to_numpy()
    metrics = json.loads((folder / METRICS).read_text())
    return name, table, actual, metrics


def test_monitoring_lists_every_version_with_its_evaluation(client, truth):
    name, table, actual, metrics = truth
    body = client.get("/api/monitoring").get_json()
    assert body["current"] == name
    (row,) = body["versions"]
    assert row["version"] == name and row["mode"] == "production"
    assert row["cutoff"] == "1998-01-01" and row["customers"] == 23570
    assert row["trained_at"] == metrics["trained_at"]
    assert row["backtest_gini"] is None and row["backtest_calibration"] is None
    e = row["evaluation"]
    assert set(e) == {
        "observed_to",
        "fraction_observed",
        "expected_share",
        "share_rule",
        "evaluated_at",
        "data_fingerprint",
        "predicted_total_horizon",
        "predicted_total",
        "predicted_low",
        "predicted_high",
        "realised_total",
        "normalized_gini",
        "top_decile_capture",
        "calibration",
        "decile_mape",
        "coverage",
    }
    assert e["observed_to"] == "1998-07-01" and e["fraction_observed"] == 1.0
    assert e["expected_share"] == 1.0 and e["share_rule"] == "complete"
    assert e["evaluated_at"].endswith("+00:00")
    predicted = table["predicted_clv_6m"].to_numpy()
    ids = table["customer_id"].to_numpy()
    assert e["predicted_total"] == pytest.approx(predicted.sum())
    assert e["predicted_total_horizon"] == pytest.approx(predicted.sum())
    assert e["realised_total"] == pytest.approx(actual.sum())
    figures = analytics.point_metrics(actual, predicted, ids)
    for name_ in ("normalized_gini", "top_decile_capture", "calibration", "decile_mape"):
        assert e[name_] == pytest.approx(figures[name_], rel=1e-12)
    strict = (actual >= table["clv_p10"]) & (actual <= table["clv_p90"])
    assert e["coverage"] == pytest.approx(strict.mean())
    assert e["predicted_low"] < e["predicted_total"] < e["predicted_high"]
    assert e["predicted_low"] == pytest.approx(metrics["intervals"]["total"]["low"])
    assert e["predicted_high"] == pytest.approx(metrics["intervals"]["total"]["high"])
    assert 0.9 <= figures["calibration"] <= 1.1 and row["warnings"] == []  # no backtest Gini


def test_one_version_adds_deciles_and_coverage(client, truth):
    name, table, actual, _ = truth
    body = client.get(f"/api/monitoring/{name}").get_json()
    listed = client.get("/api/monitoring").get_json()["versions"][0]
    assert {k: v for k, v in body.items() if k not in ("evaluation", "drift")} == {
        k: v for k, v in listed.items() if k not in ("evaluation", "drift")
    }
    e = body["evaluation"]
    assert {k: e[k] for k in listed["evaluation"]} == listed["evaluation"]
    ids = table["customer_id"].to_numpy()
    rows = analytics.decile_table(table["predicted_clv_6m"].to_numpy(), ids, actual)
    assert len(e["deciles"]) == 10
    for got, want in zip(e["deciles"], analytics.as_dicts(rows)):
        assert got == pytest.approx(want)
    assert e["intervals"]["coverage"] == pytest.approx(e["coverage"])
    assert [d["decile"] for d in e["intervals"]["deciles"]] == list(range(1, 11))
    assert e["intervals"]["total"]["actual"] == pytest.approx(actual.sum())


def test_an_unknown_version_is_a_404(client):
    for name in ("nope", "..", "20990101T000000Z-deadbeef"):
        response = client.get(f"/api/monitoring/{name}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] in {"unknown_version", "not_found"}


def test_before_any_evaluation_the_version_is_listed_without_one(short_data_dir):
    body = fresh_app(Settings(data_dir=short_data_dir)).server.test_client()
    row = body.get("/api/monitoring").get_json()["versions"][0]
    assert row["evaluation"] is None and row["warnings"] == []


def test_an_empty_data_dir_lists_nothing(empty_settings):
    client = fresh_app(empty_settings).server.test_client()
    assert client.get("/api/monitoring").get_json() == {"current": None, "versions": []}
    assert client.get("/api/monitoring/x").status_code == 404


def test_drift_of_the_inputs_since_training(client, truth):
    """PSI of each input between the training snapshots (bins stored with the model) and the
    scored customers: here by hand from the stored bins and the version's parquet."""
    name, table, _, metrics = truth
    listed = client.get("/api/monitoring").get_json()["versions"][0]["drift"]
    detail = client.get(f"/api/monitoring/{name}").get_json()["drift"]
    features = detail["features"]
    assert {f["feature"] for f in features} >= {"recency_days", "spend_6m", "bgnbd_p_alive"}
    assert "tenure_days" not in {f["feature"] for f in features}  # not a model input
    assert listed == {k: detail[k] for k in ("threshold", "flagged", "max_psi")}
    assert listed["threshold"] == 0.2
    assert listed["flagged"] == [f["feature"] for f in features if f["psi"] > 0.2]
    assert listed["max_psi"] == max(f["psi"] for f in features)
    assert [f["psi"] for f in features] == sorted((f["psi"] for f in features), reverse=True)
    assert features == metrics["drift"]["features"]
    recency = next(f for f in features if f["feature"] == "recency_days")
    values = table["recency_days"].to_numpy(dtype=float)
    edges = [-np.inf, *recency["edges"], np.inf]
    scored = [((values > lo) & (values <= hi)).mean() for lo, hi in itertools.pairwise(edges)]
    scored.append(float(np.isnan(values).mean()))
    assert recency["scored"] == pytest.approx(scored)
    ref, now = np.maximum(recency["reference"], 1e-4), np.maximum(scored, 1e-4)
    assert recency["psi"] == pytest.approx(float(np.sum((now - ref) * np.log(now / ref))))
    assert sum(recency["reference"]) == pytest.approx(1.0)
