"""What the API answers, as TypedDicts (pydantic describes them in the OpenAPI document).

A key marked NotRequired may be left out; ``X | None`` may be null. Names are the document's
component names.
"""

from __future__ import annotations

from datetime import date
from typing import (
    Any,
    NotRequired,  # pydantic needs these before Python 3.12
)

from typing_extensions import TypedDict


class ErrorDetail(TypedDict):
    code: str
    message: str


class Error(TypedDict):
    """The one error shape."""

    error: ErrorDetail


class Row(TypedDict):
    """A scored customer."""

    rank: int
    customer_id: str
    predicted_clv_6m: float
    clv_p10: float | None  # the central interval of horizon spend (null: the version has none)
    clv_p50: float | None
    clv_p90: float | None
    p_purchase: float
    decile: int
    segment: str
    frequency: NotRequired[float]
    recency_days: NotRequired[float]
    monetary_total: NotRequired[float]
    spend_6m: NotRequired[float]
    actual_6m: NotRequired[float]


class Marketer(TypedDict):
    """A customer's marketer fields (portal.marketing)."""

    p_active: float
    churn_risk: float
    expected_orders_6m: float
    next_order_date: date | None
    avg_days_between_orders: float | None
    avg_order_value: float
    historic_spend: float
    total_clv: float
    run_rate_6m: float
    value_at_risk: float
    group: str | None


class AudienceRow(Row, Marketer):
    """A customer in a campaign audience, numbered in contact order."""

    audience_rank: int


class Contribution(TypedDict):
    feature: str
    label: str
    value: float | None
    log_contribution: float
    factor: float
    purchase_log_odds: float
    spend_log: float


class Explanation(TypedDict):
    """TreeSHAP: baseline x every factor = the prediction."""

    baseline_clv: float
    baseline_log: float
    purchase_baseline_log_odds: float
    spend_baseline_log: float
    predicted_log: float
    method: str
    contributions: list[Contribution]


class Prediction(TypedDict):
    """A stored customer's prediction (customer_id set), or a what-if one (null)."""

    customer_id: str | None
    predicted_clv_6m: float
    clv_p10: float | None
    clv_p50: float | None
    clv_p90: float | None
    interval_level: float | None
    p_purchase: float
    rank: int
    decile: int
    segment: str
    customers: NotRequired[int]
    features: dict[str, float | None]
    past: NotRequired[dict[str, float | None]]
    actual_6m: NotRequired[float | None]
    marketer: NotRequired[Marketer]
    defaulted_features: NotRequired[list[str]]
    model_version: str
    what_if: bool
    explanation: NotRequired[Explanation]


class Decile(TypedDict):
    decile: int
    customers: int
    mean_predicted: float
    mean_actual: float | None
    share_of_actual: float | None
    lift: float | None
    predicted_lift: float


class DecileLift(TypedDict):
    version: str
    has_actuals: bool
    customers: int
    deciles: list[Decile]
    decile_mape: NotRequired[float]
    decile_mape_left_out: NotRequired[int]


class GainCurve(TypedDict):
    version: str
    points: int
    has_actuals: bool
    x: NotRequired[list[float]]
    model: NotRequired[list[float]]
    random: NotRequired[list[float]]
    oracle: NotRequired[list[float]]
    normalized_gini: NotRequired[float]
    top_decile_capture: NotRequired[float]


class EliteSummary(TypedDict):
    version: str
    top_pct: float
    count: int
    predicted_value: float
    share_of_predicted: float
    share_of_actual: float | None
    predicted_low: float | None  # the range of the top X%'s total
    predicted_high: float | None
    interval_level: float | None


class Elite(TypedDict):
    summary: EliteSummary
    limit: int
    offset: int
    customers: list[Row]


class Table(TypedDict):
    total: int
    limit: int
    offset: int
    sort: str
    order: str
    rows: list[Row]


class Audience(TypedDict):
    version: str
    rank_by: str
    top_pct: float | None
    count: int
    customers_total: int
    limit: int
    offset: int
    customers: list[AudienceRow]


class Recalibration(TypedDict):
    slope: float
    intercept: float


class TotalRange(TypedDict):
    total: float
    low: float
    high: float
    sd: float


class IntervalsMeta(TypedDict):
    """How the version's intervals were made, and its total's range."""

    available: bool
    note: NotRequired[str]
    level: NotRequired[float]
    calibrated_on: NotRequired[str]
    shift_sd: NotRequired[float]
    purchase_recalibration: NotRequired[Recalibration]
    total: NotRequired[TotalRange]


class Meta(TypedDict):
    version: str
    trained_at: str
    mode: str
    as_of: str
    horizon_months: int
    training_cutoffs: list[str]
    customers: int
    has_actuals: bool
    data: dict[str, Any]
    features: list[str]
    model_inputs: list[str]
    feature_importance: dict[str, float]
    backtest: dict[str, Any]
    intervals: IntervalsMeta
    library_versions: dict[str, Any]
