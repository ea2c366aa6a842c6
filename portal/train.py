"""Backtest, final fit and scoring; publishes a new version to the registry (``portal.registry``).

A version is ``DATA_DIR/models/<version>/{clv_prepared.parquet, model.joblib, metrics.json}``;
``DATA_DIR/final`` points at the current one, and the database records every version's predictions.

Backtest mode (a cutoff is given): the model learns from snapshots whose label windows end on or
before the cutoff, scores the customers known at the cutoff and is judged on the 6 months after.
Production mode (no cutoff): the same backtest runs at (last day + 1) - 6 months for the metrics, then
the model is refitted on all history and scores as of the day after the last transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import joblib
import lightgbm
import numpy as np
import pandas as pd
import sklearn

from portal import (
    analytics,
    classical,
    clock,
    db,
    drift,
    features,
    intervals,
    registry,
    sampling,
    season,
)
from portal.clock import BusinessClock
from portal.config import CDNOW_CUTOFF, REPO_ROOT, Settings
from portal.explain import mean_abs_contributions
from portal.ingest import ColumnMap, load_transactions, report
from portal.model import (
    CLASSICAL_COLUMN,
    ClvModel,
    Population,
    Prediction,
    add_population_features,
    fit_boosters,
    fit_population,
    model_inputs,
)

log = logging.getLogger(__name__)

MAX_SNAPSHOTS = 48
MAX_TRAINING_ROWS = 600_000
CORRECTION_RANGE = (0.5, 2.0)
TRUSTED_CALIBRATION = (0.8, 1.25)
IMPORTANCE_ROWS = 20_000
# the share of customers held out to calibrate intervals where there is no validation window
HOLDOUT_SHARE = 0.25
SEGMENTS = (("Elite", 5.0), ("High", 20.0), ("Medium", 50.0), ("Low", 100.0))
BASELINES = {
    "last_6m_repeated": lambda f: f["spend_6m"].clip(lower=0),
    "half_last_12m": lambda f: f["spend_12m"].clip(lower=0) / 2,
    "bgnbd_gamma_gamma": classical.from_features,
}
PREPARED = "clv_prepared.parquet"
MODEL = "model.joblib"
METRICS = registry.METRICS
Progress = Callable[[int, int, str], None]


class TrainError(ValueError):
    """The data cannot support a backtest or a fit (too short, too few customers)."""


@dataclass
class Scored:
    """A model and the customers it scored at one cutoff."""

    model: ClvModel
    table: pd.DataFrame


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


def backtest_available(metrics: dict) -> bool:
    """Whether a version's metrics hold a backtest (versions before this flag always did)."""
    return metrics.get("backtest", {}).get("available", True)


def snapshot(
    days: pd.DataFrame,
    cutoff: pd.Timestamp,
    business: BusinessClock | None,
    max_rows: int,
    seed: int,
) -> pd.DataFrame:
    """Features, population features and label at one training cutoff, sampled down to
    ``max_rows`` customers (the population models are fitted on all of them first)."""
    frame = features.build_features(days, cutoff)
    frame["actual_6m"] = features.build_labels(days, frame.index, cutoff)["actual_6m"].to_numpy()
    frame = add_population_features(frame, population_at(frame, cutoff, business, seed))
    return sampling.sample(frame, max_rows, sampling.salt(cutoff, seed))


def population_at(
    frame: pd.DataFrame, cutoff: pd.Timestamp, business: BusinessClock | None, seed: int
) -> Population:
    """The population models and context at ``cutoff`` on the run's business clock."""
    context = season.context(business, cutoff) if business else {}
    return fit_population(frame, cutoff, business, context, seed)


def segment_of(rank: np.ndarray, n: int) -> np.ndarray:
    """Segment name by rank (1 = best) among n: Elite the top 5%, High to 20%, Medium to 50%, Low
    the rest, where the top X% is the first ceil(n * X / 100) customers, as /api/elite counts it."""
    rank = np.asarray(rank)
    names = np.full(len(rank), SEGMENTS[-1][0], dtype=object)
    for name, upper in reversed(SEGMENTS[:-1]):
        names[rank <= analytics.elite_size(n, upper)] = name
    return names


