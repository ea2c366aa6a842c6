"""Real export shapes (tests/data/, see its README) read with the guessed mapping to the exact
hand-computed (customer, day, amount) rows."""

from pathlib import Path

import pytest

from portal.ingest import ColumnMap, load_transactions
from portal.readers import read_raw
from portal.validation import guess_mapping

DATA = Path(__file__).parents[1] / "data"


def read_with_guess(name: str, **chosen) -> list[tuple[str, str, float]]:
    path = DATA / name
    guess = guess_mapping(read_raw(path, chosen.get("sheet")))
    frame = load_transactions(path, ColumnMap(**{**guess, **chosen}))
    return [(c, str(d.date()), a) for c, d, a in frame[["customer_id", "date", "amount"]].values]


def rows(text: str) -> list[tuple[str, str, float]]:
    """'customer day amount' lines as sorted tuples (the order ingest returns)."""
    parsed = [line.split() for line in text.strip().splitlines()]
    return sorted((c, d, float(a)) for c, d, a in parsed)


def assert_rows(actual, expected):
    assert [(c, d) for c, d, _ in sorted(actual)] == [(c, d) for c, d, _ in expected]
    assert [a for *_, a in sorted(actual)] == pytest.approx([a for *_, a in expected], abs=1e-9)


def test_shopify_orders_count_on_the_utc_day():
    # Created at carries -0500/-0400: an evening order counts on the next UTC day
    assert_rows(
        read_with_guess("shopify_orders.csv"),
        rows("""
            ann@example.com 2023-01-05 54.00
            ann@example.com 2023-02-02 35.00
            ann@example.com 2023-05-18 33.30
            ann@example.com 2023-11-05 61.00
            bob@example.com 2023-01-10 120.50
            bob@example.com 2023-03-01 42.00
            bob@example.com 2023-07-21 99.99
            bob@example.com 2024-02-29 66.60
            cy@example.com 2023-01-17 19.99
            cy@example.com 2023-04-04 64.25
            cy@example.com 2023-12-12 27.45
            dee@example.com 2023-02-15 89.90
            dee@example.com 2023-06-30 12.50
            dee@example.com 2024-01-15 18.00
            eve@example.com 2023-03-13 15.00
            eve@example.com 2023-08-08 8.08
            eve@example.com 2024-03-20 24.99
            fay@example.com 2023-05-01 210.00
            fay@example.com 2023-09-15 150.00
            fay@example.com 2024-04-12 58.00
            gus@example.com 2023-06-06 77.00
            gus@example.com 2023-11-24 300.00
            hal@example.com 2023-10-03 45.60
            hal@example.com 2024-01-01 1250.00
        """),
    )


def test_stripe_payments_with_thousands_separators():
    assert_rows(
        read_with_guess("stripe_payments.csv"),
        rows("""
            cus_PA01 2023-01-03 25.00
            cus_PA01 2023-02-03 25.00
            cus_PA01 2023-03-03 25.00
            cus_PA01 2023-04-03 25.00
            cus_PB02 2023-01-03 49.00
            cus_PB02 2023-02-03 49.00
            cus_PB02 2023-05-31 49.00
            cus_PB02 2024-03-30 0.50
            cus_PC03 2023-01-28 1250.00
            cus_PC03 2023-05-05 2000.00
            cus_PD04 2023-02-17 9.99
            cus_PD04 2023-04-13 9.99
            cus_PD04 2023-07-01 9.99
            cus_PD04 2023-10-14 9.99
            cus_PE05 2023-03-21 310.40
            cus_PE05 2023-07-19 120.00
            cus_PE05 2023-11-27 310.40
            cus_PF06 2023-06-12 75.50
            cus_PF06 2023-08-25 75.50
            cus_PF06 2023-12-18 75.50
            cus_PG07 2023-09-09 1099.95
            cus_PG07 2024-02-13 1099.95
            cus_PH08 2023-11-02 60.00
            cus_PH08 2024-01-08 60.00
        """),
    )


def test_uci_line_items_are_quantity_times_price_and_cancellations_are_returns():
    assert_rows(
        read_with_guess("uci_online_retail_ii.csv"),
        rows("""
            13085 2009-12-01 83.40
            13085 2009-12-01 81.00
            13085 2009-12-01 100.80
            13085 2009-12-01 30.60
            13085 2010-02-22 51.00
            13078 2009-12-01 59.50
            13078 2009-12-01 98.10
            13078 2010-03-03 39.60
            16321 2009-12-01 -35.40
            16321 2009-12-01 -9.90
            16321 2009-12-13 30.00
            16321 2010-04-01 14.85
            17850 2009-12-14 25.50
            17850 2009-12-14 12.60
            17850 2010-01-05 25.50
            17850 2010-03-15 16.50
            12583 2010-01-07 204.00
            12583 2010-01-07 54.00
            12583 2010-01-08 -25.50
            12583 2010-04-28 232.00
            12583 2010-04-29 -23.20
            14911 2010-01-19 50.40
            14911 2010-02-02 81.60
            14911 2010-05-10 72.00
        """),
    )


def test_german_semicolon_windows_1252_file_with_decimal_commas():
    assert_rows(
        read_with_guess("german_semicolon_cp1252.csv"),
        rows("""
            K-1001 2024-01-05 1234.50
            K-1001 2024-01-19 2499.00
            K-1001 2024-04-03 12.50
            K-1001 2024-08-06 149.00
            K-1002 2024-01-08 59.80
            K-1002 2024-02-06 -29.90
            K-1002 2024-05-07 19.99
            K-1003 2024-01-12 34.99
            K-1003 2024-03-01 119.90
            K-1003 2024-06-18 899.00
            K-1004 2024-02-02 29.95
            K-1004 2024-03-22 74.85
            K-1004 2024-07-23 59.70
            K-1005 2024-02-14 189.00
            K-1005 2024-04-30 45.00
            K-1005 2024-08-27 35.88
            K-1006 2024-03-11 1049.00
            K-1006 2024-06-04 23.96
            K-1007 2024-04-15 649.00
            K-1007 2024-07-09 1349.90
            K-1008 2024-05-21 1199.00
            K-1008 2024-06-25 -100.00
        """),
    )


def test_uk_spreadsheet_with_day_first_text_dates():
    assert_rows(
        read_with_guess("uk_orders.xlsx"),
        rows("""
            1001 2024-01-05 24.99
            1001 2024-02-02 59.00
            1001 2024-04-01 24.99
            1001 2024-07-19 24.99
            1002 2024-01-07 150.00
            1002 2024-02-29 230.40
            1002 2024-05-12 150.00
            1003 2024-01-13 12.50
            1003 2024-03-11 -12.50
            1003 2024-06-16 33.00
            1004 2024-02-10 8.75
            1004 2024-04-09 310.00
            1005 2024-03-03 45.00
            1005 2024-05-06 64.00
            1006 2024-03-21 99.99
            1006 2024-05-25 5.49
            1007 2024-04-30 18.20
            1007 2024-07-08 120.00
            1008 2024-06-04 72.30
            1008 2024-08-02 410.00
        """),
    )


def test_a_chosen_sheet_with_date_cells():
    assert_rows(
        read_with_guess("uk_orders.xlsx", sheet="Typed"),
        rows("""
            2001 2024-01-05 10.00
            2001 2024-03-07 5.25
            2002 2024-02-06 20.50
        """),
    )
