"""Training at one cutoff: fit, check the total, calibrate the intervals, score every customer.

``fit_and_score`` is one training run's work at a cutoff (``portal.fitting`` fits the model,
``portal.calibration`` checks its total and calibrates its intervals); ``portal.pipeline`` runs it
for a backtest and a final fit and publishes the result. Nothing here writes a file.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from portal import analytics, intervals, sampling
from portal.calibration import interval_model, validation_correction, validation_window
from portal.explain import mean_abs_contributions
from portal.fitting import Scored, fit_model
from portal.model import ClvModel, Prediction

log = logging.getLogger(__name__)

IMPORTANCE_ROWS = 20_000


def fit_and_score(
    days: pd.DataFrame, cutoff: pd.Timestamp, seed: int, earlier: Scored | None = None
) -> Scored:
    """Train on snapshots before ``cutoff``, correct the total and calibrate the intervals on the
    validation window (on held-out customers where it cannot), and score every customer known at
    ``cutoff``. ``earlier``: the run scored 6 months before, if there is one (it is the validation
    window's model)."""
    window = validation_window(days, cutoff, seed, earlier)
    validation = validation_correction(window, days["date"].min(), cutoff)
    correction = validation["factor"] if validation and validation["applied"] else 1.0
    calibrated = interval_model(window, correction)
    model, current = fit_model(days, cutoff, seed, holdout_intervals=calibrated is None)
    model.validation, model.total_correction = validation, correction
    log.info("scoring %d customers as of %s", len(current), cutoff.date())
    prediction = model.predict(current)
    calibrated = calibrated or model.intervals
    model.intervals = calibrated.with_edges(prediction.clv) if calibrated else None
    return Scored(model=model, table=score_table(model, current, prediction))


def score_table(model: ClvModel, current: pd.DataFrame, prediction: Prediction) -> pd.DataFrame:
    """One row per customer: id, features, prediction, its interval, P(purchase), rank, decile,
    segment."""
    table = current.reset_index()
    table["predicted_clv_6m"] = prediction.clv
    if model.intervals is not None:
        bounds = model.intervals.quantiles(prediction.clv, prediction.p_purchase)
        for j, column in enumerate(intervals.COLUMNS):
            table[column] = bounds[:, j]
    table["p_purchase"] = prediction.p_purchase
    ids = table["customer_id"].to_numpy()
    order = analytics.rank_order(prediction.clv, ids)
    rank = np.empty(len(table), dtype=np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    table["rank"] = rank
    table["decile"], table["segment"] = analytics.standing(rank, len(table))
    return table


def global_importance(model: ClvModel, table: pd.DataFrame, seed: int) -> dict[str, float]:
    """Mean |TreeSHAP contribution to log CLV| per model input, on up to IMPORTANCE_ROWS customers."""
    sample = sampling.sample(table.set_index("customer_id", drop=False), IMPORTANCE_ROWS, f"{seed}")
    return mean_abs_contributions(model, sample)
