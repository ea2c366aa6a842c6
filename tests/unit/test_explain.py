"""TreeSHAP explanations: exact additivity in each model's link space, and sensible signs."""

import copy

import joblib
import numpy as np
import pandas as pd
import pytest

from portal.artifacts import MODEL, PREPARED
from portal.explain import (
    STORED_PARTS,
    contributions,
    explain_row,
    mean_abs_contributions,
    reasons,
    stored_contributions,
)

RECENCY_FREQUENCY = (
    "recency_days",
    "orders_1m",
    "orders_3m",
    "orders_6m",
    "bgnbd_expected_purchases",
    "bgnbd_p_alive",
)


@pytest.fixture(scope="module")
def trained(data_dir):
    final = data_dir / "final"
    return joblib.load(final / MODEL), pd.read_parquet(final / PREPARED)


def test_contributions_add_up_to_the_raw_predictions(trained):
    model, table = trained
    sample = table.sample(500, random_state=1)
    parts = contributions(model, sample)
    design = model.design(sample)
    log_odds = model.classifier.booster_.predict(design, raw_score=True)
    log_spend = model.regressor.booster_.predict(design, raw_score=True)
    assert parts["purchase_baseline"] + parts["purchase"].sum(1) == pytest.approx(
        log_odds, abs=1e-6
    )
    assert parts["spend_baseline"] + parts["spend"].sum(1) == pytest.approx(log_spend, abs=1e-6)
    log_clv = np.log(sample["predicted_clv_6m"].to_numpy())
    assert parts["combined_baseline"] + parts["combined"].sum(1) == pytest.approx(log_clv, abs=1e-6)


def test_what_if_rows_are_explained_exactly(trained):
    model, _ = trained
    row = dict(model.feature_defaults, frequency=3.0, recency_days=40.0, tenure_days=200.0)
    frame = pd.DataFrame([row], columns=model.raw_features)
    explanation = explain_row(model, frame)
    assert explanation["predicted_log"] == pytest.approx(
        np.log(model.predict(frame).clv[0]), abs=1e-6
    )
    factors = [c["factor"] for c in explanation["contributions"]]
    assert explanation["baseline_clv"] * np.prod(factors) == pytest.approx(
        model.predict(frame).clv[0], rel=1e-9
    )
    magnitudes = [abs(c["log_contribution"]) for c in explanation["contributions"]]
    assert magnitudes == sorted(magnitudes, reverse=True)


def recency_frequency_effect(model, table, customer_id):
    row = table[table["customer_id"] == customer_id]
    items = explain_row(model, row)["contributions"]
    return sum(i["log_contribution"] for i in items if i["feature"] in RECENCY_FREQUENCY)


def test_recent_frequent_buyer_up_lapsed_buyer_down(trained):
    model, table = trained
    frequent = table[(table["recency_days"] <= 10) & (table["frequency"] >= 20)]
    lapsed = table[(table["recency_days"] >= 330) & (table["frequency"] == 1)]
    assert len(frequent) and len(lapsed)
    assert recency_frequency_effect(model, table, frequent["customer_id"].iloc[0]) > 0
    assert recency_frequency_effect(model, table, lapsed["customer_id"].iloc[0]) < 0


def test_reasons_and_global_importance(trained):
    model, table = trained
    explanation = explain_row(model, table.head(1))
    sentences = reasons(explanation)
    assert len(sentences) == 3 and all("the prediction ×" in s for s in sentences)
    importance = mean_abs_contributions(model, table.head(300))
    assert list(importance) == sorted(importance, key=lambda k: -importance[k])
    assert set(importance) == set(model.inputs)


def test_a_model_saved_before_population_existed_still_scores(data_dir, tmp_path):
    """Versions trained before the business clock pickled a bare BgNbdParams population."""
    from portal import bgnbd
    from portal.model import Population

    model = joblib.load(data_dir / "final" / "model.joblib")
    frame = pd.read_parquet(data_dir / "final" / "clv_prepared.parquet").head(5)
    old = copy.copy(model)
    old.population = model.population.bgnbd
    joblib.dump(old, tmp_path / "old.joblib")
    loaded = joblib.load(tmp_path / "old.joblib")
    assert isinstance(loaded.population, Population)
    assert isinstance(loaded.population.bgnbd, bgnbd.BgNbdParams)
    assert np.all(np.isfinite(loaded.predict(frame).clv))


def test_stored_contributions_computed_in_chunks_on_every_core_are_the_direct_ones(trained):
    model, table = trained
    sample = table.head(6_000)
    stored = np.vstack(list(stored_contributions(model, sample, rows=250)))  # 24 chunks at once
    parts = contributions(model, sample)
    width = len(model.inputs) + 1
    for i, name in enumerate(STORED_PARTS):
        part = np.column_stack([parts[name], parts[f"{name}_baseline"]])
        assert stored[:, i * width : (i + 1) * width] == pytest.approx(part, abs=1e-10)
