"""Exact TreeSHAP contributions of many rows at once: how a version's explanations are computed in
bulk to be stored with it (``portal.serving_files``).

A tree's TreeSHAP values for a row depend only on the row's decision at each of the tree's splits
(which child it goes to). Per tree, rows are keyed by their decisions; LightGBM's own
``pred_contrib`` explains one row per distinct key for that tree alone (``start_iteration``), and
every row takes its key's values. A 15-leaf tree has at most 2^14 keys and few occur (a median of
~120 in 200,000 synthetic customers): ~16 µs per row and booster, where ``pred_contrib`` over the
whole booster takes ~470 µs, with the same values to ~1e-14 (tested against it).

A tree with more than ``KEYED_SPLITS`` splits, or a split that is not numeric ``<=``, is explained
by ``pred_contrib`` for all rows. ``CHECKED_ROWS`` rows spread over every call are checked against
``pred_contrib`` over the whole booster; on a difference (a decision rule this module does not know,
say one LightGBM adds later) every row of the call is explained by it directly.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np

log = logging.getLogger(__name__)

KEYED_SPLITS = 16  # at most 2^16 keys: a table of 65,536 rows per tree
CHECKED_ROWS = 8  # rows of each call compared with ``pred_contrib`` over the whole booster
ZERO = 1e-35  # LightGBM's kZeroThreshold: |value| below it is zero for a "Zero" missing type


@dataclass(frozen=True)
class Split:
    """One numeric split as LightGBM decides it (``Tree::NumericalDecision``)."""

    feature: int
    threshold: float
    missing_type: str  # "None": NaN counts as 0; "Zero": 0 and NaN take the default; "NaN"
    default_left: bool


def tree_splits(booster: lgb.Booster) -> list[list[Split] | None]:
    """Each tree's splits (in any fixed order), or None for a tree that is not keyed."""
    result = []
    for tree in booster.dump_model()["tree_info"]:
        splits, nodes = [], [tree["tree_structure"]]
        while nodes:
            node = nodes.pop()
            if "split_index" not in node:
                continue
            if node["decision_type"] != "<=":
                splits = None
                break
            splits.append(
                Split(
                    node["split_feature"],
                    float(node["threshold"]),
                    node["missing_type"],
                    bool(node["default_left"]),
                )
            )
            nodes += [node["left_child"], node["right_child"]]
        result.append(splits if splits is not None and len(splits) <= KEYED_SPLITS else None)
    return result


def booster_contributions(
    booster: lgb.Booster, design: np.ndarray, splits: list[list[Split] | None]
) -> np.ndarray:
    """``booster.predict(design, pred_contrib=True)``: rows x (inputs + 1), the baseline last
    (``splits``: ``tree_splits(booster)``). ``CHECKED_ROWS`` rows are checked against it; on a
    difference (a split rule this module does not know) every row is explained by it directly."""
    result = np.zeros((len(design), design.shape[1] + 1))
    columns = np.ascontiguousarray(design.T)
    missing = {j: np.isnan(column) for j, column in enumerate(columns) if np.isnan(column).any()}
    for tree, keyed in enumerate(splits):
        if keyed is None:
            result += _explain(booster, design, tree)
            continue
        keys = _keys(columns, missing, keyed)
        size = 1 << len(keyed)
        example = np.zeros(size, dtype=np.int64)
        example[keys] = np.arange(len(design))  # some row with each key (any will do)
        seen = np.zeros(size, dtype=bool)
        seen[keys] = True
        present = np.flatnonzero(seen)
        by_key = np.zeros((size, result.shape[1]))
        by_key[present] = _explain(booster, design[example[present]], tree)
        result += by_key[keys]
    checked = np.unique(np.linspace(0, len(design) - 1, CHECKED_ROWS).astype(np.int64))
    if len(design) and not np.allclose(
        result[checked], _explain(booster, design[checked]), rtol=1e-9, atol=1e-9
    ):
        log.warning(
            "keyed TreeSHAP differs from LightGBM's: explaining %d rows directly", len(design)
        )
        return _explain(booster, design)
    return result


def _explain(booster: lgb.Booster, design: np.ndarray, tree: int | None = None) -> np.ndarray:
    """``pred_contrib`` of one tree (all trees when ``tree`` is None)."""
    first, count = (0, None) if tree is None else (tree, 1)
    with _ONE_CALL_AT_A_TIME:
        return booster.predict(
            design, pred_contrib=True, start_iteration=first, num_iteration=count, num_threads=1
        )


# LightGBM keeps the trees a prediction uses on the booster itself (``InitPredict``), so two threads
# explaining different trees of one booster at once would each read the other's trees: one call at
# a time (the rest of the work runs in parallel; tests/unit/test_explain.py caught it)
_ONE_CALL_AT_A_TIME = threading.Lock()


def _keys(columns: np.ndarray, missing: dict[int, np.ndarray], splits: list[Split]) -> np.ndarray:
    """Each row's decisions at ``splits`` as bits (1: left)."""
    keys = np.zeros(columns.shape[1], dtype=np.int32)
    for bit, split in enumerate(splits):
        values = columns[split.feature]
        left = values <= split.threshold
        if split.missing_type == "Zero":
            left[np.abs(values) <= ZERO] = split.default_left
        if split.feature in missing:
            nan = missing[split.feature]
            left[nan] = split.default_left if split.missing_type != "None" else 0 <= split.threshold
        keys |= left.astype(np.int32) << bit
    return keys
