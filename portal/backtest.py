"""A scored table judged on the 6 months after its cutoff: metrics.json's ``backtest``.

The model and two naive baselines are measured with ``portal.analytics`` (portal/METRICS.md), with
the classical BG/NBD + Gamma-Gamma model as a third reference.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from portal import analytics, classical, features, intervals
from portal.calibration import correction_summary
from portal.fitting import Scored
from portal.season import season_summary

log = logging.getLogger(__name__)

BASELINES = {
    "last_6m_repeated": lambda f: f["spend_6m"].clip(lower=0),
    "half_last_12m": lambda f: f["spend_12m"].clip(lower=0) / 2,
    "bgnbd_gamma_gamma": classical.from_features,
}


def backtest_metrics(table: pd.DataFrame) -> dict:
    """portal/METRICS.md figures for the model and the naive baselines on a backtest table."""
    y = table["actual_6m"].to_numpy()
    ids = table["customer_id"].to_numpy()
    result = {"model": analytics.point_metrics(y, table["predicted_clv_6m"].to_numpy(), ids)}
    for name, rule in BASELINES.items():
        try:
            result[name] = analytics.point_metrics(y, np.asarray(rule(table), dtype=float), ids)
        except ValueError as exc:  # e.g. too few repeat buyers for Gamma-Gamma
            log.warning("baseline %s left out: %s", name, exc)
    result["deciles"] = analytics.as_dicts(
        analytics.decile_table(table["predicted_clv_6m"].to_numpy(), ids, y)
    )
    result["p_purchase_mean"] = float(table["p_purchase"].mean())
    result["actual_purchase_rate"] = float((y > 0).mean())
    return result


def judged_backtest(back: Scored, days: pd.DataFrame, cutoff: pd.Timestamp) -> dict:
    """metrics.json's ``backtest``: the scored table judged on the 6 months after ``cutoff``."""
    labels = features.build_labels(days, back.table["customer_id"], cutoff)
    back.table["actual_6m"] = labels["actual_6m"].to_numpy()
    return judge(back, cutoff, days["date"].min())


def judge(back: Scored, cutoff: pd.Timestamp, first_day: pd.Timestamp) -> dict:
    """``judged_backtest`` of a table that has its labels (``actual_6m``)."""
    result = {"available": True, **backtest_metrics(back.table)}
    result["cutoff"] = str(cutoff.date())
    result["customers"] = len(back.table)
    result["correction"] = correction_summary(back.model)
    calibration = result["model"]["calibration"]
    result["correction"]["backtest_calibration_before"] = calibration / back.model.total_correction
    result["correction"]["backtest_calibration_after"] = calibration
    result["season"] = season_summary(back.model, first_day)
    result["intervals"] = intervals.backtest_summary(back.model.intervals, back.table)
    return result
