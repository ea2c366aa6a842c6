"""Every endpoint field by field against values computed independently from the parquet."""

import json
import math
import re

import joblib
import numpy as np
import pandas as pd
import pytest

from portal import store
from portal.artifacts import PREPARED


@pytest.fixture(scope="module")
def table(data_dir):
    return pd.read_parquet(data_dir / "final" / PREPARED)


ARTIFACT_READS = (
    "/api/meta",
    "/api/table",
    "/api/elite",
    "/api/gain_curve",
    "/api/decile_lift",
)


def error_of(response, status, code):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


def test_health_and_meta(client, table, data_dir):
    health = client.get("/api/health").get_json()
    assert health["status"] == "ok" and health["customers"] == len(table)
    meta = client.get("/api/meta").get_json()
    metrics = json.loads((data_dir / "final" / "metrics.json").read_text())
    assert meta["version"] == health["version"] == metrics["version"]
    assert meta["as_of"] == "1998-01-01" and meta["customers"] == 23570
    assert meta["features"] == metrics["raw_features"]
    assert meta["backtest"]["model"] == metrics["backtest"]["model"]
    assert meta["has_actuals"] is True


def test_health_503_without_artifacts(empty_settings):
    from tests.conftest import fresh_app

    client = fresh_app(empty_settings).server.test_client()
    response = client.get("/api/health")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"
    for path in ARTIFACT_READS:
        error_of(client.get(path), 503, "not_ready")


@pytest.mark.parametrize(
    "artifact, content",
    [
        (PREPARED, b"not parquet"),
        ("model.joblib", b"not a model"),
        ("metrics.json", b'{"version": "x", "trai'),
        ("metrics.json", b'{"version": "x"}'),
    ],
)
def test_corrupt_artifacts_give_503(copied_data_dir, artifact, content):
    from portal.config import Settings
    from tests.conftest import fresh_app

    (copied_data_dir / "final" / artifact).write_bytes(content)
    client = fresh_app(Settings(data_dir=copied_data_dir)).server.test_client()
    assert client.get("/api/health").status_code == 503
    for path in ARTIFACT_READS:
        error_of(client.get(path), 503, "not_ready")
    error_of(client.post("/api/predict", json={"customer_id": "14048"}), 503, "not_ready")


def test_predict_stored_customer(client, table):
    row = table.set_index("customer_id").loc["14048"]
    body = client.post("/api/predict", json={"customer_id": "14048"}).get_json()
    assert body["customer_id"] == "14048"
    assert body["predicted_clv_6m"] == pytest.approx(row["predicted_clv_6m"])
    assert body["p_purchase"] == pytest.approx(row["p_purchase"])
    assert (body["rank"], body["decile"], body["segment"]) == (
        row["rank"],
        row["decile"],
        row["segment"],
    )
    assert body["features"]["frequency"] == row["frequency"]
    assert body["actual_6m"] == pytest.approx(row["actual_6m"])
    assert body["what_if"] is False
    # an id without leading zeros, as a number or a string, finds the zero-padded one
    padded = table.set_index("customer_id").loc["00001", "predicted_clv_6m"]
    for short in (1, "1", " 1 "):
        found = client.post("/api/predict", json={"customer_id": short}).get_json()
        assert found["customer_id"] == "00001"
        assert found["predicted_clv_6m"] == pytest.approx(padded)


def test_a_stored_prediction_is_encoded_once_per_version_and_spelling(client, data_dir):
    first = client.post("/api/predict", json={"customer_id": "14048"})
    answers = store.current(data_dir / "final").answers
    kept = answers.get(("predict", "14048", True), lambda: b"computed again")
    assert kept == first.data  # the very bytes answered
    assert client.post("/api/predict", json={"customer_id": " 14048 "}).data == first.data
    plain = client.post("/api/predict?explain=false", json={"customer_id": "14048"})
    assert "explanation" in first.get_json() and "explanation" not in plain.get_json()
    before = len(answers)
    client.post("/api/predict", json={"customer_id": "no such customer"})
    assert len(answers) == before  # an unknown id keeps nothing
    keys = []  # every object's keys, as written: sorted, as jsonify writes them, lists included
    json.loads(first.data, object_pairs_hook=lambda pairs: keys.append([k for k, _ in pairs]))
    assert len(keys) > 20 and all(names == sorted(names) for names in keys)


