"""Every page in headless Chromium: renders, behaves, and logs no console errors."""

import math

import pytest
from selenium.webdriver.common.keys import Keys

from portal.components import money
from tests.browser.conftest import assert_clean_console, click, visit

N = 23570


def test_overview(portal):
    visit(portal, "/")
    portal.wait_for_text_to_equal("#home-kpi-customers .kpi-value", f"{N:,}")
    portal.wait_for_element("#home-gain-graph .main-svg")
    assert "1998-01-01" in portal.find_element("#home-kpi-asof").text
    assert_clean_console(portal)


def test_lift(portal):
    visit(portal, "/lift")
    portal.wait_for_element("#lift-graph .main-svg")
    portal.wait_for_element("#lift-calibration-graph .main-svg")
    rows = portal.find_elements("#lift-table tbody tr")
    assert len(rows) == 10
    assert rows[0].text.startswith("1 2,357")
    assert_clean_console(portal)


def test_segments_input_sets_elite_count(portal):
    visit(portal, "/segments")
    portal.wait_for_text_to_equal("#segments-count .kpi-value", f"{math.ceil(N * 5 / 100):,}")
    box = portal.find_element("#segments-top-pct")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("12.5", Keys.ENTER)
    portal.wait_for_text_to_equal("#segments-count .kpi-value", f"{math.ceil(N * 12.5 / 100):,}")
    portal.wait_for_element("#segments-pareto-graph .main-svg")
    portal.wait_for_element("#segments-grid .ag-row")
    assert_clean_console(portal)


def first_cell(duo, column):
    selector = f"#customers-grid .ag-row[row-index='0'] .ag-cell[col-id='{column}']"
    return duo.wait_for_element(selector)


def test_customers_pages_and_sorts_on_the_server(portal, client):
    visit(portal, "/customers")
    portal.wait_for_text_to_equal(
        "#customers-grid .ag-row[row-index='0'] .ag-cell[col-id='rank']", "1"
    )
    portal.wait_for_text_to_equal("#customers-total", f"{N:,} customers match")
    click(portal, "#customers-grid .ag-paging-button[aria-label='Next Page']")
    portal.wait_for_text_to_equal(
        "#customers-grid .ag-row[row-index='50'] .ag-cell[col-id='rank']", "51"
    )
    click(portal, "#customers-grid .ag-header-cell[col-id='recency_days'] .ag-header-cell-label")
    smallest = client.get("/api/table?sort=recency_days&order=asc&limit=1").get_json()["rows"][0]
    portal.wait_for_text_to_equal(
        "#customers-grid .ag-row[row-index='0'] .ag-cell[col-id='recency_days']",
        f"{smallest['recency_days']:g}",
    )
    assert_clean_console(portal)


def test_customers_search_and_row_click_open_predict(portal):
    visit(portal, "/customers")
    search = portal.find_element("#customers-search")
    search.send_keys("1404", Keys.ENTER)
    portal.wait_for_text_to_equal("#customers-total", "10 customers match")
    cell = first_cell(portal, "customer_id")
    customer = cell.text
    assert customer.startswith("1404")
    cell.click()
    portal.wait_for_text_to_equal("#predict-title", f"Customer {customer}")
    assert f"customer_id={customer}" in portal.driver.current_url
    assert_clean_console(portal)


def test_predict_matches_api_and_what_if_updates(portal, client):
    expected = client.post("/api/predict", json={"customer_id": "14048"}).get_json()
    visit(portal, "/predict?customer_id=14048")
    portal.wait_for_text_to_equal("#predict-clv .kpi-value", money(expected["predicted_clv_6m"]))
    portal.wait_for_text_to_equal("#predict-whatif-clv", money(expected["predicted_clv_6m"]))
    recency = portal.find_element(
        """input[id='{"name":"recency_days","type":"predict-feature"}']"""
    )
    recency.send_keys(Keys.CONTROL, "a")
    recency.send_keys("300")
    features = dict(expected["features"], recency_days=300.0)
    what_if = client.post("/api/predict", json={"features": features}).get_json()
    portal.wait_for_text_to_equal("#predict-whatif-clv", money(what_if["predicted_clv_6m"]))
    assert_clean_console(portal)


