"""A version trained without a backtest, judged later by monitoring, in SQLite and PostgreSQL."""

import shutil

import pandas as pd
import pytest
from sqlalchemy import create_engine, insert, inspect

from portal import __main__ as cli
from portal import analytics, db, features, monitoring, registry
from portal.artifacts import PREPARED
from portal.ingest import fingerprint
from portal.pipeline import train_frame
from tests.conftest import SHORT_CDNOW_LAST_DAY, cdnow_until

SOURCE = "CDNOW_master.txt"


def test_the_short_production_version_is_judged_after_a_retrain(
    tmp_path, database_url, monkeypatch, capsys
):
    short = train_frame(
        cdnow_until(SHORT_CDNOW_LAST_DAY), SOURCE, tmp_path, None, database_url=database_url
    )
    assert short["backtest"]["available"] is False
    assert monitoring.stored_rows(database_url) == []

    # three months later: half the horizon, pro-rated by the version's BG/NBD (no clock at 12 months)
    partial_log = cdnow_until("1998-03-31")
    partial = monitoring.evaluate_all(
        tmp_path, database_url, features.daily(partial_log), fingerprint(partial_log)
    )
    assert [r["version"] for r in partial] == [short["version"]]
    (stored,) = monitoring.stored_rows(database_url)
    assert stored["observed_to"] == "1998-04-01" and stored["share_rule"] == "bgnbd"
    assert stored["fraction_observed"] == pytest.approx(90 / 181)
    assert stored["expected_share"] > stored["fraction_observed"]  # purchases decay with dropout
    assert stored["coverage"] is None
    assert stored["predicted_total"] == pytest.approx(
        stored["predicted_total_horizon"] * stored["expected_share"]
    )
    # the same log again covers no more of the horizon: nothing is recomputed
    again = monitoring.evaluate_all(tmp_path, database_url, features.daily(partial_log), "x")
    assert again == []

    # the retrain on the full log evaluates the older version over its whole horizon
    full_log = cdnow_until()
    retrain = train_frame(full_log, SOURCE, tmp_path, None, database_url=database_url)
    (judged,) = monitoring.stored_rows(database_url)
    assert judged["version"] == short["version"] and judged["mode"] == "production"
    assert judged["observed_to"] == "1998-07-01" and judged["fraction_observed"] == 1.0
    assert judged["share_rule"] == "complete" and judged["expected_share"] == 1.0
    assert judged["data_fingerprint"] == retrain["data"]["fingerprint"]
    assert judged["backtest_gini"] is None

    # independently: the version's parquet and the full log's labels at its cutoff
    table = pd.read_parquet(registry.version_dir(tmp_path, short["version"]) / PREPARED)
    ids = table["customer_id"].to_numpy()
    actual = features.build_labels(features.daily(full_log), ids, pd.Timestamp("1998-01-01"))
    figures = analytics.point_metrics(actual["actual_6m"], table["predicted_clv_6m"], ids)
    for name in ("normalized_gini", "top_decile_capture", "calibration", "decile_mape"):
        assert judged[name] == pytest.approx(figures[name], rel=1e-12), name
    assert judged["realised_total"] == pytest.approx(actual["actual_6m"].sum())
    assert judged["customers"] == 23570

    # the retrain's backtest is `train --cutoff 1998-01-01`: the same model, the same actuals
    backtest = retrain["backtest"]
    assert backtest["cutoff"] == "1998-01-01"
    for name in ("normalized_gini", "top_decile_capture", "calibration", "decile_mape"):
        assert judged[name] == pytest.approx(backtest["model"][name], rel=1e-9), name
    assert judged["coverage"] == pytest.approx(backtest["intervals"]["coverage"], rel=1e-9)
    assert judged["intervals"]["pit_coverage"] == pytest.approx(
        backtest["intervals"]["pit_coverage"], rel=1e-9
    )

    # the CLI prints the stored table
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["monitor"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(short["version"]))
    assert f"{judged['calibration']:.3f}" in line and f"{judged['normalized_gini']:.3f}" in line
    assert "100%" in line


def test_monitor_cli_evaluates_a_given_log(short_data_dir, tmp_path, monkeypatch, capsys):
    data_dir = tmp_path / "data"
    shutil.copytree(short_data_dir, data_dir, symlinks=True)
    orders = tmp_path / "orders.csv"
    cdnow_until("1998-03-31").to_csv(orders, index=False)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["monitor"]) == 0
    assert "no version evaluated yet" in capsys.readouterr().out
    assert cli.main(["monitor", "--transactions", str(orders)]) == 0
    out = capsys.readouterr().out
    assert "evaluated 1 version(s) against orders.csv" in out
    (row,) = monitoring.stored_rows(f"sqlite:///{data_dir / 'clv.db'}")
    line = next(x for x in out.splitlines() if x.startswith(row["version"]))
    assert " 50% " in line and f"{row['calibration']:.3f}" in line and "—" in line
    assert cli.main(["monitor", "--transactions", str(tmp_path / "missing.csv")]) == 2


def test_a_schema_1_database_gains_the_monitoring_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    tables = [db.schema_info, db.model_versions, db.predictions]
    db.metadata.create_all(old, tables=tables)
    with old.begin() as conn:
        conn.execute(insert(db.schema_info).values(version=1))
    db.migrate(old)
    assert "monitoring" in inspect(old).get_table_names()
    with old.connect() as conn:
        assert conn.execute(db.schema_info.select()).scalars().all() == [db.SCHEMA_VERSION] == [2]
