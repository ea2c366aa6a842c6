"""SYNTHETIC transaction logs for scale tests, quality benchmarks and demos: never real customers.

Generative process (a BG/NBD buyer on a business clock, with lognormal order values):
* a business intensity m(t) = season(t) x trend(t): ``season`` is 1 (none), the original sine wave,
  or a retail calendar (a peak in November-December, a summer low; ``seasonality`` scales its
  depth); ``trend`` is (1 + growth) ** years since the start;
* first purchases fall over the first ``arrival_days`` of the log, uniformly (``Scenario.LEGACY``)
  or with density proportional to m(t) (continuous acquisition that follows the business);
* each customer buys as a Poisson process with rate lambda x m(t), lambda ~ Gamma(1.5, 0.035/day)
  (about one purchase every 19 days at m = 1), simulated by thinning;
* after every purchase the customer drops out for good with probability p ~ Beta(1, 8);
* order values are lognormal: log value ~ Normal(mu_i, 0.6) with mu_i ~ Normal(3.3, 0.5).

The hidden parameters are returned too, so a backtest can be judged against the true expectation,
and ``business_clock`` gives the true operational time (the integral of m) for informed references.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

RATE_SHAPE, RATE_SCALE = 1.5, 0.035
DROPOUT_A, DROPOUT_B = 1.0, 8.0
VALUE_MU, VALUE_MU_SD, VALUE_SD = 3.3, 0.5, 0.6
SINE_BASE, SINE_AMPLITUDE = 0.7, 0.3
# Retail calendar: deviation of each calendar month from the yearly mean (they sum to 0).
RETAIL_MONTHS = np.array([-0.05, -0.15, 0.0, 0.0, 0.0, -0.2, -0.35, -0.25, 0.0, 0.05, 0.35, 0.6])
MAX_HORIZON_DAYS = 190  # the clock is tabulated this far past the log, for true expectations


@dataclass(frozen=True)
class Scenario:
    """The shape of a SYNTHETIC business.

    Attributes:
        start: first day of the log.
        days: length of the log in days.
        arrival_days: first purchases fall in the first ``arrival_days`` days.
        season: "none", "sine" (the original generator) or "retail".
        seasonality: depth of the retail calendar (0 none, 0.5 moderate, 1 strong).
        growth: yearly change of the business intensity (-0.2 = shrinking 20% a year).
        arrivals_follow_business: acquisition density proportional to m(t), else uniform.
    """

    start: str = "2021-01-01"
    days: int = 1186  # 2021-01-01 .. 2024-03-31
    arrival_days: int = 1186
    season: str = "retail"
    seasonality: float = 0.5
    growth: float = 0.0
    arrivals_follow_business: bool = True

    def day_of(self, timestamp) -> int:
        """Days from the start of the log to ``timestamp``."""
        return int((pd.Timestamp(timestamp) - pd.Timestamp(self.start)).days)

    def intensity(self, day: np.ndarray) -> np.ndarray:
        """m(t): the business intensity multiplying every customer's purchase rate on ``day``."""
        day = np.asarray(day, dtype=float)
        trend = (1.0 + self.growth) ** (day / 365.0)
        if self.season == "sine":
            return trend * (SINE_BASE + SINE_AMPLITUDE * np.sin(2 * np.pi * day / 365.0))
        if self.season == "retail":
            months = self._calendar_months[np.clip(day.astype(np.int64), 0, None)]
            return trend * (1.0 + self.seasonality * RETAIL_MONTHS[months])
        return trend

    @cached_property
    def _calendar_months(self) -> np.ndarray:
        """Calendar month (0-11) of every day from the start to past the last horizon."""
        days = pd.date_range(self.start, periods=self.days + MAX_HORIZON_DAYS + 2, freq="D")
        return days.month.to_numpy() - 1

    def max_intensity(self) -> float:
        """An upper bound of m(t) over the log and the horizon after it (for thinning)."""
        grid = np.arange(0, self.days + MAX_HORIZON_DAYS + 1, dtype=float)
        return float(self.intensity(grid).max())

    def business_clock(self, day: np.ndarray) -> np.ndarray:
        """Operational time: the integral of m from the start to ``day`` (days at m = 1)."""
        grid = np.arange(0, self.days + MAX_HORIZON_DAYS + 2, dtype=float)
        cumulative = np.concatenate([[0.0], np.cumsum(self.intensity(grid[:-1] + 0.5))])
        return np.interp(np.asarray(day, dtype=float), grid, cumulative)


LEGACY = Scenario(
    start="2022-01-01",
    days=730,
    arrival_days=365,
    season="sine",
    arrivals_follow_business=False,
)


