"""A training run end to end: read a log, backtest, final fit, score, publish a new version.

Backtest mode (a cutoff is given): the model learns from snapshots whose label windows end on or
before the cutoff, scores the customers known at the cutoff and is judged on the 6 months after.
Production mode (no cutoff): the same backtest runs at (last day + 1) - 6 months for the metrics, then
the model is refitted on all history and scores as of the day after the last transaction.

The version goes to the registry through ``portal.publishing``; the older versions are then
monitored against the new log (``portal.monitoring``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import sklearn

from portal import drift, features, intervals, monitoring
from portal.backtest import judged_backtest
from portal.calibration import correction_summary
from portal.config import Settings
from portal.cutoffs import no_backtest, run_cutoffs
from portal.ingest import ColumnMap, fingerprint, load_transactions, report
from portal.model import ClvModel, add_population_features
from portal.publishing import publish
from portal.season import season_summary
from portal.train import fit_and_score, global_importance

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


def run(
    transactions_path: str | Path,
    data_dir: str | Path,
    columns: ColumnMap = ColumnMap(),
    cutoff: str | None = None,
    seed: int = 0,
    **publishing,
) -> dict:
    """Read a transaction file, then ``train_frame`` it; returns the new version's metrics."""
    transactions = load_transactions(transactions_path, columns)
    return train_frame(
        transactions, Path(transactions_path).name, data_dir, cutoff, seed, **publishing
    )


def train_frame(
    transactions: pd.DataFrame,
    source: str,
    data_dir: str | Path,
    cutoff: str | None = None,
    seed: int = 0,
    *,
    database_url: str | None = None,
    trained_by: str = "cli",
    progress: Progress | None = None,
) -> dict:
    """Backtest, fit, score and publish a new current version of a normalised log.

    Args:
        source: the file name recorded with the version.
        data_dir: the registry root (``models/``, ``final``, the default SQLite file).
        database_url: where versions and predictions are recorded (default: SQLite in data_dir).
        progress: called with (steps done, steps in total, what comes next).
    """
    started = time.perf_counter()
    production = cutoff is None
    step = _Steps(progress, total=5 if production else 4)
    summary = report(transactions)
    log.info(
        "read %d rows, %d customers, %s..%s",
        summary.rows,
        summary.customers,
        summary.first_date,
        summary.last_date,
    )
    step("building daily activity")
    days = features.daily(transactions)
    score_cutoff, backtest_cutoff = run_cutoffs(days["date"].min(), days["date"].max(), cutoff)

    if backtest_cutoff is None:
        step.total -= 1
        metrics_backtest = no_backtest(days["date"].min(), score_cutoff)
        log.warning(metrics_backtest["note"])
        back = None
    else:
        step(f"backtest: training on the past, scoring at {backtest_cutoff.date()}")
        back = fit_and_score(days, backtest_cutoff, seed)
        metrics_backtest = judged_backtest(back, days, backtest_cutoff)
    if production:
        step(f"final model: training on all history, scoring at {score_cutoff.date()}")
        final = fit_and_score(days, score_cutoff, seed, earlier=back)
    else:
        final = back

    step("explaining the model (feature importance)")
    document = describe(final.model, production, summary, fingerprint(transactions), source)
    document.update(
        customers=len(final.table),
        feature_importance=global_importance(final.model, final.table, seed),
        backtest=metrics_backtest,
        correction=correction_summary(final.model),
        season=season_summary(final.model, days["date"].min()),
        intervals=intervals.summary(final.model.intervals, final.table),
        drift=drift.report(
            final.model.feature_bins,
            add_population_features(final.table, final.model.population),
        ),
        seed=seed,
        trained_by=trained_by,
    )
    step("saving the version and its predictions")
    document["seconds"] = round(time.perf_counter() - started, 2)
    publish(Path(data_dir), final.table, final.model, document, database_url)
    monitor_older_versions(Path(data_dir), database_url, days, document)
    step.done()
    log.info("published version %s in %.1fs", document["version"], document["seconds"])
    return document


def describe(model: ClvModel, production: bool, summary, data_hash: str, source: str) -> dict:
    """metrics.json's fields that do not depend on the scored table; stamps the model's training
    time and library versions."""
    trained_at = datetime.now(UTC).replace(microsecond=0)
    model.trained_at = trained_at.isoformat()
    model.library_versions = {
        "lightgbm": lightgbm.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
    return {
        "version": f"{trained_at:%Y%m%dT%H%M%SZ}-{data_hash[:8]}",
        "trained_at": model.trained_at,
        "mode": "production" if production else "backtest",
        "cutoff": model.cutoff,
        "horizon_months": features.HORIZON_MONTHS,
        "training_cutoffs": model.training_cutoffs,
        "data": {**summary.__dict__, "fingerprint": data_hash, "source": source},
        "raw_features": model.raw_features,
        "model_inputs": model.inputs,
    }


def monitor_older_versions(
    data_dir: Path, database_url: str | None, days: pd.DataFrame, document: dict
) -> None:
    """Evaluate the older versions against this run's log (``portal.monitoring``); a failure
    there is logged and never undoes the published version."""
    url = database_url or Settings(data_dir=data_dir).database_url
    try:
        monitoring.evaluate_all(
            data_dir, url, days, document["data"]["fingerprint"], exclude=document["version"]
        )
    except Exception:
        log.exception("monitoring the older versions failed; the new version is published")


class _Steps:
    """Counts training steps and reports each to an optional progress callback."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.count = progress, total, 0

    def __call__(self, message: str) -> None:
        log.info("step %d/%d: %s", self.count + 1, self.total, message)
        if self.progress:
            self.progress(self.count, self.total, message)
        self.count += 1

    def done(self) -> None:
        if self.progress:
            self.progress(self.total, self.total, "done")
