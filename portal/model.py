"""The CLV model: a hurdle of two LightGBM models on RFM, window and BG/NBD features.

predicted 6-month spend = P(purchase in horizon) x E[spend | purchase]

* The classifier (binary log-loss) gives P(purchase).
* The regressor (gamma deviance, log link) is fitted on buyers only and gives E[spend | purchase].
* BG/NBD expected purchases and P(alive), fitted on the population at each cutoff, are features:
  they carry how purchase rates decay with customer age, which the trees alone cannot extrapolate.
* Raw age-dependent totals (tenure, lifetime totals) are not model inputs, so a model trained on
  younger customers at earlier cutoffs transfers to the older ones it scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd

from portal import bgnbd
from portal.features import HORIZON_MONTHS

HORIZON_WEEKS = 26.0
BGNBD_COLUMNS = ["bgnbd_expected_purchases", "bgnbd_p_alive", "bgnbd_expected_value"]
AGE_COLUMNS = {
    "tenure_days",
    "frequency",
    "monetary_total",
    "spend_12m",
    "orders_12m",
    "quantity_total",
}
REQUIRED_INPUTS = ("frequency", "recency_days", "tenure_days")
SMALL_REQUEST_ROWS = 1_000
BOOSTER_PARAMS = dict(
    n_estimators=300,
    learning_rate=0.03,
    num_leaves=15,
    min_child_samples=50,
    subsample=0.8,
    subsample_freq=1,
    colsample_bytree=0.8,
    deterministic=True,
    force_row_wise=True,
    n_jobs=2,
    verbose=-1,
)


def bgnbd_columns(columns, params: bgnbd.BgNbdParams) -> dict[str, np.ndarray]:
    """BG/NBD expected purchases in the horizon, P(alive) and their value, from raw columns."""
    x, t_x, T = bgnbd.rfm_arrays(
        columns["frequency"], columns["recency_days"], columns["tenure_days"]
    )
    expected = bgnbd.expected_purchases(params, HORIZON_WEEKS, x, t_x, T)
    return {
        "bgnbd_expected_purchases": expected,
        "bgnbd_p_alive": bgnbd.p_alive(params, x, t_x, T),
        "bgnbd_expected_value": expected * np.asarray(columns["monetary_mean"], dtype=float),
    }


def add_bgnbd_features(features: pd.DataFrame, params: bgnbd.BgNbdParams) -> pd.DataFrame:
    """A copy of ``features`` with the BG/NBD columns appended."""
    return features.assign(**bgnbd_columns(features, params))


def fit_population(features: pd.DataFrame) -> bgnbd.BgNbdParams:
    """BG/NBD parameters for the customers known at one cutoff (no labels used)."""
    return bgnbd.fit(
        *bgnbd.rfm_arrays(features["frequency"], features["recency_days"], features["tenure_days"])
    )


def model_inputs(raw_columns: list[str]) -> list[str]:
    """The columns the trees see: raw features minus age totals, plus BG/NBD features."""
    return [c for c in raw_columns if c not in AGE_COLUMNS] + BGNBD_COLUMNS


def predict_threads(rows: int) -> int:
    """OpenMP threads for a prediction: one for small requests (web workers already run in
    parallel; more threads per request only oversubscribe the cores), LightGBM's default else."""
    return 1 if rows < SMALL_REQUEST_ROWS else 0


@dataclass
class Prediction:
    """Per-customer outputs of :meth:`ClvModel.predict`."""

    p_purchase: np.ndarray
    spend_if_purchase: np.ndarray

    @property
    def clv(self) -> np.ndarray:
        """Expected spend in the horizon."""
        return self.p_purchase * self.spend_if_purchase


@dataclass
class ClvModel:
    """What ``model.joblib`` holds: both boosters plus everything needed to score and explain."""

    raw_features: list[str]
    classifier: lgb.LGBMClassifier
    regressor: lgb.LGBMRegressor
    population: bgnbd.BgNbdParams
    feature_defaults: dict[str, float]
    cutoff: str
    training_cutoffs: list[str]
    horizon_months: int = HORIZON_MONTHS
    version: str = ""
    trained_at: str = ""
    library_versions: dict[str, str] = field(default_factory=dict)

    @property
    def inputs(self) -> list[str]:
        """Columns the boosters were trained on."""
        return model_inputs(self.raw_features)

    def design(self, features: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The boosters' input matrix (columns in ``inputs`` order) for raw feature rows.

        ``features`` is a frame with the raw feature columns, or a matrix already in
        ``raw_features`` order (the fast path for single requests).
        """
        if isinstance(features, pd.DataFrame):
            raw = features[self.raw_features].to_numpy(dtype=np.float64)
        else:
            raw = np.atleast_2d(np.asarray(features, dtype=np.float64))
        columns = dict(zip(self.raw_features, raw.T))
        columns.update(bgnbd_columns(columns, self.population))
        return np.column_stack([columns[name] for name in self.inputs])

    def predict(self, features: pd.DataFrame | np.ndarray) -> Prediction:
        """Score raw feature rows with the population parameters of the scoring cutoff."""
        design = self.design(features)
        return Prediction(
            p_purchase=self.classifier.booster_.predict(design),
            spend_if_purchase=self.regressor.booster_.predict(design),
        )


def fit_boosters(
    snapshots: list[pd.DataFrame], raw_features: list[str], seed: int
) -> tuple[lgb.LGBMClassifier, lgb.LGBMRegressor]:
    """Fit the hurdle on stacked snapshots (each with raw features and ``actual_6m``).

    Args:
        snapshots: one frame per training cutoff; BG/NBD is fitted on each separately.
        raw_features: the feature columns to use.
        seed: random seed for both boosters.
    """
    inputs = model_inputs(raw_features)
    stacked = pd.concat(
        [add_bgnbd_features(s, fit_population(s)) for s in snapshots], ignore_index=True
    )
    bought = stacked["actual_6m"].to_numpy() > 0
    classifier = lgb.LGBMClassifier(random_state=seed, **BOOSTER_PARAMS)
    classifier.fit(stacked[inputs], bought)
    buyers = stacked[bought]
    regressor = lgb.LGBMRegressor(objective="gamma", random_state=seed, **BOOSTER_PARAMS)
    regressor.fit(buyers[inputs], buyers["actual_6m"])
    return classifier, regressor
