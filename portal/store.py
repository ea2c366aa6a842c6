"""The cached read side: loads the artifacts once per process per version and answers queries.

``DATA_DIR/final`` points at the current version's folder (``portal.registry``). Each query resolves
the pointer once; a new target is loaded on the next query, so a retrain or a rollback is served
without a restart, and all three files always come from the same version.

The memoized functions take the loaded ``Artifacts`` and compute from them alone: their cache key
is the Artifacts' repr (its version folder and name), so a key always names the numbers stored
under it, even when the pointer moves while they are computed.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from portal import analytics, campaign, explain, intervals, marketing, serving_files
from portal.artifacts import METRICS, MODEL
from portal.extensions import cache
from portal.loaded import Artifacts as Artifacts
from portal.loaded import UnknownCustomer as UnknownCustomer
from portal.serving_files import TABLE_COLUMNS

log = logging.getLogger(__name__)

METRICS_FIELDS = (  # what /api/meta and the pages read from metrics.json
    "version",
    "trained_at",
    "mode",
    "cutoff",
    "horizon_months",
    "training_cutoffs",
    "data",
    "raw_features",
    "model_inputs",
    "feature_importance",
    "backtest",
)


class ArtifactsMissing(RuntimeError):
    """No readable artifacts in the data folder (train first)."""


class ArtifactStore:
    """Holds the current Artifacts of one data folder; reloads when metrics.json changes."""

    def __init__(self, final_dir: Path):
        self.final_dir = Path(final_dir)
        self._pointer, self._metrics = str(self.final_dir), str(self.final_dir / METRICS)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._current: Artifacts | None = None

    def _target(self) -> tuple:
        """The version the pointer names now and its metrics.json's inode and mtime: a readlink
        and a stat, where resolving the pointer takes a stat per path component."""
        try:
            target = os.readlink(self._pointer)
        except OSError:  # a folder rather than a pointer, or nothing (the stat says which)
            target = None
        try:
            stat = os.stat(self._metrics)
        except FileNotFoundError:
            raise ArtifactsMissing(f"no artifacts in {self.final_dir}: run `make train`") from None
        return target, stat.st_ino, stat.st_mtime_ns

    def current(self) -> Artifacts:
        """The loaded artifacts, reloading first if the pointer moved to another version (a move
        during the load is seen by the next query)."""
        stamp = self._target()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._current = self._load(self.final_dir.resolve())
                    self._stamp = stamp
        return self._current

    def _load(self, folder: Path) -> Artifacts:
        try:
            metrics = json.loads((folder / METRICS).read_text())
            serving_files.ensure(folder)
            files = serving_files.open_files(folder)
            model = joblib.load(folder / MODEL)
        except serving_files.NotWritable as exc:
            raise ArtifactsMissing(
                f"{exc}: run `python -m portal setup` as a user who may write there"
            ) from exc
        except Exception as exc:  # any unreadable artifact means "not ready", never a 500
            raise ArtifactsMissing(f"artifacts in {folder} are unreadable: {exc}") from exc
        missing = [name for name in METRICS_FIELDS if name not in metrics]
        if missing:
            raise ArtifactsMissing(f"{folder / METRICS} lacks {', '.join(missing)}")
        log.info(
            "loaded artifacts version %s (%d customers)", metrics.get("version"), len(files.table)
        )
        return Artifacts(
            version=metrics["version"], folder=folder, files=files, model=model, metrics=metrics
        )


_STORES: dict[Path, ArtifactStore] = {}


def store_for(final_dir: Path) -> ArtifactStore:
    """One ArtifactStore per data folder per process."""
    key = Path(final_dir).absolute()  # not resolve(): the pointer itself, not its target
    if key not in _STORES:
        _STORES[key] = ArtifactStore(key)
    return _STORES[key]


def current(final_dir: Path) -> Artifacts:
    """Shortcut: the current artifacts of ``final_dir``."""
    return store_for(final_dir).current()


@cache.memoize()
def gain_curve(art: Artifacts, points: int) -> dict:
    """Sampled model / random / oracle gain curves and normalized Gini for one version."""
    result: dict = {"version": art.version, "points": points}
    if not art.has_actuals:
        return {**result, "has_actuals": False}
    model_curve, oracle = art.files.arrays["curve.gain"], art.files.arrays["curve.oracle"]
    x, g = analytics.sample_curve(model_curve, points)
    _, o = analytics.sample_curve(oracle, points)
    return {
        **result,
        "has_actuals": True,
        "x": x,
        "model": g,
        "random": x,
        "oracle": o,
        "normalized_gini": art.files.figures["normalized_gini"],
        "top_decile_capture": analytics.top_decile_of_curve(model_curve),
    }


@cache.memoize()
def decile_lift(art: Artifacts) -> dict:
    """The ten deciles of portal/METRICS.md for one version."""
    rows = analytics.decile_table(art.predicted, None, art.actual, order=art.ranked)
    result = {
        "version": art.version,
        "has_actuals": art.has_actuals,
        "customers": art.n,
        "deciles": analytics.as_dicts(rows),
    }
    if art.has_actuals:
        result["decile_mape"], result["decile_mape_left_out"] = analytics.decile_mape(rows)
    return result


@cache.memoize()
def elite(art: Artifacts, top_pct: float) -> dict:
    """Elite summary for one version (customers are paged separately)."""
    summary, chosen = analytics.elite_summary(
        art.predicted, None, top_pct, art.actual, order=art.ranked
    )
    return {"version": art.version, **summary.__dict__, **revenue_range(art, chosen)}


def predicted_total(art: Artifacts) -> float:
    """Every customer's predicted 6-month spend, summed (computed with the serving files)."""
    return art.files.figures["predicted_total"]