def test_predict_what_if(client, table):
    row = table.set_index("customer_id").loc["14048"]
    features = {
        k: (None if isinstance(v, float) and math.isnan(v) else float(v))
        for k, v in row.items()
        if k in client.get("/api/meta").get_json()["features"]
    }
    body = client.post("/api/predict", json={"features": features}).get_json()
    assert body["what_if"] is True and body["defaulted_features"] == []
    assert body["predicted_clv_6m"] == pytest.approx(row["predicted_clv_6m"], rel=1e-9)
    assert body["rank"] == 1 and body["segment"] == "Elite"
    minimal = client.post(
        "/api/predict", json={"features": {"frequency": 1, "recency_days": 300, "tenure_days": 300}}
    ).get_json()
    assert "spend_6m" in minimal["defaulted_features"]
    assert minimal["predicted_clv_6m"] < body["predicted_clv_6m"]


def test_predict_errors(client):
    error_of(client.post("/api/predict", json={"customer_id": "nope"}), 404, "unknown_customer")
    error_of(client.post("/api/predict", data="customer_id=1"), 415, "unsupported_media_type")
    error_of(
        client.post("/api/predict", data="{bad", content_type="application/json"),
        400,
        "malformed_json",
    )
    error_of(client.post("/api/predict", json=[1, 2]), 422, "invalid_body")
    error_of(client.post("/api/predict", json={}), 422, "invalid_body")
    error_of(client.post("/api/predict", json={"customer_id": ""}), 422, "invalid_customer_id")
    message = error_of(
        client.post("/api/predict", json={"features": {"frequency": 1}}), 422, "invalid_features"
    )
    assert "recency_days" in message and "tenure_days" in message
    error_of(
        client.post(
            "/api/predict",
            json={"features": {"frequency": 2, "recency_days": 50, "tenure_days": 10}},
        ),
        422,
        "invalid_features",
    )
    error_of(
        client.post(
            "/api/predict",
            json={"features": {"frequency": 2, "recency_days": 5, "tenure_days": 10, "bogus": 1}},
        ),
        422,
        "invalid_features",
    )
    message = error_of(
        client.post(
            "/api/predict",
            json={"features": {"frequency": 2, "recency_days": 5, "tenure_days": 1e9}},
        ),
        422,
        "invalid_features",
    )
    assert "between 0 and 36,525" in message
    deep = "[" * 20_000 + "]" * 20_000  # under the body cap, over the parser's depth
    message = error_of(
        client.post("/api/predict", data=deep, content_type="application/json"),
        400,
        "malformed_json",
    )
    assert "nested" in message
    huge = '{"features": {"frequency": 1%s, "recency_days": 5, "tenure_days": 10}}' % ("0" * 400)
    message = error_of(
        client.post("/api/predict", data=huge, content_type="application/json"),
        422,
        "invalid_features",
    )
    assert "'frequency' must be a finite number" in message and len(message) < 200
    big = {"customer_id": "1", "pad": "x" * 70_000}
    error_of(client.post("/api/predict", json=big), 413, "request_entity_too_large")
    error_of(client.get("/api/predict"), 405, "method_not_allowed")
    error_of(client.get("/api/nothing"), 404, "not_found")


def test_decile_lift(client, table):
    body = client.get("/api/decile_lift").get_json()
    deciles = body["deciles"]
    assert [d["decile"] for d in deciles] == list(range(1, 11))
    assert sum(d["customers"] for d in deciles) == len(table)
    first = table.nsmallest(2357, "rank")
    assert deciles[0]["mean_predicted"] == pytest.approx(first["predicted_clv_6m"].mean())
    assert deciles[0]["mean_actual"] == pytest.approx(first["actual_6m"].mean())
    assert deciles[0]["lift"] == pytest.approx(
        first["actual_6m"].mean() / table["actual_6m"].mean()
    )
    assert sum(d["share_of_actual"] for d in deciles) == pytest.approx(1.0)


def test_gain_curve(client, table, data_dir):
    body = client.get("/api/gain_curve?points=10").get_json()
    assert len(body["x"]) == len(body["model"]) == len(body["oracle"]) == 11
    assert body["model"][0] == 0 and body["model"][-1] == pytest.approx(1.0)
    assert body["random"] == body["x"]
    assert all(o >= m - 1e-12 for o, m in zip(body["oracle"], body["model"]))
    ranked = table.sort_values("rank")["actual_6m"].to_numpy()
    assert body["model"][1] == pytest.approx(ranked[:2357].sum() / ranked.sum())
    metrics = json.loads((data_dir / "final" / "metrics.json").read_text())
    assert body["normalized_gini"] == pytest.approx(metrics["backtest"]["model"]["normalized_gini"])
    for bad in ("0", "abc", "10001"):
        error_of(
            client.get(f"/api/gain_curve?points={bad}"),
            422,
            "out_of_range" if bad.isdigit() else "invalid_parameter",
        )


