"""The one error shape of /api, {"error": {"code", "message"}}, and the handlers giving it."""

from __future__ import annotations

import logging
import re

from flask import Flask, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered as {"error": {"code", "message"}} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str):
    """The one error shape."""
    return jsonify({"error": {"code": code, "message": message}}), status


def _rule_pattern(rule: str) -> re.Pattern:
    """A URL rule as a regular expression: each <variable> matches one path segment."""
    parts = re.split(r"<[^>]+>", rule)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def register_error_handlers(app: Flask) -> None:
    """Answer every /api error in the JSON shape, unknown /api paths and methods included."""

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