def fit_model(
    days: pd.DataFrame, cutoff: pd.Timestamp, seed: int, holdout_intervals: bool = False
) -> tuple[ClvModel, pd.DataFrame]:
    """Train on snapshots whose labels end by ``cutoff``; returns the (uncorrected) model and the
    features of every customer known at the cutoff.

    ``holdout_intervals``: also calibrate the model's intervals on customers held out of a second
    fit (``holdout_interval_model``), for a history too short for a validation window.

    Where a season can be seen at ``cutoff`` (``season.season_visible``), the business clock is
    fitted on the history before it; without one the seasonal features and context are left out.
    """
    first = days["date"].min()
    cuts = training_cutoffs(first, cutoff)
    business = clock.fit(days, cutoff, seed) if season.season_visible(first, cutoff) else None
    log.info("building %d training snapshots %s..%s", len(cuts), cuts[0].date(), cuts[-1].date())
    per_snapshot = MAX_TRAINING_ROWS // len(cuts)
    snapshots = [snapshot(days, c, business, per_snapshot, seed) for c in cuts]
    current = features.build_features(days, cutoff)
    model = assemble_model(snapshots, current, cuts, cutoff, business, seed, holdout_intervals)
    return model, current


def assemble_model(
    snapshots: list[pd.DataFrame],
    current: pd.DataFrame,
    cuts: list[pd.Timestamp],
    cutoff: pd.Timestamp,
    business: BusinessClock | None,
    seed: int,
    holdout_intervals: bool,
) -> ClvModel:
    """The model from its training snapshots and the customers known at ``cutoff`` (all of
    them, or at least their ``sampling.population_sample``: only that is used)."""
    raw = features.feature_columns(current)
    if business is None:
        raw = [c for c in raw if c not in features.SEASONAL_FEATURES]
    population = population_at(current, cutoff, business, seed)
    log.info("fitting hurdle model on %d rows", sum(len(s) for s in snapshots))
    classifier, regressor = fit_boosters(snapshots, model_inputs(raw, population.context), seed)
    known = sampling.population_sample(current, cutoff, seed)
    defaults = {c: float(known[c].median()) for c in raw}
    model = ClvModel(
        raw_features=raw,
        classifier=classifier,
        regressor=regressor,
        population=population,
        feature_defaults={k: (v if np.isfinite(v) else 0.0) for k, v in defaults.items()},
        cutoff=str(cutoff.date()),
        training_cutoffs=[str(c.date()) for c in cuts],
    )
    inputs = [c for c in model.inputs if c not in population.context]  # context: constant
    model.feature_bins = drift.reference_bins(pd.concat(snapshots), inputs)
    if holdout_intervals:
        model.intervals = holdout_interval_model(snapshots, cuts[-1], model.inputs, seed)
    return model


def holdout_interval_model(
    snapshots: list[pd.DataFrame], latest_cutoff: pd.Timestamp, inputs: list[str], seed: int
) -> intervals.IntervalModel | None:
    """Intervals calibrated on HOLDOUT_SHARE of the customers: a second hurdle is fitted on every
    snapshot without them and scores them at the latest snapshot, whose labels it never saw."""
    latest = snapshots[-1]
    rng = np.random.default_rng(seed)
    held = rng.random(len(latest)) < HOLDOUT_SHARE
    held_ids = latest.index[held]
    classifier, regressor = fit_boosters(
        [s[~s.index.isin(held_ids)] for s in snapshots], inputs, seed
    )
    design = latest.loc[held, inputs]
    prediction = Prediction(
        p_purchase=classifier.predict_proba(design)[:, 1],
        spend_if_purchase=regressor.predict(design),
        classical=design[CLASSICAL_COLUMN].to_numpy(),
    )
    actual = latest.loc[held, "actual_6m"].to_numpy()
    described = f"{held.sum():,} customers held out at {latest_cutoff.date()}"
    return intervals.fit(prediction.clv, prediction.p_purchase, actual, described)


@dataclass
class ValidationWindow:
    """The most recent fully observed 6 months before a scoring cutoff, scored by a model trained
    only on labels that end where the window starts (its own total correction undone)."""

    cutoff: pd.Timestamp
    model: ClvModel
    predicted: np.ndarray
    p_purchase: np.ndarray
    actual: np.ndarray


