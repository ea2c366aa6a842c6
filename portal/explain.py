"""Why a prediction: exact TreeSHAP contributions from LightGBM's native ``pred_contrib``.

Each booster's contributions are exact and additive in its own link space:
* purchase model: log-odds of P(purchase) = baseline + sum of contributions;
* spend model: log E[spend | purchase] = baseline + sum of contributions.

The combined view works in log(predicted CLV) = log P(purchase) + log E[spend | purchase]. The spend
part is exact. The purchase part is mapped from log-odds to log-probability by scaling each feature's
log-odds contribution by the same ratio, so the total is exact and each feature keeps its share and
sign (labelled "apportioned" in the API). ``factor = exp(log contribution)``: "recency multiplies the
baseline by 0.42".

The prediction averages the hurdle with the classical BG/NBD + Gamma-Gamma value, itself a model
input: log(CLV) = log(hurdle) + log(w + (1 - w) classical / hurdle). That last term is the
classical value's direct part, added to its own feature's contribution, so the total stays exact.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from portal import tree_contributions
from portal.model import BGNBD_COLUMNS, CLASSICAL_COLUMN, HURDLE_WEIGHT, ClvModel, predict_threads

FEATURE_LABELS = {
    "recency_days": "days since the last purchase",
    "monetary_mean": "average spend per purchase day",
    "monetary_max": "best purchase day",
    "spend_1m": "spend in the last month",
    "spend_3m": "spend in the last 3 months",
    "spend_6m": "spend in the last 6 months",
    "orders_1m": "purchase days in the last month",
    "orders_3m": "purchase days in the last 3 months",
    "orders_6m": "purchase days in the last 6 months",
    "gap_mean_days": "average days between purchases",
    "gap_std_days": "regularity of purchases",
    "trend_3m": "3-month spend trend",
    "quantity_mean": "items per purchase day",
    "bgnbd_expected_purchases": "expected purchases (BG/NBD)",
    "bgnbd_p_alive": "probability still active (BG/NBD)",
    "bgnbd_expected_value": "expected purchases × expected spend (BG/NBD + Gamma-Gamma)",
    "repeat_spend_mean": "average spend of repeat purchases",
    "spend_same_months_last_year": "spend in the same months last year",
    "horizon_vs_recent": "coming season vs the last 6 months",
    "horizon_vs_year": "coming season vs the last 12 months",
}


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


STORED_PARTS = ("purchase", "spend", "combined")  # the contributions a version stores


def contributions(model: ClvModel, features: pd.DataFrame | np.ndarray) -> dict[str, np.ndarray]:
    """Raw TreeSHAP matrices for rows of raw features (a frame, or a matrix as model.design takes).

    Returns:
        design (the input matrix), purchase and spend contributions (n x inputs), their baselines (n),
        and the combined log-CLV contributions (n x inputs) with its baseline (n).
    """
    design = model.design(features)
    threads = predict_threads(len(design))
    purchase = model.classifier.booster_.predict(design, pred_contrib=True, num_threads=threads)
    spend = model.regressor.booster_.predict(design, pred_contrib=True, num_threads=threads)
    return _combined(model, design, purchase, spend)


def stored_contributions(
    model: ClvModel, features: pd.DataFrame, rows: int = 50_000
) -> Iterator[np.ndarray]:
    """Every row's ``contributions`` (``STORED_PARTS``, each with its baseline last, then the
    row's ``BGNBD_COLUMNS``: ``stored_width`` values) computed in bulk
    (``portal.tree_contributions``; ``rows`` at a time, one thread per core) to be stored with a
    version. ``explain_stored`` explains one of them with no arithmetic."""
    boosters = (model.classifier.booster_, model.regressor.booster_)
    splits = [tree_contributions.tree_splits(booster) for booster in boosters]

    def explained(start: int) -> np.ndarray:
        design = model.design(features.iloc[start : start + rows])
        purchase, spend = (
            tree_contributions.booster_contributions(booster, design, keyed)
            for booster, keyed in zip(boosters, splits)
        )
        parts = _combined(model, design, purchase, spend)
        return np.hstack(
            [
                *(
                    np.column_stack([parts[name], parts[f"{name}_baseline"]])
                    for name in STORED_PARTS
                ),
                design[:, [model.inputs.index(name) for name in BGNBD_COLUMNS]],
            ]
        )

    with ThreadPoolExecutor(os.cpu_count()) as pool:
        yield from pool.map(explained, range(0, len(features), rows))


def _combined(
    model: ClvModel, design: np.ndarray, purchase: np.ndarray, spend: np.ndarray
) -> dict[str, np.ndarray]:
    """``contributions`` from the boosters' ``pred_contrib`` rows (the baseline last)."""
    p_contrib, p_base = purchase[:, :-1], purchase[:, -1]
    s_contrib, s_base = spend[:, :-1], spend[:, -1] + np.log(model.total_correction)
    log_odds = p_base + p_contrib.sum(axis=1)
    moved = log_odds - p_base
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(
            np.abs(moved) > 1e-12,
            (_log_sigmoid(log_odds) - _log_sigmoid(p_base)) / moved,
            np.exp(_log_sigmoid(-p_base)),
        )  # the derivative of log sigmoid
    combined = s_contrib + p_contrib * scale[:, None]
    combined_baseline = _log_sigmoid(p_base) + s_base
    column = model.inputs.index(CLASSICAL_COLUMN)
    hurdle_log = combined_baseline + combined.sum(axis=1)
    classical = design[:, column] * model.total_correction
    direct = (1 - HURDLE_WEIGHT) * classical / np.exp(hurdle_log)
    combined[:, column] += np.log(HURDLE_WEIGHT + direct)
    return {
        "design": design,
        "purchase": p_contrib,
        "purchase_baseline": p_base,
        "spend": s_contrib,
        "spend_baseline": s_base,
        "combined": combined,
        "combined_baseline": combined_baseline,
    }


