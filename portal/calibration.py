"""The total's check and the intervals' calibration on the validation window before a cutoff.

The validation window is the most recent fully observed 6 months before the scoring cutoff, scored
by a model trained only on labels that end where the window starts: data the scored model's method
did not see. Its total decides whether the scored model's total is corrected
(``validation_correction``) and its customers calibrate the prediction intervals
(``interval_model``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal import features, intervals, season
from portal.cutoffs import TrainError
from portal.fitting import Scored, fit_model
from portal.model import ClvModel

CORRECTION_RANGE = (0.5, 2.0)
TRUSTED_CALIBRATION = (0.8, 1.25)


@dataclass
class ValidationWindow:
    """The most recent fully observed 6 months before a scoring cutoff, scored by a model trained
    only on labels that end where the window starts (its own total correction undone)."""

    cutoff: pd.Timestamp
    model: ClvModel
    predicted: np.ndarray
    p_purchase: np.ndarray
    actual: np.ndarray


def validation_window(
    days: pd.DataFrame, cutoff: pd.Timestamp, seed: int, earlier: Scored | None = None
) -> ValidationWindow | None:
    """The validation window before ``cutoff``; None when the history is too short for its model.

    ``earlier``: that model, already fitted and scored (production mode's backtest), so it is not
    fitted twice.
    """
    start = features.add_months(cutoff, -features.HORIZON_MONTHS)
    if earlier is None:
        try:
            model, known = fit_model(days, start, seed)
        except TrainError:
            return None
        prediction = model.predict(known)
        ids, predicted, p_purchase = known.index, prediction.clv, prediction.p_purchase
    else:
        model, table = earlier.model, earlier.table
        ids = table["customer_id"]
        predicted = table["predicted_clv_6m"].to_numpy() / model.total_correction
        p_purchase = table["p_purchase"].to_numpy()
    actual = features.build_labels(days, ids, start)["actual_6m"].to_numpy()
    return ValidationWindow(start, model, predicted, p_purchase, actual)


def validation_correction(
    window: ValidationWindow | None, first_day: pd.Timestamp, cutoff: pd.Timestamp
) -> dict | None:
    """Check the total on the validation window (None without one).

    The window's predicted total is compared with what its customers spent. The model's total is
    corrected (by actual / predicted) only when that check is off by more than TRUSTED_CALIBRATION
    allows (within it, the check's own error, its model having six months less history, is as
    large as what it would correct: see the README's scenario grid), and only when that model sees
    a season exactly when the scored model does.
    """
    if window is None:
        return None
    predicted, actual = float(window.predicted.sum()), float(window.actual.sum())
    if predicted <= 0 or actual <= 0:
        return {
            "cutoff": str(window.cutoff.date()),
            "customers": len(window.actual),
            "applied": False,
            "factor": 1.0,
            "note": "no spend predicted or made in the validation window: nothing to check",
        }
    calibration = predicted / actual
    low, high = TRUSTED_CALIBRATION
    # a check whose model could not see the season the scored model sees says nothing about it
    comparable = (window.model.population.clock is None) == (
        not season.season_visible(first_day, cutoff)
    )
    applied = comparable and not low <= calibration <= high
    return {
        "cutoff": str(window.cutoff.date()),
        "customers": len(window.actual),
        "calibration": calibration,
        "comparable": comparable,
        "applied": applied,
        "factor": float(np.clip(1 / calibration, *CORRECTION_RANGE)) if applied else 1.0,
    }


def interval_model(
    window: ValidationWindow | None, correction: float
) -> intervals.IntervalModel | None:
    """Prediction intervals calibrated on the validation window (None without one, or with too few
    buyers), its predictions scaled by the ``correction`` the scored model's total gets, so the
    spread is measured around predictions as they will be served."""
    if window is None:
        return None
    return intervals.fit(
        window.predicted * correction,
        window.p_purchase,
        window.actual,
        calibrated_on=f"the validation window from {window.cutoff.date()}",
    )


def correction_summary(model: ClvModel) -> dict:
    """How the model's total was checked and corrected, for metrics.json and the model page."""
    if not model.validation:
        return {
            "applied": False,
            "factor": 1.0,
            "note": "no validation window: the history before it is too short to train a model "
            f"whose labels end {features.HORIZON_MONTHS} months before the cutoff",
        }
    return dict(model.validation)
