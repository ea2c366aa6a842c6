"""Data page, history and rollback in a real browser: upload, map, validate, train, serve."""

import json
import time
from datetime import date
from pathlib import Path

import joblib
import pandas as pd
import psutil
import pytest
from selenium.common.exceptions import ElementClickInterceptedException
from selenium.webdriver.support.select import Select

from portal import registry
from portal.artifacts import METRICS, MODEL, PREPARED
from portal.config import Settings
from portal.publishing import publish
from portal.synth import generate
from tests.browser.conftest import assert_clean_console, click, visit
from tests.conftest import fresh_app

DATA = Path(__file__).parents[1] / "data"
DAY_FIRST = "Day first: 02/01/2024 is 2 January"
MONTH_FIRST = "Month first: 02/01/2024 is February 1"


@pytest.fixture
def data_portal(dash_duo, copied_data_dir):
    """The portal on a private copy of the trained data folder (training here changes it)."""
    app = fresh_app(Settings(data_dir=copied_data_dir))
    dash_duo.start_server(app, host="127.0.0.1")
    return dash_duo, copied_data_dir


def unusual_csv(path, customers: int = 300):
    """SYNTHETIC customers under German column names, with a decoy decimal column first."""
    log, _ = generate(customers, seed=5)
    frame = log.rename(columns={"customer_id": "Kundennummer", "date": "Belegdatum"})
    frame.insert(2, "Rabatt", (frame["amount"] * 0.1).round(2))
    frame = frame.rename(columns={"amount": "Umsatz EUR"})
    frame.to_csv(path, index=False, sep=";")
    return path


def upload(duo, path):
    duo.find_element("#data-upload input[type=file]").send_keys(str(path))
    duo.wait_for_contains_text("#data-file-name", path.name)


def choose(duo, selector: str, label: str):
    """Choose a dropdown option; retried while the page is still moving under the pointer."""
    for _ in range(20):
        dropdown = duo.find_element(selector)
        duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", dropdown)
        try:
            duo.select_dcc_dropdown(dropdown, value=label)
            break
        except ElementClickInterceptedException:
            time.sleep(0.5)
    duo.wait_for_text_to_equal(f"{selector} .dash-dropdown-value", label)


def test_upload_map_validate_train_and_serve(data_portal, tmp_path):
    duo, data_dir = data_portal
    before = registry.current_version(data_dir)
    visit(duo, "/data")
    upload(duo, unusual_csv(tmp_path / "bestellungen.csv"))

    # the German headers are known; the discount decoy is never taken for the amount
    duo.wait_for_text_to_equal("#data-map-amount .dash-dropdown-value", "Umsatz EUR")
    duo.wait_for_text_to_equal("#data-map-customer .dash-dropdown-value", "Kundennummer")
    duo.wait_for_text_to_equal("#data-map-date .dash-dropdown-value", "Belegdatum")

    duo.wait_for_contains_text("#data-verdict", "Ready to train")
    duo.wait_for_text_to_equal("#data-kpi-customers .kpi-value", "300")
    assert duo.find_element("#data-kpi-dates .kpi-value").text.startswith("2022-01-")

    click(duo, "#data-train")
    duo.wait_for_element("#data-new-version", timeout=120)
    version = duo.find_element("#data-new-version").text
    assert version != before and registry.current_version(data_dir) == version
    assert (
        "step" in duo.find_element("#data-status").text
        or "done" in duo.find_element("#data-status").text
    )
    metrics = json.loads((registry.version_dir(data_dir, version) / METRICS).read_text())
    gini = f"{metrics['backtest']['model']['normalized_gini']:.3f}"
    assert metrics["data"]["source"] == "bestellungen.csv" and metrics["customers"] == 300
    duo.wait_for_text_to_equal("#data-new-gini .kpi-value", gini)

    visit(duo, "/")
    duo.wait_for_text_to_equal("#home-kpi-customers .kpi-value", "300")
    duo.wait_for_text_to_equal("#home-kpi-gini .kpi-value", gini)
    assert version in duo.find_element("#home-kpi-asof").text
    assert_clean_console(duo)


