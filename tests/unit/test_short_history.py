"""Production mode on a log too short for its own backtest: CDNOW cut at 1997-12-31."""

import json

import pandas as pd
import pytest

from portal import db, registry
from portal.artifacts import METRICS, PREPARED, backtest_available
from portal.config import Settings
from portal.cutoffs import run_cutoffs
from tests.conftest import SHORT_CDNOW_LAST_DAY, cdnow_until, fresh_app


def test_twelve_months_train_and_score_without_a_backtest():
    log = cdnow_until(SHORT_CDNOW_LAST_DAY)
    score, backtest = run_cutoffs(log["date"].min(), log["date"].max(), None)
    assert (score, backtest) == (pd.Timestamp("1998-01-01"), None)


def test_metrics_say_no_backtest_was_possible(short_data_dir):
    metrics = json.loads((short_data_dir / "final" / METRICS).read_text())
    assert metrics["mode"] == "production" and metrics["cutoff"] == "1998-01-01"
    assert metrics["backtest"] == {"available": False, "note": metrics["backtest"]["note"]}
    assert "no backtest was possible" in metrics["backtest"]["note"]
    assert "12 months of history before 1998-01-01" in metrics["backtest"]["note"]
    assert not backtest_available(metrics)
    assert metrics["customers"] == 23570 and metrics["intervals"]["available"]
    listed = db.list_versions(Settings(data_dir=short_data_dir).database_url)
    assert [v["normalized_gini"] for v in listed] == [None]


def test_the_production_model_scores_as_the_backtest_at_the_same_cutoff(short_data_dir, data_dir):
    """Cut at 1997-12-31, production mode scores at 1998-01-01 from exactly what the backtest at
    1998-01-01 on the full log learns from: the same predictions."""
    short = pd.read_parquet(short_data_dir / "final" / PREPARED).set_index("customer_id")
    full = pd.read_parquet(data_dir / "final" / PREPARED).set_index("customer_id")
    assert "actual_6m" not in short and "actual_6m" in full
    assert short.index.sort_values().equals(full.index.sort_values())
    pd.testing.assert_series_equal(
        short["predicted_clv_6m"], full.loc[short.index, "predicted_clv_6m"], rtol=1e-9
    )


@pytest.fixture
def short_request(short_data_dir):
    app = fresh_app(Settings(data_dir=short_data_dir))
    with app.server.test_request_context():
        yield app


def test_overview_model_and_meta_show_the_warning(short_request, short_data_dir):
    from portal.pages import home, model

    note = json.loads((short_data_dir / "final" / METRICS).read_text())["backtest"]["note"]
    overview = str(home.layout())
    assert "home-no-backtest" in overview and note in overview
    assert "no backtest possible" in overview
    page = str(model.layout())
    assert "model-no-backtest" in page and note in page
    assert "model-metrics-table" not in page
    meta = short_request.server.test_client().get("/api/meta").get_json()
    assert meta["backtest"] == {"available": False, "note": note}
    assert registry.current_version(short_data_dir) == meta["version"]


def test_the_data_page_result_shows_the_warning(short_data_dir):
    from portal.pages.data_views import result_view

    document = json.loads((short_data_dir / "final" / METRICS).read_text())
    card = str(result_view(document))
    assert "data-no-backtest" in card and "data-new-gini" not in card
