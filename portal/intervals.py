"""Prediction intervals: each customer's horizon spend as a zero-inflated predictive distribution.

A customer's spend is 0 with probability 1 - q, and m * Z otherwise, where

* q is the hurdle's P(purchase) recalibrated on the validation window (a logistic fit on its logit),
* m = predicted / q, so the distribution's mean is the point prediction when E[Z] = 1,
* Z follows the empirical distribution of actual / m among the validation window's buyers in the
  same decile of predicted value (Mondrian calibration: every decile its own spread and skew).

The validation window is the 6 months before the scoring cutoff, scored by a model trained only on
labels that end before it (``calibration.validation_window``): data the scored model's method did not see.

A total (the whole base or a segment) is the point total plus a normal interval whose variance is
the sum of the customers' variances (the distributions above, independent given the model) plus a
shared shift: (shift_sd x total)^2, the model-level error of a total that no number of customers
averages away (shift_sd = TOTAL_SHIFT_SD).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import special, stats

from portal import analytics

LEVEL = 0.8
QUANTILES = (0.1, 0.5, 0.9)
COLUMNS = ("clv_p10", "clv_p50", "clv_p90")
GRID = np.linspace(0.0, 1.0, 201)
MIN_BUYERS = 30  # a decile with fewer validation buyers takes the pooled ratio distribution
# How far a total can be off for reasons every customer shares (season, trend, the model): the RMS
# of log(calibration) over the 36 SYNTHETIC grid backtests is 0.021 (make bench-scenarios), rounded
# up for logs unlike the grid.
TOTAL_SHIFT_SD = 0.03
_EPS = 1e-6


@dataclass(frozen=True)
class IntervalModel:
    """Everything needed to turn a point prediction and P(purchase) into quantiles."""

    slope: float
    intercept: float
    ratio_quantiles: np.ndarray  # (deciles, len(GRID)): quantiles of Z per decile of prediction
    ratio_moments: np.ndarray  # (deciles, 2): E[Z], E[Z^2] per decile
    shift_sd: float
    edges: np.ndarray  # descending: the smallest prediction of deciles 1..9 of the scored base
    calibrated_on: str = ""
    level: float = LEVEL

    def purchase_probability(self, p_purchase) -> np.ndarray:
        """The recalibrated P(purchase): q."""
        p = np.clip(np.asarray(p_purchase, dtype=float), _EPS, 1 - _EPS)
        return special.expit(self.slope * special.logit(p) + self.intercept)

    def group(self, predicted) -> np.ndarray:
        """Decile of prediction (0 = highest) by value, so equal predictions share a decile."""
        predicted = np.atleast_1d(np.asarray(predicted, dtype=float))
        return (predicted[:, None] < self.edges[None, :]).sum(axis=1)

    def _parts(self, predicted, p_purchase):
        predicted = np.clip(np.atleast_1d(np.asarray(predicted, dtype=float)), 0.0, None)
        q = self.purchase_probability(np.atleast_1d(p_purchase))
        return predicted, q, predicted / q, self.group(predicted)

    def quantiles(self, predicted, p_purchase, levels=QUANTILES) -> np.ndarray:
        """(n, len(levels)) quantiles of each customer's horizon spend; 0 below the mass at 0."""
        predicted, q, m, groups = self._parts(predicted, p_purchase)
        out = np.zeros((len(predicted), len(levels)))
        for j, level in enumerate(levels):
            within = (level - (1 - q)) / q  # the level within the buyers' part
            buys = within > 0
            for g in np.unique(groups[buys]):
                rows = buys & (groups == g)
                out[rows, j] = m[rows] * np.interp(within[rows], GRID, self.ratio_quantiles[g])
        return out

    def variance(self, predicted, p_purchase) -> np.ndarray:
        """Each customer's variance of horizon spend under the distribution above."""
        predicted, q, m, groups = self._parts(predicted, p_purchase)
        mean_z, mean_z2 = self.ratio_moments[groups].T
        return np.maximum(q * m**2 * mean_z2 - (q * m * mean_z) ** 2, 0.0)

    def total(self, predicted, p_purchase) -> dict:
        """The point total and its interval at ``level`` (normal, lower end at least 0)."""
        predicted = np.asarray(predicted, dtype=float)
        point = float(predicted.sum())
        sd = float(
            np.sqrt(self.variance(predicted, p_purchase).sum() + (self.shift_sd * point) ** 2)
        )
        z = stats.norm.ppf(0.5 + self.level / 2)
        return {"total": point, "low": max(point - z * sd, 0.0), "high": point + z * sd, "sd": sd}

    def pit_coverage(self, predicted, p_purchase, actual) -> np.ndarray:
        """Per customer, the chance that the randomized PIT of ``actual`` falls in the central
        ``level`` band: 0 or 1 for a purchase, the band's share of the mass at 0 for no purchase
        (Czado, Gneiting & Held 2009), so a calibrated model scores ``level`` in every decile."""
        low, high = (1 - self.level) / 2, (1 + self.level) / 2
        actual = np.asarray(actual, dtype=float)
        bounds = self.quantiles(predicted, p_purchase, (low, high))
        covered = ((actual >= bounds[:, 0]) & (actual <= bounds[:, 1])).astype(float)
        zero_mass = 1 - self.purchase_probability(p_purchase)
        at_zero = actual <= 0
        share = np.clip(np.minimum(zero_mass, high) - low, 0, None) / np.maximum(zero_mass, _EPS)
        covered[at_zero] = share[at_zero]
        return covered

    def with_edges(self, predicted) -> IntervalModel:
        """This model with its deciles placed on a scored base's predictions."""
        return replace(self, edges=decile_edges(predicted))


