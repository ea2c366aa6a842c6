"""Versions and per-customer predictions recorded in SQLite and PostgreSQL across real runs."""

import pandas as pd
import pytest
from sqlalchemy import insert

from portal import db, registry
from portal.artifacts import PREPARED
from portal.ingest import ColumnMap
from portal.pipeline import run


def _prediction(data_dir, version: str, customer: str) -> float:
    table = pd.read_parquet(registry.version_dir(data_dir, version) / PREPARED)
    return float(table.set_index("customer_id").at[customer, "predicted_clv_6m"])


def test_two_runs_give_a_two_point_history(tmp_path, database_url, small_logs):
    first = run(small_logs[0], tmp_path, ColumnMap(), database_url=database_url, trained_by="ann")
    second = run(small_logs[1], tmp_path, ColumnMap(), database_url=database_url, trained_by="bo")
    assert first["cutoff"] < second["cutoff"]

    customer = "S0000007"
    history = db.customer_history(database_url, customer)
    assert [h["version"] for h in history] == [first["version"], second["version"]]
    assert [h["cutoff"] for h in history] == [first["cutoff"], second["cutoff"]]
    for point, doc in zip(history, (first, second)):
        assert point["predicted_clv_6m"] == pytest.approx(
            _prediction(tmp_path, doc["version"], customer), rel=1e-12
        )
        assert point["trained_at"] == doc["trained_at"]
        assert point["segment"] in {"Elite", "High", "Medium", "Low"}
        assert 1 <= point["decile"] <= 10 and 0 <= point["p_purchase"] <= 1
    assert db.customer_history(database_url, "nobody") == []

    listed = db.list_versions(database_url)
    assert [v["version"] for v in listed] == [second["version"], first["version"]]
    newest = listed[0]
    assert newest["trained_by"] == "bo" and newest["mode"] == "production"
    assert newest["fingerprint"] == second["data"]["fingerprint"]
    assert newest["rows"] == second["data"]["rows"] and newest["customers"] == 300
    assert newest["first_date"] == second["data"]["first_date"]
    assert newest["training_from"] == second["training_cutoffs"][0]
    assert newest["training_to"] == second["training_cutoffs"][-1]
    assert newest["last_date"] == second["data"]["last_date"]
    assert registry.current_version(tmp_path) == second["version"]


def test_migrate_is_idempotent_and_refuses_a_newer_schema(database_url):
    engine = db.engine(database_url)
    db.migrate(engine)
    with engine.begin() as conn:
        versions = conn.execute(db.schema_info.select()).scalars().all()
        assert versions == [db.SCHEMA_VERSION]
        conn.execute(insert(db.schema_info).values(version=db.SCHEMA_VERSION + 1))
    with pytest.raises(db.SchemaTooNew, match="newer"):
        db.migrate(engine)


def test_heroku_style_urls_use_psycopg():
    assert db.normalise_url("postgres://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert db.normalise_url("postgresql://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert db.normalise_url("sqlite:///x.db") == "sqlite:///x.db"
