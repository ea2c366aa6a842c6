"""Per-customer fields marketers expect, and named groups, from the scored table and the fitted
population models (no refit: BG/NBD's parameters and business clock are the model's own).

Every field is defined in the README ("Marketer fields and groups"). Money stays unrounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal import analytics, bgnbd
from portal.bgnbd import DAYS_PER_WEEK
from portal.features import HORIZON_MONTHS, add_months
from portal.model import Population, bgnbd_columns

MAX_WAIT_DAYS = 36_525  # a next order further away than a century is shown as none
FIELDS = [
    "p_active",
    "churn_risk",
    "expected_orders_6m",
    "next_order_date",
    "avg_days_between_orders",
    "avg_order_value",
    "historic_spend",
    "total_clv",
    "run_rate_6m",
    "value_at_risk",
    "group",
]

HIGH_VALUE_PCT = 20.0  # "high past value": the top 20% by historic spend
AT_RISK_P_ACTIVE = 0.5
RISING_FACTOR = 1.5
RISING_TOP_PCT = 50.0
NEW_DAYS = 90
PROMISE_TOP_PCT = 20.0
LAPSED_P_PURCHASE = 0.2


@dataclass(frozen=True)
class Group:
    """A named group: its name and one-line definition."""

    name: str
    definition: str


HIGH_VALUE_AT_RISK = Group(
    "High value at risk",
    f"top {HIGH_VALUE_PCT:g}% by historic spend and P(active) below {AT_RISK_P_ACTIVE:g}",
)
NEW_WITH_PROMISE = Group(
    "New with promise",
    f"first order in the last {NEW_DAYS} days and predicted CLV in the top {PROMISE_TOP_PCT:g}%",
)
RISING = Group(
    "Rising",
    f"predicted 6-month spend at least {RISING_FACTOR:g}x the past 6-month run-rate, "
    f"and in the top {RISING_TOP_PCT:g}% by predicted CLV",
)
LAPSED = Group(
    "Lapsed",
    f"no order in the last 6 months and P(purchase in the next 6) below {LAPSED_P_PURCHASE:g}",
)
GROUPS = (HIGH_VALUE_AT_RISK, NEW_WITH_PROMISE, RISING, LAPSED)  # first match wins


def horizon_days(cutoff: str) -> int:
    """Calendar days of the horizon after ``cutoff`` (181 from 1998-01-01)."""
    start = pd.Timestamp(cutoff)
    return int((add_months(start, HORIZON_MONTHS) - start).days)


def next_order_dates(table: pd.DataFrame, population: Population) -> np.ndarray:
    """The median date of each customer's next order if still active (NaT beyond a century).

    The wait is ``bgnbd.median_wait_if_alive`` in the model's time (the business clock's weeks
    where there is one), turned back into calendar days: busy seasons bring the date closer.
    """
    x, _, T, _ = population.rfm(table)
    wait = bgnbd.median_wait_if_alive(population.bgnbd, x, T) * DAYS_PER_WEEK
    cutoff = pd.Timestamp(population.cutoff)
    clock = population.clock
    if clock is None:
        days = wait
    else:
        start = clock.day_of(cutoff)
        days = clock.day_at(clock.at(start) + wait) - start
    days = np.floor(np.where(np.isfinite(days), days, np.inf))
    within = days <= MAX_WAIT_DAYS
    dates = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
    dates[within] = np.datetime64(cutoff.date()) + days[within].astype(np.int64)
    return dates


def customer_fields(table: pd.DataFrame, population: Population) -> pd.DataFrame:
    """The marketer fields (``FIELDS``) of every row of a scored table, in its order.

    ``table`` has the feature columns, ``predicted_clv_6m``, ``p_purchase`` and ``customer_id``.
    """
    fitted = bgnbd_columns(table, population)
    p_active = fitted["bgnbd_p_alive"]
    horizon = horizon_days(population.cutoff)
    historic = table["monetary_total"].to_numpy(dtype=float)
    tenure = table["tenure_days"].to_numpy(dtype=float)
    run_rate = historic * horizon / np.maximum(tenure, horizon)
    out = pd.DataFrame(
        {
            "p_active": p_active,
            "churn_risk": 1.0 - p_active,
            "expected_orders_6m": fitted["bgnbd_expected_purchases"],
            "next_order_date": pd.to_datetime(next_order_dates(table, population)),
            "avg_days_between_orders": table["gap_mean_days"].to_numpy(dtype=float),
            "avg_order_value": table["monetary_mean"].to_numpy(dtype=float),
            "historic_spend": historic,
            "total_clv": historic + table["predicted_clv_6m"].to_numpy(dtype=float),
            "run_rate_6m": run_rate,
            "value_at_risk": (1.0 - p_active) * run_rate,
        },
        index=table.index,
    )
    out["group"] = pd.Series(assign_groups(table, out), index=table.index, dtype=object)
    return out


def mean_order_value(table: pd.DataFrame) -> float:
    """All historic spend over all orders (purchase days): the population's order value."""
    orders = float(table["frequency"].sum())
    return float(table["monetary_total"].sum()) / orders if orders else 0.0