def decile_edges(predicted) -> np.ndarray:
    """The smallest prediction of deciles 1..9 (``analytics.decile_bounds`` by value)."""
    ranked = np.sort(np.asarray(predicted, dtype=float))[::-1]
    if len(ranked) == 0:
        return np.full(analytics.DECILES - 1, np.inf)
    return np.array([ranked[stop - 1] for _, stop in analytics.decile_bounds(len(ranked))[:-1]])


def fit(predicted, p_purchase, actual, calibrated_on: str = "") -> IntervalModel | None:
    """Calibrate on predictions of a model that did not see ``actual``.

    ``calibrated_on``: a description of the set, for the model page.

    None when the window has too few buyers (or non-buyers) to calibrate anything.
    """
    predicted = np.clip(np.asarray(predicted, dtype=float), 0.0, None)
    p = np.clip(np.asarray(p_purchase, dtype=float), _EPS, 1 - _EPS)
    actual = np.asarray(actual, dtype=float)
    bought = actual > 0
    if bought.sum() < MIN_BUYERS or (~bought).sum() < MIN_BUYERS:
        return None
    slope, intercept = _recalibration(special.logit(p), bought)
    edges = decile_edges(predicted)
    base = IntervalModel(slope, intercept, np.empty(0), np.empty(0), 0.0, edges, calibrated_on)
    q = base.purchase_probability(p)
    ratio = np.where(bought, actual / np.maximum(predicted / q, _EPS), 0.0)
    groups = base.group(predicted)
    pooled = ratio[bought]
    tables, moments = [], []
    for g in range(analytics.DECILES):
        mine = ratio[bought & (groups == g)]
        sample = mine if len(mine) >= MIN_BUYERS else pooled
        tables.append(np.quantile(sample, GRID))
        moments.append((sample.mean(), (sample**2).mean()))
    return replace(
        base,
        ratio_quantiles=np.array(tables),
        ratio_moments=np.array(moments),
        shift_sd=TOTAL_SHIFT_SD,
    )


def _recalibration(logit_p: np.ndarray, bought: np.ndarray) -> tuple[float, float]:
    """Logistic regression of purchase on logit(P(purchase)) by Newton's method: (slope, intercept)."""
    x = np.column_stack([logit_p, np.ones_like(logit_p)])
    beta = np.array([1.0, 0.0])
    for _ in range(25):
        mu = special.expit(x @ beta)
        weight = np.maximum(mu * (1 - mu), 1e-9)
        step = np.linalg.solve(x.T @ (x * weight[:, None]) + 1e-9 * np.eye(2), x.T @ (bought - mu))
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return float(beta[0]), float(beta[1])


def summary(model: IntervalModel | None, table) -> dict:
    """How the intervals were made and the scored base's total range, for metrics.json."""
    if model is None:
        return {
            "available": False,
            "note": "no validation window with enough buyers and non-buyers to calibrate on",
        }
    total = model.total(table["predicted_clv_6m"], table["p_purchase"])
    return {
        "available": True,
        "level": model.level,
        "calibrated_on": model.calibrated_on,
        "shift_sd": model.shift_sd,
        "purchase_recalibration": {"slope": model.slope, "intercept": model.intercept},
        "total": total,
    }


def backtest_summary(model: IntervalModel | None, table) -> dict:
    """Coverage of the intervals on a backtest table (with ``actual_6m``): overall and per decile,
    strict (actual within [P10, P90]) and PIT (see ``IntervalModel.pit_coverage``), and whether
    the total's interval held the actual total."""
    result = summary(model, table)
    if model is None:
        return result
    actual = table["actual_6m"].to_numpy()
    strict = (actual >= table[COLUMNS[0]].to_numpy()) & (actual <= table[COLUMNS[-1]].to_numpy())
    pit = model.pit_coverage(table["predicted_clv_6m"], table["p_purchase"], actual)
    decile = table["decile"].to_numpy()
    result["coverage"] = float(strict.mean())
    result["pit_coverage"] = float(pit.mean())
    result["mean_width"] = float((table[COLUMNS[-1]] - table[COLUMNS[0]]).mean())
    result["deciles"] = [
        {
            "decile": int(d),
            "coverage": float(strict[decile == d].mean()),
            "pit_coverage": float(pit[decile == d].mean()),
            "no_purchase_rate": float((actual[decile == d] <= 0).mean()),
        }
        for d in np.unique(decile)
    ]
    result["total"]["actual"] = float(actual.sum())
    result["total"]["contains_actual"] = bool(
        result["total"]["low"] <= actual.sum() <= result["total"]["high"]
    )
    return result


def fields(model: IntervalModel | None, predicted: float, p_purchase: float) -> dict:
    """The API's interval fields for one prediction (None where the version has no intervals)."""
    if model is None:
        return {**dict.fromkeys(COLUMNS), "interval_level": None}
    bounds = model.quantiles([predicted], [p_purchase])[0]
    return {**dict(zip(COLUMNS, map(float, bounds))), "interval_level": model.level}


def stored_fields(model: IntervalModel | None, row) -> dict:
    """``fields`` of a scored customer, from its stored ``COLUMNS`` (``row``: a mapping)."""
    if model is None:
        return fields(None, 0.0, 0.0)
    return {**{column: float(row[column]) for column in COLUMNS}, "interval_level": model.level}


def total_fields(model: IntervalModel | None, predicted, p_purchase) -> dict:
    """The API's range of a total (None where the version has no intervals)."""
    if model is None:
        return {"predicted_low": None, "predicted_high": None, "interval_level": None}
    total = model.total(predicted, p_purchase)
    return {
        "predicted_low": total["low"],
        "predicted_high": total["high"],
        "interval_level": model.level,
    }