def total_revenue_range(art: Artifacts) -> dict:
    """The interval of every customer's predicted total (``revenue_range`` of them all, computed
    with the serving files)."""
    return dict(art.files.figures["revenue_range"])


def revenue_range(art: Artifacts, positions: np.ndarray) -> dict:
    """The interval of the predicted total of the customers at ``positions``."""
    predicted = art.predicted[positions]
    p_purchase = art.table["p_purchase"].to_numpy()[positions]
    return intervals.total_fields(art.model.intervals, predicted, p_purchase)


def table_page(
    art: Artifacts,
    *,
    limit: int,
    columns: list[str],
    offset: int = 0,
    marketer: list[str] = (),
    **filters,
) -> tuple[pd.DataFrame, int]:
    """The ``columns`` and ``marketer`` fields of the rows of ``table_positions``, and the
    number of rows matching the filters."""
    positions, total = table_positions(art, limit=limit, offset=offset, **filters)
    return art.rows(positions, columns, marketer), total


def table_positions(
    art: Artifacts,
    *,
    limit: int,
    offset: int = 0,
    sort: str = "rank",
    descending: bool = False,
    query: str = "",
    segment: str | None = None,
    max_rank: int | None = None,
    group: str | None = None,
) -> tuple[np.ndarray, int]:
    """Filter (id prefix, segment, named group, rank <= max_rank), sort and page the scored table.

    Returns:
        The rows of the page (positions in the table) and the number of rows matching the filters.
    """
    unfiltered = not (segment or query or group)
    if unfiltered and (max_rank is None or art.in_rank_order(sort, descending)):
        # a page of a stored order, read from its file (in rank order, the top is a prefix)
        count = art.n if max_rank is None else min(max(max_rank, 0), art.n)
        return art.order_rows(sort, descending, offset, min(offset + limit, count)), count
    mask = np.ones(art.n, dtype=bool)
    if max_rank is not None:
        mask[max_rank:] = False
    if segment:
        mask &= art.segment_mask(segment)
    if query:
        mask &= art.prefix_mask(query.strip())
    if group:
        mask &= art.group_mask(group)
    selected = art.order(sort, descending)
    selected = selected[mask[selected]]
    return np.asarray(selected[offset : offset + limit]), len(selected)