def test_elite(client, table):
    body = client.get("/api/elite?top_pct=5&limit=10&offset=5").get_json()
    n = len(table)
    summary = body["summary"]
    assert summary["count"] == math.ceil(0.05 * n) == 1179  # ceil(1178.5)
    assert (table["segment"] == "Elite").sum() == summary["count"]  # one rule for the top 5%
    top = table.nsmallest(summary["count"], "rank")
    assert summary["predicted_value"] == pytest.approx(top["predicted_clv_6m"].sum())
    assert summary["share_of_predicted"] == pytest.approx(
        top["predicted_clv_6m"].sum() / table["predicted_clv_6m"].sum()
    )
    assert summary["share_of_actual"] == pytest.approx(
        top["actual_6m"].sum() / table["actual_6m"].sum()
    )
    assert [r["rank"] for r in body["customers"]] == list(range(6, 16))
    assert client.get("/api/elite?top_pct=100&limit=1").get_json()["summary"]["count"] == n
    for bad in ("0", "-1", "100.5", "nan", "x"):
        assert client.get(f"/api/elite?top_pct={bad}").status_code == 422
    error_of(client.get("/api/elite?limit=5000"), 422, "out_of_range")


def test_table_paging_sorting_filtering(client, table):
    body = client.get("/api/table?limit=3&offset=0").get_json()
    assert body["total"] == len(table)
    assert [r["rank"] for r in body["rows"]] == [1, 2, 3]
    asc = client.get("/api/table?limit=5&sort=recency_days&order=asc").get_json()["rows"]
    assert [r["recency_days"] for r in asc] == sorted(table["recency_days"])[:5]
    prefix = client.get("/api/table?q=0012&limit=1000").get_json()
    expected = table[table["customer_id"].str.startswith("0012")].sort_values("rank")
    assert prefix["total"] == len(expected) > 0
    assert [r["customer_id"] for r in prefix["rows"]] == expected["customer_id"].tolist()
    elite = client.get("/api/table?segment=Elite&limit=1").get_json()
    assert elite["total"] == (table["segment"] == "Elite").sum()
    error_of(client.get("/api/table?limit=1001"), 422, "out_of_range")
    error_of(client.get("/api/table?sort=password"), 422, "invalid_parameter")
    error_of(client.get("/api/table?order=up"), 422, "invalid_parameter")
    error_of(client.get("/api/table?offset=-1"), 422, "out_of_range")


def test_actual_6m_sorts_a_backtest_and_is_refused_without_actuals(client, table, copied_data_dir):
    from portal.artifacts import METRICS, MODEL
    from portal.config import Settings
    from portal.publishing import publish
    from tests.conftest import fresh_app

    rows = client.get("/api/table?sort=actual_6m&order=desc&limit=5").get_json()["rows"]
    assert [r["actual_6m"] for r in rows] == pytest.approx(sorted(table["actual_6m"])[::-1][:5])

    final = copied_data_dir / "final"
    document = json.loads((final / METRICS).read_text())
    production = {**document, "version": "production-run", "mode": "production"}
    unscored = table.drop(columns="actual_6m")  # a production run: the horizon has not happened
    publish(copied_data_dir, unscored, joblib.load(final / MODEL), production)
    other = fresh_app(Settings(data_dir=copied_data_dir)).server.test_client()
    assert other.get("/api/meta").get_json()["has_actuals"] is False
    message = error_of(other.get("/api/table?sort=actual_6m"), 422, "invalid_parameter")
    assert "actual_6m" not in message and "predicted_clv_6m" in message
    assert "actual_6m" not in other.get("/api/table?limit=1").get_json()["rows"][0]


