"""Training on the shipped CDNOW data: artifacts, honest backtest, reproducibility."""

import json

import joblib
import numpy as np
import pandas as pd
import pytest

from portal import bgnbd
from portal.analytics import segment_of
from portal.artifacts import METRICS, MODEL, PREPARED
from portal.cutoffs import TrainError, training_cutoffs


def test_training_cutoffs_end_six_months_before():
    cuts = training_cutoffs(pd.Timestamp("1997-01-01"), pd.Timestamp("1998-01-01"))
    assert [str(c.date()) for c in cuts] == [f"1997-0{m}-01" for m in range(2, 8)]
    with pytest.raises(TrainError, match="at least 6 months"):
        training_cutoffs(pd.Timestamp("1997-10-01"), pd.Timestamp("1998-01-01"))


def test_segments_by_rank_percentile():
    assert list(segment_of(np.array([1, 5, 6, 20, 21, 50, 51, 100]), 100)) == [
        "Elite",
        "Elite",
        "High",
        "High",
        "Medium",
        "Medium",
        "Low",
        "Low",
    ]


@pytest.mark.parametrize(
    "n, elite, high, medium",
    [
        (1005, 51, 201, 503),  # ceil(50.25), ceil(201), ceil(502.5)
        (23570, 1179, 4714, 11785),  # ceil(1178.5), 4714, 11785
    ],
)
def test_segment_bounds_are_the_top_x_percent_of_elite(n, elite, high, medium):
    """The top X% is the first ceil(n * X / 100) customers for segments as for /api/elite."""
    names = segment_of(np.arange(1, n + 1), n)
    assert list(names[[elite - 1, elite]]) == ["Elite", "High"]
    assert list(names[[high - 1, high]]) == ["High", "Medium"]
    assert list(names[[medium - 1, medium]]) == ["Medium", "Low"]


def last_6m_repeated_gini_by_hand() -> float:
    """The 'last 6 months repeated' baseline's normalized Gini at 1998-01-01, straight from the raw
    CDNOW file: no code of the pipeline involved."""
    from tests.conftest import CDNOW

    raw = pd.read_csv(CDNOW, sep=r"\s+", dtype={"customer_id": str, "date": str})
    day = pd.to_datetime(raw["date"], format="%Y%m%d")
    known = raw.loc[day < "1998-01-01", "customer_id"].unique()
    frame = pd.DataFrame(index=pd.Index(sorted(known), name="customer_id"))
    windows = (("p", "1997-07-01", "1998-01-01"), ("y", "1998-01-01", "1998-07-01"))
    for column, start, end in windows:
        spend = raw[(day >= start) & (day < end)].groupby("customer_id")["dollar_value"].sum()
        frame[column] = spend.reindex(frame.index, fill_value=0.0).clip(lower=0)
    assert len(frame) == 23570
    ranked = frame.reset_index().sort_values(["p", "customer_id"], ascending=[False, True])

    def gini(ordered_y: np.ndarray) -> float:
        g = np.concatenate([[0.0], np.cumsum(ordered_y)]) / ordered_y.sum()
        area = (g[:-1] + g[1:]).sum() / (2 * len(ordered_y))  # trapezoids of width 1/n
        return 2 * (area - 0.5)

    return gini(ranked["y"].to_numpy()) / gini(np.sort(frame["y"].to_numpy())[::-1])


def test_artifacts_and_backtest(data_dir):
    final = data_dir / "final"
    metrics = json.loads((final / METRICS).read_text())
    table = pd.read_parquet(final / PREPARED)
    model = joblib.load(final / MODEL)
    assert len(table) == metrics["customers"] == 23570
    assert metrics["training_cutoffs"][-1] <= "1997-07-01"  # labels end by the cutoff
    assert sorted(table["rank"]) == list(range(1, 23571))
    assert table["decile"].value_counts().sort_index().tolist() == [2357] * 10
    assert {"predicted_clv_6m", "p_purchase", "segment", "actual_6m"} <= set(table.columns)
    assert table["p_purchase"].between(0, 1).all()
    bt = metrics["backtest"]
    # the model must beat both naive baselines on ranking, and be calibrated in total
    assert bt["model"]["normalized_gini"] > bt["last_6m_repeated"]["normalized_gini"]
    assert bt["model"]["normalized_gini"] > bt["half_last_12m"]["normalized_gini"]
    assert 0.9 < bt["model"]["calibration"] < 1.1
    # summed in another order, equal spends differ by ~1e-12 and a few ties swap: < 1e-6 in all
    assert bt["last_6m_repeated"]["normalized_gini"] == pytest.approx(
        last_6m_repeated_gini_by_hand(), abs=1e-6
    )
    assert round(bt["last_6m_repeated"]["normalized_gini"], 3) == 0.681  # as in portal/METRICS.md
    assert model.version == metrics["version"]
    assert set(model.raw_features) <= set(table.columns)


def test_same_inputs_and_seed_give_identical_predictions(data_dir, tmp_path):
    from portal.config import CDNOW_CUTOFF
    from portal.ingest import CDNOW_COLUMNS
    from portal.pipeline import run
    from tests.conftest import CDNOW

    run(CDNOW, tmp_path, CDNOW_COLUMNS, CDNOW_CUTOFF, seed=0)
    first = pd.read_parquet(data_dir / "final" / PREPARED)
    second = pd.read_parquet(tmp_path / "final" / PREPARED)
    assert (
        first["predicted_clv_6m"].to_numpy().tobytes()
        == second["predicted_clv_6m"].to_numpy().tobytes()
    )


def test_bgnbd_recovers_known_parameters():
    rng = np.random.default_rng(0)
    n, T = 4000, 52.0
    lam = rng.gamma(0.5, 1 / 4.0, n)  # r=0.5, alpha=4
    p = rng.beta(1.0, 3.0, n)  # a=1, b=3
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):  # simulation only: the model code itself is vectorised
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
    fit = bgnbd.fit(x, t_x, np.full(n, T))
    assert fit.r == pytest.approx(0.5, rel=0.25)
    assert fit.alpha == pytest.approx(4.0, rel=0.35)
    expected = bgnbd.expected_purchases(fit, 26.0, x, t_x, np.full(n, T))
    assert np.all(expected >= 0) and np.all(bgnbd.p_alive(fit, x, t_x, np.full(n, T)) <= 1)
