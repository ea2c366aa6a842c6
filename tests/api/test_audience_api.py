"""GET /api/audience field by field against the parquet and the model's own BG/NBD fit."""

import joblib
import numpy as np
import pandas as pd
import pytest

from portal import bgnbd
from portal.artifacts import MODEL, PREPARED
from tests.api.test_api import error_of


@pytest.fixture(scope="module")
def table(data_dir):
    return pd.read_parquet(data_dir / "final" / PREPARED).set_index("customer_id")


@pytest.fixture(scope="module")
def population(data_dir):
    return joblib.load(data_dir / "final" / MODEL).population


def test_default_audience_is_the_top_5_pct_by_predicted_clv(client, table, population):
    body = client.get("/api/audience").get_json()
    assert body["rank_by"] == "predicted_clv" and body["top_pct"] == 5.0
    assert body["count"] == 1179 and body["customers_total"] == 23570
    assert (body["limit"], body["offset"]) == (100, 0)
    rows = pd.DataFrame(body["customers"])
    assert rows["audience_rank"].tolist() == list(range(1, 101))
    expected_ids = table.sort_values("rank").index[:100].tolist()
    assert rows["customer_id"].tolist() == expected_ids
    assert rows["rank"].tolist() == list(range(1, 101))
    mine = table.loc[rows["customer_id"]]
    for column in ("predicted_clv_6m", "p_purchase", "frequency", "recency_days", "spend_6m"):
        assert rows[column].to_numpy() == pytest.approx(mine[column].to_numpy())
    assert rows["segment"].tolist() == mine["segment"].tolist()

    assert population.clock is None  # CDNOW: 12 months of history, calendar weeks
    params = population.bgnbd
    x = mine["frequency"].to_numpy() - 1
    T = mine["tenure_days"].to_numpy() / 7
    t_x = np.where(x > 0, T - mine["recency_days"].to_numpy() / 7, 0.0)
    odds_dropped = np.where(
        x > 0,
        params.a
        / (params.b + x - 1)
        * ((params.alpha + T) / (params.alpha + t_x)) ** (params.r + x),
        0.0,
    )
    p_active = 1 / (1 + odds_dropped)
    assert rows["p_active"].to_numpy() == pytest.approx(p_active, rel=1e-9)
    assert rows["churn_risk"].to_numpy() == pytest.approx(1 - p_active, abs=1e-9)
    assert rows["expected_orders_6m"].to_numpy() == pytest.approx(
        bgnbd.expected_purchases(params, 26.0, x, t_x, T), rel=1e-9
    )
    wait_days = 7 * (params.alpha + T) * (2 ** (1 / (params.r + x)) - 1)
    dates = pd.Timestamp("1998-01-01") + pd.to_timedelta(np.floor(wait_days), unit="D")
    assert rows["next_order_date"].tolist() == dates.strftime("%Y-%m-%d").tolist()
    assert rows["historic_spend"].to_numpy() == pytest.approx(mine["monetary_total"].to_numpy())
    assert rows["avg_order_value"].to_numpy() == pytest.approx(mine["monetary_mean"].to_numpy())
    gaps = rows["avg_days_between_orders"].to_numpy(dtype=float)
    assert np.array_equal(np.isnan(gaps), mine["gap_mean_days"].isna().to_numpy())
    assert gaps[~np.isnan(gaps)] == pytest.approx(mine["gap_mean_days"].dropna().to_numpy())
    assert rows["total_clv"].to_numpy() == pytest.approx(
        (mine["monetary_total"] + mine["predicted_clv_6m"]).to_numpy()
    )
    run_rate = mine["monetary_total"] * 181 / np.maximum(mine["tenure_days"], 181)
    assert rows["run_rate_6m"].to_numpy() == pytest.approx(run_rate.to_numpy())
    assert rows["value_at_risk"].to_numpy() == pytest.approx((1 - p_active) * run_rate)
    assert set(rows["group"].dropna()) <= {"High value at risk", "Rising", "New with promise"}


def test_rank_by_value_at_risk_with_a_count(client):
    body = client.get("/api/audience?rank_by=value_at_risk&count=7").get_json()
    assert body["count"] == 7 and body["top_pct"] is None
    rows = body["customers"]
    assert len(rows) == 7
    keys = [(-r["value_at_risk"], r["customer_id"]) for r in rows]
    assert keys == sorted(keys)
    everyone = client.get("/api/audience?rank_by=value_at_risk&top_pct=100&limit=1000").get_json()
    assert max(r["value_at_risk"] for r in everyone["customers"]) == rows[0]["value_at_risk"]