AUDIENCE_COLUMNS = TABLE_COLUMNS + marketing.FIELDS


def audience(
    art: Artifacts, rank_by: str, count: int, offset: int = 0, limit: int | None = None
) -> pd.DataFrame:
    """Rows [offset, offset + limit) of the first ``count`` customers in contact order, numbered
    from 1 (``audience_rank``), with their marketer fields; the next order's date as YYYY-MM-DD."""
    stop = count if limit is None else min(count, offset + limit)
    positions = art.contact_rows(rank_by, offset, stop)
    rows = art.rows(positions, TABLE_COLUMNS, marketing.FIELDS)
    rows["next_order_date"] = rows["next_order_date"].dt.strftime("%Y-%m-%d")  # NaT stays null
    rows.insert(0, "audience_rank", np.arange(offset + 1, offset + 1 + len(rows)))
    return rows[["audience_rank", *AUDIENCE_COLUMNS]]


def marketer_fields(record: dict, group: str | None) -> dict:
    """One customer's marketer fields as JSON-safe values, from its record's marketer part
    (``Artifacts.record``) and its ``group``."""
    date = record["next_order_date"]
    return {
        **{k: v if math.isfinite(v) else None for k, v in record.items() if k != "next_order_date"},
        "next_order_date": None if date is None else date.isoformat(),
        "group": group,
    }


def campaign_plan(art: Artifacts, assumptions: campaign.Assumptions, rank_by: str) -> campaign.Plan:
    """The expected profit curve of a campaign on this version's customers."""
    revenue = campaign.extra_revenue(
        assumptions,
        art.predicted,
        art.marketing["p_active"].to_numpy(),
        marketing.mean_order_value(art.table),
    )
    return campaign.plan(assumptions, revenue, art.contact_order(rank_by))


def profit_range(art: Artifacts, plan: campaign.Plan, rank_by: str) -> dict | None:
    """The interval of the chosen audience's profit: the range of its predicted 6-month spend
    (``revenue_range``) through the uplift effect's profit formula. None for the response effect,
    an empty audience or a version without intervals."""
    a, k = plan.assumptions, plan.best_count
    if a.effect != "uplift" or k == 0:
        return None
    spend = revenue_range(art, art.contact_order(rank_by)[:k])
    if spend["predicted_low"] is None:
        return None
    per_spend = (a.margin - a.discount) * a.uplift
    return {
        "low": per_spend * spend["predicted_low"] - k * a.contact_cost,
        "high": per_spend * spend["predicted_high"] - k * a.contact_cost,
        "level": spend["interval_level"],
    }


@cache.memoize()
def groups(art: Artifacts) -> dict:
    """Customers and value of every named group (``portal.marketing.GROUPS``)."""
    rows = marketing.group_summary(
        art.predicted, art.marketing["historic_spend"], art.group_mask, art.actual
    )
    return {"version": art.version, "customers": art.n, "groups": rows}


@cache.memoize()
def value_concentration(art: Artifacts, points: int) -> dict:
    """Cumulative share of predicted value held by the top x of customers (Pareto curve)."""
    x, share = analytics.sample_curve(art.files.arrays["curve.value"], points)
    return {"version": art.version, "x": x, "share": share}


DEPENDENCE_ROWS = 2_000


@cache.memoize()
def dependence(art: Artifacts, feature: str) -> dict:
    """Value and combined contribution of one model input on a fixed sample of customers."""
    if feature not in art.model.inputs:
        raise KeyError(feature)
    sample = art.table.sample(min(art.n, DEPENDENCE_ROWS), random_state=0)
    parts = explain.contributions(art.model, sample)
    j = art.model.inputs.index(feature)
    values = parts["design"][:, j]
    keep = np.isfinite(values)
    return {
        "version": art.version,
        "feature": feature,
        "values": values[keep].tolist(),
        "contributions": parts["combined"][keep, j].tolist(),
    }
