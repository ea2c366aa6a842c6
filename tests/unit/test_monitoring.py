"""Monitoring on hand-made logs: the observed window, the pro-rating share and the figures."""

import numpy as np
import pandas as pd
import pytest

from portal import bgnbd, features, monitoring
from portal.clock import BusinessClock
from portal.model import Population

CUTOFF = "2024-01-01"
IDS = list("ABCDEFGHIJ")
PREDICTED = [200.0, 100.0, 80.0, 60.0, 40.0, 20.0, 10.0, 6.0, 4.0, 0.0]  # sum 520


def hand_log() -> pd.DataFrame:
    """Everyone bought in 2023; in [2024-01-01, 2024-04-01) A spent 50, C 30, D 20 (25 and a
    return of 5), F 10 and I 10: 120 in all. The log ends on 2024-03-31."""
    rows = [(c, "2023-06-01", 15.0) for c in IDS] + [
        ("A", "2023-12-15", 99.0),  # before the cutoff: not realised spend
        ("A", "2024-01-10", 30.0),
        ("A", "2024-03-31", 20.0),
        ("C", "2024-02-01", 30.0),
        ("D", "2024-03-01", 25.0),
        ("D", "2024-03-02", -5.0),
        ("F", "2024-01-01", 10.0),
        ("I", "2024-02-29", 10.0),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def hand_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": IDS,
            "predicted_clv_6m": PREDICTED,
            "p_purchase": np.linspace(0.9, 0.1, 10),
            "frequency": [5, 4, 4, 3, 3, 2, 2, 1, 1, 1],
            "recency_days": [20, 30, 40, 60, 80, 100, 150, 200, 200, 210],
            "tenure_days": [300] * 10,
        }
    )


def test_the_observed_window():
    half = monitoring.window(CUTOFF, "2024-03-31")
    assert half.end == pd.Timestamp("2024-07-01")
    assert half.observed_to == pd.Timestamp("2024-04-01")
    assert half.fraction == 91 / 182 and not half.complete  # Jan-Mar 2024: 91 of 182 days
    whole = monitoring.window(CUTOFF, "2024-08-10")
    assert whole.observed_to == whole.end and whole.fraction == 1.0 and whole.complete
    assert monitoring.window(CUTOFF, "2023-12-20").fraction == 0.0


def test_three_of_six_months_pro_rated_by_time_give_the_hand_computed_figures():
    days = features.daily(hand_log())
    seen = monitoring.window(CUTOFF, days["date"].max())
    share, rule = monitoring.expected_share(None, hand_table(), seen)
    assert (share, rule) == (0.5, "time")
    result = monitoring.evaluate(hand_table(), days, seen, share)
    # predictions pro-rated: 100, 50, 40, 30, 20, 10, 5, 3, 2, 0; realised 50, 0, 30, 20, 0, 10,
    # 0, 0, 10, 0
    assert result["predicted_total"] == 260.0 and result["realised_total"] == 120.0
    assert result["predicted_total_horizon"] == 520.0
    assert result["calibration"] == pytest.approx(260 / 120)
    # gain 0,50,50,80,100,100,110,110,110,120,120 /120: Gini 29/60; the oracle's 2/3
    assert result["normalized_gini"] == pytest.approx(29 / 40)
    assert result["top_decile_capture"] == pytest.approx(50 / 120)
    # deciles with spend: |100-50|/50, |40-30|/30, |30-20|/20, |10-10|/10, |2-10|/10
    assert result["decile_mape"] == pytest.approx((1 + 1 / 3 + 1 / 2 + 0 + 4 / 5) / 5)
    assert [d["mean_actual"] for d in result["deciles"]] == [50, 0, 30, 20, 0, 10, 0, 0, 10, 0]
    assert result["coverage"] is None and result["fraction_observed"] == 0.5


def population(a: float, b: float, clock: BusinessClock | None = None) -> Population:
    return Population(bgnbd.BgNbdParams(r=1.0, alpha=10.0, a=a, b=b), None, CUTOFF, clock)


def test_without_dropout_bgnbd_expects_purchases_in_proportion_to_time():
    seen = monitoring.window(CUTOFF, "2024-03-31")
    share, rule = monitoring.expected_share(population(1e-6, 1e6), hand_table(), seen)
    assert rule == "bgnbd" and share == pytest.approx(0.5, abs=1e-4)