def test_a_bad_file_gets_a_row_numbered_report_and_changes_nothing(data_portal, tmp_path):
    duo, data_dir = data_portal
    before = registry.versions(data_dir), registry.current_version(data_dir)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer,date,amount\n"
        "a,2021-01-05,10.00\n"
        "b,yesterday,5.00\n"
        ",2021-02-01,7.50\n"
        "c,2021-02-03,ten\n"
    )
    visit(duo, "/data")
    upload(duo, bad)
    duo.wait_for_contains_text("#data-verdict", "Cannot train on this file yet")
    rows = [r.text for r in duo.find_elements("#data-problems tbody tr")]
    assert rows == [
        "3 customer missing customer id yes",
        "2 date yesterday unparsable date (or outside 1900-2200) yes",
        "4 amount ten non-numeric amount yes",
    ]
    assert "not enough history" in duo.find_element("#data-verdict").text
    assert not duo.find_element("#data-train").is_enabled()
    assert (registry.versions(data_dir), registry.current_version(data_dir)) == before
    assert_clean_console(duo)


def test_predict_shows_history_and_the_model_page_rolls_back(data_portal):
    duo, data_dir = data_portal
    final = data_dir / "final"
    first = registry.current_version(data_dir)
    table = pd.read_parquet(final / PREPARED)
    document = json.loads((final / METRICS).read_text())
    later = table.assign(predicted_clv_6m=table["predicted_clv_6m"] * 2)  # a second run
    publish(data_dir, later, joblib.load(final / MODEL), {**document, "cutoff": "1998-02-01"})
    second = registry.current_version(data_dir)

    visit(duo, "/predict?customer_id=14048")
    duo.wait_for_element("#predict-whatif-clv")  # every callback of the page has answered
    duo.wait_for_element("#predict-history-graph .main-svg")
    points = duo.find_elements("#predict-history-graph .scatterlayer .trace:first-child .point")
    assert len(points) == 2

    visit(duo, "/model")
    duo.wait_for_element("#model-dependence-graph .main-svg")  # its slow callback has answered
    duo.wait_for_element("#model-versions-table")  # read from the database by a callback
    rows = duo.find_elements("#model-versions-table tbody tr")
    assert [r.text.split()[0] for r in rows] == [second, first]
    picker = duo.find_element("#model-version-pick")
    Select(picker).select_by_value(first)
    click(duo, "#model-activate")
    duo.wait_for_contains_text("#model-activate-done", f"Version {first} is now current")
    assert registry.current_version(data_dir) == first
    visit(duo, "/")
    assert first in duo.find_element("#home-kpi-asof").text
    assert_clean_console(duo)


def test_cancel_stops_training_and_publishes_nothing(data_portal, tmp_path):
    duo, data_dir = data_portal
    before = registry.versions(data_dir), registry.current_version(data_dir)
    visit(duo, "/data")
    upload(duo, unusual_csv(tmp_path / "orders.csv", customers=5000))  # ~10 s of training
    duo.wait_for_text_to_equal("#data-map-amount .dash-dropdown-value", "Umsatz EUR")
    duo.wait_for_contains_text("#data-verdict", "Ready to train")
    click(duo, "#data-train")
    duo.wait_for_contains_text("#data-status", "step ", timeout=60)
    training = training_processes(data_dir)
    assert len(training) == 1  # the CLI run the job started, still fitting
    click(duo, "#data-cancel")
    duo.wait_for_contains_text("#data-status", "Cancelled: nothing was published")
    assert still_running(training, wait=30) == []  # nothing left that could publish
    assert training_processes(data_dir) == []
    assert (registry.versions(data_dir), registry.current_version(data_dir)) == before
    assert duo.find_elements("#data-new-version") == []
    assert_clean_console(duo)


