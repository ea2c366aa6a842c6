"""GET /api/customers/<id>/history and /api/models, field by field."""

import json

import joblib
import pandas as pd
import pytest

from portal.artifacts import METRICS, MODEL, PREPARED
from portal.config import Settings
from portal.publishing import publish
from tests.conftest import fresh_app


def an_hour_after(iso: str) -> str:
    """One hour after an ISO timestamp."""
    return (pd.Timestamp(iso) + pd.Timedelta(hours=1)).isoformat()


@pytest.fixture
def two_runs(copied_data_dir):
    """The session's CDNOW version plus a second published run that scores everyone 1.5x."""
    final = copied_data_dir / "final"
    table = pd.read_parquet(final / PREPARED)
    document = json.loads((final / METRICS).read_text())
    later = table.assign(predicted_clv_6m=table["predicted_clv_6m"] * 1.5)
    second = {
        **document,
        "version": "second",
        "trained_at": an_hour_after(document["trained_at"]),
        "cutoff": "1998-02-01",
        "trained_by": "tester",
    }
    publish(copied_data_dir, later, joblib.load(final / MODEL), second)
    client = fresh_app(Settings(data_dir=copied_data_dir)).server.test_client()
    return client, table.set_index("customer_id"), document


def test_history_has_one_point_per_run_oldest_first(two_runs):
    client, table, first = two_runs
    response = client.get("/api/customers/14048/history")
    assert response.status_code == 200
    body = response.get_json()
    assert body["customer_id"] == "14048"
    row = table.loc["14048"]
    old, new = body["points"]
    assert old == {
        "version": first["version"],
        "trained_at": first["trained_at"],
        "cutoff": "1998-01-01",
        "mode": "backtest",
        "predicted_clv_6m": pytest.approx(row["predicted_clv_6m"], rel=1e-12),
        "p_purchase": pytest.approx(row["p_purchase"], rel=1e-12),
        "rank": int(row["rank"]),
        "decile": int(row["decile"]),
        "segment": row["segment"],
        "current": False,
    }
    assert new["version"] == "second" and new["current"] is True
    assert new["cutoff"] == "1998-02-01" and new["trained_at"] == an_hour_after(first["trained_at"])
    assert new["predicted_clv_6m"] == pytest.approx(1.5 * row["predicted_clv_6m"], rel=1e-12)


def test_an_id_without_leading_zeros_finds_the_padded_customers_history(two_runs):
    client, table, first = two_runs
    body = client.get("/api/customers/1/history").get_json()
    assert body["customer_id"] == "00001"
    assert [p["version"] for p in body["points"]] == [first["version"], "second"]
    predicted = table.loc["00001", "predicted_clv_6m"]
    assert body["points"][0]["predicted_clv_6m"] == pytest.approx(predicted, rel=1e-12)


def test_history_of_an_unknown_customer_is_404(two_runs):
    client, _, _ = two_runs
    response = client.get("/api/customers/nobody/history")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_customer"


@pytest.mark.parametrize("method", ["patch", "put", "delete", "post"])
def test_other_methods_on_a_history_are_405(two_runs, method):
    client, _, _ = two_runs
    response = getattr(client, method)("/api/customers/14048/history")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_models_lists_versions_newest_first_with_the_current_one(two_runs):
    client, table, first = two_runs
    body = client.get("/api/models").get_json()
    assert body["current"] == "second"
    assert [v["version"] for v in body["versions"]] == ["second", first["version"]]
    newest = body["versions"][0]
    assert newest["trained_by"] == "tester" and newest["available"] is True
    assert newest["customers"] == len(table) and newest["mode"] == "backtest"
    assert newest["fingerprint"] == first["data"]["fingerprint"]
    assert newest["rows"] == first["data"]["rows"]
    gini = first["backtest"]["model"]["normalized_gini"]
    assert newest["normalized_gini"] == pytest.approx(gini, rel=1e-12)


def test_an_unreachable_database_is_a_503(copied_data_dir):
    broken = Settings(data_dir=copied_data_dir, database="sqlite:////no/such/dir/clv.db")
    client = fresh_app(broken).server.test_client()
    for path in ("/api/customers/14048/history", "/api/models"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "database_unavailable"
    assert client.get("/api/health").status_code == 200  # scoring does not need the database
