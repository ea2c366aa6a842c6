"""The CLV model: a hurdle of two LightGBM models on RFM, window and BG/NBD features.

predicted 6-month spend = w P(purchase in horizon) x E[spend | purchase] + (1 - w) classical

where "classical" is BG/NBD + Gamma-Gamma (on the business clock where there is one), also an input
of the trees, and w = HURDLE_WEIGHT. The average ranks and calibrates better than either part on
CDNOW and on the SYNTHETIC grid (README); the trees alone cannot extrapolate a growing business.

* The classifier (binary log-loss) gives P(purchase).
* The regressor (gamma deviance, log link) is fitted on buyers only and gives E[spend | purchase].
* BG/NBD expected purchases and P(alive), fitted on the population at each cutoff, are features:
  they carry how purchase rates decay with customer age, which the trees alone cannot extrapolate;
  their value uses the Gamma-Gamma expected spend per purchase (also fitted at each cutoff).
* Where a season can be seen, BG/NBD runs on the business clock (``portal.clock``: season and
  trend estimated from the log), so its expectations know the coming season; the population
  context at each cutoff (``portal.season``) is a constant column per snapshot, so the trees learn
  how the season moves the outcome; a what-if row takes the scoring cutoff's context.
* ``total_correction`` rescales E[spend | purchase] so that the total was right on the most recent
  fully observed window before the scoring cutoff (see ``calibration.validation_correction``).
* Raw age-dependent totals (tenure, lifetime totals) are not model inputs, so a model trained on
  younger customers at earlier cutoffs transfers to the older ones it scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import lightgbm as lgb
import numpy as np
import pandas as pd

from portal import bgnbd, gammagamma, sampling
from portal.bgnbd import DAYS_PER_WEEK
from portal.clock import BusinessClock
from portal.features import HORIZON_MONTHS, add_months
from portal.intervals import IntervalModel

HORIZON_WEEKS = 26.0
BGNBD_COLUMNS = ["bgnbd_expected_purchases", "bgnbd_p_alive", "bgnbd_expected_value"]
CLASSICAL_COLUMN = "bgnbd_expected_value"  # BG/NBD x Gamma-Gamma: the classical prediction
HURDLE_WEIGHT = 0.45
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


@dataclass(frozen=True)
class Population:
    """What is known of the customers at one cutoff without labels: the classical models' fits,
    the business clock (None where no season can be seen) and the population context
    (name -> value, the same for every customer)."""

    bgnbd: bgnbd.BgNbdParams
    spend: gammagamma.GammaGammaParams | None
    cutoff: str
    clock: BusinessClock | None = None
    context: dict[str, float] = field(default_factory=dict)

    def rfm(self, columns) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """BG/NBD's (x, t_x, T) and the horizon, in weeks of the clock (calendar weeks without)."""
        x, t_x, T = bgnbd.rfm_arrays(
            columns["frequency"], columns["recency_days"], columns["tenure_days"]
        )
        if self.clock is None:
            return x, t_x, T, HORIZON_WEEKS
        cut = self.clock.day_of(self.cutoff)
        end = self.clock.day_of(add_months(pd.Timestamp(self.cutoff), HORIZON_MONTHS))
        first = cut - np.asarray(columns["tenure_days"], dtype=float)
        last = cut - np.asarray(columns["recency_days"], dtype=float)
        c_first, c_last, c_cut, c_end = (self.clock.at(v) for v in (first, last, cut, end))
        T = (c_cut - c_first) / DAYS_PER_WEEK
        t_x = np.where(x > 0, np.clip(c_last - c_first, 0.0, None) / DAYS_PER_WEEK, 0.0)
        return x, t_x, T, float(c_end - c_cut) / DAYS_PER_WEEK


def expected_spend_per_purchase(columns, spend: gammagamma.GammaGammaParams | None) -> np.ndarray:
    """Gamma-Gamma E[spend per purchase day]; the customer's own mean when no fit was possible."""
    if spend is None or "repeat_spend_mean" not in columns:
        return np.clip(np.asarray(columns["monetary_mean"], dtype=float), 0.0, None)
    repeats = np.asarray(columns["frequency"], dtype=float) - 1
    return gammagamma.expected_value(spend, repeats, columns["repeat_spend_mean"])


def bgnbd_columns(columns, population: Population) -> dict[str, np.ndarray]:
    """BG/NBD expected purchases in the horizon, P(alive) and their value, from raw columns."""
    x, t_x, T, horizon = population.rfm(columns)
    expected = bgnbd.expected_purchases(population.bgnbd, horizon, x, t_x, T)
    return {
        "bgnbd_expected_purchases": expected,
        "bgnbd_p_alive": bgnbd.p_alive(population.bgnbd, x, t_x, T),
        "bgnbd_expected_value": expected * expected_spend_per_purchase(columns, population.spend),
    }


def add_population_features(features: pd.DataFrame, population: Population) -> pd.DataFrame:
    """A copy of ``features`` with the BG/NBD and context columns appended."""
    return features.assign(**bgnbd_columns(features, population), **population.context)


