"""Where in the year the horizon falls and where the business is heading, as of a cutoff.

Population context from the business clock (``portal.clock``), the same for every customer at one
cutoff; the model learns how it moves the outcome from its many monthly training snapshots:

* ``horizon_vs_recent``: the horizon's length on the clock over the last 6 months' (how much busier
  the coming 6 months are than the ones that the recent-window features describe);
* ``horizon_vs_year``: the horizon's length on the clock over half the last 12 months'.

A season can be seen only with at least ``SEASON_MIN_MONTHS`` months of history before the cutoff;
with less there is no clock and no context, and the model does without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portal.clock import BusinessClock
from portal.features import HORIZON_MONTHS, add_months

SEASON_MIN_MONTHS = 13
CONTEXT_COLUMNS = ["horizon_vs_recent", "horizon_vs_year"]


def months_of_history(first_date: pd.Timestamp, cutoff: pd.Timestamp) -> int:
    """Whole calendar months from the first transaction to the cutoff."""
    first, cut = pd.Timestamp(first_date), pd.Timestamp(cutoff)
    months = (cut.year - first.year) * 12 + cut.month - first.month
    return months - (1 if cut.day < first.day else 0)


def season_visible(first_date: pd.Timestamp, cutoff: pd.Timestamp) -> bool:
    """Whether the history before ``cutoff`` is long enough to see a yearly season."""
    return months_of_history(first_date, cutoff) >= SEASON_MIN_MONTHS


def clock_length(business: BusinessClock, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Operational days between two dates."""
    first, last = business.at([business.day_of(start), business.day_of(end)])
    return float(last - first)


def context(business: BusinessClock, cutoff: pd.Timestamp) -> dict[str, float]:
    """The CONTEXT_COLUMNS figures at ``cutoff``."""
    cutoff = pd.Timestamp(cutoff)
    horizon = clock_length(business, cutoff, add_months(cutoff, HORIZON_MONTHS))
    recent = clock_length(business, add_months(cutoff, -HORIZON_MONTHS), cutoff)
    year = clock_length(business, add_months(cutoff, -12), cutoff)
    return {"horizon_vs_recent": horizon / recent, "horizon_vs_year": 2 * horizon / year}


def season_summary(model, first_date: pd.Timestamp) -> dict:
    """Whether a model (a ``ClvModel``) could see a season, and the business clock it estimated."""
    months = months_of_history(first_date, pd.Timestamp(model.cutoff))
    business = model.population.clock
    if business is None:
        return {
            "visible": False,
            "months_of_history": months,
            "note": f"{months} months of history before the cutoff: a season needs "
            f"{SEASON_MIN_MONTHS}; the model uses no seasonal features",
        }
    return {
        "visible": True,
        "months_of_history": months,
        "season_by_month": list(business.season),
        "growth_per_year": float(np.expm1(business.growth)),
        "context": model.population.context,
    }