def test_rank_by_p_purchase_paged(client, table):
    body = client.get("/api/audience?rank_by=p_purchase&top_pct=1&limit=50&offset=200").get_json()
    assert body["count"] == 236  # ceil(23570 x 1 / 100)
    rows = body["customers"]
    assert [r["audience_rank"] for r in rows] == list(range(201, 237))
    expected = table.reset_index().sort_values(
        ["p_purchase", "customer_id"], ascending=[False, True]
    )["customer_id"]
    assert [r["customer_id"] for r in rows] == expected.iloc[200:236].tolist()


def test_a_count_beyond_the_customers_is_everyone(client):
    body = client.get("/api/audience?count=999999&offset=23569").get_json()
    assert body["count"] == 23570 and len(body["customers"]) == 1
    assert body["customers"][0]["audience_rank"] == 23570


@pytest.mark.parametrize(
    "query, code, fragment",
    [
        ("rank_by=loyalty", "invalid_parameter", "rank_by must be one of predicted_clv, "),
        ("top_pct=0", "out_of_range", "top_pct must be in (0.0, 100.0], got 0"),
        ("top_pct=101", "out_of_range", "top_pct must be in (0.0, 100.0], got 101"),
        ("top_pct=nan", "invalid_parameter", "top_pct must be finite"),
        ("top_pct=many", "invalid_parameter", "top_pct must be a number, got 'many'"),
        ("count=0", "out_of_range", "count must be in [1, 1000000000], got 0"),
        ("count=2.5", "invalid_parameter", "count must be a number, got '2.5'"),
        ("count=3&top_pct=5", "invalid_parameter", "give top_pct or count, not both"),
        ("limit=0", "out_of_range", "limit must be in [1, 1000], got 0"),
        ("offset=-1", "out_of_range", "offset must be in [0, 1000000000], got -1"),
    ],
)
def test_bad_parameters_are_422(client, query, code, fragment):
    assert fragment in error_of(client.get(f"/api/audience?{query}"), 422, code)


def test_audience_without_artifacts_is_503(empty_settings):
    from tests.conftest import fresh_app

    client = fresh_app(empty_settings).server.test_client()
    error_of(client.get("/api/audience"), 503, "not_ready")


def test_table_filters_by_named_group(client, table, population):
    """The groups recomputed from the parquet: the top 20% by historic spend (ties by id) with
    P(active) < 0.5 are at risk; no order in 6 months and P(purchase) < 0.2 is lapsed unless at
    risk. CDNOW has no customer newer than 282 days, and none rising."""
    params = population.bgnbd
    x = table["frequency"].to_numpy() - 1
    T = table["tenure_days"].to_numpy() / 7
    t_x = np.where(x > 0, T - table["recency_days"].to_numpy() / 7, 0.0)
    dropped = (
        params.a
        / (params.b + x - 1)
        * ((params.alpha + T) / (params.alpha + t_x)) ** (params.r + x)
    )
    p_active = 1 / (1 + np.where(x > 0, dropped, 0.0))
    by_spend = table.reset_index().sort_values(
        ["monetary_total", "customer_id"], ascending=[False, True]
    )["customer_id"]
    high_value = table.index.isin(by_spend.iloc[: int(np.ceil(len(table) * 0.2))])
    at_risk = high_value & (p_active < 0.5)
    lapsed = (
        ~at_risk & (table["orders_6m"] == 0).to_numpy() & (table["p_purchase"] < 0.2).to_numpy()
    )
    for name, mask in (("High value at risk", at_risk), ("Lapsed", lapsed)):
        body = client.get("/api/table", query_string={"group": name, "limit": 1000}).get_json()
        assert body["total"] == mask.sum() > 0
        assert {r["customer_id"] for r in body["rows"]} <= set(table.index[mask])
    for name in ("New with promise", "Rising", "No such group"):
        assert client.get("/api/table", query_string={"group": name}).get_json()["total"] == 0


def test_stored_prediction_carries_the_marketer_fields(client):
    audience = client.get("/api/audience?rank_by=value_at_risk&count=3").get_json()["customers"]
    for row in audience:
        body = client.post(
            "/api/predict?explain=false", json={"customer_id": row["customer_id"]}
        ).get_json()
        marketer = body["marketer"]
        assert set(marketer) == {
            "p_active",
            "churn_risk",
            "expected_orders_6m",
            "next_order_date",
            "avg_days_between_orders",
            "avg_order_value",
            "historic_spend",
            "total_clv",
            "run_rate_6m",
            "value_at_risk",
            "group",
        }
        for key, value in marketer.items():
            expected = pytest.approx(row[key], abs=1e-9) if isinstance(value, float) else row[key]
            assert value == expected  # the audience rows are JSON with 10 decimals
    what_if = {"features": {"frequency": 2, "recency_days": 10, "tenure_days": 100}}
    assert "marketer" not in client.post("/api/predict", json=what_if).get_json()
