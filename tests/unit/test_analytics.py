"""portal/METRICS.md definitions against hand-computed examples."""

import numpy as np
import pytest

from portal import analytics as A

IDS = np.array(["a", "b", "c", "d"])
Y = np.array([10.0, 0.0, 5.0, 0.0])
P = np.array([4.0, 3.0, 2.0, 1.0])


def test_gain_curve_points():
    assert A.gain_curve(Y, P, IDS) == pytest.approx([0, 2 / 3, 2 / 3, 1, 1])
    # a caller that already holds the rank order gets the same curve
    assert A.gain_curve(Y, P, IDS, order=np.arange(4)) == pytest.approx(A.gain_curve(Y, P, IDS))


def test_normalized_gini_hand_computed():
    # model area 17/24 -> Gini 5/12; oracle area 19/24 -> Gini 7/12
    assert A.gini(A.gain_curve(Y, P, IDS)) == pytest.approx(5 / 12)
    assert A.gini(A.oracle_curve(Y)) == pytest.approx(7 / 12)
    assert A.normalized_gini(Y, P, IDS) == pytest.approx(5 / 7)
    assert A.normalized_gini(Y, Y, IDS) == pytest.approx(1.0)


def test_ties_break_by_customer_id():
    assert list(A.rank_order([1.0, 2.0, 2.0], ["z", "y", "x"])) == [2, 1, 0]


def test_top_decile_capture():
    y = np.zeros(10)
    y[0], y[5] = 5.0, 5.0
    p = np.arange(10, 0, -1, dtype=float)
    assert A.top_decile_capture(y, p, np.arange(10)) == 0.5


def test_sample_curve_interpolates():
    x, g = A.sample_curve(np.array([0.0, 0.5, 1.0]), 4)
    assert x == [0, 0.25, 0.5, 0.75, 1.0]
    assert g == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])


def test_decile_sizes_larger_first():
    sizes = [b - a for a, b in A.decile_bounds(23)]
    assert sizes == [3, 3, 3, 2, 2, 2, 2, 2, 2, 2]


def test_decile_of_a_rank_follows_the_decile_bounds():
    # 23 customers: deciles of 3, 3, 3, then 2 each (larger first)
    expected = [1] * 3 + [2] * 3 + [3] * 3 + [d for d in range(4, 11) for _ in range(2)]
    assert A.decile_of_rank(np.arange(1, 24), 23).tolist() == expected
    assert A.decile_of_rank(3, 3) == 3  # fewer customers than deciles


def test_decile_table_and_mape():
    p = np.arange(20, 0, -1, dtype=float)
    y = np.concatenate([[30.0, 10.0], np.zeros(18)])
    rows = A.decile_table(p, np.arange(20), y)
    assert rows[0].customers == 2 and rows[0].mean_predicted == 19.5
    assert rows[0].mean_actual == 20.0 and rows[0].share_of_actual == 1.0
    assert rows[0].lift == pytest.approx(20.0 / 2.0)
    mape, left_out = A.decile_mape(rows)
    assert mape == pytest.approx(0.5 / 20.0) and left_out == 9


def test_elite_size_and_summary():
    assert A.elite_size(23570, 5) == 1179  # ceil(1178.5)
    assert A.elite_size(100, 7) == 7
    assert A.elite_size(3, 100) == 3
    with pytest.raises(ValueError):
        A.elite_size(10, 0)
    summary, chosen = A.elite_summary(P, IDS, 50, Y)
    assert summary.count == 2 and list(chosen) == [0, 1]
    assert summary.predicted_value == 7.0
    assert summary.share_of_predicted == pytest.approx(0.7)
    assert summary.share_of_actual == pytest.approx(10 / 15)


def test_point_metrics():
    m = A.point_metrics(Y, P, IDS)
    assert m["mae"] == pytest.approx((6 + 3 + 3 + 1) / 4)
    assert m["rmse"] == pytest.approx(np.sqrt((36 + 9 + 9 + 1) / 4))
    assert m["calibration"] == pytest.approx(10 / 15)


def test_gain_curve_without_any_spend_is_the_diagonal():
    assert A.gain_curve(np.zeros(4), P, IDS) == pytest.approx([0, 0.25, 0.5, 0.75, 1])


def test_one_list_of_backtest_figures_names_what_point_metrics_computes():
    from portal.cli_train import metrics_table

    y, p = np.array([0.0, 5.0, 1.0, 0.0]), np.array([0.1, 4.0, 2.0, 0.5])
    computed = A.point_metrics(y, p, np.arange(4))
    assert [m.name for m in A.BACKTEST_METRICS] == [
        k for k in computed if k != "decile_mape_left_out"
    ]
    # an older version without a figure shows a dash instead of failing
    older = {k: v for k, v in computed.items() if k != "decile_mape"}
    assert metrics_table({"model": older}).splitlines()[-1].endswith("—")


def test_gain_curves_without_spread_give_gini_zero_not_nan():
    flat = A.oracle_curve(np.zeros(5))
    assert A.gini_ratio(flat, flat) == 0.0
    assert A.top_decile_of_curve(np.linspace(0, 1, 21)) == pytest.approx(0.1)
