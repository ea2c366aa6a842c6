"""BG/NBD (Fader, Hardie & Lee 2005): purchase counts borrowed as structure for the boosted model.

Time is measured in weeks. ``x`` = repeat purchase days, ``t_x`` = weeks from first to last purchase,
``T`` = weeks from first purchase to the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

DAYS_PER_WEEK = 7.0
MAX_FIT_CUSTOMERS = 50_000


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted population parameters (all positive)."""

    r: float
    alpha: float
    a: float
    b: float


def rfm_arrays(frequency, recency_days, tenure_days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert feature columns to (x, t_x, T) in weeks; x >= 0, 0 <= t_x <= T."""
    freq = np.asarray(frequency, dtype=float)
    tenure = np.asarray(tenure_days, dtype=float) / DAYS_PER_WEEK
    recency = np.asarray(recency_days, dtype=float) / DAYS_PER_WEEK
    x = np.clip(freq - 1.0, 0.0, None)
    t_x = np.where(x > 0, np.clip(tenure - recency, 0.0, None), 0.0)
    return x, t_x, tenure


def log_likelihood(params: np.ndarray, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood for parameters (r, alpha, a, b)."""
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b)
    a2 -= special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def fit(x, t_x, T, max_customers: int = MAX_FIT_CUSTOMERS, seed: int = 0) -> BgNbdParams:
    """Maximum-likelihood fit (L-BFGS-B on log parameters, deterministic start).

    Above ``max_customers`` a seeded random sample is fitted: four population parameters are
    pinned down long before a million customers, and the fit stays under a second.
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if len(x) > max_customers:
        keep = np.random.default_rng(seed).choice(len(x), max_customers, replace=False)
        x, t_x, T = x[keep], t_x[keep], T[keep]

    def objective(log_params):
        value = -log_likelihood(np.exp(log_params), x, t_x, T).mean()
        return value if np.isfinite(value) else 1e10

    start = np.log([1.0, max(T.mean(), 1.0), 1.0, 1.0])
    result = optimize.minimize(objective, start, method="L-BFGS-B", bounds=[(-8, 8)] * 4)
    return BgNbdParams(*np.exp(result.x))


def _log_odds_dropped(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """log(P(dropped out) / P(alive)) at T; -inf for customers with no repeat purchase."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore"):
        return np.where(
            x > 0,
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-12))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
            -np.inf,
        )


def p_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """Probability the customer has not dropped out by T (computed in log space: no overflow)."""
    return special.expit(-_log_odds_dropped(params, *(np.asarray(v, float) for v in (x, t_x, T))))


def expected_purchases(params: BgNbdParams, t: float, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next ``t`` weeks given each customer's history, as published.

    Fader, Hardie & Lee (2005), eq. 10: E[Y(t) | x, t_x, T] =
    (a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
    * 2F1(r + x, b + x; a + b + x - 1; z)] * P(alive), with z = t / (alpha + T + t); valid for any
    a != 1, with a finite limit at a = 1.

    Evaluated through Euler's transformation, (1 - z)^(r + x) 2F1(r + x, b + x; c; z) =
    (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; c; z), so that the division by (a - 1) is done
    analytically: [1 - (1 - z)^(a - 1) F] / (a - 1) = -log(1 - z) exprel((a - 1) log(1 - z))
    - (1 - z)^(a - 1) (F - 1) / (a - 1), where (F - 1) / (a - 1) is the hypergeometric series
    without its leading 1 and its common factor (a - 1). No clamp on ``a``; finite for large x.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    c = a + b + x - 1
    z = t / (alpha + T + t)
    log_1mz = np.log1p(-z)
    shifted_series = _hyp2f1_minus_one_over_b(a + b - 1 - r, a - 1, c, z)
    bracket = (
        -log_1mz * special.exprel((a - 1) * log_1mz) - np.exp((a - 1) * log_1mz) * shifted_series
    )
    return c * bracket * p_alive(params, x, t_x, T)


def median_wait_if_alive(params: BgNbdParams, x, T) -> np.ndarray:
    """Median weeks from T to the next purchase of a customer who is still alive at T.

    Alive at T, the purchase rate's posterior is Gamma(r + x, alpha + T) (dropout happens only
    at a purchase), so the wait is Lomax: P(no purchase in w) = ((alpha + T) / (alpha + T + w))
    ^ (r + x), whose median is (alpha + T) (2^(1 / (r + x)) - 1). Its mean is infinite when
    r + x <= 1, so the median is the usable figure.
    """
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    with np.errstate(over="ignore"):
        return (params.alpha + T) * np.expm1(np.log(2.0) / (params.r + x))


SERIES_SWITCH = 1e-3
SERIES_TOLERANCE = 1e-15
SERIES_MAX_TERMS = 100_000


def _hyp2f1_minus_one_over_b(A: float, B: float, C: np.ndarray, z: np.ndarray) -> np.ndarray:
    """(2F1(A, B; C; z) - 1) / B for 0 <= z < 1, accurate as B -> 0.

    scipy's hyp2f1 when |B| is not small (the cancellation then costs at most 1e-13); otherwise
    the series sum_{n>=1} (A)_n (B + 1)_{n-1} z^n / ((C)_n n!), whose limit at B = 0 is finite.
    """
    C, z = np.broadcast_arrays(np.asarray(C, dtype=float), np.asarray(z, dtype=float))
    if abs(B) > SERIES_SWITCH:
        return (special.hyp2f1(A, B, C, z) - 1.0) / B
    term = A / C * z
    total = term.copy()
    for n in range(1, SERIES_MAX_TERMS):
        term = term * (A + n) * (B + n) / ((C + n) * (n + 1)) * z
        total += term
        if np.all(np.abs(term) <= SERIES_TOLERANCE * np.maximum(np.abs(total), 1e-300)):
            break
    return total
