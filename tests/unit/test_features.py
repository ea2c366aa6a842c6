"""Features and labels on a tiny hand-made log, with hand-computed values."""

import math

import pandas as pd
import pytest

from portal.features import build_features, build_labels, daily

CUTOFF = pd.Timestamp("2020-07-01")


@pytest.fixture
def feats(tiny_log):
    return build_features(daily(tiny_log), CUTOFF)


def test_only_customers_seen_before_cutoff(feats):
    assert list(feats.index) == ["A", "B", "C"]  # D's first purchase is after the cutoff


def test_repeat_customer_with_same_day_purchases(feats):
    a = feats.loc["A"]
    assert a["frequency"] == 3  # 01-10, 03-01 (two rows, one day), 06-20
    assert a["recency_days"] == 11
    assert a["tenure_days"] == 173
    assert a["monetary_total"] == 65.0
    assert a["monetary_mean"] == pytest.approx(65 / 3)
    assert a["monetary_max"] == 30.0  # the best day, 06-20
    assert (a["spend_1m"], a["orders_1m"]) == (30.0, 1)
    assert (a["spend_3m"], a["orders_3m"]) == (30.0, 1)
    assert (a["spend_6m"], a["orders_6m"]) == (65.0, 3)
    assert a["gap_mean_days"] == 81.0  # gaps 51 and 111
    assert a["gap_std_days"] == 30.0
    assert a["trend_3m"] == 30.0 - 35.0
    assert a["quantity_total"] == 7
    assert a["quantity_mean"] == pytest.approx(7 / 3)


def test_single_purchase_customer(feats):
    b = feats.loc["B"]
    assert (b["frequency"], b["recency_days"], b["tenure_days"]) == (1, 47, 47)
    assert math.isnan(b["gap_mean_days"]) and math.isnan(b["gap_std_days"])
    assert (b["spend_1m"], b["spend_3m"]) == (0.0, 50.0)


def test_customer_with_nothing_in_recent_windows(feats):
    c = feats.loc["C"]
    assert (c["spend_1m"], c["spend_3m"], c["spend_6m"]) == (0.0, 0.0, 0.0)
    assert c["spend_12m"] == 12.0
    assert c["recency_days"] == c["tenure_days"] == 335


def test_labels_cover_exactly_six_months(tiny_log, feats):
    labels = build_labels(daily(tiny_log), feats.index, CUTOFF)
    assert labels["actual_6m"].to_dict() == {"A": 40.0, "B": 0.0, "C": 7.0}
    assert labels["bought"].to_dict() == {"A": True, "B": False, "C": True}


def test_no_leakage_from_rows_on_or_after_cutoff(tiny_log, feats):
    extra = pd.DataFrame(
        {
            "customer_id": ["A", "B", "E"],
            "amount": [500.0, 1.0, 3.0],
            "quantity": [1, 1, 1],
            "date": pd.to_datetime(["2020-07-01", "2020-09-01", "2020-07-01"]),
        }
    )
    changed = build_features(daily(pd.concat([tiny_log, extra])), CUTOFF)
    pd.testing.assert_frame_equal(changed, feats)


def test_returns_net_against_spend_but_are_not_purchases(tiny_log):
    ret = pd.DataFrame(
        {
            "customer_id": ["B"],
            "amount": [-20.0],
            "quantity": [-1],
            "date": pd.to_datetime(["2020-06-01"]),
        }
    )
    b = build_features(daily(pd.concat([tiny_log, ret])), CUTOFF).loc["B"]
    assert b["frequency"] == 1
    assert b["monetary_total"] == 30.0
    assert b["recency_days"] == 47  # the return day is not a purchase


def test_a_label_netted_below_zero_by_returns_is_clipped_at_zero(tiny_log, feats):
    returns = pd.DataFrame(
        {
            "customer_id": ["A", "C", "B"],
            "amount": [-55.0, -2.0, -9.0],  # A: 40 - 55; C: 7 - 2; B returns without buying
            "quantity": [1, 1, 1],
            "date": pd.to_datetime(["2020-08-01", "2020-08-01", "2020-09-01"]),
        }
    )
    days = daily(pd.concat([tiny_log, returns], ignore_index=True))
    labels = build_labels(days, feats.index, CUTOFF)
    assert labels["actual_6m"].to_dict() == {"A": 0.0, "B": 0.0, "C": 5.0}
    assert labels["bought"].to_dict() == {"A": True, "B": False, "C": True}
