"""JSON API under /api: parse, call the data layer, jsonify. Errors share one JSON shape."""

from __future__ import annotations

import json
import logging
import math
import re

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound

from portal import campaign, db, intervals, monitoring, registry, scoring, store
from portal.extensions import final_dir, settings
from portal.openapi import openapi_document

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_LIMIT = 1000
MAX_POINTS = 10_000
ORDERS = ("asc", "desc")
NOT_READY = "no readable model version: train one (or activate a recorded one)"


class ApiError(Exception):
    """An error answered as {"error": {"code", "message"}} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str):
    """The one error shape."""
    return jsonify({"error": {"code": code, "message": message}}), status


def artifacts() -> store.Artifacts:
    """Current artifacts, or a 503 ApiError when there are none."""
    try:
        return store.current(final_dir())
    except store.ArtifactsMissing as exc:
        log.warning("%s: %s", request.path, exc)
        raise ApiError(503, "not_ready", NOT_READY) from None


def number_arg(name: str, default, low, high, kind=int, low_open: bool = False):
    """Read a numeric query parameter within [low, high] (or (low, high]); else 422."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ApiError(422, "invalid_parameter", f"{name} must be a number, got {raw!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ApiError(422, "invalid_parameter", f"{name} must be finite")
    if value > high or value < low or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise ApiError(422, "out_of_range", f"{name} must be in {bracket}{low}, {high}], got {raw}")
    return value


def json_body() -> dict:
    """The request body as a JSON object: 415 when not JSON, 400 when malformed."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        body = json.loads(request.get_data(cache=False) or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", "the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", "the body must be a JSON object")
    return body


def records(frame) -> list[dict]:
    """DataFrame rows as JSON-safe dicts (NaN -> null)."""
    return json.loads(frame.to_json(orient="records"))


@bp.post("/predict")
def predict():
    """Stored prediction by customer_id, or a what-if prediction from features."""
    body = json_body()
    explain = request.args.get("explain", "true").lower() not in ("false", "0", "no")
    art = artifacts()
    if "customer_id" in body:
        customer_id = body["customer_id"]
        if (
            isinstance(customer_id, bool)
            or not isinstance(customer_id, (str, int))
            or (str(customer_id).strip() == "")
        ):
            raise ApiError(422, "invalid_customer_id", "customer_id must be a non-empty string")
        try:
            return jsonify(scoring.customer_prediction(art, str(customer_id), explain))
        except store.UnknownCustomer:
            raise ApiError(404, "unknown_customer", f"no customer {customer_id!r}") from None
    if "features" in body:
        if not isinstance(body["features"], dict):
            raise ApiError(422, "invalid_features", "features must be an object")
        try:
            return jsonify(scoring.whatif_prediction(art, body["features"], explain))
        except scoring.InvalidFeatures as exc:
            raise ApiError(422, "invalid_features", str(exc)) from None
    raise ApiError(422, "invalid_body", 'send {"customer_id": ...} or {"features": {...}}')


@bp.get("/decile_lift")
def decile_lift():
    """The 10 deciles."""
    art = artifacts()
    return jsonify(store.decile_lift(art))


@bp.get("/gain_curve")
def gain_curve():
    """Sampled gain curves and normalized Gini."""
    points = number_arg("points", 100, 1, MAX_POINTS)
    art = artifacts()
    return jsonify(store.gain_curve(art, points))


@bp.get("/elite")
def elite():
    """Top X% summary and a page of its customers."""
    top_pct = number_arg("top_pct", 5.0, 0.0, 100.0, float, low_open=True)
    limit = number_arg("limit", 100, 1, MAX_LIMIT)
    offset = number_arg("offset", 0, 0, 10**9)
    art = artifacts()
    summary = store.elite(art, top_pct)
    page, _ = store.table_page(art, limit=limit, offset=offset, max_rank=summary["count"])
    return jsonify(
        {
            "summary": summary,
            "limit": limit,
            "offset": offset,
            "customers": records(page[store.TABLE_COLUMNS]),
        }
    )


@bp.get("/table")
def table():
    """Filtered, sorted page of the scored customers."""
    limit = number_arg("limit", 100, 1, MAX_LIMIT)
    offset = number_arg("offset", 0, 0, 10**9)
    sort = request.args.get("sort", "predicted_clv_6m")
    order = request.args.get("order", "desc")
    art = artifacts()
    if sort not in art.sortable:
        raise ApiError(422, "invalid_parameter", f"sort must be one of {sorted(art.sortable)}")
    if order not in ORDERS:
        raise ApiError(422, "invalid_parameter", "order must be asc or desc")
    segment = request.args.get("segment") or None
    page, total = store.table_page(
        art,
        limit=limit,
        offset=offset,
        sort=sort,
        descending=order == "desc",
        query=request.args.get("q", ""),
        segment=segment,
        group=request.args.get("group") or None,
    )
    columns = store.TABLE_COLUMNS + (["actual_6m"] if art.has_actuals else [])
    return jsonify(
        {
            "total": total,
            "limit": limit,
            "offset": offset,
            "sort": sort,
            "order": order,
            "rows": records(page[columns]),
        }
    )


@bp.get("/audience")
def audience():
    """The top X% (or the first ``count``) customers by ``rank_by``, paged, with marketer fields."""
    rank_by = request.args.get("rank_by") or "predicted_clv"
    if rank_by not in campaign.RANK_BY:
        raise ApiError(
            422, "invalid_parameter", f"rank_by must be one of {', '.join(campaign.RANK_BY)}"
        )
    if request.args.get("top_pct") and request.args.get("count"):
        raise ApiError(422, "invalid_parameter", "give top_pct or count, not both")
    count = number_arg("count", None, 1, 10**9)
    top_pct = None if count else number_arg("top_pct", 5.0, 0.0, 100.0, float, low_open=True)
    limit = number_arg("limit", 100, 1, MAX_LIMIT)
    offset = number_arg("offset", 0, 0, 10**9)
    art = artifacts()
    size = campaign.audience_size(art.n, top_pct, count)
    rows = store.audience(art, rank_by, size, offset, limit)
    return jsonify(
        {
            "version": art.version,
            "rank_by": rank_by,
            "top_pct": top_pct,
            "count": size,
            "customers_total": art.n,
            "limit": limit,
            "offset": offset,
            "customers": records(rows),
        }
    )


@bp.get("/meta")
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


@bp.get("/customers/<customer_id>/history")
def customer_history(customer_id: str):
    """The customer's predicted 6-month CLV in every recorded run, oldest first."""
    try:
        return jsonify(scoring.customer_history(settings(), customer_id))
    except store.UnknownCustomer:
        raise ApiError(404, "unknown_customer", f"no run scored customer {customer_id!r}") from None


@bp.get("/models")
def models():
    """Every recorded model version, newest first, and which one is current."""
    config = settings()
    recorded = db.list_versions(config.database_url)
    return jsonify(
        {
            "current": registry.current_version(config.data_dir),
            "versions": registry.with_availability(config.data_dir, recorded),
        }
    )


@bp.get("/monitoring")
def monitoring_overview():
    """Every recorded version against the spend realised since its cutoff, and the current one."""
    config = settings()
    return jsonify(
        {
            "current": registry.current_version(config.data_dir),
            "versions": monitoring.overview(config.data_dir, config.database_url),
        }
    )


@bp.get("/monitoring/<version>")
def monitoring_version(version: str):
    """One version's evaluation with its deciles, interval coverage and drift."""
    config = settings()
    try:
        return jsonify(monitoring.detail(config.data_dir, config.database_url, version))
    except registry.UnknownVersion:
        raise ApiError(404, "unknown_version", f"no recorded version {version!r}") from None


@bp.get("/health")
def health():
    """200 when artifacts load, 503 otherwise."""
    try:
        art = store.current(final_dir())
    except store.ArtifactsMissing as exc:
        log.warning("health: %s", exc)  # the server's paths stay in the log
        return jsonify({"status": "unavailable", "detail": NOT_READY}), 503
    return jsonify({"status": "ok", "version": art.version, "customers": art.n})


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_document())


