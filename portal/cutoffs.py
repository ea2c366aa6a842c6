"""The cutoffs of a training run: its monthly training snapshots, where it scores and backtests.

Shared by training and by the data page's check of an upload (``portal.validation``), which says
before a run whether the log's history is long enough for it.
"""

from __future__ import annotations

import pandas as pd

from portal import features, season

MAX_SNAPSHOTS = 48


class TrainError(ValueError):
    """The data cannot support a backtest or a fit (too short, too few customers)."""


def training_cutoffs(first_date: pd.Timestamp, cutoff: pd.Timestamp) -> list[pd.Timestamp]:
    """Month starts after the first month whose 6-month label window ends by ``cutoff``."""
    start = (first_date + pd.offsets.MonthBegin(1)).normalize()
    last = features.add_months(cutoff, -features.HORIZON_MONTHS)
    cuts = list(pd.date_range(start, last, freq="MS"))
    if not cuts:
        raise TrainError(
            f"need at least {features.HORIZON_MONTHS} months of history before the cutoff "
            f"{cutoff.date()} (data starts {first_date.date()})"
        )
    return cuts[-MAX_SNAPSHOTS:]


def run_cutoffs(
    first_day: pd.Timestamp, last_day: pd.Timestamp, cutoff: str | None
) -> tuple[pd.Timestamp, pd.Timestamp | None]:
    """(scoring cutoff, backtest cutoff) of a run over a log spanning first_day..last_day.

    Production mode (no cutoff) scores the day after the last transaction and backtests 6 months
    earlier, or not at all (backtest None) when the history supports the final fit but not that
    backtest; backtest mode does both at ``cutoff``. Raises TrainError when the history is too short
    to train at the scoring cutoff.
    """
    production = cutoff is None
    score = (last_day + pd.Timedelta(days=1)) if production else pd.Timestamp(cutoff)
    if score <= first_day:
        raise TrainError(f"cutoff {score.date()} is before the first transaction")
    training_cutoffs(first_day, score)
    if not production:
        return score, score
    backtest = features.add_months(score, -features.HORIZON_MONTHS)
    try:
        training_cutoffs(first_day, backtest)
    except TrainError:
        return score, None
    return score, backtest


def no_backtest(first_day: pd.Timestamp, score: pd.Timestamp) -> dict:
    """metrics.json's ``backtest`` when the history is too short for production mode's backtest."""
    months = season.months_of_history(first_day, score)
    horizon = features.HORIZON_MONTHS
    return {
        "available": False,
        "note": f"no backtest was possible: the {months} months of history before "
        f"{score.date()} support the final fit, but a backtest {horizon} months earlier needs "
        f"{horizon} more. The model is trained and scored untested; monitoring judges it once "
        "its horizon is observed",
    }
