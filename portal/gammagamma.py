"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves").

A customer's transaction values are Gamma(p, nu) around their own mean; nu ~ Gamma(q, gamma) across
customers. Fitted on repeat buyers: ``x`` repeat transactions (x > 0) whose mean value is ``zbar``.
The conditional expected value of a transaction shrinks a customer's own mean towards the
population's:
E[Z | x, zbar] = (p (gamma + x zbar)) / (p x + q - 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

MAX_FIT_CUSTOMERS = 50_000
MIN_REPEAT_BUYERS = 10


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted population parameters (p, gamma > 0; q > 1, so the population mean p gamma / (q - 1)
    is finite and positive)."""

    p: float
    q: float
    gamma: float


def log_likelihood(params: np.ndarray, x, zbar) -> np.ndarray:
    """Per-customer log-likelihood of the observed mean ``zbar`` of ``x`` transactions."""
    p, q, gamma = params
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(zbar)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + x * zbar)
    )


def repeat_buyers(x, zbar) -> np.ndarray:
    """The customers the model can be fitted on: at least one repeat and a positive mean value."""
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    return (x > 0) & (zbar > 0) & np.isfinite(zbar)


def fit(x, zbar, max_customers: int = MAX_FIT_CUSTOMERS, seed: int = 0) -> GammaGammaParams:
    """Maximum-likelihood fit on the repeat buyers among (x, zbar) (L-BFGS-B on log parameters).

    Raises ValueError when fewer than MIN_REPEAT_BUYERS customers have a repeat purchase.
    """
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    keep = repeat_buyers(x, zbar)
    x, zbar = x[keep], zbar[keep]
    if len(x) < MIN_REPEAT_BUYERS:
        raise ValueError(f"Gamma-Gamma needs {MIN_REPEAT_BUYERS} repeat buyers, got {len(x)}")
    if len(x) > max_customers:
        sample = np.random.default_rng(seed).choice(len(x), max_customers, replace=False)
        x, zbar = x[sample], zbar[sample]
    scale = float(np.median(zbar))  # fit in units of the median value: a scale-free start

    def unpack(theta):  # log p, log (q - 1), log gamma: q > 1 by construction
        p, q_minus_one, gamma = np.exp(theta)
        return p, 1.0 + q_minus_one, gamma

    def objective(theta):
        value = -log_likelihood(unpack(theta), x, zbar / scale).mean()
        return value if np.isfinite(value) else 1e10

    result = optimize.minimize(objective, np.zeros(3), method="L-BFGS-B", bounds=[(-8, 8)] * 3)
    p, q, gamma = unpack(result.x)
    return GammaGammaParams(float(p), float(q), float(gamma * scale))


def expected_value(params: GammaGammaParams, x, zbar) -> np.ndarray:
    """E[value of a future transaction | x repeat transactions with mean zbar].

    Customers without a usable history (x = 0, or a mean <= 0 after returns) get the population
    mean.
    """
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    p, q, gamma = params.p, params.q, params.gamma
    usable = repeat_buyers(x, zbar)
    x_used = np.where(usable, x, 0.0)
    zbar_used = np.where(usable, zbar, 0.0)
    return p * (gamma + x_used * zbar_used) / (p * x_used + q - 1)
