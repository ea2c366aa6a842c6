"""What the API takes: query parameters and JSON bodies as pydantic models.

Bounds, choices and defaults here are both what ``portal.api.declare`` enforces and what the
OpenAPI document says. A refusal of our own is a PydanticCustomError(code, message).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from portal import campaign

MAX_LIMIT = 1000
MAX_OFFSET = 10**9

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="rows per page (at most 1000)")]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="rows to skip")]
TopPct = Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False)]


class GainCurveQuery(BaseModel):
    points: Annotated[int, Field(ge=1, le=10_000)] = Field(
        100, description="number of intervals sampled on [0, 1]"
    )


class EliteQuery(BaseModel):
    top_pct: TopPct = Field(5.0, description="X in (0, 100]")
    limit: Limit = 100
    offset: Offset = 0


class TableQuery(BaseModel):
    limit: Limit = 100
    offset: Offset = 0
    sort: str = Field(
        "predicted_clv_6m",
        description="column to sort by: rank, customer_id, predicted_clv_6m, p_purchase, decile, "
        "frequency, recency_days, monetary_total, spend_6m or (in a backtest) actual_6m",
    )
    order: Literal["asc", "desc"] = Field("desc", description="sort order")
    q: str = Field("", description="customer id prefix")
    segment: str | None = Field(None, description="Elite, High, Medium or Low")
    group: str | None = Field(
        None, description="High value at risk, New with promise, Rising or Lapsed"
    )


class AudienceQuery(BaseModel):
    rank_by: Literal[tuple(campaign.RANK_BY)] = Field(
        "predicted_clv", description="what the audience is ranked by (descending)"
    )
    top_pct: TopPct = Field(
        5.0, description="X in (0, 100]: the first ceil(n X / 100) customers; not with count"
    )
    count: Annotated[int, Field(ge=1, le=MAX_OFFSET)] | None = Field(
        None, description="the first count customers (at most all); not with top_pct"
    )
    limit: Limit = 100
    offset: Offset = 0

    @model_validator(mode="after")
    def _top_pct_or_count(self):
        if self.count is not None and "top_pct" in self.model_fields_set:
            raise PydanticCustomError("invalid_parameter", "give top_pct or count, not both")
        return self


class PredictQuery(BaseModel):
    explain: str = Field(
        "true",
        description="include the TreeSHAP explanation (false, 0 or no: leave it out)",
        json_schema_extra={"enum": ["true", "false"]},
    )

    @property
    def explained(self) -> bool:
        return self.explain.lower() not in ("false", "0", "no")


def _customer_id(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise PydanticCustomError("invalid_customer_id", "customer_id must be a non-empty string")
    return str(value)


def _features(value) -> dict:
    if not isinstance(value, dict):
        raise PydanticCustomError("invalid_features", "features must be an object")
    return value  # the values are checked against the model's inputs by portal.scoring


class PredictBody(BaseModel):
    """A stored customer by id (a number finds the zero-padded id), or a what-if customer by
    feature values: frequency, recency_days and tenure_days required, the others default to the
    population median."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["customer_id"]}, {"required": ["features"]}]}
    )
    # None: left out (an explicit null is refused)
    customer_id: Annotated[
        str, PlainValidator(_customer_id), WithJsonSchema({"type": "string", "minLength": 1})
    ] = None
    features: Annotated[
        dict[str, Any],
        PlainValidator(_features),
        WithJsonSchema({"type": "object", "additionalProperties": {"type": ["number", "null"]}}),
    ] = None

    @model_validator(mode="after")
    def _customer_id_or_features(self):
        if self.customer_id is None and self.features is None:
            raise PydanticCustomError(
                "invalid_body", 'send {"customer_id": ...} or {"features": {...}}'
            )
        return self
