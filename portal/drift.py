"""Drift: the population stability index (PSI) of each input feature between the latest training
snapshot and the scored population.

At training time each feature's reference distribution is binned at the deciles of the latest
snapshot's rows (the training rows nearest the scored customers in time) (equal values merge bins; a feature's missing values are a bin of their own) and stored with
the model. A population is compared with it by

    PSI = sum over bins of (scored share - reference share) x ln(scored share / reference share),

shares floored at FLOOR so an empty bin counts as rare, not impossible. Above THRESHOLD (0.2, the
usual "significant shift") a feature is flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BINS = 10
FLOOR = 1e-4
THRESHOLD = 0.2


def reference_bins(frame: pd.DataFrame, columns: list[str]) -> dict[str, dict]:
    """Per column: inner bin edges at the deciles of its finite values, and each bin's share
    (the last bin holds the missing values)."""
    bins = {}
    for column in columns:
        values = frame[column].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        quantiles = np.quantile(finite, np.arange(1, BINS) / BINS) if len(finite) else []
        edges = np.unique(quantiles).tolist()
        bins[column] = {"edges": edges, "shares": shares(values, edges).tolist()}
    return bins


def shares(values, edges: list[float]) -> np.ndarray:
    """The share of ``values`` in (-inf, e1], (e1, e2], ..., (ek, inf) and missing (len(edges) + 2)."""
    return counts(values, edges) / max(len(values), 1)


def counts(values, edges: list[float]) -> np.ndarray:
    """The number of ``values`` in each of ``shares``' bins."""
    values = np.asarray(values, dtype=float)
    index = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    index[~np.isfinite(values)] = len(edges) + 1
    return np.bincount(index, minlength=len(edges) + 2)


def psi(reference, current) -> float:
    """Population stability index of two share vectors over the same bins."""
    expected = np.maximum(np.asarray(reference, dtype=float), FLOOR)
    actual = np.maximum(np.asarray(current, dtype=float), FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def report(bins: dict[str, dict], frame: pd.DataFrame) -> dict:
    """PSI of every binned feature of ``frame`` against its reference, highest first."""
    scored = {c: shares(frame[c], bins[c]["edges"]) for c in bins if c in frame}
    return report_shares(bins, scored)


def report_shares(bins: dict[str, dict], scored_shares: dict[str, np.ndarray]) -> dict:
    """``report`` from the scored customers' shares per binned column."""
    rows = []
    for column, reference in bins.items():
        if column not in scored_shares:
            continue
        scored = scored_shares[column]
        value = psi(reference["shares"], scored)
        rows.append(
            {
                "feature": column,
                "psi": value,
                "flagged": value > THRESHOLD,
                "edges": reference["edges"],
                "reference": reference["shares"],
                "scored": scored.tolist(),
            }
        )
    rows.sort(key=lambda r: -r["psi"])
    return {
        "available": True,
        "threshold": THRESHOLD,
        "flagged": [r["feature"] for r in rows if r["flagged"]],
        "features": rows,
    }