def test_openapi_document_is_valid_and_declares_every_route(client, app):
    from openapi_spec_validator import validate

    doc = client.get("/api/openapi.json").get_json()
    validate(doc)
    routes = {
        (re.sub(r"<(\w+)>", r"{\1}", r.rule), method.lower())  # Flask's <name> is OpenAPI's {name}
        for r in app.server.url_map.iter_rules()
        if r.rule.startswith("/api")
        for method in r.methods - {"HEAD", "OPTIONS"}
    }
    assert {(path, method) for path, ops in doc["paths"].items() for method in ops} == routes
    public = {
        path
        for path, ops in doc["paths"].items()
        for op in ops.values()
        if op.get("security") == []
    }
    assert public == {"/api/health"}  # what test_security finds open with a token set
    too_long = {
        path
        for path, ops in doc["paths"].items()
        for op in ops.values()
        if "414" in op["responses"]
    }  # gunicorn's refusal of an overlong query string
    assert "/api/table" in too_long and "/api/health" not in too_long
    assert all(
        any(p["in"] == "query" for p in op.get("parameters", []))
        for path, ops in doc["paths"].items()
        for op in ops.values()
        if "414" in op["responses"]
    )


def test_the_documented_bounds_are_the_enforced_ones(client):
    """Every bounded query parameter, from the generated document: its maximum answers 200 and
    just over it 422, with the document's interval in the message."""
    doc = client.get("/api/openapi.json").get_json()
    checked = set()
    for path, ops in doc["paths"].items():
        for parameter in ops.get("get", {}).get("parameters", []):
            name, schema = parameter["name"], parameter["schema"]
            if "maximum" not in schema:
                continue
            top = schema["maximum"]
            over = top + (1 if schema["type"] == "integer" else 0.5)
            assert client.get(path, query_string={name: top}).status_code == 200, (path, name)
            message = error_of(client.get(path, query_string={name: over}), 422, "out_of_range")
            low = schema.get("minimum", schema.get("exclusiveMinimum"))
            assert message.endswith(f"{low}, {top}], got {over}"), message
            checked.add((path, name))
    assert len(checked) == 10  # points; 3 in elite, 2 in table, 4 in audience


def test_new_artifacts_are_picked_up_without_restart(copied_data_dir):
    from portal.config import Settings
    from tests.conftest import fresh_app

    client = fresh_app(Settings(data_dir=copied_data_dir)).server.test_client()
    before = client.get("/api/health").get_json()["version"]
    path = copied_data_dir / "final" / "metrics.json"
    doc = json.loads(path.read_text())
    doc["version"] = "retrained-version"
    path.write_text(json.dumps(doc))
    assert before != "retrained-version"
    assert client.get("/api/health").get_json()["version"] == "retrained-version"
    assert client.get("/api/meta").get_json()["version"] == "retrained-version"
    assert np.isfinite(client.get("/api/gain_curve").get_json()["normalized_gini"])


def test_predict_explanation(client, data_dir):
    body = client.post("/api/predict", json={"customer_id": "14048"}).get_json()
    explanation = body["explanation"]
    assert explanation["predicted_log"] == pytest.approx(math.log(body["predicted_clv_6m"]))
    meta = client.get("/api/meta").get_json()
    assert {c["feature"] for c in explanation["contributions"]} == set(meta["model_inputs"])
    assert set(meta["feature_importance"]) == set(meta["model_inputs"])
    plain = client.post("/api/predict?explain=false", json={"customer_id": "14048"}).get_json()
    assert "explanation" not in plain
    assert plain["predicted_clv_6m"] == body["predicted_clv_6m"]
    what_if = client.post(
        "/api/predict", json={"features": {"frequency": 2, "recency_days": 20, "tenure_days": 100}}
    ).get_json()
    assert what_if["explanation"]["predicted_log"] == pytest.approx(
        math.log(what_if["predicted_clv_6m"])
    )


def test_a_stored_prediction_is_written_with_keys_sorted_at_every_level_as_jsonify_does(client):
    def sorted_keys(pairs):
        keys = [key for key, _ in pairs]
        assert keys == sorted(keys)
        return dict(pairs)

    for explain in ("true", "false"):
        body = client.post(f"/api/predict?explain={explain}", json={"customer_id": "14048"})
        answer = json.loads(body.get_data(as_text=True), object_pairs_hook=sorted_keys)
        assert ("explanation" in answer) == (explain == "true")
    explained = client.post("/api/predict", json={"customer_id": "14048"}).get_data(as_text=True)
    items = json.loads(explained, object_pairs_hook=sorted_keys)["explanation"]["contributions"]
    assert len(items) > 1 and all(len(item) == 7 for item in items)  # the items were checked
