"""Fitting the model at one cutoff: monthly training snapshots, the boosters, the population models.

The model learns from every monthly snapshot whose 6-month label window ends by the cutoff
(``cutoffs.training_cutoffs``), sampled down to MAX_TRAINING_ROWS rows in all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal import clock, drift, features, intervals, sampling, season
from portal.clock import BusinessClock
from portal.cutoffs import training_cutoffs
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

MAX_TRAINING_ROWS = 600_000
# the share of customers held out to calibrate intervals where there is no validation window
HOLDOUT_SHARE = 0.25


@dataclass
class Scored:
    """A model and the customers it scored at one cutoff."""

    model: ClvModel
    table: pd.DataFrame


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
    model.feature_bins = drift.reference_bins(snapshots[-1], inputs)  # the nearest in time
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
