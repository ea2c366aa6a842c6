"""Monitoring: every recorded version's predictions against what its customers then spent.

A newer transaction log covers part or all of a version's horizon; ``portal.realised`` pro-rates the
version's predictions to the observed part (by its own BG/NBD timing, or by time when its folder is
gone) and judges them. Here: loading the versions, evaluating each against a log, storing the
evaluations (the ``monitoring`` table; recomputed when a log covers more of the horizon than the
stored one did) and the summaries /api/monitoring and the monitoring page show.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select

from portal import db, registry
from portal.artifacts import MODEL, PREPARED
from portal.model import ClvModel
from portal.realised import evaluate, expected_share, window

log = logging.getLogger(__name__)

MIN_KNOWN_SHARE = 0.5  # of a version's customers the log must know, else it is another business
CALIBRATION_RANGE = (0.9, 1.1)
GINI_DROP = 0.05
# the figures stored in columns of their own (the rest of an evaluation goes into ``details``)
SCALARS = tuple(
    c.name for c in db.monitoring.columns if c.name not in ("version", "evaluated_at", "details")
)


@dataclass
class Version:
    """What monitoring needs of a recorded version."""

    name: str
    cutoff: str
    table: pd.DataFrame
    model: ClvModel | None
    metrics: dict


def load_version(data_dir: Path, url: str, row: dict) -> Version:
    """A version's scored table and model from its folder, or its recorded predictions alone
    (no model: time share, no intervals) when the folder is gone."""
    name, cutoff = row["version"], row["cutoff"]
    try:
        folder = registry.version_dir(data_dir, name)
    except registry.UnknownVersion:
        return Version(name, cutoff, recorded_predictions(url, name), None, {})
    metrics = json.loads((folder / registry.METRICS).read_text())
    return Version(
        name, cutoff, pd.read_parquet(folder / PREPARED), joblib.load(folder / MODEL), metrics
    )


def recorded_predictions(url: str, version: str) -> pd.DataFrame:
    """One version's per-customer predictions from the database."""
    p = db.predictions
    query = select(*(p.c[c] for c in db.PREDICTION_COLUMNS)).where(p.c.version == version)
    with db.engine(url).connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=db.PREDICTION_COLUMNS)


def evaluate_version(version: Version, days: pd.DataFrame) -> dict | None:
    """A version's evaluation against ``days``; None when the log covers none of its horizon or
    knows fewer than MIN_KNOWN_SHARE of its customers (another business's log)."""
    seen = window(version.cutoff, days["date"].max())
    if seen.fraction <= 0:
        return None
    ids = version.table["customer_id"].astype(str)
    known = ids.isin(days.loc[days["date"] < seen.cutoff, "customer_id"].astype(str).unique())
    if known.mean() < MIN_KNOWN_SHARE:
        log.warning(
            "monitoring: the log knows %.0f%% of %s's customers; skipped",
            100 * known.mean(),
            version.name,
        )
        return None
    model = version.model
    population = model.population if model is not None else None
    share, rule = expected_share(population, version.table, seen)
    result = evaluate(version.table, days, seen, share, model.intervals if model else None)
    backtest = version.metrics.get("backtest", {})
    return {
        "version": version.name,
        "share_rule": rule,
        "backtest_gini": (backtest.get("model") or {}).get("normalized_gini"),
        "backtest_calibration": (backtest.get("model") or {}).get("calibration"),
        **result,
    }


def evaluate_all(
    data_dir: Path,
    url: str,
    days: pd.DataFrame,
    fingerprint: str,
    exclude: str | None = None,
) -> list[dict]:
    """Evaluate every recorded version (but ``exclude``) whose horizon ``days`` covers further than
    its stored evaluation did, and store the results; returns them."""
    stored = {row["version"]: row for row in stored_rows(url)}
    last = days["date"].max()
    done = []
    for row in db.list_versions(url):
        if row["version"] == exclude:
            continue
        seen = window(row["cutoff"], last)
        before = stored.get(row["version"])
        if seen.fraction <= 0 or (before and before["observed_to"] >= str(seen.observed_to.date())):
            continue
        try:
            result = evaluate_version(load_version(data_dir, url, row), days)
        except Exception:  # one unreadable version must not stop the others' evaluation
            log.exception("monitoring: version %s could not be evaluated", row["version"])
            continue
        if result is not None:
            result["data_fingerprint"] = fingerprint
            save(url, result)
            done.append(result)
            log.info(
                "monitoring: %s observed %.0f%%: calibration %.3f, Gini %.3f",
                row["version"],
                100 * result["fraction_observed"],
                result["calibration"],
                result["normalized_gini"],
            )
    return done


def save(url: str, result: dict) -> None:
    """Store (or replace) one version's evaluation."""
    row = {k: result[k] for k in SCALARS}
    row["observed_to"] = date.fromisoformat(row["observed_to"])
    row["version"] = result["version"]
    row["evaluated_at"] = datetime.now(UTC).replace(microsecond=0)
    row["details"] = json_ready(
        {k: v for k, v in result.items() if k not in SCALARS + ("version",)}
    )
    table = db.monitoring
    with db.engine(url).begin() as conn:
        conn.execute(delete(table).where(table.c.version == result["version"]))
        conn.execute(insert(table).values(row))


