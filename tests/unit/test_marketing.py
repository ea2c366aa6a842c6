"""Marketer fields and named groups on a hand-made table of 10 customers, each value by hand.

BG/NBD r = 1, alpha = 1, a = 0.5, b = 1.5 (weeks), no business clock, cutoff 2024-01-01 (a
182-day horizon). T and t_x are whole weeks: tenure_days = 7 T, recency_days = 7 (T - t_x).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from portal import marketing
from portal.bgnbd import BgNbdParams
from portal.clock import BusinessClock
from portal.gammagamma import GammaGammaParams
from portal.model import Population

PARAMS = BgNbdParams(r=1.0, alpha=1.0, a=0.5, b=1.5)
POPULATION = Population(PARAMS, GammaGammaParams(6.0, 4.0, 15.0), "2024-01-01")
#       id     x   T  t_x  historic  predicted  p_purchase orders_6m gap
ROWS = [
    ("C00", 0, 4, 0, 40.0, 90.0, 0.6, 1, np.nan),
    ("C01", 1, 9, 9, 100.0, 20.0, 0.5, 2, 63.0),
    ("C02", 1, 9, 4, 60.0, 10.0, 0.3, 2, 35.0),
    ("C03", 3, 49, 6, 900.0, 15.0, 0.1, 0, 14.0),
    ("C04", 5, 52, 51, 1200.0, 150.0, 0.9, 3, 71.4),
    ("C05", 2, 26, 25, 40.0, 70.0, 0.7, 2, 87.5),
    ("C06", 0, 40, 0, 30.0, 5.0, 0.1, 0, np.nan),
    ("C07", 1, 30, 2, 200.0, 8.0, 0.15, 0, 14.0),
    ("C08", 2, 20, 18, 150.0, 60.0, 0.6, 2, 63.0),
    ("C09", 1, 30, 2, 900.0, 60.0, 0.3, 0, 14.0),
]


def hand_table() -> pd.DataFrame:
    frame = pd.DataFrame(
        ROWS,
        columns=[
            "customer_id",
            "x",
            "T",
            "t_x",
            "monetary_total",
            "predicted_clv_6m",
            "p_purchase",
            "orders_6m",
            "gap_mean_days",
        ],
    )
    frame["frequency"] = frame["x"] + 1.0
    frame["tenure_days"] = 7.0 * frame["T"]
    frame["recency_days"] = 7.0 * (frame["T"] - frame["t_x"])
    frame["monetary_mean"] = frame["monetary_total"] / frame["frequency"]
    frame["repeat_spend_mean"] = np.where(frame["x"] > 0, frame["monetary_mean"], np.nan)
    return frame


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return hand_table()


@pytest.fixture(scope="module")
def fields(table) -> pd.DataFrame:
    return marketing.customer_fields(table, POPULATION)


def p_alive_by_hand(x, T, t_x):
    """1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)); 1 without a repeat."""
    return 1.0 if x == 0 else 1.0 / (1.0 + 0.5 / (0.5 + x) * ((1 + T) / (1 + t_x)) ** (1 + x))


def test_p_active_and_churn_risk(fields):
    expected = [
        1.0,  # no repeat purchase: BG/NBD's customer cannot have dropped out yet
        1 / (1 + (1 / 3) * 1.0),  # bought at the cutoff: 0.75
        1 / (1 + (1 / 3) * (10 / 5) ** 2),  # 3/7
        1 / (1 + (1 / 7) * (50 / 7) ** 4),
        1 / (1 + (1 / 11) * (53 / 52) ** 6),
        1 / (1 + (1 / 5) * (27 / 26) ** 3),
        1.0,
        1 / (1 + (1 / 3) * (31 / 3) ** 2),
        1 / (1 + (1 / 5) * (21 / 19) ** 3),
        1 / (1 + (1 / 3) * (31 / 3) ** 2),
    ]
    assert expected[1] == 0.75 and expected[2] == pytest.approx(3 / 7)
    assert fields["p_active"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert fields["churn_risk"].to_numpy() == pytest.approx(1 - np.array(expected), abs=1e-12)


def test_expected_orders_is_the_published_conditional_expectation(fields):
    """Fader, Hardie & Lee (2005) eq. 10 over 26 weeks, written out with scipy's 2F1."""
    t, (r, alpha, a, b) = 26.0, (1.0, 1.0, 0.5, 1.5)
    expected = []
    for _, x, T, t_x, *_ in ROWS:
        z = t / (alpha + T + t)
        bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        expected.append((a + b + x - 1) / (a - 1) * bracket * p_alive_by_hand(x, T, t_x))
    assert fields["expected_orders_6m"].to_numpy() == pytest.approx(expected, rel=1e-9)


NEXT_ORDER = [  # 2024-01-01 + floor(7 (1 + T) (2^(1 / (1 + x)) - 1)) days
    "2024-02-05",  # 7 x 5 x 1 = 35 days
    "2024-01-29",  # 7 x 10 x (sqrt 2 - 1) = 28.99
    "2024-01-29",
    "2024-03-07",  # 7 x 50 x (2^(1/4) - 1) = 66.22
    "2024-02-15",  # 7 x 53 x (2^(1/6) - 1) = 45.43
    "2024-02-19",  # 7 x 27 x (2^(1/3) - 1) = 49.13
    "2024-10-14",  # 7 x 41 = 287
    "2024-03-30",  # 7 x 31 x (sqrt 2 - 1) = 89.88
    "2024-02-08",  # 7 x 21 x (2^(1/3) - 1) = 38.21
    "2024-03-30",
]


def test_next_order_date_is_the_median_wait_if_active(fields):
    assert list(fields["next_order_date"].dt.strftime("%Y-%m-%d")) == NEXT_ORDER


