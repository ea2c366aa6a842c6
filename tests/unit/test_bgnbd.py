"""BG/NBD and Gamma-Gamma against the published CDNOW numbers (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portal import bgnbd, gammagamma

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cdnow_sample_summary.csv"
PUBLISHED = bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE)


@pytest.fixture(scope="module")
def fitted(sample) -> bgnbd.BgNbdParams:
    return bgnbd.fit(sample["x"], sample["t_x"], sample["T"])


def test_fit_reproduces_published_parameters(sample, fitted):
    assert len(sample) == 2357
    assert (fitted.r, fitted.alpha, fitted.a, fitted.b) == pytest.approx(
        (0.243, 4.414, 0.793, 2.426), abs=5e-4
    )


def test_worked_example_conditional_expectation():
    expected = bgnbd.expected_purchases(PUBLISHED, 39.0, 2, 30.43, 38.86)
    assert float(expected) == pytest.approx(1.226, abs=5e-4)


def test_expected_total_over_next_39_weeks(sample, fitted):
    total = bgnbd.expected_purchases(fitted, 39.0, sample["x"], sample["t_x"], sample["T"]).sum()
    assert round(total) == 1653


def _published_formula(params, t, x, t_x, T):
    """Eq. 10 of the paper written literally (hyp2f1, division by a - 1): the reference."""
    from scipy import special

    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    ratio = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return (a + b + x - 1) / (a - 1) * bracket / (1 + ratio)


def test_matches_the_literal_formula_for_a_below_and_above_one(sample):
    x, t_x, T = (sample[c].to_numpy(float) for c in ("x", "t_x", "T"))
    for a in (0.4, 0.793, 1.7, 3.0):
        params = bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=a, b=2.426)
        np.testing.assert_allclose(
            bgnbd.expected_purchases(params, 39.0, x, t_x, T),
            _published_formula(params, 39.0, x, t_x, T),
            rtol=1e-9,
        )


def test_finite_and_continuous_at_a_equal_one_and_large_x():
    x = np.array([0.0, 2.0, 40.0, 2_000.0])
    t_x = np.array([0.0, 30.43, 38.0, 38.8])
    T = np.full(4, 38.86)
    values = {
        a: bgnbd.expected_purchases(bgnbd.BgNbdParams(0.243, 4.414, a, 2.426), 39.0, x, t_x, T)
        for a in (1 - 1e-9, 1.0, 1 + 1e-9)
    }
    for v in values.values():
        assert np.all(np.isfinite(v)) and np.all(v >= 0)
    np.testing.assert_allclose(values[1 - 1e-9], values[1 + 1e-9], rtol=1e-7)
    np.testing.assert_allclose(values[1.0], values[1 + 1e-9], rtol=1e-7)
    # the limit agrees with its neighbours reached through scipy's hyp2f1 on either side
    near = [
        bgnbd.expected_purchases(bgnbd.BgNbdParams(0.243, 4.414, a, 2.426), 39.0, x, t_x, T)
        for a in (1 - 2e-3, 1 + 2e-3)
    ]
    np.testing.assert_allclose(values[1.0], (near[0] + near[1]) / 2, rtol=1e-5)


def test_p_alive_has_no_overflow_for_many_purchases():
    alive = bgnbd.p_alive(PUBLISHED, np.array([5_000.0]), np.array([10.0]), np.array([60.0]))
    assert alive[0] == 0.0
    assert bgnbd.p_alive(PUBLISHED, np.array([0.0]), np.array([0.0]), np.array([60.0]))[0] == 1.0


def test_gamma_gamma_reproduces_published_parameters(sample):
    params = gammagamma.fit(sample["x"], sample["zbar"])
    assert int(gammagamma.repeat_buyers(sample["x"], sample["zbar"]).sum()) == 946
    assert (params.p, params.q, params.gamma) == pytest.approx((6.25, 3.74, 15.45), abs=5e-3)


def test_gamma_gamma_expected_value_by_hand():
    params = gammagamma.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    # x = 2, zbar = 20: 6 * (15 + 40) / (12 + 3) = 22.0; no repeat: population mean 6*15/3 = 30
    values = gammagamma.expected_value(params, [2, 0, 3], [20.0, 0.0, -5.0])
    np.testing.assert_allclose(values, [22.0, 30.0, 30.0])
