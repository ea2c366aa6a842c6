"""Prediction intervals: hand-computed quantiles, variances and totals, and calibration on data
drawn from a known distribution."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

from portal import intervals
from portal.calibration import ValidationWindow, interval_model
from portal.intervals import GRID, IntervalModel


def uniform_ratio_model(shift_sd: float = 0.1) -> IntervalModel:
    """Identity recalibration, Z uniform on [0, 2] in every decile (E[Z] = 1, E[Z^2] = 4/3)."""
    return IntervalModel(
        slope=1.0,
        intercept=0.0,
        ratio_quantiles=np.tile(2 * GRID, (10, 1)),
        ratio_moments=np.tile([1.0, 4 / 3], (10, 1)),
        shift_sd=shift_sd,
        edges=np.arange(9, 0, -1, dtype=float),
    )


def test_quantiles_by_hand():
    model = uniform_ratio_model()
    # predicted 10, P(purchase) 0.5: no purchase with probability 0.5, else 20 x U(0, 2)
    p10, p50, p90 = model.quantiles([10.0], [0.5])[0]
    assert p10 == 0.0 and p50 == 0.0
    assert p90 == pytest.approx(20 * 2 * (0.9 - 0.5) / 0.5)  # 32
    # P(purchase) 0.95: the buyers' part starts at level 0.05
    p10, p50, p90 = model.quantiles([19.0], [0.95])[0]
    assert p10 == pytest.approx(20 * 2 * (0.1 - 0.05) / 0.95)
    assert p50 == pytest.approx(20 * 2 * (0.5 - 0.05) / 0.95)
    assert p90 == pytest.approx(20 * 2 * (0.9 - 0.05) / 0.95)
    # P(purchase) 0.05: the whole central 80% sits on the mass at 0
    assert model.quantiles([1.0], [0.05])[0].tolist() == [0.0, 0.0, 0.0]


def test_variance_and_total_by_hand():
    model = uniform_ratio_model(shift_sd=0.1)
    # q m^2 E[Z^2] - (q m E[Z])^2 = 0.5 * 400 * 4/3 - 100
    assert model.variance([10.0], [0.5])[0] == pytest.approx(500 / 3)
    total = model.total(np.full(100, 10.0), np.full(100, 0.5))
    sd = np.sqrt(100 * 500 / 3 + (0.1 * 1000) ** 2)
    assert total["total"] == pytest.approx(1000.0)
    assert total["sd"] == pytest.approx(sd)
    assert total["low"] == pytest.approx(1000 - 1.2815515655 * sd)
    assert total["high"] == pytest.approx(1000 + 1.2815515655 * sd)
    # a small total's lower end stops at 0
    assert model.total([10.0], [0.5])["low"] == 0.0


def test_pit_coverage_spreads_the_mass_at_zero():
    model = uniform_ratio_model()
    covered = model.pit_coverage([1.0, 10.0, 10.0, 10.0], [0.05, 0.5, 0.5, 0.5], [0, 0, 31, 33])
    assert covered.tolist() == pytest.approx([0.8 / 0.95, 0.8, 1.0, 0.0])


def test_equal_predictions_share_a_decile_by_value():
    edges = intervals.decile_edges(np.arange(1.0, 21.0))  # 20 customers: 2 per decile
    assert edges.tolist() == [19, 17, 15, 13, 11, 9, 7, 5, 3]
    model = uniform_ratio_model()
    model = model.with_edges(np.arange(1.0, 21.0))
    assert model.group([20, 19, 18.5, 2, 1, 19]).tolist() == [0, 0, 1, 9, 9, 0]


def draw(rng, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Customers with a true P(purchase) and a lognormal spend if they buy; the model's
    P(purchase) is off on the logit scale (slope 0.8, shift 0.3), its predictions exact."""
    true_q = special.expit(rng.normal(-1.5, 1.5, n))
    reported = special.expit((special.logit(true_q) - 0.3) / 0.8)
    spend_if_buy = rng.lognormal(np.log(50), 0.8, n)
    predicted = true_q * 50 * np.exp(0.8**2 / 2)
    actual = np.where(rng.random(n) < true_q, spend_if_buy, 0.0)
    return predicted, reported, actual, true_q


def test_fit_recovers_the_purchase_probability_and_covers_every_decile():
    rng = np.random.default_rng(7)
    predicted, reported, actual, _ = draw(rng, 40_000)
    model = intervals.fit(predicted, reported, actual)
    assert model.slope == pytest.approx(0.8, abs=0.05)
    assert model.intercept == pytest.approx(0.3, abs=0.05)
    assert model.shift_sd == intervals.TOTAL_SHIFT_SD
    # fresh customers from the same process
    predicted, reported, actual, _ = draw(rng, 40_000)
    model = model.with_edges(predicted)
    bounds = model.quantiles(predicted, reported)
    assert (np.diff(bounds, axis=1) >= 0).all() and (bounds >= 0).all()
    pit = model.pit_coverage(predicted, reported, actual)
    groups = model.group(predicted)
    per_decile = pd.Series(pit).groupby(groups).mean()
    assert per_decile.between(0.77, 0.83).all(), per_decile
    assert pit.mean() == pytest.approx(0.8, abs=0.01)


def test_a_corrected_total_is_not_corrected_again_in_the_spread():
    """The validation window's model under-predicted by 1.5x, so the scored model's total is
    corrected by 1.5: the spread is measured around corrected predictions, so the predictive mean
    stays the (corrected) point prediction."""
    rng = np.random.default_rng(3)
    predicted, reported, actual, _ = draw(rng, 20_000)
    window = ValidationWindow(pd.Timestamp("2023-01-01"), None, predicted / 1.5, reported, actual)
    model = interval_model(window, correction=1.5).with_edges(predicted)
    # the median decile: the lowest deciles' few buyers make their own means noisy
    assert np.median(model.ratio_moments[:, 0]) == pytest.approx(1.0, abs=0.05)
    uncorrected = interval_model(window, correction=1.0)
    assert np.median(uncorrected.ratio_moments[:, 0]) == pytest.approx(1.5, abs=0.08)


def test_too_few_buyers_gives_no_intervals():
    predicted = np.full(100, 5.0)
    actual = np.zeros(100)
    actual[:10] = 40.0
    assert intervals.fit(predicted, np.full(100, 0.1), actual) is None
    fields = intervals.fields(None, 5.0, 0.1)
    assert fields == {"clv_p10": None, "clv_p50": None, "clv_p90": None, "interval_level": None}
