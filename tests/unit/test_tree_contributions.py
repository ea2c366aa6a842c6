"""Bulk TreeSHAP (``portal.tree_contributions``): the same values as LightGBM's ``pred_contrib``
for every missing-value rule a split can have, and for trees too large to key."""

import lightgbm as lgb
import numpy as np
import pytest

from portal import tree_contributions


def _data(seed: int = 7, rows: int = 3_000) -> tuple[np.ndarray, np.ndarray]:
    """Features with NaN, exact zeros and tiny values, and a target that depends on them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5))
    x[rng.random(rows) < 0.2, 0] = np.nan
    x[rng.random(rows) < 0.3, 1] = 0.0
    x[rng.random(rows) < 0.1, 1] = np.nan
    x[rng.random(rows) < 0.1, 2] = 1e-40  # zero to LightGBM's "Zero" rule
    y = np.nan_to_num(x[:, 0], nan=2.0) + (x[:, 1] == 0) * 1.5 + x[:, 2] * x[:, 3] + x[:, 4]
    return x, y + rng.normal(scale=0.1, size=rows)


def _booster(x: np.ndarray, y: np.ndarray, **params) -> lgb.Booster:
    settings = {"objective": "regression", "verbose": -1, "seed": 3, "num_leaves": 15, **params}
    return lgb.train(settings, lgb.Dataset(x, y), num_boost_round=40)


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_the_contributions_are_lightgbms_for_every_missing_rule(zero_as_missing):
    x, y = _data()
    booster = _booster(x, y, zero_as_missing=zero_as_missing)
    splits = tree_contributions.tree_splits(booster)
    assert all(keyed is not None for keyed in splits)
    rules = {split.missing_type for keyed in splits for split in keyed}
    assert rules == ({"Zero"} if zero_as_missing else {"NaN", "None"})
    unseen, _ = _data(seed=11, rows=2_000)  # rows the model never saw, keyed afresh
    got = tree_contributions.booster_contributions(booster, unseen, splits)
    assert got == pytest.approx(booster.predict(unseen, pred_contrib=True), abs=1e-10)


def test_nan_in_a_column_trained_without_missing_values_counts_as_zero():
    x, y = _data()
    clean = np.nan_to_num(x, nan=0.5)
    booster = _booster(clean, y)
    splits = tree_contributions.tree_splits(booster)
    unseen, _ = _data(seed=5, rows=1_000)
    got = tree_contributions.booster_contributions(booster, unseen, splits)
    assert got == pytest.approx(booster.predict(unseen, pred_contrib=True), abs=1e-10)


def test_trees_with_too_many_splits_to_key_are_explained_directly():
    x, y = _data()
    booster = _booster(x, y, num_leaves=40, min_data_in_leaf=5)
    splits = tree_contributions.tree_splits(booster)
    assert all(keyed is None for keyed in splits)  # more than KEYED_SPLITS splits each
    got = tree_contributions.booster_contributions(booster, x[:500], splits)
    assert got == pytest.approx(booster.predict(x[:500], pred_contrib=True), abs=1e-10)


def test_rows_sharing_a_tree_s_decisions_share_its_contributions():
    x, y = _data()
    booster = _booster(x, y)
    splits = tree_contributions.tree_splits(booster)
    first = tree_contributions.booster_contributions(booster, x[:1], splits)
    twice = tree_contributions.booster_contributions(booster, np.vstack([x[:1], x[:1]]), splits)
    assert twice[0] == pytest.approx(first[0]) and twice[1] == pytest.approx(first[0])


def test_a_difference_from_lightgbm_falls_back_to_it_for_every_row(monkeypatch, caplog):
    x, y = _data()
    booster = _booster(x, y)
    splits = tree_contributions.tree_splits(booster)
    monkeypatch.setattr(
        tree_contributions, "_keys", lambda columns, *_: np.zeros(columns.shape[1], dtype=np.int32)
    )
    got = tree_contributions.booster_contributions(booster, x[:300], splits)
    assert got == pytest.approx(booster.predict(x[:300], pred_contrib=True), abs=1e-10)
    assert "explaining 300 rows directly" in caplog.text
