"""The OpenAPI 3.0 document for /api (kept beside the routes it describes; tests check both)."""

from __future__ import annotations

NUM = {"type": "number"}
NULLABLE_NUM = {"type": "number", "nullable": True}
INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}


def _obj(properties: dict, required: list[str] | None = None, extra: bool = True) -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
    }
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _json(ref: str) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _errors(*codes: int) -> dict:
    return {str(c): {"description": "error", **_json("Error")} for c in codes}


LIMIT = _query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    "rows per page (at most 1000)",
)
OFFSET = _query(
    "offset", {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 0}, "rows to skip"
)
INTERVAL = {  # a customer's central interval of horizon spend (null: the version has none)
    "clv_p10": NULLABLE_NUM,
    "clv_p50": NULLABLE_NUM,
    "clv_p90": NULLABLE_NUM,
}
LEVEL = {"interval_level": NULLABLE_NUM}
TOTAL_RANGE = {"predicted_low": NULLABLE_NUM, "predicted_high": NULLABLE_NUM, **LEVEL}
ROW = _obj(
    {
        "rank": INT,
        "customer_id": STR,
        "predicted_clv_6m": NUM,
        **INTERVAL,
        "p_purchase": NUM,
        "decile": INT,
        "segment": STR,
        "frequency": NUM,
        "recency_days": NUM,
        "monetary_total": NUM,
        "spend_6m": NUM,
        "actual_6m": NUM,
    },
    required=[
        "rank",
        "customer_id",
        "predicted_clv_6m",
        *INTERVAL,
        "p_purchase",
        "decile",
        "segment",
    ],
)
NULLABLE_STR = {"type": "string", "nullable": True}
AUDIENCE_ROW = _obj(
    {
        "audience_rank": INT,
        **ROW["properties"],
        "p_active": NUM,
        "churn_risk": NUM,
        "expected_orders_6m": NUM,
        "next_order_date": {**NULLABLE_STR, "format": "date"},
        "avg_days_between_orders": NULLABLE_NUM,
        "avg_order_value": NUM,
        "historic_spend": NUM,
        "total_clv": NUM,
        "run_rate_6m": NUM,
        "value_at_risk": NUM,
        "group": NULLABLE_STR,
    },
    required=[
        "audience_rank",
        *ROW["required"],
        "p_active",
        "churn_risk",
        "expected_orders_6m",
        "historic_spend",
        "total_clv",
        "value_at_risk",
    ],
)
PREDICTION = _obj(
    {
        "customer_id": {"type": "string", "nullable": True},
        "predicted_clv_6m": NUM,
        **INTERVAL,
        **LEVEL,
        "p_purchase": NUM,
        "rank": INT,
        "decile": INT,
        "segment": STR,
        "customers": INT,
        "features": {"type": "object", "additionalProperties": NULLABLE_NUM},
        "past": {"type": "object", "additionalProperties": NULLABLE_NUM},
        "actual_6m": NULLABLE_NUM,
        "marketer": _obj(
            {
                k: v
                for k, v in AUDIENCE_ROW["properties"].items()
                if k not in ROW["properties"] and k != "audience_rank"
            }
        ),
        "defaulted_features": {"type": "array", "items": STR},
        "model_version": STR,
        "what_if": BOOL,
        "explanation": {"$ref": "#/components/schemas/Explanation"},
    },
    required=[
        "customer_id",
        "predicted_clv_6m",
        *INTERVAL,
        *LEVEL,
        "p_purchase",
        "rank",
        "decile",
        "segment",
        "features",
        "model_version",
        "what_if",
    ],
)
DECILE = _obj(
    {
        "decile": INT,
        "customers": INT,
        "mean_predicted": NUM,
        "mean_actual": NULLABLE_NUM,
        "share_of_actual": NULLABLE_NUM,
        "lift": NULLABLE_NUM,
        "predicted_lift": NUM,
    }
)
EXPLANATION = _obj(
    {
        "baseline_clv": NUM,
        "baseline_log": NUM,
        "purchase_baseline_log_odds": NUM,
        "spend_baseline_log": NUM,
        "predicted_log": NUM,
        "method": STR,
        "contributions": {
            "type": "array",
            "items": _obj(
                {
                    "feature": STR,
                    "label": STR,
                    "value": NULLABLE_NUM,
                    "log_contribution": NUM,
                    "factor": NUM,
                    "purchase_log_odds": NUM,
                    "spend_log": NUM,
                }
            ),
        },
    }
)
ELITE_SUMMARY = _obj(
    {
        "version": STR,
        "top_pct": NUM,
        "count": INT,
        "predicted_value": NUM,
        "share_of_predicted": NUM,
        "share_of_actual": NULLABLE_NUM,
        **TOTAL_RANGE,
    }
)
NUMBERS = {"type": "array", "items": NUM}
INTERVALS_META = _obj(  # how the served version's intervals were made, and its total's range
    {
        "available": BOOL,
        "note": STR,
        "level": NUM,
        "calibrated_on": STR,
        "shift_sd": NUM,
        "purchase_recalibration": _obj({"slope": NUM, "intercept": NUM}),
        "total": _obj({"total": NUM, "low": NUM, "high": NUM, "sd": NUM}),
    },
    required=["available"],
)
HISTORY_POINT = _obj(
    {
        "version": STR,
        "trained_at": STR,
        "cutoff": STR,
        "mode": STR,
        "predicted_clv_6m": NUM,
        "p_purchase": NUM,
        "rank": INT,
        "decile": INT,
        "segment": STR,
        "current": BOOL,
    }
)
MODEL_VERSION = _obj(
    {
        "version": STR,
        "trained_at": STR,
        "trained_by": STR,
        "mode": STR,
        "cutoff": STR,
        "training_from": STR,
        "training_to": STR,
        "first_date": STR,
        "last_date": STR,
        "fingerprint": STR,
        "source": STR,
        "rows": INT,
        "customers": INT,
        "seconds": NUM,
        "normalized_gini": NULLABLE_NUM,  # null: no backtest was possible
        "available": BOOL,
    }
)


