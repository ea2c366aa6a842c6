"""JSON API under /api. Each route is declared once (``portal.api.declare``): the declaration
parses its requests and generates the OpenAPI document. Errors share one JSON shape."""

from __future__ import annotations

from flask import Flask

from portal.api import scores, versions  # noqa: F401  (importing them declares the routes)
from portal.api.declare import ENDPOINTS, bp
from portal.api.errors import error_response, register_error_handlers

__all__ = ["error_response", "public_paths", "register_api"]


def register_api(app: Flask) -> None:
    """Mount the blueprint and answer every /api error in the JSON shape."""
    app.register_blueprint(bp)
    register_error_handlers(app)


def public_paths() -> frozenset[str]:
    """The paths served without the API token."""
    return frozenset(spec.path for spec in ENDPOINTS if spec.public)