def training_processes(data_dir) -> list[psutil.Process]:
    """Running `python -m portal train` processes on an upload of ``data_dir``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        line = process.info["cmdline"] or []
        if line[1:4] == ["-m", "portal", "train"] and any(str(data_dir) in a for a in line):
            found.append(process)
    return still_running(found)


def still_running(processes: list[psutil.Process], wait: float = 0) -> list[psutil.Process]:
    """The processes that still run (a zombie has ended), after waiting up to ``wait`` seconds
    for all of them to end."""
    deadline = time.monotonic() + wait
    while True:
        alive = [p for p in processes if _runs(p)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.2)


def _runs(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def day_first_csv(path, days):
    """Customers k0..k4 buying on each of ``days`` (datetime.date), written DD/MM/YYYY HH:MM."""
    lines = ["Customer,Order date,Total"]
    for i, day in enumerate(days):
        lines.append(f"k{i % 5},{day:%d/%m/%Y} {8 + i % 12:02d}:15,{10 + i % 7}.50")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_dates_show_how_they_were_read_and_an_ambiguous_file_waits_for_a_choice(
    data_portal, tmp_path
):
    duo, _ = data_portal
    visit(duo, "/data")
    days = [date(2022, 1, 2), date(2023, 9, 15), date(2022, 3, 4)]
    upload(duo, day_first_csv(tmp_path / "day_first.csv", days))
    duo.wait_for_text_to_equal("#data-date-format .dash-dropdown-value", DAY_FIRST)
    duo.wait_for_contains_text("#data-date-detected", "day first (DD/MM/YYYY HH:MM)")
    duo.wait_for_text_to_equal(
        "#data-date-samples tbody",
        "1 02/01/2022 08:15 2 January 2022\n2 15/09/2023 09:15 15 September 2023\n"
        "3 04/03/2022 10:15 4 March 2022",
    )

    choose(duo, "#data-date-format", MONTH_FIRST)  # 15/09 cannot be month first
    duo.wait_for_text_to_equal(
        "#data-date-samples tbody",
        "1 02/01/2022 08:15 1 February 2022\n3 04/03/2022 10:15 3 April 2022",
    )
    rows = [r.text for r in duo.find_elements("#data-problems tbody tr")]
    assert rows[0] == "2 Order date 15/09/2023 09:15 unparsable date (or outside 1900-2200) yes"

    # every day is 12 or less: nothing tells, so the file waits for a choice
    ambiguous = [date(2022, m, d) for m in range(1, 13) for d in (1, 7)]
    ambiguous += [date(2023, m, d) for m in range(1, 7) for d in (3, 11)]
    upload(duo, day_first_csv(tmp_path / "ambiguous.csv", ambiguous))
    duo.wait_for_contains_text("#data-verdict", "Cannot train on this file yet")
    assert "'Order date' is ambiguous" in duo.find_element("#data-verdict").text
    assert duo.find_element("#data-date-format").text == "choose: the file does not tell"
    assert not duo.find_element("#data-train").is_enabled()
    choose(duo, "#data-date-format", DAY_FIRST)
    duo.wait_for_contains_text("#data-verdict", "Ready to train")
    duo.wait_for_text_to_equal("#data-kpi-dates .kpi-value", "2022-01-01 … 2023-06-11")
    assert duo.find_element("#data-train").is_enabled()
    assert_clean_console(duo)


def test_a_workbook_offers_its_sheets(data_portal):
    duo, _ = data_portal
    visit(duo, "/data")
    upload(duo, DATA / "uk_orders.xlsx")
    duo.wait_for_text_to_equal("#data-sheet .dash-dropdown-value", "Orders")
    duo.wait_for_text_to_equal("#data-map-date .dash-dropdown-value", "Order Date")
    duo.wait_for_text_to_equal("#data-date-format .dash-dropdown-value", DAY_FIRST)
    duo.wait_for_contains_text("#data-date-samples", "13/01/2024 18:45 13 January 2024")

    choose(duo, "#data-sheet", "Typed")
    duo.wait_for_contains_text("#data-file-name", "sheet Typed")
    duo.wait_for_text_to_equal("#data-map-date .dash-dropdown-value", "Date")
    duo.wait_for_text_to_equal("#data-date-format", "stored as dates in the file")
    duo.wait_for_contains_text("#data-date-detected", "stored as dates in the file")
    duo.wait_for_text_to_equal("#data-kpi-customers .kpi-value", "2")
    assert_clean_console(duo)