def json_ready(value):
    """NaN and infinities as None, numpy numbers as Python's, all the way down (JSON columns)."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def stored_rows(url: str, version: str | None = None) -> list[dict]:
    """Stored evaluations (one version's, or all), oldest version cutoff first, as saved."""
    m, v = db.monitoring, db.model_versions
    query = select(m, v.c.trained_at, v.c.mode).join(v, v.c.version == m.c.version)
    if version is not None:
        query = query.where(m.c.version == version)
    query = query.order_by(v.c.cutoff, v.c.trained_at)
    with db.engine(url).connect() as conn:
        rows = [db.plain_row(r._asdict()) for r in conn.execute(query)]
    return [{**row.pop("details"), **row} for row in rows]


def warnings(evaluation: dict | None) -> list[str]:
    """Why a version's realised figures call it into question: its calibration outside
    CALIBRATION_RANGE, or its Gini more than GINI_DROP below its backtest's."""
    if not evaluation:
        return []
    found = []
    low, high = CALIBRATION_RANGE
    calibration = evaluation["calibration"]
    if not low <= calibration <= high:
        found.append(
            f"realised calibration {calibration:.3f} is outside {low}-{high} "
            f"({evaluation['fraction_observed']:.0%} of the horizon observed)"
        )
    backtest = evaluation.get("backtest_gini")
    if backtest is not None and evaluation["normalized_gini"] < backtest - GINI_DROP:
        found.append(
            f"realised Gini {evaluation['normalized_gini']:.3f} is more than {GINI_DROP} below "
            f"its backtest's {backtest:.3f}"
        )
    return found


EVALUATION_FIELDS = (
    "observed_to",
    "fraction_observed",
    "expected_share",
    "share_rule",
    "evaluated_at",
    "data_fingerprint",
    "predicted_total_horizon",
    "predicted_total",
    "predicted_low",
    "predicted_high",
    "realised_total",
    "normalized_gini",
    "top_decile_capture",
    "calibration",
    "decile_mape",
    "coverage",
)


def overview(data_dir: Path, url: str) -> list[dict]:
    """Every recorded version, oldest cutoff first, with its latest evaluation (None before any),
    its warnings and its drift at training (``drift_summary``): what /api/monitoring and the
    page show."""
    stored = {row["version"]: row for row in stored_rows(url)}
    recorded = sorted(db.list_versions(url), key=lambda v: (v["cutoff"], v["trained_at"]))
    return [_summary(data_dir, row, stored.get(row["version"])) for row in recorded]


def detail(data_dir: Path, url: str, version: str) -> dict:
    """One version's summary with its decile table, interval coverage and drift by feature;
    raises registry.UnknownVersion when the database does not record it."""
    recorded = {row["version"]: row for row in db.list_versions(url)}
    if version not in recorded:
        raise registry.UnknownVersion(version)
    evaluation = next(iter(stored_rows(url, version)), None)
    return _summary(data_dir, recorded[version], evaluation, full=True)


def _summary(data_dir: Path, row: dict, evaluation: dict | None, full: bool = False) -> dict:
    metrics = _version_metrics(data_dir, row["version"])
    backtest = (metrics.get("backtest") or {}).get("model") or {}
    # the database keeps the backtest Gini when the version's folder is gone (ephemeral disks)
    backtest_gini = backtest.get("normalized_gini", row.get("normalized_gini"))
    shown = None
    if evaluation is not None:
        shown = {k: evaluation.get(k) for k in EVALUATION_FIELDS}
        if full:
            shown["deciles"] = evaluation["deciles"]
            shown["intervals"] = evaluation.get("intervals")
    judged = {**(evaluation or {}), "backtest_gini": backtest_gini}
    return {
        "version": row["version"],
        "mode": row["mode"],
        "trained_at": row["trained_at"],
        "cutoff": row["cutoff"],
        "customers": row["customers"],
        "backtest_gini": backtest_gini,
        "backtest_calibration": backtest.get("calibration"),
        "evaluation": shown,
        "warnings": warnings(judged) if evaluation else [],
        "drift": drift_summary(metrics.get("drift"), full),
    }


def drift_summary(found: dict | None, full: bool = False) -> dict | None:
    """A version's drift at training (None for versions before it was recorded): the features
    flagged and the largest PSI; ``full`` adds every feature's PSI and bins."""
    if not found:
        return None
    summary = {
        "threshold": found["threshold"],
        "flagged": found["flagged"],
        "max_psi": max((f["psi"] for f in found["features"]), default=None),
    }
    if full:
        summary["features"] = found["features"]
    return summary


def _version_metrics(data_dir: Path, version: str) -> dict:
    """A version's metrics.json ({} when its folder is gone)."""
    try:
        folder = registry.version_dir(data_dir, version)
    except registry.UnknownVersion:
        return {}
    return json.loads((folder / registry.METRICS).read_text())
