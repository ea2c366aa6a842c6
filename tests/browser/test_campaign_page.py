"""The campaign page in headless Chromium: the optimum follows cost and margin, and the CSV
download is the audience the grid shows."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
from selenium.webdriver.common.keys import Keys

from portal.artifacts import PREPARED
from tests.browser.conftest import assert_clean_console, click, visit

N = 23570


def best_cut(data_dir, cost: float, margin: float, uplift: float = 0.1) -> tuple[int, list]:
    """The most profitable top k by predicted CLV (brute force over every k), and the ranking."""
    table = pd.read_parquet(data_dir / "final" / PREPARED)
    ranked = table.sort_values(["predicted_clv_6m", "customer_id"], ascending=[False, True])
    profit = np.cumsum(margin * uplift * ranked["predicted_clv_6m"].to_numpy() - cost)
    return int(np.argmax(np.concatenate([[0.0], profit]))), ranked["customer_id"].tolist()


def set_box(duo, selector: str, value: str):
    box = duo.find_element(selector)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(value, Keys.ENTER)


def wait_for_download(folder: Path) -> Path:
    """The finished CSV in the browser's download folder (polled, not timed)."""
    for _ in range(200):
        done = [p for p in folder.glob("*.csv") if p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no CSV downloaded into {folder}")


def grid_ids(duo) -> list[str]:
    cells = duo.find_elements("#campaign-audience-grid .ag-center-cols-container .ag-row")
    rows = sorted(cells, key=lambda r: int(r.get_attribute("row-index")))
    return [r.find_element("css selector", "[col-id='customer_id']").text for r in rows]


def test_cost_and_margin_move_the_optimum_and_the_export_matches(portal, data_dir):
    visit(portal, "/campaign")
    default, ranked = best_cut(data_dir, 1.0, 0.3)
    portal.wait_for_contains_text("#campaign-best .kpi-note", f"{default:,} of {N:,} customers")
    portal.wait_for_text_to_equal("#campaign-best .kpi-value", f"top {100 * default / N:.1f}%")
    portal.wait_for_element("#campaign-profit-graph .main-svg")

    set_box(portal, "#campaign-contact-cost", "3")
    set_box(portal, "#campaign-margin", "20")
    dearer, _ = best_cut(data_dir, 3.0, 0.2)
    assert dearer < default
    portal.wait_for_contains_text("#campaign-best .kpi-note", f"{dearer:,} of {N:,} customers")
    portal.wait_for_text_to_equal("#campaign-best .kpi-value", f"top {100 * dearer / N:.1f}%")
    portal.wait_for_contains_text("#campaign-audience-note", f"All {dearer:,} customers shown")
    portal.wait_for_text_to_equal(
        "#campaign-audience-grid .ag-row[row-index='0'] [col-id='customer_id']", ranked[0]
    )

    click(portal, "#campaign-download-button")
    csv = pd.read_csv(wait_for_download(Path(portal.download_path)), dtype={"customer_id": str})
    assert len(csv) == dearer
    assert csv["customer_id"].tolist() == ranked[:dearer]
    shown = grid_ids(portal)
    assert len(shown) >= 10 and shown == csv["customer_id"].tolist()[: len(shown)]
    assert_clean_console(portal)


def test_invalid_box_shows_a_named_alert_and_groups_are_listed(portal):
    visit(portal, "/campaign")
    portal.wait_for_element("#campaign-best")
    set_box(portal, "#campaign-margin", "150")
    portal.wait_for_contains_text("#campaign-invalid", "gross margin must be between 0 and 100%")
    rows = portal.find_elements("#campaign-groups-table tbody tr")
    assert [r.find_element("css selector", "td").text for r in rows] == [
        "High value at risk",
        "New with promise",
        "Rising",
        "Lapsed",
    ]
    assert_clean_console(portal)
