"""Portal: time until the overview is interactive in headless Chromium, and the customers table's
page-change latency, with 1M (or ``--customers 10000000``: 10M) SYNTHETIC customers behind
gunicorn (2 workers)."""

from __future__ import annotations

import argparse
import statistics
import time

from common import million_customer_artifacts, save
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.serve import gunicorn

PAGE_CHANGES = 10


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def wait_for(driver, selector: str, timeout: float = 60):
    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, selector))
    )


def cell(row: int) -> str:
    return f"#customers-grid .ag-row[row-index='{row}'] .ag-cell[col-id='rank']"


def main(customers: int = 1_000_000) -> dict:
    data_dir, _ = million_customer_artifacts(customers)
    driver = browser()
    try:
        with gunicorn(data_dir, workers=2) as (url, _):
            loads = []
            for _ in range(3):
                started = time.perf_counter()
                driver.get(url + "/")
                wait_for(driver, "#home-gain-graph .main-svg")
                loads.append(time.perf_counter() - started)
            driver.get(url + "/customers")
            wait_for(driver, cell(0))
            changes = []
            for page in range(1, PAGE_CHANGES + 1):
                button = driver.find_element(
                    By.CSS_SELECTOR, "#customers-grid .ag-paging-button[aria-label='Next Page']"
                )
                started = time.perf_counter()
                driver.execute_script("arguments[0].click();", button)
                wait_for(driver, cell(page * 50))
                changes.append(time.perf_counter() - started)
    finally:
        driver.quit()
    result = {
        "customers": customers,
        "overview_interactive_s": {"first": loads[0], "median": statistics.median(loads)},
        "customers_page_change_ms": {
            "median": statistics.median(changes) * 1000,
            "max": max(changes) * 1000,
        },
    }
    print(
        f"  overview interactive: first {loads[0]:.2f} s, median of 3 "
        f"{statistics.median(loads):.2f} s"
    )
    print(
        f"  customers page change (click -> rows shown): median "
        f"{result['customers_page_change_ms']['median']:.0f} ms, max "
        f"{result['customers_page_change_ms']['max']:.0f} ms over {PAGE_CHANGES} pages"
    )
    save("portal" if customers == 1_000_000 else f"portal_{customers}", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    main(parser.parse_args().customers)