NULLABLE_STR = {"type": "string", "nullable": True}
EVALUATION = {  # a version's predictions against the spend realised in its observed horizon
    "observed_to": STR,
    "fraction_observed": NUM,
    "expected_share": NUM,
    "share_rule": STR,
    "evaluated_at": STR,
    "data_fingerprint": NULLABLE_STR,
    "predicted_total_horizon": NUM,
    "predicted_total": NUM,
    "predicted_low": NULLABLE_NUM,
    "predicted_high": NULLABLE_NUM,
    "realised_total": NUM,
    "normalized_gini": NUM,
    "top_decile_capture": NUM,
    "calibration": NUM,
    "decile_mape": NULLABLE_NUM,
    "coverage": NULLABLE_NUM,
}


DRIFT = {  # PSI of the inputs between the training snapshots and the scored population
    "threshold": NUM,
    "flagged": {"type": "array", "items": STR},
    "max_psi": NULLABLE_NUM,
}
DRIFT_FEATURE = _obj(
    {
        "feature": STR,
        "psi": NUM,
        "flagged": BOOL,
        "edges": {"type": "array", "items": NUM},
        "reference": {"type": "array", "items": NUM},
        "scored": {"type": "array", "items": NUM},
    }
)


def _monitored(evaluation: dict, drift: dict) -> dict:
    """A version's monitoring entry with the given evaluation object (null before any) and
    drift object (null for versions trained before drift was recorded)."""
    return _obj(
        {
            "version": STR,
            "mode": STR,
            "trained_at": STR,
            "cutoff": STR,
            "customers": INT,
            "backtest_gini": NULLABLE_NUM,
            "backtest_calibration": NULLABLE_NUM,
            "evaluation": {**evaluation, "nullable": True},
            "warnings": {"type": "array", "items": STR},
            "drift": {**drift, "nullable": True},
        }
    )


MONITORED = _monitored(_obj(EVALUATION), _obj(DRIFT))
MONITORED_DETAIL = _monitored(
    _obj(
        {
            **EVALUATION,
            "deciles": {"type": "array", "items": {"$ref": "#/components/schemas/Decile"}},
            "intervals": {"type": "object", "nullable": True},
        }
    ),
    _obj({**DRIFT, "features": {"type": "array", "items": DRIFT_FEATURE}}),
)