def test_on_a_business_clock_the_share_follows_the_season():
    """Season x1.5 in January-March, x0.5 in April-June: 91 x 1.5 of 91 x 1.5 + 91 x 0.5 = 0.75."""
    season = (1.5,) * 3 + (0.5,) * 3 + (1.0,) * 6
    business = BusinessClock(origin="2023-01-01", season=season, growth=0.0)
    seen = monitoring.window(CUTOFF, "2024-03-31")
    share, rule = monitoring.expected_share(population(1e-6, 1e6, business), hand_table(), seen)
    assert rule == "bgnbd-clock" and share == pytest.approx(0.75, abs=1e-4)


def test_with_dropout_the_first_months_hold_more_than_their_time_share():
    table, seen = hand_table(), monitoring.window(CUTOFF, "2024-03-31")
    fitted = population(0.8, 2.4)
    share, _ = monitoring.expected_share(fitted, table, seen)
    x, t_x, T, horizon = fitted.rfm(table)
    by_hand = (
        bgnbd.expected_purchases(fitted.bgnbd, 13.0, x, t_x, T).sum()
        / bgnbd.expected_purchases(fitted.bgnbd, 26.0, x, t_x, T).sum()
    )
    assert horizon == 26.0 and share == pytest.approx(by_hand) and share > 0.5
    # one factor for everyone: the ranking served is judged as it was, only totals move
    days = features.daily(hand_log())
    result = monitoring.evaluate(table, days, seen, share)
    assert result["normalized_gini"] == pytest.approx(29 / 40)
    assert result["calibration"] == pytest.approx(520 * share / 120)


def test_a_complete_horizon_is_not_pro_rated():
    seen = monitoring.window(CUTOFF, "2024-07-20")
    assert monitoring.expected_share(population(0.8, 2.4), hand_table(), seen) == (1.0, "complete")


def test_warnings_on_calibration_and_a_gini_drop():
    fine = {
        "calibration": 1.05,
        "normalized_gini": 0.70,
        "backtest_gini": 0.74,
        "fraction_observed": 1.0,
    }
    assert monitoring.warnings(fine) == [] and monitoring.warnings(None) == []
    off = {**fine, "calibration": 1.12, "normalized_gini": 0.68}
    found = monitoring.warnings(off)
    assert len(found) == 2
    assert "calibration 1.120 is outside 0.9-1.1" in found[0]
    assert "0.680 is more than 0.05 below its backtest's 0.740" in found[1]
    assert monitoring.warnings({**off, "backtest_gini": None, "calibration": 0.95}) == []


def test_json_ready_drops_nan_and_numpy_types():
    ready = monitoring.json_ready({"a": np.float64("nan"), "b": [np.int64(3), 1.5], "c": None})
    assert ready == {"a": None, "b": [3, 1.5], "c": None}
    assert type(ready["b"][0]) is int


def test_a_version_without_its_model_is_pro_rated_by_time():
    version = monitoring.Version("v1", CUTOFF, hand_table(), None, {})
    result = monitoring.evaluate_version(version, features.daily(hand_log()))
    assert result["share_rule"] == "time" and result["expected_share"] == 0.5
    assert result["version"] == "v1" and result["backtest_gini"] is None
    assert result["calibration"] == pytest.approx(260 / 120)


def test_a_log_of_other_customers_or_before_the_cutoff_is_not_evaluated():
    version = monitoring.Version("v1", CUTOFF, hand_table(), None, {})
    strangers = hand_log().assign(customer_id=lambda f: "X" + f["customer_id"])
    assert monitoring.evaluate_version(version, features.daily(strangers)) is None
    early = hand_log()[lambda f: f["date"] < CUTOFF]
    assert monitoring.evaluate_version(version, features.daily(early)) is None


def test_a_version_whose_folder_is_gone_keeps_its_recorded_backtest_gini(tmp_path):
    row = {
        "version": "gone",
        "mode": "production",
        "trained_at": "2026-01-01T00:00:00+00:00",
        "cutoff": "2025-07-01",
        "customers": 10,
        "normalized_gini": 0.74,
    }
    evaluation = {"calibration": 1.0, "normalized_gini": 0.68, "fraction_observed": 1.0}
    summary = monitoring._summary(tmp_path, row, evaluation)
    assert summary["backtest_gini"] == 0.74
    assert "more than 0.05 below its backtest's 0.740" in summary["warnings"][0]
