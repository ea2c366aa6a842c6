"""What the version routes answer (history, models, monitoring, health), as TypedDicts."""

from __future__ import annotations

from typing import NotRequired  # pydantic needs these before Python 3.12

from typing_extensions import TypedDict

from portal.api.schemas import Decile


class HistoryPoint(TypedDict):
    version: str
    trained_at: str
    cutoff: str
    mode: str
    predicted_clv_6m: float
    p_purchase: float
    rank: int
    decile: int
    segment: str
    current: bool


class History(TypedDict):
    customer_id: str
    points: list[HistoryPoint]


class ModelVersion(TypedDict):
    version: str
    trained_at: str
    trained_by: str
    mode: str
    cutoff: str
    training_from: str
    training_to: str
    first_date: str
    last_date: str
    fingerprint: str
    source: str
    rows: int
    customers: int
    seconds: float
    normalized_gini: float | None  # null: no backtest was possible
    available: bool


class Models(TypedDict):
    current: str | None
    versions: list[ModelVersion]


class Health(TypedDict):
    status: str
    version: NotRequired[str]
    customers: NotRequired[int]
    detail: NotRequired[str]


class Evaluation(TypedDict):
    """A version's predictions against the spend realised in its observed horizon."""

    observed_to: str
    fraction_observed: float
    expected_share: float
    share_rule: str
    evaluated_at: str
    data_fingerprint: str | None
    predicted_total_horizon: float
    predicted_total: float
    predicted_low: float | None
    predicted_high: float | None
    realised_total: float
    normalized_gini: float
    top_decile_capture: float
    calibration: float
    decile_mape: float | None
    coverage: float | None


class EvaluationDetail(Evaluation):
    deciles: list[Decile]
    intervals: dict | None


class Drift(TypedDict):
    """PSI of the inputs between the training snapshots and the scored population."""

    threshold: float
    flagged: list[str]
    max_psi: float | None


class DriftFeature(TypedDict):
    feature: str
    psi: float
    flagged: bool
    edges: list[float]
    reference: list[float]
    scored: list[float]


class DriftDetail(Drift):
    features: list[DriftFeature]


class _Monitored(TypedDict):
    version: str
    mode: str
    trained_at: str
    cutoff: str
    customers: int
    backtest_gini: float | None
    backtest_calibration: float | None
    warnings: list[str]


class Monitored(_Monitored):
    """A version's monitoring entry: evaluation null before any, drift null for versions
    trained before drift was recorded."""

    evaluation: Evaluation | None
    drift: Drift | None


class MonitoredVersion(_Monitored):
    """One version's monitoring with its deciles, interval coverage and the PSI of each input."""

    evaluation: EvaluationDetail | None
    drift: DriftDetail | None


class Monitoring(TypedDict):
    current: str | None
    versions: list[Monitored]
