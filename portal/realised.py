"""A version's predictions against the spend realised in the observed part of its horizon.

A version predicted each customer's spend over its horizon [cutoff, cutoff + 6 months). A newer
transaction log covers that horizon up to the day after its last transaction (``observed_to``); the
realised spend per customer is the net spend in [cutoff, observed_to), clipped at 0 as the labels
are (``features.build_labels``).

A partly observed horizon is compared with the prediction pro-rated by the model's own timing:
every prediction is multiplied by one factor, the share of the horizon's expected purchases that
fall in the observed part,

    share = sum_i E[X_i(observed part)] / sum_i E[X_i(horizon)]

from the version's BG/NBD (its conditional expectation per customer, on the version's business
clock when it has one, so a busy season or a trend moves the share). Without the version's model
(its folder is gone) the share is the plain time share. One factor keeps the ranking that was
served, so Gini and top-decile judge exactly what the version said; only the totals (calibration,
decile MAPE) depend on the share. Interval coverage needs the whole horizon and is computed only
then (``intervals.backtest_summary``, as for a backtest). Pure: no files, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal import analytics, bgnbd, features, intervals
from portal.model import HORIZON_WEEKS, Population


@dataclass(frozen=True)
class Window:
    """How much of a version's horizon a log covers."""

    cutoff: pd.Timestamp
    end: pd.Timestamp  # the horizon's end (exclusive)
    observed_to: pd.Timestamp  # the end of the observed part (exclusive)

    @property
    def fraction(self) -> float:
        """The observed share of the horizon's days."""
        days = (self.observed_to - self.cutoff).days / (self.end - self.cutoff).days
        return float(min(max(days, 0.0), 1.0))

    @property
    def complete(self) -> bool:
        return self.observed_to >= self.end


def window(cutoff, last_day) -> Window:
    """The part of the horizon from ``cutoff`` that a log ending on ``last_day`` covers."""
    cutoff = pd.Timestamp(cutoff)
    end = features.add_months(cutoff, features.HORIZON_MONTHS)
    observed_to = min(end, max(cutoff, pd.Timestamp(last_day) + pd.Timedelta(days=1)))
    return Window(cutoff, end, observed_to)


def expected_share(population: Population | None, table: pd.DataFrame, seen: Window) -> tuple:
    """(share, rule): the share of the horizon's expected purchases in the observed part.

    rule is "bgnbd-clock" (BG/NBD on the version's business clock), "bgnbd" (calendar time) or
    "time" (no model: the share of days)."""
    if seen.complete:
        return 1.0, "complete"
    if population is None:
        return seen.fraction, "time"
    x, t_x, T, horizon = population.rfm(table)
    if population.clock is None:
        observed, rule = HORIZON_WEEKS * seen.fraction, "bgnbd"
    else:
        business = population.clock
        start, stop = (business.at(business.day_of(d)) for d in (seen.cutoff, seen.observed_to))
        observed, rule = float(stop - start) / bgnbd.DAYS_PER_WEEK, "bgnbd-clock"
    whole = bgnbd.expected_purchases(population.bgnbd, horizon, x, t_x, T).sum()
    part = bgnbd.expected_purchases(population.bgnbd, observed, x, t_x, T).sum()
    return (float(part / whole) if whole > 0 else seen.fraction), rule


def evaluate(
    table: pd.DataFrame,
    days: pd.DataFrame,
    seen: Window,
    share: float,
    interval_model: intervals.IntervalModel | None = None,
) -> dict:
    """A version's figures against the spend realised in the observed part of its horizon.

    ``table``: its scored customers (customer_id, predicted_clv_6m, p_purchase, decile and the
    interval columns when it has them); ``days``: ``features.daily`` of the newer log.
    """
    ids = table["customer_id"].astype(str).to_numpy()
    observed = days[days["date"] < seen.observed_to]
    actual = features.build_labels(observed, ids, seen.cutoff)["actual_6m"].to_numpy()
    full = table["predicted_clv_6m"].to_numpy(dtype=float)
    predicted = full * share
    figures = analytics.point_metrics(actual, predicted, ids)
    result = {
        "cutoff": str(seen.cutoff.date()),
        "horizon_end": str(seen.end.date()),
        "observed_to": str(seen.observed_to.date()),
        "fraction_observed": seen.fraction,
        "expected_share": share,
        "customers": len(table),
        "predicted_total_horizon": float(full.sum()),
        "predicted_total": float(predicted.sum()),
        "realised_total": float(actual.sum()),
        "metrics": figures,
        **{k: figures[k] for k in ("normalized_gini", "top_decile_capture", "calibration")},
        "decile_mape": None if np.isnan(figures["decile_mape"]) else figures["decile_mape"],
        "deciles": analytics.as_dicts(analytics.decile_table(predicted, ids, actual)),
        "predicted_low": None,
        "predicted_high": None,
        "coverage": None,
        "intervals": None,
    }
    if interval_model is not None:
        total = interval_model.total(full, table["p_purchase"].to_numpy(dtype=float))
        result["predicted_low"] = total["low"] * share
        result["predicted_high"] = total["high"] * share
        if seen.complete:
            judged = intervals.backtest_summary(interval_model, table.assign(actual_6m=actual))
            result["intervals"] = judged
            result["coverage"] = judged["coverage"]
    return result