def explain_row(model: ClvModel, features: pd.DataFrame | np.ndarray) -> dict:
    """The explanation of the first row, sorted by |log contribution|, for the API and pages."""
    parts = contributions(model, features[:1])
    return _explanation(model, {name: values[0].tolist() for name, values in parts.items()})


def stored_width(model: ClvModel) -> int:
    """Values in a ``stored_contributions`` row."""
    return len(STORED_PARTS) * (len(model.inputs) + 1) + len(BGNBD_COLUMNS)


def explain_stored(model: ClvModel, values: dict, row: list[float]) -> dict:
    """``explain_row`` of a scored customer from its stored ``values`` (its raw features) and its
    ``stored_contributions`` row."""
    width = len(model.inputs) + 1
    parts = {}
    for i, name in enumerate(STORED_PARTS):
        *parts[name], parts[f"{name}_baseline"] = row[i * width : (i + 1) * width]
    known = {
        **{name: values[name] for name in model.raw_features},
        **dict(zip(BGNBD_COLUMNS, row[len(STORED_PARTS) * width :])),
        **model.population.context,
    }
    parts["design"] = [float(known[name]) for name in model.inputs]
    return _explanation(model, parts)


def _explanation(model: ClvModel, parts: dict) -> dict:
    """The explanation of one row from its ``contributions`` (lists, and floats for baselines)."""
    items = [
        {  # keys in sorted order, as the API writes them (``api.encoding`` sorts no list's dicts)
            "factor": math.exp(log_c),
            "feature": name,
            "label": FEATURE_LABELS.get(name, name),
            "log_contribution": log_c,
            "purchase_log_odds": purchase,
            "spend_log": spend,
            "value": value if math.isfinite(value) else None,
        }
        for name, value, log_c, purchase, spend in zip(
            model.inputs, parts["design"], parts["combined"], parts["purchase"], parts["spend"]
        )
    ]
    items.sort(key=lambda item: -abs(item["log_contribution"]))
    baseline_log = parts["combined_baseline"]
    return {
        "baseline_clv": math.exp(baseline_log),
        "baseline_log": baseline_log,
        "purchase_baseline_log_odds": parts["purchase_baseline"],
        "spend_baseline_log": parts["spend_baseline"],
        "predicted_log": baseline_log + sum(i["log_contribution"] for i in items),
        "method": "LightGBM TreeSHAP (pred_contrib), exact per model; purchase part apportioned "
        "from log-odds to log-probability",
        "contributions": items,
    }


def reasons(explanation: dict, top: int = 3) -> list[str]:
    """Plain-language sentences for the largest contributions."""
    sentences = []
    for item in explanation["contributions"][:top]:
        verb = "raises" if item["factor"] >= 1 else "lowers"
        value = "missing" if item["value"] is None else f"{item['value']:,.2f}"
        sentences.append(
            f"{item['label'].capitalize()} ({value}) {verb} the prediction ×{item['factor']:.2f}."
        )
    return sentences


def mean_abs_contributions(model: ClvModel, features: pd.DataFrame) -> dict[str, float]:
    """Global importance: mean |combined log contribution| per model input, largest first."""
    return ranked_importance(model, abs_contributions(model, features))


def abs_contributions(model: ClvModel, features: pd.DataFrame) -> np.ndarray:
    """|combined log contribution| per row and model input (rows x inputs)."""
    return np.abs(contributions(model, features)["combined"])


def ranked_importance(model: ClvModel, absolute: np.ndarray) -> dict[str, float]:
    """The mean of ``abs_contributions`` rows per model input, largest first."""
    combined = absolute.mean(axis=0)
    return dict(sorted(zip(model.inputs, combined.tolist()), key=lambda kv: -kv[1]))
