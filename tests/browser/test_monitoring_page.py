"""The monitoring page, the overview's monitoring banner and the no-backtest warnings, in Chromium."""

import shutil

import pytest
from sqlalchemy import update

from portal import db, monitoring
from portal.config import Settings
from tests.browser.conftest import assert_clean_console, settled, visit
from tests.conftest import fresh_app

LOAD = 30  # seconds a first page may take to render on a busy 2-core machine (a wait, not a check)


def serve(duo, data_dir):
    duo.start_server(fresh_app(Settings(data_dir=data_dir)), host="127.0.0.1")
    return duo


def test_a_version_without_backtest_says_so_and_is_not_yet_monitored(dash_duo, short_data_dir):
    duo = serve(dash_duo, short_data_dir)
    visit(duo, "/")
    duo.wait_for_contains_text("#home-no-backtest", "no backtest was possible", timeout=LOAD)
    duo.wait_for_contains_text("#home-kpi-gini", "no backtest possible")
    settled(duo)  # the monitoring banner's callback has answered
    assert not duo.driver.find_elements("css selector", "#home-monitoring-warning")
    visit(duo, "/model")
    duo.wait_for_contains_text("#model-no-backtest", "needs 6 more")
    visit(duo, "/monitoring")
    duo.wait_for_contains_text("#monitoring-empty", "No version has an observed horizon yet")
    assert_clean_console(duo)


def test_the_monitoring_page_shows_each_version_and_its_deciles(dash_duo, monitored_data_dir):
    url = Settings(data_dir=monitored_data_dir).database_url
    (row,) = monitoring.overview(monitored_data_dir, url)
    e = row["evaluation"]
    duo = serve(dash_duo, monitored_data_dir)
    visit(duo, "/monitoring")
    line = "#monitoring-table tbody tr:nth-child(1)"
    duo.wait_for_contains_text(line, row["version"], timeout=LOAD)
    text = duo.find_element(line).text
    assert f"{e['calibration']:.3f}" in text and f"{e['normalized_gini']:.3f}" in text
    assert "100% (to 1998-07-01)" in text and "serving" in text
    assert f"{e['coverage']:.1%}" in text
    duo.wait_for_element("#monitoring-totals-graph .main-svg")
    duo.wait_for_element("#monitoring-quality-graph .main-svg")
    duo.wait_for_contains_text("#monitoring-deciles-graph", f"Deciles of {row['version']}")
    top = monitoring.detail(monitored_data_dir, url, row["version"])["drift"]["features"][0]
    duo.wait_for_contains_text("#monitoring-drift-table tbody tr:nth-child(1)", top["feature"])
    assert f"{top['psi']:.3f}" in duo.find_element("#monitoring-drift-table tbody tr").text
    visit(duo, "/")
    duo.wait_for_element("#home-kpi-gini")
    settled(duo)  # the monitoring banner's callback has answered
    assert not duo.driver.find_elements("css selector", "#home-monitoring-warning")
    assert_clean_console(duo)


@pytest.fixture
def drifting_data_dir(monitored_data_dir, tmp_path):
    """A copy whose serving version realised a calibration of 1.25."""
    root = tmp_path / "data"
    shutil.copytree(monitored_data_dir, root, symlinks=True)
    engine = db.engine(Settings(data_dir=root).database_url)
    with engine.begin() as conn:
        conn.execute(update(db.monitoring).values(calibration=1.25))
    return root


def test_the_overview_warns_when_the_serving_version_is_off(dash_duo, drifting_data_dir):
    duo = serve(dash_duo, drifting_data_dir)
    visit(duo, "/")
    warning = "realised calibration 1.250 is outside"
    duo.wait_for_contains_text("#home-monitoring-warning", warning, timeout=LOAD)
    duo.wait_for_contains_text("#home-monitoring-warning", "0.9-1.1")
    visit(duo, "/monitoring")
    duo.wait_for_contains_text("#monitoring-table tbody tr.table-danger", "warning")
    assert_clean_console(duo)