def _top(values, ids, top_pct: float) -> np.ndarray:
    """Mask of the top ``top_pct``% by ``values``: ceil(n X / 100) rows, ties at the cut by
    customer id, as ``analytics.rank_order`` would take them (without sorting everyone)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=bool)
    k = analytics.elite_size(n, top_pct)
    cut = -np.partition(-values, k - 1)[k - 1]
    mask = values > cut
    tied = np.flatnonzero(values == cut)
    chosen = tied[np.argsort(np.asarray(ids)[tied].astype(str), kind="stable")[: k - mask.sum()]]
    mask[chosen] = True
    return mask


def assign_groups(table: pd.DataFrame, fields: pd.DataFrame) -> np.ndarray:
    """Each customer's group name (``GROUPS`` in order, the first that matches), or None."""
    ids = table["customer_id"].astype(str).to_numpy()
    predicted = table["predicted_clv_6m"].to_numpy(dtype=float)
    rules = {
        HIGH_VALUE_AT_RISK.name: _top(fields["historic_spend"], ids, HIGH_VALUE_PCT)
        & (fields["p_active"].to_numpy() < AT_RISK_P_ACTIVE),
        NEW_WITH_PROMISE.name: (table["tenure_days"].to_numpy() <= NEW_DAYS)
        & _top(predicted, ids, PROMISE_TOP_PCT),
        RISING.name: (predicted >= RISING_FACTOR * fields["run_rate_6m"].to_numpy())
        & _top(predicted, ids, RISING_TOP_PCT),
        LAPSED.name: (table["orders_6m"].to_numpy() == 0)
        & (table["p_purchase"].to_numpy() < LAPSED_P_PURCHASE),
    }
    names = np.full(len(table), None, dtype=object)
    for group in reversed(GROUPS):  # the earliest group is written last, so it wins
        names[rules[group.name]] = group.name
    return names


def group_summary(predicted, historic, group_mask, actual=None) -> list[dict]:
    """Customers, predicted 6-month value, historic spend (and actual spend) of every group;
    ``group_mask(name)`` gives the rows of one group."""
    predicted = np.asarray(predicted, dtype=float)
    rows = []
    for group in GROUPS:
        mask = group_mask(group.name)
        row = {
            "group": group.name,
            "definition": group.definition,
            "customers": int(mask.sum()),
            "predicted_value": float(predicted[mask].sum()),
            "historic_spend": float(np.asarray(historic, dtype=float)[mask].sum()),
        }
        if actual is not None:
            row["actual_6m"] = float(np.asarray(actual, dtype=float)[mask].sum())
        rows.append(row)
    return rows
