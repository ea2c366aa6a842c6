"""The business clock: a yearly season and a trend, estimated from the log with BG/NBD.

Every customer's purchase rate is multiplied by the business intensity
m(t) = season[calendar month of t] x exp(growth x years since the first day), with the 12 season
factors averaging 1. BG/NBD holds in operational time C(t) = integral of m (a time-change of its
Poisson process), so the likelihood of a log is BG/NBD's in C plus the log intensity at each repeat
purchase (the Jacobian of the time change). Both are maximised together on the customers known at
the cutoff, from transactions before it only. The horizon's length on the clock carries the coming
season and the trend into BG/NBD's expectations.

A season needs ``season.SEASON_MIN_MONTHS`` months of history or more; with less, there is no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize

from portal import bgnbd, sampling

MAX_FIT_CUSTOMERS = 20_000
TABLE_DAYS = 40_000  # the clock is tabulated once this far either side of its origin
MAX_GROWTH = 2.0  # |log growth| per year


@dataclass(frozen=True)
class BusinessClock:
    """Season factors by calendar month (mean 1), log growth per year, and the first day."""

    origin: str
    season: tuple[float, ...]
    growth: float

    def intensity(self, day: np.ndarray) -> np.ndarray:
        """m(day) for whole days since the origin (negative days are before it)."""
        day = np.clip(np.asarray(day, dtype=np.int64), -TABLE_DAYS, TABLE_DAYS)
        months = _calendar_months(self.origin)[day + TABLE_DAYS]
        return np.asarray(self.season)[months] * np.exp(self.growth * day / 365.0)

    def at(self, day) -> np.ndarray:
        """C(day): operational days from the origin to ``day`` (days since the origin)."""
        grid, cumulative = _cumulative(self)
        return np.interp(np.asarray(day, dtype=float), grid, cumulative)

    def day_at(self, operational) -> np.ndarray:
        """The inverse of ``at``: days since the origin when C reaches ``operational``; infinite
        beyond the tabulated clock (a shrinking business may never reach it)."""
        grid, cumulative = _cumulative(self)
        operational = np.asarray(operational, dtype=float)
        return np.interp(operational, cumulative, grid, left=-np.inf, right=np.inf)

    def day_of(self, timestamp) -> float:
        """Days from the origin to ``timestamp``."""
        return float((pd.Timestamp(timestamp) - pd.Timestamp(self.origin)).days)


MONTH_COLUMNS = [f"repeats_month_{m}" for m in range(1, 13)]


def customer_design(days: pd.DataFrame, cutoff: pd.Timestamp, origin: pd.Timestamp) -> pd.DataFrame:
    """One row per customer with a purchase before ``cutoff`` (indexed by id): first and last
    purchase day (days since ``origin``), repeat count ``x``, and the repeat purchase days'
    count by calendar month and sum (what the likelihood needs of them)."""
    past = days[(days["date"] < cutoff) & days["purchase"]]
    dnum = (past["date"] - origin).dt.days.to_numpy()
    codes = past["customer_id"].cat.codes.to_numpy()
    customers, first_row, counts = np.unique(codes, return_index=True, return_counts=True)
    owner = np.repeat(np.arange(len(customers)), counts)  # rows are sorted by customer
    repeat = np.ones(len(dnum), dtype=bool)
    repeat[first_row] = False
    month = past["date"].dt.month.to_numpy()[repeat] - 1
    by_month = np.bincount(owner[repeat] * 12 + month, minlength=len(customers) * 12)
    design = pd.DataFrame(
        by_month.reshape(len(customers), 12),
        columns=MONTH_COLUMNS,
        index=pd.Index(days["customer_id"].cat.categories[customers], name="customer_id"),
    )
    design.insert(0, "first", dnum[first_row])
    design.insert(1, "last", dnum[first_row + counts - 1])
    design.insert(2, "x", (counts - 1).astype(float))
    sums = np.bincount(owner[repeat], weights=dnum[repeat], minlength=len(customers))
    design["repeat_day_sum"] = sums.astype(np.int64)
    return design


def fit(days: pd.DataFrame, cutoff: pd.Timestamp, seed: int = 0) -> BusinessClock:
    """Maximum-likelihood season and trend for the purchases before ``cutoff`` (see module doc),
    on MAX_FIT_CUSTOMERS customers (``sampling``).

    Args:
        days: the daily log (``features.daily``).
    """
    cutoff = pd.Timestamp(cutoff)
    origin = days["date"].min()
    design = customer_design(days, cutoff, origin)
    return fit_design(sample_design(design, cutoff, seed), origin, cutoff)


def sample_design(design: pd.DataFrame, cutoff: pd.Timestamp, seed: int) -> pd.DataFrame:
    """The customers the clock is fitted on."""
    return sampling.sample(design, MAX_FIT_CUSTOMERS, "clock:" + sampling.salt(cutoff, seed))


def fit_design(design: pd.DataFrame, origin: pd.Timestamp, cutoff: pd.Timestamp) -> BusinessClock:
    """The clock fitted on ``customer_design`` rows (in customer-id order)."""
    first, last = design["first"].to_numpy(), design["last"].to_numpy()
    x = design["x"].to_numpy(dtype=float)
    cut = float((cutoff - origin).days)
    grid_days = np.arange(int(cut) + 2)
    months = pd.date_range(origin, periods=len(grid_days), freq="D").month.to_numpy() - 1
    repeat_by_month = design[MONTH_COLUMNS].to_numpy().sum(axis=0).astype(float)
    repeat_years = int(design["repeat_day_sum"].sum()) / 365.0
    n = len(x)

    def unpack(theta):
        log_season = np.append(theta[4:15], -theta[4:15].sum())
        return np.exp(theta[:4]), log_season, theta[15]

    def objective(theta):
        params, log_season, growth = unpack(theta)
        intensity = np.exp(log_season[months] + growth * grid_days / 365.0)
        cumulative = np.concatenate([[0.0], np.cumsum(intensity)])
        c_first = cumulative[first]
        T = (cumulative[int(cut)] - c_first) / 7.0
        t_x = np.where(x > 0, (cumulative[last] - c_first) / 7.0, 0.0)
        ll = bgnbd.log_likelihood(params, x, t_x, T).sum()
        ll += repeat_by_month @ log_season + growth * repeat_years
        value = -ll / n
        return value if np.isfinite(value) else 1e10

    start = np.zeros(16)
    start[:4] = np.log([1.0, max(np.mean(cut - first) / 7.0, 1.0), 1.0, 1.0])
    bounds = [(-8, 8)] * 4 + [(-1.5, 1.5)] * 11 + [(-MAX_GROWTH, MAX_GROWTH)]
    result = optimize.minimize(objective, start, method="L-BFGS-B", bounds=bounds)
    _, log_season, growth = unpack(result.x)
    season = np.exp(log_season)
    return BusinessClock(
        origin=str(origin.date()),
        season=tuple(float(v) for v in season / season.mean()),
        growth=float(growth),
    )


@lru_cache(maxsize=16)
def _calendar_months(origin: str) -> np.ndarray:
    """Calendar month (0-11) of each day from ``origin - TABLE_DAYS`` to ``origin + TABLE_DAYS``."""
    first = pd.Timestamp(origin) - pd.Timedelta(days=TABLE_DAYS)
    return pd.date_range(first, periods=2 * TABLE_DAYS + 1).month.to_numpy() - 1


@lru_cache(maxsize=16)
def _cumulative(clock: BusinessClock) -> tuple[np.ndarray, np.ndarray]:
    """(day, C(day)) for every day of the table, summed outwards from the origin (where C = 0) so
    that the clock stays exact near it whatever the trend does far away."""
    after = np.cumsum(clock.intensity(np.arange(TABLE_DAYS)))
    before = np.cumsum(clock.intensity(np.arange(-1, -TABLE_DAYS - 1, -1)))
    cumulative = np.concatenate([-before[::-1], [0.0], after])
    return np.arange(-TABLE_DAYS, TABLE_DAYS + 1), cumulative
