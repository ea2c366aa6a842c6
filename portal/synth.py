"""SYNTHETIC transaction logs for scale tests and demos: never real customers.

Generative process (a BG/NBD-style buyer with seasonal timing and lognormal order values):
* first purchase uniform over the first 12 months of a 24-month window starting 2022-01-01;
* each customer buys as a Poisson process with rate lambda ~ Gamma(1.5, 0.035/day) (about one
  purchase every 19 days on average), thinned by a seasonal factor 0.7 + 0.3 sin(2 pi day / 365);
* after every purchase the customer drops out for good with probability p ~ Beta(1, 8);
* order values are lognormal: log value ~ Normal(mu_i, 0.6) with mu_i ~ Normal(3.3, 0.5).
The hidden parameters are returned too, so a backtest can be judged against the true expectation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2022-01-01")
DAYS = 730
ARRIVAL_DAYS = 365
RATE_SHAPE, RATE_SCALE = 1.5, 0.035
DROPOUT_A, DROPOUT_B = 1.0, 8.0
VALUE_MU, VALUE_MU_SD, VALUE_SD = 3.3, 0.5, 0.6
SEASON_BASE, SEASON_AMPLITUDE = 0.7, 0.3


def customers(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Hidden per-customer parameters."""
    return pd.DataFrame(
        {
            "customer_id": [f"S{i:07d}" for i in range(n)],
            "first_day": rng.uniform(0, ARRIVAL_DAYS, n),
            "rate": rng.gamma(RATE_SHAPE, RATE_SCALE, n),
            "dropout": rng.beta(DROPOUT_A, DROPOUT_B, n),
            "value_mu": rng.normal(VALUE_MU, VALUE_MU_SD, n),
        }
    )


def season(day: np.ndarray) -> np.ndarray:
    """Seasonal acceptance probability of a candidate purchase on ``day``."""
    return SEASON_BASE + SEASON_AMPLITUDE * np.sin(2 * np.pi * day / 365.0)


def simulate(
    people: pd.DataFrame,
    start_day: np.ndarray,
    end_day: float,
    active: np.ndarray,
    rng: np.random.Generator,
):
    """Purchases of the ``active`` customers after ``start_day`` up to ``end_day``.

    Vectorised over customers, looping over purchase number.

    Returns:
        (row index, day, amount) of every purchase, and each customer's dropout day (inf if none).
    """
    rate = people["rate"].to_numpy()
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
        accepted = rng.random(len(idx)) < season(t[idx])
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


def generate(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic log (customer_id, date, amount) and the hidden parameters (+ dropout_day)."""
    rng = np.random.default_rng(seed)
    people = customers(n, rng)
    first = people["first_day"].to_numpy()
    stays = rng.random(n) >= people["dropout"].to_numpy()
    row, day, amount, dropout_day = simulate(people, first, DAYS, stays, rng)
    people["dropout_day"] = np.where(stays, dropout_day, first)
    first_amount = np.exp(rng.normal(people["value_mu"].to_numpy(), VALUE_SD))
    all_rows = np.concatenate([np.arange(n), row])
    all_days = np.concatenate([first, day])
    log = pd.DataFrame(
        {
            "customer_id": people["customer_id"].to_numpy()[all_rows],
            "date": START + pd.to_timedelta(np.floor(all_days), unit="D"),
            "amount": np.round(np.concatenate([first_amount, amount]), 2),
        }
    ).sort_values(["customer_id", "date"], kind="stable", ignore_index=True)
    return log, people


def true_expected_spend(
    people: pd.DataFrame, cutoff_day: float, horizon_days: float, repeats: int = 20, seed: int = 1
) -> np.ndarray:
    """Monte Carlo E[spend in the horizon] given each customer's hidden parameters and state."""
    rng = np.random.default_rng(seed)
    alive = (people["first_day"].to_numpy() < cutoff_day) & (
        people["dropout_day"].to_numpy() >= cutoff_day
    )
    start = np.full(len(people), float(cutoff_day))
    total = np.zeros(len(people))
    for _ in range(repeats):
        row, _, amount, _ = simulate(people, start, cutoff_day + horizon_days, alive, rng)
        total += np.bincount(row, weights=amount, minlength=len(people))
    return total / repeats


def write_synthetic(n: int, seed: int, out: str | Path) -> Path:
    """Write a SYNTHETIC log to parquet or CSV (by suffix)."""
    log, _ = generate(n, seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        log.to_csv(out, index=False)
    else:
        log.to_parquet(out, index=False)
    return out
