"""Per-customer features as of a cutoff, and spend labels for the horizon after it.

Only transactions with ``date < cutoff`` feed the features; the label is the net spend in
``[cutoff, cutoff + horizon)``, clipped at 0. A purchase occasion is a day with at least one
non-negative row (returns net against spend but are not purchases).

``repeat_spend_mean`` is the mean net spend of the purchase days after the first (the Gamma-Gamma
input; NaN without a repeat purchase). ``spend_same_months_last_year`` is the spend in the calendar
months of the coming horizon one year earlier, ``[cutoff - 12 months, cutoff - 6 months)``; NaN when
the log starts after that window does.
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
    "repeat_spend_mean",
    "spend_same_months_last_year",
]
SEASONAL_FEATURES = ["spend_same_months_last_year"]
# features that are NaN by definition for some customers (see above): a what-if may leave them null
MAY_BE_MISSING = ("gap_mean_days", "gap_std_days", "repeat_spend_mean", *SEASONAL_FEATURES)
QUANTITY_COLUMNS = ["quantity_total", "quantity_mean"]


def daily(transactions: pd.DataFrame) -> pd.DataFrame:
    """Collapse a normalised log to one row per customer and day.

    Returns:
        customer_id (a Categorical with sorted categories, so features can use integer codes),
        date, amount (net), purchase (bool) and quantity when present, sorted by customer then date.
    """
    frame = transactions.assign(
        customer_id=pd.Categorical(transactions["customer_id"]),
        purchase=transactions["amount"] >= 0,
    )
    agg = {"amount": "sum", "purchase": "any"}
    if "quantity" in frame:
        agg["quantity"] = "sum"
    days = frame.groupby(["customer_id", "date"], sort=True, observed=True).agg(agg)
    return days.reset_index()


def add_months(cutoff: pd.Timestamp, months: int) -> pd.Timestamp:
    """Calendar-month arithmetic (1998-01-31 + 1 month = 1998-02-28)."""
    return pd.Timestamp(cutoff) + pd.DateOffset(months=months)


def _day_numbers(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def _day(timestamp: pd.Timestamp) -> int:
    return int(np.datetime64(pd.Timestamp(timestamp).date(), "D").astype(np.int64))


def build_features(
    days: pd.DataFrame, cutoff: pd.Timestamp, log_start: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Features for every customer with a row before ``cutoff``.

    Vectorised with integer customer codes and bincount: no per-customer Python loop.

    Args:
        days: output of :func:`daily`.
        cutoff: features use ``date < cutoff`` only.
        log_start: the log's first day (default: that of ``days``; a partition of the log
            passes the whole log's).

    Returns:
        A frame indexed by customer_id (sorted) with FEATURE_COLUMNS (+ QUANTITY_COLUMNS when
        the log has quantities). Gap features are NaN for customers with one purchase day.
    """
    cutoff = pd.Timestamp(cutoff)
    log_start = days["date"].min() if log_start is None else log_start
    past = days[days["date"] < cutoff]
    codes = past["customer_id"].cat.codes.to_numpy()
    k = len(days["customer_id"].cat.categories)
    dnum = _day_numbers(past["date"])
    amount = past["amount"].to_numpy(dtype=float)
    buy = past["purchase"].to_numpy(dtype=bool)
    present, first_row = np.unique(codes, return_index=True)
    today = _day(cutoff)

    def total(weights=None, mask=None) -> np.ndarray:
        c = codes if mask is None else codes[mask]
        w = weights if (weights is None or mask is None) else weights[mask]
        return np.bincount(c, weights=w, minlength=k)[present].astype(float)

    out = pd.DataFrame(
        index=pd.Index(days["customer_id"].cat.categories[present], name="customer_id")
    )
    first_day = dnum[first_row]
    last_buy = np.full(k, -1, dtype=np.int64)
    last_buy[codes[buy]] = dnum[buy]  # rows are date-sorted: the last write wins
    last_buy = last_buy[present]
    out["recency_days"] = (today - np.where(last_buy >= 0, last_buy, first_day)).astype(float)
    out["tenure_days"] = (today - first_day).astype(float)
    out["frequency"] = total(mask=buy)
    out["monetary_total"] = total(amount)
    out["monetary_mean"] = out["monetary_total"] / out["frequency"].clip(lower=1)
    out["monetary_max"] = np.maximum.reduceat(amount, first_row) if len(amount) else []

    for months in WINDOW_MONTHS:
        recent = dnum >= _day(add_months(cutoff, -months))
        out[f"spend_{months}m"] = total(amount, recent)
        out[f"orders_{months}m"] = total(mask=recent & buy)

    buy_codes, buy_days = codes[buy], dnum[buy]
    same = buy_codes[1:] == buy_codes[:-1]
    gap_codes = buy_codes[1:][same]
    gaps = np.diff(buy_days)[same].astype(float)
    count = np.bincount(gap_codes, minlength=k)[present]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(gap_codes, weights=gaps, minlength=k)[present] / count
        square = np.bincount(gap_codes, weights=gaps**2, minlength=k)[present] / count
    out["gap_mean_days"] = np.where(count > 0, mean, np.nan)
    out["gap_std_days"] = np.where(count > 0, np.sqrt(np.clip(square - mean**2, 0, None)), np.nan)
    out["trend_3m"] = out["spend_3m"] - (out["spend_6m"] - out["spend_3m"])

    first_buy = np.unique(buy_codes, return_index=True)[1]  # one row per day: the first purchase
    first_spend = np.zeros(k)
    first_spend[buy_codes[first_buy]] = amount[buy][first_buy]
    repeats = out["frequency"].to_numpy() - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat_mean = (total(amount, buy) - first_spend[present]) / repeats
    out["repeat_spend_mean"] = np.where(repeats > 0, repeat_mean, np.nan)

    year_ago = _day(add_months(cutoff, -12))
    last_year = (dnum >= year_ago) & (dnum < _day(add_months(cutoff, -12 + HORIZON_MONTHS)))
    out["spend_same_months_last_year"] = (
        total(amount, last_year) if log_start <= add_months(cutoff, -12) else np.nan
    )

    if "quantity" in days:
        out["quantity_total"] = total(past["quantity"].to_numpy(dtype=float))
        out["quantity_mean"] = out["quantity_total"] / out["frequency"].clip(lower=1)
    return out


def build_labels(days: pd.DataFrame, customers, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Horizon outcome for ``customers``: net spend (clipped at 0) and whether they bought.

    Returns:
        A frame indexed by ``customers`` with ``actual_6m`` (float) and ``bought`` (bool).
    """
    cutoff = pd.Timestamp(cutoff)
    end = add_months(cutoff, HORIZON_MONTHS)
    window = days[(days["date"] >= cutoff) & (days["date"] < end)]
    k = len(days["customer_id"].cat.categories)
    codes = window["customer_id"].cat.codes.to_numpy()
    spend = np.bincount(codes, weights=window["amount"].to_numpy(float), minlength=k)
    bought = np.bincount(codes, weights=window["purchase"].to_numpy(float), minlength=k) > 0
    wanted = days["customer_id"].cat.categories.get_indexer(pd.Index(customers))
    known = wanted >= 0
    return pd.DataFrame(
        {
            "actual_6m": np.where(known, np.clip(spend[wanted], 0.0, None), 0.0),
            "bought": np.where(known, bought[wanted], False),
        },
        index=pd.Index(customers, name="customer_id"),
    )


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The model's input columns present in ``frame``, in canonical order."""
    return [c for c in FEATURE_COLUMNS + QUANTITY_COLUMNS if c in frame.columns]