def _rule_pattern(rule: str) -> re.Pattern:
    """A URL rule as a regular expression: each <variable> matches one path segment."""
    parts = re.split(r"<[^>]+>", rule)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def register_api(app: Flask) -> None:
    """Mount the blueprint and answer every /api error in the JSON shape."""
    app.register_blueprint(bp)

    @app.before_request
    def _api_paths_are_api_only():
        """Keep Dash's catch-all page route from answering unknown /api paths or methods."""
        if not request.path.startswith("/api/") or request.blueprint == "api":
            return None
        methods = {
            m
            for r in app.url_map.iter_rules()
            if r.endpoint.startswith("api.") and _rule_pattern(r.rule).fullmatch(request.path)
            for m in r.methods
        }
        if methods:
            raise MethodNotAllowed(valid_methods=sorted(methods))
        raise NotFound(f"no API endpoint at {request.path}")

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(SQLAlchemyError)
    def _database_error(exc: SQLAlchemyError):
        log.error("database error on %s: %s", request.path, exc)
        if request.path.startswith("/api"):
            return error_response(503, "database_unavailable", "the database cannot be reached")
        return InternalServerError()

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith("/api"):
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        response, status = error_response(exc.code or 500, code, exc.description or exc.name)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # RFC 9110: a 405 says which
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        if request.path.startswith("/api"):
            return error_response(500, "internal_error", "unexpected server error (logged)")
        return InternalServerError()
