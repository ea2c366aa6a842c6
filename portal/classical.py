"""The classical CLV model, BG/NBD + Gamma-Gamma (Fader, Hardie & Lee 2005), as a reference.

Expected spend in the horizon = BG/NBD expected purchases x Gamma-Gamma expected spend per purchase,
both fitted on the customers known at the cutoff. Time may be calendar weeks or any operational
clock (the benchmark's informed reference measures it in the business's true seasonal exposure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portal import bgnbd, gammagamma
from portal.model import HORIZON_WEEKS


def expected_spend(x, t_x, T, horizon, zbar) -> np.ndarray:
    """Fit both models on these customers; their spend over ``horizon`` (in the units of T).

    Args:
        x, t_x, T: repeat purchases, time of the last purchase and age (BG/NBD's summary).
        horizon: length of the horizon, a number or one per customer.
        zbar: mean spend of the repeat purchases (NaN or <= 0 without one).
    """
    params = bgnbd.fit(x, t_x, T)
    spend = gammagamma.fit(x, zbar)
    purchases = bgnbd.expected_purchases(params, horizon, x, t_x, T)
    return purchases * gammagamma.expected_value(spend, x, zbar)


def from_features(table: pd.DataFrame, horizon_weeks: float = HORIZON_WEEKS) -> np.ndarray:
    """The classical prediction for a table of customer features (``features.build_features``)."""
    x, t_x, T = bgnbd.rfm_arrays(table["frequency"], table["recency_days"], table["tenure_days"])
    zbar = table["repeat_spend_mean"].to_numpy(dtype=float)
    return expected_spend(x, t_x, T, horizon_weeks, np.where(np.isfinite(zbar), zbar, 0.0))