def test_next_order_date_runs_on_the_business_clock(table):
    """A clock running twice as fast doubles T and every wait in clock time; back in calendar
    days, C00 waits (1 + 8) weeks of the clock = 63 clock days = 31.5 days."""
    clock = BusinessClock(origin="2023-01-01", season=(2.0,) * 12, growth=0.0)
    dates = marketing.next_order_dates(table, Population(PARAMS, None, "2024-01-01", clock))
    waits = [(1 + 2 * T) * (2 ** (1 / (1 + x)) - 1) * 7 / 2 for _, x, T, *_ in ROWS]
    expected = np.datetime64("2024-01-01") + np.floor(waits).astype(int)
    assert dates[0] == np.datetime64("2024-02-01")
    assert (dates == expected).all()


def test_no_next_order_within_a_century_is_none(table):
    slow = Population(BgNbdParams(r=0.01, alpha=1.0, a=0.5, b=1.5), None, "2024-01-01")
    dates = marketing.next_order_dates(table.iloc[[0, 1]], slow)
    assert np.isnat(dates[0])  # (1 + 4) (2^100 - 1) weeks
    assert not np.isnat(dates[1])  # x = 1: (1 + 9) (2^(1/1.01) - 1) weeks = 69 days
    assert dates[1] == np.datetime64("2024-01-01") + 69


def test_history_fields(table, fields):
    assert fields["historic_spend"].tolist() == table["monetary_total"].tolist()
    assert fields["avg_order_value"].tolist() == [40, 50, 30, 225, 200, 40 / 3, 30, 100, 50, 450]
    assert fields["avg_days_between_orders"].equals(table["gap_mean_days"])
    assert fields["total_clv"].tolist() == [130, 120, 70, 915, 1350, 110, 35, 208, 210, 960]


def test_run_rate_and_value_at_risk(fields):
    # historic x 182 / max(tenure, 182): C03 900 x 182 / 343; C04 1200 / 2 (tenure 364)
    run_rate = [40, 100, 60, 900 * 182 / 343, 600, 40, 30 * 182 / 280, 200 * 182 / 210, 150]
    run_rate.append(900 * 182 / 210)
    assert fields["run_rate_6m"].to_numpy() == pytest.approx(run_rate, rel=1e-12)
    assert fields["value_at_risk"].to_numpy() == pytest.approx(
        fields["churn_risk"].to_numpy() * np.array(run_rate), rel=1e-12
    )
    assert fields["value_at_risk"][0] == 0 and fields["value_at_risk"][1] == pytest.approx(25.0)


def test_groups(fields):
    """Top 20% = 2 customers, top 50% = 5.

    * C03: historic 900 ties C09 for the second place and wins on id; P(active) 0.01 < 0.5:
      high value at risk (it is also lapsed: the first group wins).
    * C09: the same history, third by the tie-break: not high value; P(purchase) 0.3: not lapsed.
    * C04: the top historic spender, but P(active) 0.9.
    * C00: 28 days old, second by predicted CLV: new with promise (and rising: 90 >= 1.5 x 40).
    * C01: 63 days old but seventh by predicted CLV. C05: 70 >= 1.5 x 40 and third: rising.
    * C08: 60 < 1.5 x 150. C06, C07: no order in 6 months and P(purchase) < 0.2: lapsed.
    """
    assert fields["group"].tolist() == [
        "New with promise",
        None,
        None,
        "High value at risk",
        None,
        "Rising",
        "Lapsed",
        "Lapsed",
        None,
        None,
    ]


def names(groups):
    """A group's rows from each row's group name."""
    return lambda name: np.asarray(groups, dtype=object) == name


def test_group_summary(table, fields):
    actual = np.arange(10.0)
    rows = marketing.group_summary(
        table["predicted_clv_6m"], fields["historic_spend"], names(fields["group"]), actual
    )
    assert [r["group"] for r in rows] == [g.name for g in marketing.GROUPS]
    by_name = {r["group"]: r for r in rows}
    assert by_name["Lapsed"] == {
        "group": "Lapsed",
        "definition": marketing.LAPSED.definition,
        "customers": 2,
        "predicted_value": 13.0,
        "historic_spend": 230.0,
        "actual_6m": 13.0,
    }
    assert by_name["High value at risk"]["customers"] == 1
    assert by_name["High value at risk"]["predicted_value"] == 15.0
    assert "actual_6m" not in marketing.group_summary([1.0], [1.0], names([None]))[0]


def test_horizon_days():
    assert marketing.horizon_days("2024-01-01") == 182
    assert marketing.horizon_days("1998-01-01") == 181


def test_mean_order_value(table):
    """All historic spend (3,620) over all orders (26 purchase days)."""
    assert marketing.mean_order_value(table) == pytest.approx(3620 / 26)
    assert marketing.mean_order_value(table.iloc[:0]) == 0.0


@pytest.mark.parametrize("top_pct", [0.5, 5.0, 20.0, 50.0, 100.0])
def test_top_share_takes_the_ranking_prefix(top_pct):
    """The top X% mask equals the first ceil(n X / 100) of analytics.rank_order, ties included."""
    from portal import analytics

    rng = np.random.default_rng(0)
    values = rng.integers(0, 20, 1_000).astype(float)  # many ties at every cut
    ids = np.array([f"{i:05d}" for i in rng.permutation(1_000)])
    expected = np.zeros(1_000, dtype=bool)
    expected[analytics.rank_order(values, ids)[: analytics.elite_size(1_000, top_pct)]] = True
    assert np.array_equal(marketing._top(values, ids, top_pct), expected)
