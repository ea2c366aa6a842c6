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


def p_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """Probability the customer has not dropped out by T."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    ratio = np.where(
        x > 0, a / np.maximum(b + x - 1, 1e-12) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0
    )
    return 1.0 / (1.0 + ratio)


def expected_purchases(params: BgNbdParams, t: float, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next ``t`` weeks given each customer's history."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a = max(a, 1.0 + 1e-6)
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    ratio = np.where(
        x > 0, a / np.maximum(b + x - 1, 1e-12) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0
    )
    return numerator / (1.0 + ratio)
