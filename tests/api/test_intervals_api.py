"""Prediction intervals through the API, field by field, against the stored table and the model."""

import json

import joblib
import numpy as np
import pandas as pd
import pytest

from portal import intervals
from portal.artifacts import MODEL, PREPARED
from portal.config import Settings

COLUMNS = ["clv_p10", "clv_p50", "clv_p90"]


@pytest.fixture(scope="module")
def table(data_dir):
    return pd.read_parquet(data_dir / "final" / PREPARED)


@pytest.fixture(scope="module")
def model(data_dir):
    return joblib.load(data_dir / "final" / MODEL)


def test_stored_intervals_are_ordered_and_nonnegative(table):
    bounds = table[COLUMNS].to_numpy()
    assert np.isfinite(bounds).all() and (bounds >= 0).all()
    assert (np.diff(bounds, axis=1) >= 0).all()
    # a zero-inflated spend: most P10s sit on the mass at 0, the top customers' do not
    assert (table["clv_p10"] == 0).mean() > 0.5
    assert (table.loc[table["rank"] <= 100, "clv_p10"] > 0).any()


@pytest.mark.parametrize("position", [0, 500, 23_000])
def test_predict_stored_and_what_if_give_the_same_interval(client, table, position):
    row = table.sort_values("rank").iloc[position]
    stored = client.post("/api/predict?explain=false", json={"customer_id": row["customer_id"]})
    body = stored.get_json()
    assert stored.status_code == 200
    for column in COLUMNS:
        assert body[column] == pytest.approx(row[column], rel=1e-12)
    assert body["interval_level"] == 0.8
    what_if = client.post("/api/predict?explain=false", json={"features": body["features"]})
    assert what_if.status_code == 200, what_if.get_json()
    same = what_if.get_json()
    assert same["predicted_clv_6m"] == pytest.approx(body["predicted_clv_6m"], rel=1e-12)
    for column in [*COLUMNS, "interval_level", "decile"]:
        assert same[column] == pytest.approx(body[column], rel=1e-12)


def test_table_and_elite_carry_the_interval_columns(client, table, model):
    rows = client.get("/api/table?limit=5").get_json()["rows"]
    top = table.sort_values("rank").head(5)
    for got, (_, want) in zip(rows, top.iterrows()):
        assert [got[c] for c in COLUMNS] == pytest.approx(want[COLUMNS].tolist(), rel=1e-9)
    elite = client.get("/api/elite?top_pct=5&limit=1").get_json()
    summary = elite["summary"]
    chosen = table.sort_values("rank").head(summary["count"])
    total = model.intervals.total(chosen["predicted_clv_6m"], chosen["p_purchase"])
    assert summary["predicted_low"] == pytest.approx(total["low"])
    assert summary["predicted_high"] == pytest.approx(total["high"])
    assert summary["predicted_low"] < summary["predicted_value"] < summary["predicted_high"]
    assert summary["interval_level"] == 0.8
    assert [elite["customers"][0][c] for c in COLUMNS] == pytest.approx(
        chosen[COLUMNS].iloc[0].tolist()
    )


def test_meta_reports_the_total_range_and_backtest_coverage(client, data_dir, table, model):
    meta = client.get("/api/meta").get_json()
    metrics = json.loads((data_dir / "final" / "metrics.json").read_text())
    served = meta["intervals"]
    assert served["available"] is True and served["level"] == 0.8
    assert served["total"]["total"] == pytest.approx(table["predicted_clv_6m"].sum())
    assert served["total"]["low"] == pytest.approx(
        model.intervals.total(table["predicted_clv_6m"], table["p_purchase"])["low"]
    )
    backtest = meta["backtest"]["intervals"]
    assert backtest == metrics["backtest"]["intervals"]
    actual = table["actual_6m"].to_numpy()
    inside = (actual >= table["clv_p10"]) & (actual <= table["clv_p90"])
    assert backtest["coverage"] == pytest.approx(inside.mean())
    pit = model.intervals.pit_coverage(table["predicted_clv_6m"], table["p_purchase"], actual)
    assert backtest["pit_coverage"] == pytest.approx(pit.mean())
    assert [d["decile"] for d in backtest["deciles"]] == list(range(1, 11))
    top = table["decile"] == 1
    assert backtest["deciles"][0]["coverage"] == pytest.approx(inside[top].mean())
    assert backtest["total"]["actual"] == pytest.approx(actual.sum())
    assert backtest["total"]["contains_actual"] == (
        backtest["total"]["low"] <= actual.sum() <= backtest["total"]["high"]
    )


def test_a_version_without_intervals_answers_null(copied_data_dir):
    from tests.conftest import fresh_app

    final = copied_data_dir / "final"
    saved = joblib.load(final / MODEL)
    saved.intervals = None
    joblib.dump(saved, final / MODEL)
    table = pd.read_parquet(final / PREPARED).drop(columns=COLUMNS)
    table.to_parquet(final / PREPARED)
    client = fresh_app(Settings(data_dir=copied_data_dir)).server.test_client()
    body = client.post("/api/predict?explain=false", json={"customer_id": "1"}).get_json()
    assert [body[c] for c in [*COLUMNS, "interval_level"]] == [None] * 4
    row = client.get("/api/table?limit=1").get_json()["rows"][0]
    assert [row[c] for c in COLUMNS] == [None] * 3
    summary = client.get("/api/elite?top_pct=5&limit=1").get_json()["summary"]
    assert summary["predicted_low"] is None and summary["predicted_high"] is None
    assert intervals.fields(None, 1.0, 0.5)["clv_p90"] is None