def validation_window(
    days: pd.DataFrame, cutoff: pd.Timestamp, seed: int, earlier: Scored | None = None
) -> ValidationWindow | None:
    """The validation window before ``cutoff``; None when the history is too short for its model.

    ``earlier``: that model, already fitted and scored (production mode's backtest), so it is not
    fitted twice.
    """
    start = features.add_months(cutoff, -features.HORIZON_MONTHS)
    if earlier is None:
        try:
            model, known = fit_model(days, start, seed)
        except TrainError:
            return None
        prediction = model.predict(known)
        ids, predicted, p_purchase = known.index, prediction.clv, prediction.p_purchase
    else:
        model, table = earlier.model, earlier.table
        ids = table["customer_id"]
        predicted = table["predicted_clv_6m"].to_numpy() / model.total_correction
        p_purchase = table["p_purchase"].to_numpy()
    actual = features.build_labels(days, ids, start)["actual_6m"].to_numpy()
    return ValidationWindow(start, model, predicted, p_purchase, actual)


def validation_correction(
    window: ValidationWindow | None, first_day: pd.Timestamp, cutoff: pd.Timestamp
) -> dict | None:
    """Check the total on the validation window (None without one).

    The window's predicted total is compared with what its customers spent. The model's total is
    corrected (by actual / predicted) only when that check is off by more than TRUSTED_CALIBRATION
    allows (within it, the check's own error, its model having six months less history, is as
    large as what it would correct: see the README's scenario grid), and only when that model sees
    a season exactly when the scored model does.
    """
    if window is None:
        return None
    predicted, actual = float(window.predicted.sum()), float(window.actual.sum())
    if predicted <= 0 or actual <= 0:
        return {
            "cutoff": str(window.cutoff.date()),
            "customers": len(window.actual),
            "applied": False,
            "factor": 1.0,
            "note": "no spend predicted or made in the validation window: nothing to check",
        }
    calibration = predicted / actual
    low, high = TRUSTED_CALIBRATION
    # a check whose model could not see the season the scored model sees says nothing about it
    comparable = (window.model.population.clock is None) == (
        not season.season_visible(first_day, cutoff)
    )
    applied = comparable and not low <= calibration <= high
    return {
        "cutoff": str(window.cutoff.date()),
        "customers": len(window.actual),
        "calibration": calibration,
        "comparable": comparable,
        "applied": applied,
        "factor": float(np.clip(1 / calibration, *CORRECTION_RANGE)) if applied else 1.0,
    }


def interval_model(
    window: ValidationWindow | None, correction: float
) -> intervals.IntervalModel | None:
    """Prediction intervals calibrated on the validation window (None without one, or with too few
    buyers), its predictions scaled by the ``correction`` the scored model's total gets, so the
    spread is measured around predictions as they will be served."""
    if window is None:
        return None
    return intervals.fit(
        window.predicted * correction,
        window.p_purchase,
        window.actual,
        calibrated_on=f"the validation window from {window.cutoff.date()}",
    )


def correction_summary(model: ClvModel) -> dict:
    """How the model's total was checked and corrected, for metrics.json and the model page."""
    if not model.validation:
        return {
            "applied": False,
            "factor": 1.0,
            "note": "no validation window: the history before it is too short to train a model "
            f"whose labels end {features.HORIZON_MONTHS} months before the cutoff",
        }
    return dict(model.validation)


def season_summary(model: ClvModel, first_date: pd.Timestamp) -> dict:
    """Whether the model could see a season, and the business clock it estimated."""
    months = season.months_of_history(first_date, pd.Timestamp(model.cutoff))
    business = model.population.clock
    if business is None:
        return {
            "visible": False,
            "months_of_history": months,
            "note": f"{months} months of history before the cutoff: a season needs "
            f"{season.SEASON_MIN_MONTHS}; the model uses no seasonal features",
        }
    return {
        "visible": True,
        "months_of_history": months,
        "season_by_month": list(business.season),
        "growth_per_year": float(np.expm1(business.growth)),
        "context": model.population.context,
    }


def fit_and_score(
    days: pd.DataFrame, cutoff: pd.Timestamp, seed: int, earlier: Scored | None = None
) -> Scored:
    """Train on snapshots before ``cutoff``, correct the total and calibrate the intervals on the
    validation window (on held-out customers where it cannot), and score every customer known at
    ``cutoff``. ``earlier``: the run scored 6 months before, if there is one (it is the validation
    window's model)."""
    window = validation_window(days, cutoff, seed, earlier)
    validation = validation_correction(window, days["date"].min(), cutoff)
    correction = validation["factor"] if validation and validation["applied"] else 1.0
    calibrated = interval_model(window, correction)
    model, current = fit_model(days, cutoff, seed, holdout_intervals=calibrated is None)
    model.validation, model.total_correction = validation, correction
    log.info("scoring %d customers as of %s", len(current), cutoff.date())
    prediction = model.predict(current)
    calibrated = calibrated or model.intervals
    model.intervals = calibrated.with_edges(prediction.clv) if calibrated else None
    return Scored(model=model, table=score_table(model, current, prediction))