def customers(n: int, scenario: Scenario, rng: np.random.Generator) -> pd.DataFrame:
    """Hidden per-customer parameters."""
    if scenario.arrivals_follow_business:
        grid = np.arange(scenario.arrival_days + 1, dtype=float)
        clock = scenario.business_clock(grid)
        first = np.interp(rng.uniform(0, clock[-1], n), clock, grid)
    else:
        first = rng.uniform(0, scenario.arrival_days, n)
    return pd.DataFrame(
        {
            "customer_id": [f"S{i:07d}" for i in range(n)],
            "first_day": first,
            "rate": rng.gamma(RATE_SHAPE, RATE_SCALE, n),
            "dropout": rng.beta(DROPOUT_A, DROPOUT_B, n),
            "value_mu": rng.normal(VALUE_MU, VALUE_MU_SD, n),
        }
    )


def simulate(
    people: pd.DataFrame,
    scenario: Scenario,
    start_day: np.ndarray,
    end_day: float,
    active: np.ndarray,
    rng: np.random.Generator,
):
    """Purchases of the ``active`` customers after ``start_day`` up to ``end_day``.

    Vectorised over customers, looping over candidate purchases (thinning at the peak intensity).

    Returns:
        (row index, day, amount) of every purchase, and each customer's dropout day (inf if none).
    """
    peak = scenario.max_intensity()
    rate = people["rate"].to_numpy() * peak
    drop = people["dropout"].to_numpy()
    mu = people["value_mu"].to_numpy()
    t = start_day.astype(float).copy()
    active = active.copy()
    dropout_day = np.full(len(people), np.inf)
    rows, days = [], []
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(1.0 / rate[idx])
        inside = t[idx] < end_day
        active[idx[~inside]] = False
        idx = idx[inside]
        accepted = rng.random(len(idx)) < scenario.intensity(t[idx]) / peak
        buyers = idx[accepted]
        rows.append(buyers)
        days.append(t[buyers])
        leaving = buyers[rng.random(len(buyers)) < drop[buyers]]
        active[leaving] = False
        dropout_day[leaving] = t[leaving]
    row = np.concatenate(rows) if rows else np.array([], dtype=int)
    day = np.concatenate(days) if days else np.array([])
    amount = np.exp(rng.normal(mu[row], VALUE_SD))
    return row, day, amount, dropout_day


def generate(
    n: int, seed: int = 0, scenario: Scenario = LEGACY
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic log (customer_id, date, amount) and the hidden parameters (+ dropout_day)."""
    rng = np.random.default_rng(seed)
    people = customers(n, scenario, rng)
    first = people["first_day"].to_numpy()
    stays = rng.random(n) >= people["dropout"].to_numpy()
    row, day, amount, dropout_day = simulate(people, scenario, first, scenario.days, stays, rng)
    people["dropout_day"] = np.where(stays, dropout_day, first)
    first_amount = np.exp(rng.normal(people["value_mu"].to_numpy(), VALUE_SD))
    all_rows = np.concatenate([np.arange(n), row])
    all_days = np.concatenate([first, day])
    log = pd.DataFrame(
        {
            "customer_id": people["customer_id"].to_numpy()[all_rows],
            "date": pd.Timestamp(scenario.start) + pd.to_timedelta(np.floor(all_days), unit="D"),
            "amount": np.round(np.concatenate([first_amount, amount]), 2),
        }
    ).sort_values(["customer_id", "date"], kind="stable", ignore_index=True)
    return log, people


def true_expected_spend(
    people: pd.DataFrame,
    cutoff_day: float,
    horizon_days: float,
    scenario: Scenario = LEGACY,
    repeats: int = 20,
    seed: int = 1,
) -> np.ndarray:
    """Monte Carlo E[spend in the horizon] given each customer's hidden parameters and state."""
    rng = np.random.default_rng(seed)
    alive = (people["first_day"].to_numpy() < cutoff_day) & (
        people["dropout_day"].to_numpy() >= cutoff_day
    )
    start = np.full(len(people), float(cutoff_day))
    total = np.zeros(len(people))
    for _ in range(repeats):
        row, _, amount, _ = simulate(people, scenario, start, cutoff_day + horizon_days, alive, rng)
        total += np.bincount(row, weights=amount, minlength=len(people))
    return total / repeats


def grid_scenario(seasonality: str, growth: float) -> Scenario:
    """One cell of the quality benchmark's grid: seasonality none / moderate / strong x growth."""
    depth = {"none": 0.0, "moderate": 0.5, "strong": 1.0}[seasonality]
    return replace(
        Scenario(), season="retail" if depth else "none", seasonality=depth, growth=growth
    )


def write_synthetic(n: int, seed: int, out: str | Path, scenario: Scenario = LEGACY) -> Path:
    """Write a SYNTHETIC log to parquet or CSV (by suffix)."""
    log, _ = generate(n, seed, scenario)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        log.to_csv(out, index=False)
    else:
        log.to_parquet(out, index=False)
    return out
