"""Per-customer features as of a cutoff, and spend labels for the horizon after it.

Only transactions with ``date < cutoff`` feed the features; the label is the net spend in
``[cutoff, cutoff + horizon)``, clipped at 0. A purchase occasion is a day with at least one
non-negative row (returns net against spend but are not purchases).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HORIZON_MONTHS = 6
WINDOW_MONTHS = (1, 3, 6, 12)
FEATURE_COLUMNS = [
    "recency_days",
    "tenure_days",
    "frequency",
    "monetary_total",
    "monetary_mean",
    "monetary_max",
    *[f"spend_{m}m" for m in WINDOW_MONTHS],
    *[f"orders_{m}m" for m in WINDOW_MONTHS],
    "gap_mean_days",
    "gap_std_days",
    "trend_3m",
]
QUANTITY_COLUMNS = ["quantity_total", "quantity_mean"]


def daily(transactions: pd.DataFrame) -> pd.DataFrame:
    """Collapse a normalised log to one row per customer and day.

    Returns:
        customer_id, date, amount (net), purchase (bool) and quantity when present,
        sorted by customer then date.
    """
    frame = transactions.assign(purchase=transactions["amount"] >= 0)
    agg = {"amount": "sum", "purchase": "any"}
    if "quantity" in frame:
        agg["quantity"] = "sum"
    days = frame.groupby(["customer_id", "date"], sort=True, observed=True).agg(agg)
    return days.reset_index()


def add_months(cutoff: pd.Timestamp, months: int) -> pd.Timestamp:
    """Calendar-month arithmetic (1998-01-31 + 1 month = 1998-02-28)."""
    return pd.Timestamp(cutoff) + pd.DateOffset(months=months)


def build_features(days: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Features for every customer with a row before ``cutoff``.

    Args:
        days: output of :func:`daily`.
        cutoff: features use ``date < cutoff`` only.

    Returns:
        A frame indexed by customer_id (sorted) with FEATURE_COLUMNS (+ QUANTITY_COLUMNS when
        the log has quantities). Gap features are NaN for customers with one purchase day.
    """
    cutoff = pd.Timestamp(cutoff)
    past = days[days["date"] < cutoff]
    buys = past[past["purchase"]]
    grouped = past.groupby("customer_id", sort=True)
    out = pd.DataFrame(index=grouped.size().index)
    out.index.name = "customer_id"

    first = grouped["date"].min()
    last_buy = buys.groupby("customer_id")["date"].max().reindex(out.index).fillna(first)
    out["recency_days"] = (cutoff - last_buy).dt.days.astype(float)
    out["tenure_days"] = (cutoff - first).dt.days.astype(float)
    frequency = buys.groupby("customer_id").size().reindex(out.index, fill_value=0)
    out["frequency"] = frequency.astype(float)
    out["monetary_total"] = grouped["amount"].sum()
    out["monetary_mean"] = out["monetary_total"] / out["frequency"].clip(lower=1)
    out["monetary_max"] = grouped["amount"].max()

    for months in WINDOW_MONTHS:
        start = add_months(cutoff, -months)
        window = past[past["date"] >= start]
        by = window.groupby("customer_id")
        out[f"spend_{months}m"] = by["amount"].sum().reindex(out.index, fill_value=0.0)
        out[f"orders_{months}m"] = (
            by["purchase"].sum().reindex(out.index, fill_value=0).astype(float)
        )

    gaps = buys["date"].diff().dt.days
    gaps = gaps[buys["customer_id"].eq(buys["customer_id"].shift())]
    by_gap = gaps.groupby(buys.loc[gaps.index, "customer_id"])
    out["gap_mean_days"] = by_gap.mean().reindex(out.index)
    out["gap_std_days"] = by_gap.std(ddof=0).reindex(out.index)
    out["trend_3m"] = out["spend_3m"] - (out["spend_6m"] - out["spend_3m"])

    if "quantity" in days:
        out["quantity_total"] = grouped["quantity"].sum()
        out["quantity_mean"] = out["quantity_total"] / out["frequency"].clip(lower=1)
    return out


def build_labels(days: pd.DataFrame, customers: pd.Index, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Horizon outcome for ``customers``: net spend (clipped at 0) and whether they bought.

    Returns:
        A frame indexed like ``customers`` with ``actual_6m`` (float) and ``bought`` (bool).
    """
    cutoff = pd.Timestamp(cutoff)
    end = add_months(cutoff, HORIZON_MONTHS)
    window = days[(days["date"] >= cutoff) & (days["date"] < end)]
    by = window.groupby("customer_id")
    spend = by["amount"].sum().reindex(customers, fill_value=0.0).clip(lower=0.0)
    bought = by["purchase"].any().reindex(customers, fill_value=False).astype(bool)
    return pd.DataFrame(
        {"actual_6m": spend.to_numpy(float), "bought": bought.to_numpy()}, index=customers
    )


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The model's input columns present in ``frame``, in canonical order."""
    return [c for c in FEATURE_COLUMNS + QUANTITY_COLUMNS if c in frame.columns]


def as_float_matrix(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Columns as a float64 matrix (NaN kept: the boosted trees handle missing values)."""
    return frame[columns].to_numpy(dtype=np.float64)
