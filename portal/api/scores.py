"""Routes over the current version's scores: predictions, quality, pages of customers, meta."""

from __future__ import annotations

import logging

from flask import jsonify, request

from portal import campaign, intervals, scoring, store
from portal.api import params, schemas
from portal.api.declare import endpoint
from portal.api.encoding import encoded_response, json_bytes, json_response
from portal.api.errors import ApiError
from portal.extensions import final_dir
from portal.row_json import json_rows

log = logging.getLogger(__name__)

NOT_READY = "no readable model version: train one (or activate a recorded one)"


def artifacts() -> store.Artifacts:
    """Current artifacts, or a 503 ApiError when there are none."""
    try:
        return store.current(final_dir())
    except store.ArtifactsMissing as exc:
        log.warning("%s: %s", request.path, exc)
        raise ApiError(503, "not_ready", NOT_READY) from None


@endpoint(
    "POST",
    "/predict",
    schemas.Prediction,
    query=params.PredictQuery,
    body=params.PredictBody,
    errors=(404, 503),
)
def predict(query: params.PredictQuery, body: params.PredictBody):
    """Prediction for a stored customer, or a what-if from feature values."""
    art = artifacts()
    if body.customer_id is not None:
        key = ("predict", body.customer_id.strip(), query.explained)
        try:
            answer = art.answers.get(
                key,
                lambda: json_bytes(
                    scoring.customer_prediction(art, body.customer_id, query.explained)
                ),
            )
        except store.UnknownCustomer:
            raise ApiError(404, "unknown_customer", f"no customer {body.customer_id!r}") from None
        return encoded_response(answer)
    try:
        return jsonify(scoring.whatif_prediction(art, body.features, query.explained))
    except scoring.InvalidFeatures as exc:
        raise ApiError(422, "invalid_features", str(exc)) from None


@endpoint("GET", "/decile_lift", schemas.DecileLift, errors=(503,))
def decile_lift():
    """Decile lift (portal/METRICS.md)."""
    return jsonify(store.decile_lift(artifacts()))


@endpoint("GET", "/gain_curve", schemas.GainCurve, query=params.GainCurveQuery, errors=(503,))
def gain_curve(query: params.GainCurveQuery):
    """Cumulative gain curves and normalized Gini."""
    return jsonify(store.gain_curve(artifacts(), query.points))


@endpoint("GET", "/elite", schemas.Elite, query=params.EliteQuery, errors=(503,))
def elite(query: params.EliteQuery):
    """The top X% of customers by prediction: summary and a page of them."""
    art = artifacts()
    summary = store.elite(art, query.top_pct)
    page, _ = store.table_positions(
        art, limit=query.limit, offset=query.offset, max_rank=summary["count"]
    )
    return json_response(
        {
            "summary": summary,
            "limit": query.limit,
            "offset": query.offset,
            "customers": json_rows(art.take(page, store.TABLE_COLUMNS)),
        }
    )


@endpoint("GET", "/table", schemas.Table, query=params.TableQuery, errors=(503,))
def table(query: params.TableQuery):
    """Filtered, sorted, paged scored customers."""
    art = artifacts()
    if query.sort not in art.sortable:
        raise ApiError(422, "invalid_parameter", f"sort must be one of {sorted(art.sortable)}")
    page, total = store.table_positions(
        art,
        limit=query.limit,
        offset=query.offset,
        sort=query.sort,
        descending=query.order == "desc",
        query=query.q,
        segment=query.segment,
        group=query.group,
    )
    return json_response(
        {
            "total": total,
            "limit": query.limit,
            "offset": query.offset,
            "sort": query.sort,
            "order": query.order,
            "rows": art.page_rows(page),
        }
    )


@endpoint("GET", "/audience", schemas.Audience, query=params.AudienceQuery, errors=(503,))
def audience(query: params.AudienceQuery):
    """A campaign audience: the top X% (or first count) by rank_by, paged, with marketer fields."""
    art = artifacts()
    top_pct = None if query.count else query.top_pct
    size = campaign.audience_size(art.n, top_pct, query.count)
    rows = store.audience(art, query.rank_by, size, query.offset, query.limit)
    return json_response(
        {
            "version": art.version,
            "rank_by": query.rank_by,
            "top_pct": top_pct,
            "count": size,
            "customers_total": art.n,
            "limit": query.limit,
            "offset": query.offset,
            "customers": json_rows(rows),
        }
    )


@endpoint("GET", "/meta", schemas.Meta, errors=(503,))
def meta():
    """Model version, training window, data, features and backtest metrics."""
    art = artifacts()
    m = art.metrics
    return jsonify(
        {
            "version": art.version,
            "trained_at": m["trained_at"],
            "mode": m["mode"],
            "as_of": m["cutoff"],
            "horizon_months": m["horizon_months"],
            "training_cutoffs": m["training_cutoffs"],
            "customers": art.n,
            "has_actuals": art.has_actuals,
            "data": m["data"],
            "features": m["raw_features"],
            "model_inputs": m["model_inputs"],
            "feature_importance": m["feature_importance"],
            "backtest": {k: v for k, v in m["backtest"].items() if k != "deciles"},
            "intervals": m.get("intervals", intervals.summary(None, None)),
            "library_versions": art.model.library_versions,
        }
    )
