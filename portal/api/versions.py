"""Routes over the recorded versions (history, models, monitoring), health and the document."""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify

from portal import db, monitoring, registry, scoring, store
from portal.api import version_schemas as answers
from portal.api.declare import endpoint
from portal.api.errors import ApiError
from portal.api.openapi import openapi_document
from portal.api.scores import NOT_READY
from portal.extensions import final_dir, settings

log = logging.getLogger(__name__)


@endpoint("GET", "/customers/<customer_id>/history", answers.History, errors=(404, 503))
def customer_history(customer_id: str):
    """A customer's predicted 6-month CLV in every recorded run, oldest first."""
    try:
        return jsonify(scoring.customer_history(settings(), customer_id))
    except store.UnknownCustomer:
        raise ApiError(404, "unknown_customer", f"no run scored customer {customer_id!r}") from None


@endpoint("GET", "/models", answers.Models, errors=(503,))
def models():
    """Recorded model versions, newest first, and the current one."""
    config = settings()
    recorded = db.list_versions(config.database_url)
    return jsonify(
        {
            "current": registry.current_version(config.data_dir),
            "versions": registry.with_availability(config.data_dir, recorded),
        }
    )


@endpoint("GET", "/monitoring", answers.Monitoring, errors=(503,))
def monitoring_overview():
    """Every version's predictions against the spend realised since, and the current one."""
    config = settings()
    return jsonify(
        {
            "current": registry.current_version(config.data_dir),
            "versions": monitoring.overview(config.data_dir, config.database_url),
        }
    )


@endpoint("GET", "/monitoring/<version>", answers.MonitoredVersion, errors=(404, 503))
def monitoring_version(version: str):
    """One version's monitoring: deciles, interval coverage, drift."""
    config = settings()
    try:
        return jsonify(monitoring.detail(config.data_dir, config.database_url, version))
    except registry.UnknownVersion:
        raise ApiError(404, "unknown_version", f"no recorded version {version!r}") from None


@endpoint("GET", "/health", answers.Health, other_answers={503: answers.Health}, public=True)
def health():
    """Readiness: 200 when the current version loads, 503 otherwise."""
    try:
        art = store.current(final_dir())
    except store.ArtifactsMissing as exc:
        log.warning("health: %s", exc)  # the server's paths stay in the log
        return jsonify({"status": "unavailable", "detail": NOT_READY}), 503
    return jsonify({"status": "ok", "version": art.version, "customers": art.n})


@endpoint("GET", "/openapi.json", dict[str, Any])
def openapi():
    """This document (OpenAPI 3.1)."""
    return jsonify(openapi_document())