def openapi_document() -> dict:
    """The whole document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "clv-portal API",
            "version": "1.0.0",
            "description": "Predicted 6-month customer lifetime value and its quality.",
        },
        "paths": {
            "/api/predict": {
                "post": {
                    "summary": "Prediction for a stored customer, or a what-if from feature values",
                    "parameters": [
                        _query(
                            "explain",
                            {"type": "string", "enum": ["true", "false"], "default": "true"},
                            "include the TreeSHAP explanation",
                        )
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        _obj({"customer_id": STR}),
                                        _obj(
                                            {
                                                "features": {
                                                    "type": "object",
                                                    "additionalProperties": NULLABLE_NUM,
                                                }
                                            }
                                        ),
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": "prediction", **_json("Prediction")},
                        **_errors(400, 404, 413, 415, 422, 503),
                    },
                }
            },
            "/api/decile_lift": {
                "get": {
                    "summary": "Decile lift (portal/METRICS.md)",
                    "responses": {
                        "200": {"description": "deciles", **_json("DecileLift")},
                        **_errors(503),
                    },
                }
            },
            "/api/gain_curve": {
                "get": {
                    "summary": "Cumulative gain curves and normalized Gini",
                    "parameters": [
                        _query(
                            "points",
                            {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
                            "number of intervals sampled on [0, 1]",
                        )
                    ],
                    "responses": {
                        "200": {"description": "curves", **_json("GainCurve")},
                        **_errors(422, 503),
                    },
                }
            },
            "/api/elite": {
                "get": {
                    "summary": "The top X% of customers by prediction",
                    "parameters": [
                        _query(
                            "top_pct",
                            {
                                "type": "number",
                                "exclusiveMinimum": True,
                                "minimum": 0,
                                "maximum": 100,
                                "default": 5,
                            },
                            "X in (0, 100]",
                        ),
                        LIMIT,
                        OFFSET,
                    ],
                    "responses": {
                        "200": {"description": "elite", **_json("Elite")},
                        **_errors(422, 503),
                    },
                }
            },
            "/api/table": {
                "get": {
                    "summary": "Filtered, sorted, paged scored customers",
                    "parameters": [
                        LIMIT,
                        OFFSET,
                        _query(
                            "sort",
                            {"type": "string", "default": "predicted_clv_6m"},
                            "column to sort by",
                        ),
                        _query(
                            "order",
                            {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
                            "sort order",
                        ),
                        _query("q", STR, "customer id prefix"),
                        _query("segment", STR, "Elite, High, Medium or Low"),
                        _query(
                            "group",
                            STR,
                            "High value at risk, New with promise, Rising or Lapsed",
                        ),
                    ],
                    "responses": {
                        "200": {"description": "rows", **_json("Table")},
                        **_errors(422, 503),
                    },
                }
            },
            "/api/audience": {
                "get": {
                    "summary": "A campaign audience: the top X% (or first count) by rank_by",
                    "parameters": [
                        _query(
                            "rank_by",
                            {
                                "type": "string",
                                "enum": ["predicted_clv", "value_at_risk", "p_purchase"],
                                "default": "predicted_clv",
                            },
                            "what the audience is ranked by (descending)",
                        ),
                        _query(
                            "top_pct",
                            {
                                "type": "number",
                                "exclusiveMinimum": True,
                                "minimum": 0,
                                "maximum": 100,
                                "default": 5,
                            },
                            "X in (0, 100]: the first ceil(n X / 100) customers; not with count",
                        ),
                        _query(
                            "count",
                            {"type": "integer", "minimum": 1, "maximum": 1000000000},
                            "the first count customers (at most all); not with top_pct",
                        ),
                        LIMIT,
                        OFFSET,
                    ],
                    "responses": {
                        "200": {"description": "audience", **_json("Audience")},
                        **_errors(422, 503),
                    },
                }
            },
            "/api/customers/{customer_id}/history": {
                "get": {
                    "summary": "A customer's predicted 6-month CLV in every recorded run",
                    "parameters": [
                        {
                            "name": "customer_id",
                            "in": "path",
                            "required": True,
                            "schema": STR,
                        }
                    ],
                    "responses": {
                        "200": {"description": "history", **_json("History")},
                        **_errors(404, 503),
                    },
                }
            },
            "/api/models": {
                "get": {
                    "summary": "Recorded model versions, newest first, and the current one",
                    "responses": {
                        "200": {"description": "versions", **_json("Models")},
                        **_errors(503),
                    },
                }
            },
            "/api/meta": {
                "get": {
                    "summary": "Model version, training window, data and backtest metrics",
                    "responses": {"200": {"description": "meta", **_json("Meta")}, **_errors(503)},
                }
            },
            "/api/monitoring": {
                "get": {
                    "summary": "Every version's predictions against the spend realised since",
                    "responses": {
                        "200": {"description": "monitoring", **_json("Monitoring")},
                        **_errors(503),
                    },
                }
            },
            "/api/monitoring/{version}": {
                "get": {
                    "summary": "One version's monitoring: deciles, interval coverage, drift",
                    "parameters": [
                        {"name": "version", "in": "path", "required": True, "schema": STR}
                    ],
                    "responses": {
                        "200": {"description": "one version", **_json("MonitoredVersion")},
                        **_errors(404, 503),
                    },
                }
            },
            "/api/health": {
                "get": {
                    "summary": "Readiness",
                    "responses": {
                        "200": {"description": "ready", **_json("Health")},
                        "503": {
                            "description": "artifacts missing or unreadable",
                            **_json("Health"),
                        },
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": _obj({"error": _obj({"code": STR, "message": STR})}),
                "Prediction": PREDICTION,
                "Explanation": EXPLANATION,
                "Decile": DECILE,
                "DecileLift": _obj(
                    {
                        "version": STR,
                        "has_actuals": BOOL,
                        "customers": INT,
                        "deciles": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Decile"},
                        },
                        "decile_mape": NUM,
                        "decile_mape_left_out": INT,
                    },
                    required=["version", "has_actuals", "customers", "deciles"],
                ),
                "GainCurve": _obj(
                    {
                        "version": STR,
                        "points": INT,
                        "has_actuals": BOOL,
                        "x": NUMBERS,
                        "model": NUMBERS,
                        "random": NUMBERS,
                        "oracle": NUMBERS,
                        "normalized_gini": NUM,
                        "top_decile_capture": NUM,
                    },
                    required=["version", "points", "has_actuals"],
                ),
                "Elite": _obj(
                    {
                        "summary": ELITE_SUMMARY,
                        "limit": INT,
                        "offset": INT,
                        "customers": {"type": "array", "items": ROW},
                    }
                ),
                "Table": _obj(
                    {
                        "total": INT,
                        "limit": INT,
                        "offset": INT,
                        "sort": STR,
                        "order": STR,
                        "rows": {"type": "array", "items": ROW},
                    }
                ),
                "Audience": _obj(
                    {
                        "version": STR,
                        "rank_by": STR,
                        "top_pct": NULLABLE_NUM,
                        "count": INT,
                        "customers_total": INT,
                        "limit": INT,
                        "offset": INT,
                        "customers": {"type": "array", "items": AUDIENCE_ROW},
                    }
                ),
                "Meta": _obj(
                    {
                        "version": STR,
                        "trained_at": STR,
                        "mode": STR,
                        "as_of": STR,
                        "horizon_months": INT,
                        "training_cutoffs": {"type": "array", "items": STR},
                        "customers": INT,
                        "has_actuals": BOOL,
                        "data": {"type": "object"},
                        "features": {"type": "array", "items": STR},
                        "model_inputs": {"type": "array", "items": STR},
                        "feature_importance": {"type": "object", "additionalProperties": NUM},
                        "backtest": {"type": "object"},
                        "intervals": INTERVALS_META,
                        "library_versions": {"type": "object"},
                    }
                ),
                "History": _obj(
                    {
                        "customer_id": STR,
                        "points": {"type": "array", "items": HISTORY_POINT},
                    }
                ),
                "Models": _obj(
                    {
                        "current": {"type": "string", "nullable": True},
                        "versions": {"type": "array", "items": MODEL_VERSION},
                    }
                ),
                "Monitoring": _obj(
                    {
                        "current": NULLABLE_STR,
                        "versions": {"type": "array", "items": MONITORED},
                    }
                ),
                "MonitoredVersion": MONITORED_DETAIL,
                "Health": _obj(
                    {"status": STR, "version": STR, "customers": INT, "detail": STR},
                    required=["status"],
                ),
            }
        },
    }