def score_table(model: ClvModel, current: pd.DataFrame, prediction: Prediction) -> pd.DataFrame:
    """One row per customer: id, features, prediction, its interval, P(purchase), rank, decile,
    segment."""
    table = current.reset_index()
    table["predicted_clv_6m"] = prediction.clv
    if model.intervals is not None:
        bounds = model.intervals.quantiles(prediction.clv, prediction.p_purchase)
        for j, column in enumerate(intervals.COLUMNS):
            table[column] = bounds[:, j]
    table["p_purchase"] = prediction.p_purchase
    ids = table["customer_id"].to_numpy()
    order = analytics.rank_order(prediction.clv, ids)
    rank = np.empty(len(table), dtype=np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    table["rank"] = rank
    table["decile"] = analytics.decile_of_rank(rank, len(table))
    table["segment"] = segment_of(rank, len(table))
    return table


def backtest_metrics(table: pd.DataFrame) -> dict:
    """portal/METRICS.md figures for the model and the naive baselines on a backtest table."""
    y = table["actual_6m"].to_numpy()
    ids = table["customer_id"].to_numpy()
    result = {"model": analytics.point_metrics(y, table["predicted_clv_6m"].to_numpy(), ids)}
    for name, rule in BASELINES.items():
        try:
            result[name] = analytics.point_metrics(y, np.asarray(rule(table), dtype=float), ids)
        except ValueError as exc:  # e.g. too few repeat buyers for Gamma-Gamma
            log.warning("baseline %s left out: %s", name, exc)
    result["deciles"] = analytics.as_dicts(
        analytics.decile_table(table["predicted_clv_6m"].to_numpy(), ids, y)
    )
    result["p_purchase_mean"] = float(table["p_purchase"].mean())
    result["actual_purchase_rate"] = float((y > 0).mean())
    return result


def judged_backtest(back: Scored, days: pd.DataFrame, cutoff: pd.Timestamp) -> dict:
    """metrics.json's ``backtest``: the scored table judged on the 6 months after ``cutoff``."""
    labels = features.build_labels(days, back.table["customer_id"], cutoff)
    back.table["actual_6m"] = labels["actual_6m"].to_numpy()
    return judge(back, cutoff, days["date"].min())


def judge(back: Scored, cutoff: pd.Timestamp, first_day: pd.Timestamp) -> dict:
    """``judged_backtest`` of a table that has its labels (``actual_6m``)."""
    result = {"available": True, **backtest_metrics(back.table)}
    result["cutoff"] = str(cutoff.date())
    result["customers"] = len(back.table)
    result["correction"] = correction_summary(back.model)
    calibration = result["model"]["calibration"]
    result["correction"]["backtest_calibration_before"] = calibration / back.model.total_correction
    result["correction"]["backtest_calibration_after"] = calibration
    result["season"] = season_summary(back.model, first_day)
    result["intervals"] = intervals.backtest_summary(back.model.intervals, back.table)
    return result


def global_importance(model: ClvModel, table: pd.DataFrame, seed: int) -> dict[str, float]:
    """Mean |TreeSHAP contribution to log CLV| per model input, on up to IMPORTANCE_ROWS customers."""
    sample = sampling.sample(table.set_index("customer_id", drop=False), IMPORTANCE_ROWS, f"{seed}")
    return mean_abs_contributions(model, sample)


def fingerprint(transactions: pd.DataFrame) -> str:
    """Content hash of a normalised log (stable across file names and row order)."""
    hashed = pd.util.hash_pandas_object(transactions, index=False).to_numpy()
    return hashlib.sha256(np.sort(hashed).tobytes()).hexdigest()[:16]


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
    from portal import monitoring  # it reads versions as this module writes them

    url = database_url or Settings(data_dir=data_dir).database_url
    try:
        monitoring.evaluate_all(
            data_dir, url, days, document["data"]["fingerprint"], exclude=document["version"]
        )
    except Exception:
        log.exception("monitoring the older versions failed; the new version is published")


def publish(
    data_dir: Path,
    table: pd.DataFrame,
    model: ClvModel,
    document: dict,
    database_url: str | None = None,
) -> None:
    """Write a version into the registry, record it in the database, then make it current.

    A failure (or a kill) before the pointer switch leaves the current version serving; a
    version whose database record failed is removed again.
    """
    url = database_url or Settings(data_dir=data_dir).database_url
    with registry.publishing_lock(data_dir):
        registry.remove_abandoned_staging(data_dir)
        registry.remove_unrecorded(data_dir)
        _record_legacy_version(data_dir, url)
        version = registry.unique_name(data_dir, document["version"])
        document["version"] = model.version = version
        staging = registry.staging_dir(data_dir)
        try:
            write_artifacts(staging, table, model, document)
            folder = registry.place(data_dir, staging, version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if not isinstance(table, pd.DataFrame):  # a table in parts: now in the version's folder
            table.folder = folder / PREPARED
        try:
            db.record_version(url, document, table)
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        registry.mark_recorded(folder)
        registry.activate(data_dir, version)


def adopt_legacy_version(data_dir: Path, url: str) -> None:
    """Move a pre-registry ``final`` folder into the registry and record it (at app start)."""
    pointer = Path(data_dir) / registry.POINTER
    if pointer.is_symlink() or not pointer.is_dir():
        return
    with registry.publishing_lock(data_dir):
        _record_legacy_version(data_dir, url)


def _record_legacy_version(data_dir: Path, url: str) -> None:
    """Move a pre-registry ``final`` folder into the registry and record it, so it stays listed."""
    adopted = registry.adopt_legacy_folder(data_dir)
    if adopted:
        folder = registry.version_dir(data_dir, adopted)
        document = json.loads((folder / METRICS).read_text())
        document["version"] = adopted
        table = pd.read_parquet(folder / PREPARED)
        db.record_version(url, document, table)


def unchanged(data_dir: Path, transactions: pd.DataFrame, cutoff: str | None) -> str | None:
    """The current version's name when it was trained on the same data the same way, else None."""
    return unchanged_fingerprint(data_dir, fingerprint(transactions), cutoff)


def unchanged_fingerprint(data_dir: Path, data_hash: str, cutoff: str | None) -> str | None:
    """``unchanged`` given the data's fingerprint."""
    name = registry.current_version(data_dir)
    if name is None:
        return None
    current = json.loads((Path(data_dir) / registry.POINTER / METRICS).read_text())
    same_mode = current["mode"] == ("production" if cutoff is None else "backtest")
    same_cutoff = cutoff is None or current["cutoff"] == str(pd.Timestamp(cutoff).date())
    same_data = current["data"]["fingerprint"] == data_hash
    return name if same_mode and same_cutoff and same_data else None


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


def write_artifacts(out_dir: Path, table: pd.DataFrame, model: ClvModel, document: dict) -> None:
    """Write the parquet, the model, then metrics.json (the marker of a complete version).

    ``table``: a frame, or a table already written in parts (``partitions.PartitionedTable``),
    moved in as a folder of parquet parts."""
    if isinstance(table, pd.DataFrame):
        table.to_parquet(out_dir / PREPARED, index=False)
    else:
        table.move_to(out_dir / PREPARED)
    joblib.dump(model, out_dir / MODEL)
    (out_dir / METRICS).write_text(json.dumps(document, indent=2, default=_json_default))


def _json_default(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")


def ensure_artifacts(settings=None) -> None:
    """Train the shipped CDNOW backtest when ``DATA_DIR/final`` has no metrics.json.

    Training runs in a child process: a gunicorn master that ran LightGBM's OpenMP threads itself
    would fork workers that deadlock in their first OpenMP call.
    """
    settings = settings or Settings.from_env()
    if (settings.final_dir / METRICS).exists():
        return
    log.warning("no artifacts in %s: training on the shipped CDNOW data", settings.final_dir)
    subprocess.run(
        [sys.executable, "-m", "portal", "train", "--cutoff", CDNOW_CUTOFF],
        cwd=REPO_ROOT,
        env={**os.environ, "DATA_DIR": str(settings.data_dir)},
        check=True,
    )
