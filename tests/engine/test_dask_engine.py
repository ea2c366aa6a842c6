"""The Dask engine (LocalCluster: 2 workers, 1 thread each) against the pandas engine: the same
predictions, ranks and backtest figures on CDNOW and on a SYNTHETIC log, a partitioned version
served and recorded, and a worker killed while scoring absorbed by Dask."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pandas as pd
import pytest

from portal import dask_cluster, dask_engine, db, pipeline
from portal.__main__ import main
from portal.artifacts import METRICS, PREPARED
from portal.config import CDNOW_CUTOFF, Settings
from portal.ingest import ColumnMap
from portal.intervals import COLUMNS as INTERVAL_COLUMNS
from portal.synth import write_synthetic
from tests.conftest import fresh_app

SYNTH_CUTOFF = "2023-07-01"
SAME = dict(rtol=0, atol=1e-9)  # numpy's tolerance names
CLOSE = dict(rel=0, abs=1e-9)  # pytest.approx's


@pytest.fixture(scope="module")
def client():
    """A LocalCluster bound to 127.0.0.1 with a memory limit per worker, closed after the tests."""
    with dask_cluster.connect(workers=2, memory="1500MiB") as client:
        yield client


def scored(data_dir) -> pd.DataFrame:
    """The current version's table, in customer order (the Dask engine writes it by partition)."""
    table = pd.read_parquet(data_dir / "final" / PREPARED)
    return table.sort_values("customer_id", ignore_index=True)


def metrics(data_dir) -> dict:
    return json.loads((data_dir / "final" / METRICS).read_text())


def assert_same_version(pandas_dir, dask_dir) -> None:
    """Same customers, predictions (to 1e-9), intervals, ranks and backtest figures."""
    expected, actual = scored(pandas_dir), scored(dask_dir)
    assert list(actual.columns) == list(expected.columns)
    assert actual["customer_id"].tolist() == expected["customer_id"].tolist()
    for column in ["predicted_clv_6m", "p_purchase", *INTERVAL_COLUMNS]:
        np.testing.assert_allclose(actual[column], expected[column], **SAME)
    for column in ["rank", "decile", "segment"]:
        assert actual[column].tolist() == expected[column].tolist()
    want, got = metrics(pandas_dir), metrics(dask_dir)
    assert got["data"] == want["data"]  # rows, customers, dates and the fingerprint
    assert got["customers"] == want["customers"]
    for name, figures in want["backtest"]["model"].items():
        assert got["backtest"]["model"][name] == pytest.approx(figures, **CLOSE), name
    pd.testing.assert_frame_equal(
        pd.DataFrame(got["backtest"]["deciles"]), pd.DataFrame(want["backtest"]["deciles"]), **SAME
    )
    assert got["feature_importance"] == pytest.approx(want["feature_importance"], **CLOSE)
    assert [f["psi"] for f in got["drift"]["features"]] == pytest.approx(
        [f["psi"] for f in want["drift"]["features"]], **CLOSE
    )


def test_cdnow_cli_same_as_pandas_served_and_recorded(
    client, data_dir, tmp_path, monkeypatch, capsys
):
    """`train --engine dask --scheduler ...` on CDNOW equals the session's pandas backtest; the
    version's table is a folder of parts that the portal serves and the database holds."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    address = client.scheduler.address
    args = ["--engine", "dask", "--scheduler", address, "--cutoff", CDNOW_CUTOFF]
    assert main(["train", *args]) == 0
    printed = capsys.readouterr().out
    assert "Dask dashboard: http://127.0.0.1:" in printed
    assert "partitions" in printed and "published" in printed
    assert_same_version(data_dir, tmp_path)

    parts = sorted((tmp_path / "final" / PREPARED).glob("part-*.parquet"))
    assert len(parts) == 4  # 2 per worker thread
    recorded = db.list_versions(Settings(data_dir=tmp_path).database_url)
    assert [v["customers"] for v in recorded] == [23_570]
    served = fresh_app(Settings(data_dir=tmp_path)).server.test_client()
    expected = fresh_app(Settings(data_dir=data_dir)).server.test_client()
    top = served.get("/api/elite?top_pct=1").get_json()["customers"]
    want = expected.get("/api/elite?top_pct=1").get_json()["customers"]
    assert [c["customer_id"] for c in top] == [c["customer_id"] for c in want]
    assert [c["predicted_clv_6m"] for c in top] == pytest.approx(
        [c["predicted_clv_6m"] for c in want], **CLOSE
    )
    history = served.get(f"/api/customers/{top[0]['customer_id']}/history").get_json()
    assert [p["predicted_clv_6m"] for p in history["points"]] == pytest.approx(
        [top[0]["predicted_clv_6m"]], **CLOSE
    )

    assert main(["retrain", *args]) == 0
    printed = capsys.readouterr().out
    assert "unchanged" in printed
    assert "partitioned:" not in printed  # decided on the parts as read, before the shuffle's end
    assert len(db.list_versions(Settings(data_dir=tmp_path).database_url)) == 1


def test_synthetic_same_as_pandas_with_a_worker_killed_while_scoring(client, tmp_path):
    """20,000 SYNTHETIC customers: a worker killed (SIGKILL) while the scored table is written
    is restarted by its nanny, its partitions recomputed, and the version is the pandas one."""
    log = write_synthetic(20_000, 0, tmp_path / "synthetic.parquet")
    pipeline.run(log, tmp_path / "pandas", ColumnMap(), SYNTH_CUTOFF, seed=0)
    killed = []

    def kill_a_worker(line: str) -> None:
        if line.startswith("  writing the scored table") and not killed:
            pid = next(iter(client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    dask_engine.train_source(
        log, tmp_path / "dask", ColumnMap(), SYNTH_CUTOFF, 0, client=client, report=kill_a_worker
    )
    assert killed
    assert_same_version(tmp_path / "pandas", tmp_path / "dask")
