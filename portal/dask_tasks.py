"""The Dask engine's tasks: what each worker computes on its partition of whole customers, with
the pandas engine's own functions (module-level, so they are pickled by reference)."""

from __future__ import annotations

import ctypes
import math
from pathlib import Path

import numpy as np
import pandas as pd

from portal import drift, explain, features, partitions, sampling, train
from portal.clock import customer_design
from portal.ingest import ColumnMap
from portal.model import ClvModel, Prediction, add_population_features

HASH_BUCKETS = 16  # the fingerprint's sorted row hashes come to the client in this many slices
BASELINE_COLUMNS = ["frequency", "recency_days", "tenure_days", "repeat_spend_mean"]
BASELINE_COLUMNS += ["spend_6m", "spend_12m"]
# what ``model.fit_population`` reads of a cutoff's customers (with their ids, the index)
POPULATION_COLUMNS = ["frequency", "recency_days", "tenure_days", "repeat_spend_mean"]
# a scored part's prediction: P(purchase), E[spend | purchase] and the classical value
PREDICTION_COLUMNS = ["_p", "_s", "_c"]
LABEL = "actual_6m"


def big(value) -> bool:
    return isinstance(value, ClvModel | pd.DataFrame)


def trim_memory() -> int:
    """Return a worker's freed heap to the system (glibc's malloc_trim; 0 where there is none)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return 0


def held(value):
    """A value the cluster can rebuild (``Run.share``)."""
    return value


def load_part(numbered: tuple[int, Path], columns: ColumnMap) -> pd.DataFrame:
    return partitions.load_part(numbered[1], numbered[0], columns)


def days_meta(meta: pd.DataFrame) -> pd.DataFrame:
    return features.daily(meta.drop(columns=partitions.ROW))


def partition_days(frame: pd.DataFrame) -> pd.DataFrame:
    """A partition's daily rows, its transactions first put back in the log's order."""
    frame = frame.sort_values(partitions.ROW, kind="stable").drop(columns=partitions.ROW)
    return features.daily(frame)


def part_summary(frame: pd.DataFrame) -> dict:
    """A part's counts for the ingest report, and its rows' hashes by slice of hash values."""
    rows = frame.drop(columns=partitions.ROW)
    hashed = pd.util.hash_pandas_object(rows, index=False).to_numpy()
    slices = hashed >> np.uint64(64 - int(math.log2(HASH_BUCKETS)))
    return {
        "stats": {
            "rows": len(rows),
            "returns": int((rows["amount"] < 0).sum()),
            "zero_amount": int((rows["amount"] == 0).sum()),
            "first": rows["date"].min(),
            "last": rows["date"].max(),
        },
        "buckets": [hashed[slices == b] for b in range(HASH_BUCKETS)],
    }


def bucket(summary: dict, bucket: int) -> np.ndarray:
    return summary["buckets"][bucket]


def days_stats(days: pd.DataFrame) -> dict:
    first = days.groupby("customer_id", observed=True)["date"].min()
    return {"rows": len(days), "customers": len(first), "first_seen": first.value_counts()}


def bound(n: int, known: int, spare: float) -> int:
    """A key bound below which about n + spare * sqrt(n) + 64 of ``known`` customers fall."""
    if known <= n:
        return 2**64 - 1
    share = (n + spare * math.sqrt(n) + 64) / known
    return 2**64 - 1 if share >= 1 else int(share * 2.0**64)


def below(days, rows, bounds: dict, salts: dict, log_start) -> dict:
    """Per cutoff, a partition's ``rows`` of the customers whose key is at most the cutoff's bound
    (only their days are read: a row depends on its customer's days alone)."""
    ids, codes = days["customer_id"].cat.categories, days["customer_id"].cat.codes.to_numpy()
    found = {}
    for cut, bound in bounds.items():
        below = sampling.keys(ids, salts[cut]) <= np.uint64(bound)
        found[cut] = rows(days[below[codes]], cut, log_start)
    return found


def population_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of a cutoff's sample that its population models are fitted on."""
    return frame[frame.columns.intersection(POPULATION_COLUMNS, sort=False)]


def customer_features(days, cutoff, log_start):
    return features.build_features(days, cutoff, log_start)


def labelled_features(days, cutoff, log_start):
    frame = customer_features(days, cutoff, log_start)
    frame["actual_6m"] = features.build_labels(days, frame.index, cutoff)["actual_6m"].to_numpy()
    return frame


def design_rows(days, cutoff, log_start):
    return customer_design(days, cutoff, log_start)


def scored_part(days, model: ClvModel, cutoff, labels: bool, log_start) -> pd.DataFrame:
    """A partition's customers known at ``cutoff``: their features, the prediction's parts
    (``PREDICTION_COLUMNS``) and, with ``labels``, ``actual_6m``. It stays on the workers until
    the table is written (``final_part``), so the features are built and scored once."""
    current = customer_features(days, cutoff, log_start)
    if current.empty:
        parts = np.empty((len(PREDICTION_COLUMNS), 0))
    else:
        prediction = model.predict(current)
        parts = [prediction.p_purchase, prediction.spend_if_purchase, prediction.classical]
    for column, values in zip(PREDICTION_COLUMNS, parts):
        current[column] = values
    if labels:
        current[LABEL] = features.build_labels(days, current.index, cutoff)[LABEL].to_numpy()
    return current


def ranking_columns(part: pd.DataFrame) -> pd.DataFrame:
    """What the client gathers of a scored part: the baselines' columns, the prediction's parts
    and the label if there is one."""
    return part[BASELINE_COLUMNS + PREDICTION_COLUMNS + [c for c in [LABEL] if c in part]]


def prediction(known: pd.DataFrame) -> Prediction:
    return Prediction(*(known[c].to_numpy() for c in PREDICTION_COLUMNS))


def final_part(part: pd.DataFrame, model: ClvModel, places: pd.DataFrame):
    """A scored partition's part of the version's table (``train.score_table`` with the final
    model's intervals, the prediction already made and the global ranks), its drift counts, and
    the ids and ``explain.abs_contributions`` of its customers ``places["explained"]`` marks."""
    current = part.drop(columns=[c for c in PREDICTION_COLUMNS + [LABEL] if c in part])
    table = train.score_table(model, current, prediction(part))
    if not np.array_equal(table["customer_id"].to_numpy(), places["customer_id"].to_numpy()):
        raise RuntimeError("a partition's customers differ from its scored rows")
    for column in ("rank", "decile", "segment"):
        table[column] = places[column].to_numpy()
    if LABEL in part:
        table[LABEL] = part[LABEL].to_numpy()
    scored = add_population_features(table, model.population)
    counts = {
        c: drift.counts(scored[c], bins["edges"])
        for c, bins in model.feature_bins.items()
        if c in scored
    }
    explained = table[places["explained"].to_numpy()]
    absolute = explain.abs_contributions(model, explained) if len(explained) else None
    return table, counts, (explained["customer_id"].to_numpy(), absolute)