def test_pages_show_the_80pct_ranges(portal, client):
    meta = client.get("/api/meta").get_json()["intervals"]["total"]
    visit(portal, "/")
    portal.wait_for_contains_text(
        "#home-kpi-revenue .kpi-note", f"80% range {money(meta['low'])} – {money(meta['high'])}"
    )
    visit(portal, "/segments")
    summary = client.get("/api/elite?top_pct=5&limit=1").get_json()["summary"]
    portal.wait_for_contains_text(
        "#segments-value .kpi-note",
        f"80% range {money(summary['predicted_low'])} – {money(summary['predicted_high'])}",
    )
    top = client.get("/api/table?limit=1").get_json()["rows"][0]
    portal.wait_for_text_to_equal(
        "#segments-grid .ag-row[row-index='0'] .ag-cell[col-id='clv_p90']", money(top["clv_p90"])
    )
    expected = client.post("/api/predict", json={"customer_id": "14048"}).get_json()
    visit(portal, "/predict?customer_id=14048")
    band = f"80% range {money(expected['clv_p10'])} – {money(expected['clv_p90'])}"
    portal.wait_for_text_to_equal("#predict-clv .kpi-note", band)
    portal.wait_for_contains_text("#predict-whatif-range", band)
    portal.wait_for_contains_text("#predict-past-graph", "80% range")
    visit(portal, "/model")
    portal.wait_for_element("#model-coverage-graph .main-svg")
    coverage = client.get("/api/meta").get_json()["backtest"]["intervals"]["pit_coverage"]
    portal.wait_for_contains_text("#model-coverage", f"PIT coverage {coverage:.1%}")
    assert_clean_console(portal)


def test_predict_unknown_id_shows_alert(portal):
    visit(portal, "/predict")
    box = portal.find_element("#predict-customer-id")
    box.send_keys("no-such-customer", Keys.ENTER)
    portal.wait_for_contains_text("#predict-unknown", "No customer with id 'no-such-customer'")
    assert_clean_console(portal)


def test_model_page(portal):
    visit(portal, "/model")
    rows = portal.find_elements("#model-metrics-table tbody tr")
    assert [r.text.split(" (")[0].split(" 0.")[0] for r in rows][0].startswith("Our model")
    assert len(rows) == 4 and rows[3].text.startswith("BG/NBD + Gamma-Gamma 0.7")
    portal.wait_for_element("#model-importance-graph .main-svg")
    details = portal.find_element("#model-details").text
    assert "1997-02-01" in details
    assert "12 months of history before the cutoff: a season needs 13" in details
    assert "no validation window" in details
    assert_clean_console(portal)


def test_unknown_path_shows_404(portal):
    visit(portal, "/no/such/page")
    portal.wait_for_contains_text("#not-found", "Page not found")
    assert_clean_console(portal)


@pytest.mark.parametrize("path", ["/", "/segments"])
def test_pages_without_artifacts_show_alert(dash_duo, empty_settings, path):
    from tests.conftest import fresh_app

    dash_duo.start_server(fresh_app(empty_settings), host="127.0.0.1")
    visit(dash_duo, path)
    dash_duo.wait_for_contains_text(".alert-warning", "No model yet")
    assert_clean_console(dash_duo)


def test_predict_waterfall_and_reasons(portal):
    visit(portal, "/predict?customer_id=14048")
    portal.wait_for_element("#predict-waterfall-graph .main-svg")
    portal.wait_for_contains_text("#predict-waterfall-graph", "Why this prediction")
    ticks = [t.text for t in portal.find_elements("#predict-waterfall-graph .xtick text")]
    assert ticks[0] == "Baseline" and ticks[-1] == "Prediction"
    assert len(portal.find_elements("#predict-reasons li")) == 3
    assert_clean_console(portal)


def test_model_dependence_plot(portal):
    visit(portal, "/model")
    portal.wait_for_element("#model-dependence-graph .main-svg")
    portal.wait_for_contains_text("#model-dependence-graph", "Dependence:")
    assert_clean_console(portal)


def test_segments_slider_sets_elite_count(portal):
    visit(portal, "/segments")
    portal.wait_for_text_to_equal("#segments-count .kpi-value", f"{math.ceil(N * 5 / 100):,}")
    thumb = portal.find_element("#segments-top-pct-slider [role='slider']")
    thumb.send_keys(Keys.END)  # the slider's maximum: 100%
    portal.wait_for_text_to_equal("#segments-count .kpi-value", f"{N:,}")
    thumb.send_keys(Keys.HOME, Keys.ARROW_RIGHT)  # minimum 0.5%, then one 0.5 step: 1%
    portal.wait_for_text_to_equal("#segments-count .kpi-value", f"{math.ceil(N * 1 / 100):,}")
    assert portal.find_element("#segments-top-pct").get_attribute("value") == "1"
    assert_clean_console(portal)