def fit_population(
    features: pd.DataFrame,
    cutoff: pd.Timestamp,
    clock: BusinessClock | None = None,
    context: dict[str, float] | None = None,
    seed: int = 0,
) -> Population:
    """BG/NBD (on the clock when there is one) and Gamma-Gamma for the customers known at
    ``cutoff`` (no labels used), fitted on their ``sampling.population_sample``."""
    features = sampling.population_sample(features, cutoff, seed)
    spend = None
    if "repeat_spend_mean" in features:
        try:
            spend = gammagamma.fit(features["frequency"] - 1, features["repeat_spend_mean"])
        except ValueError:  # too few repeat buyers: the customer's own mean stands in
            spend = None
    population = Population(
        bgnbd.BgNbdParams(1.0, 1.0, 1.0, 1.0),
        spend,
        str(pd.Timestamp(cutoff).date()),
        clock,
        dict(context or {}),
    )
    x, t_x, T, _ = population.rfm(features)
    return replace(population, bgnbd=bgnbd.fit(x, t_x, T))


def model_inputs(raw_columns: list[str], context_columns=()) -> list[str]:
    """The columns the trees see: raw features minus age totals, plus BG/NBD and context."""
    return [c for c in raw_columns if c not in AGE_COLUMNS] + BGNBD_COLUMNS + list(context_columns)


def predict_threads(rows: int) -> int:
    """OpenMP threads for a prediction: one for small requests (web workers already run in
    parallel; more threads per request only oversubscribe the cores), LightGBM's default else."""
    return 1 if rows < SMALL_REQUEST_ROWS else 0


@dataclass
class Prediction:
    """Per-customer outputs of :meth:`ClvModel.predict` (money already corrected)."""

    p_purchase: np.ndarray
    spend_if_purchase: np.ndarray
    classical: np.ndarray

    @property
    def hurdle(self) -> np.ndarray:
        """The boosted hurdle's expected spend: P(purchase) x E[spend | purchase]."""
        return self.p_purchase * self.spend_if_purchase

    @property
    def clv(self) -> np.ndarray:
        """Expected spend in the horizon: the weighted average of the hurdle and the classical."""
        return HURDLE_WEIGHT * self.hurdle + (1 - HURDLE_WEIGHT) * self.classical


@dataclass
class ClvModel:
    """What ``model.joblib`` holds: both boosters plus everything needed to score and explain."""

    raw_features: list[str]
    classifier: lgb.LGBMClassifier
    regressor: lgb.LGBMRegressor
    population: Population
    feature_defaults: dict[str, float]
    cutoff: str
    training_cutoffs: list[str]
    horizon_months: int = HORIZON_MONTHS
    total_correction: float = 1.0
    validation: dict | None = None
    intervals: IntervalModel | None = None
    version: str = ""
    trained_at: str = ""
    library_versions: dict[str, str] = field(default_factory=dict)
    feature_bins: dict[str, dict] = field(default_factory=dict)  # drift.reference_bins of training

    def __setstate__(self, state: dict) -> None:
        """Load a model saved before ``Population`` existed (its population was BG/NBD only)."""
        population = state.get("population")
        if isinstance(population, bgnbd.BgNbdParams):
            state["population"] = Population(population, None, state.get("cutoff", ""))
        self.__dict__.update(state)

    @property
    def inputs(self) -> list[str]:
        """Columns the boosters were trained on."""
        return model_inputs(self.raw_features, self.population.context)

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
        columns.update({k: np.full(len(raw), v) for k, v in self.population.context.items()})
        return np.column_stack([columns[name] for name in self.inputs])

    def predict(self, features: pd.DataFrame | np.ndarray) -> Prediction:
        """Score raw feature rows with the population parameters of the scoring cutoff."""
        design = self.design(features)
        threads = predict_threads(len(design))
        return Prediction(
            p_purchase=self.classifier.booster_.predict(design, num_threads=threads),
            spend_if_purchase=self.regressor.booster_.predict(design, num_threads=threads)
            * self.total_correction,
            classical=design[:, self.inputs.index(CLASSICAL_COLUMN)] * self.total_correction,
        )


def fit_boosters(
    snapshots: list[pd.DataFrame], inputs: list[str], seed: int
) -> tuple[lgb.LGBMClassifier, lgb.LGBMRegressor]:
    """Fit the hurdle on stacked snapshots (each with the model inputs and ``actual_6m``).

    Args:
        snapshots: one frame per training cutoff (``add_population_features`` applied).
        inputs: the columns the trees see (``model_inputs``).
        seed: random seed for both boosters.
    """
    stacked = pd.concat(snapshots, ignore_index=True)
    bought = stacked["actual_6m"].to_numpy() > 0
    classifier = lgb.LGBMClassifier(random_state=seed, **BOOSTER_PARAMS)
    classifier.fit(stacked[inputs], bought)
    buyers = stacked[bought]
    regressor = lgb.LGBMRegressor(objective="gamma", random_state=seed, **BOOSTER_PARAMS)
    regressor.fit(buyers[inputs], buyers["actual_6m"])
    return classifier, regressor
