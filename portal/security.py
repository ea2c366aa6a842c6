"""Access control and web hygiene for public deploys.

* API token: with ``CLV_API_TOKEN`` set, every /api route except /api/health needs
  ``Authorization: Bearer <token>`` (compared in constant time); otherwise 401.
* Portal login: with ``CLV_PORTAL_USERS`` set (``name:hash`` pairs separated by ``;``, hashes from
  ``python -m portal hash-password``), every non-API route asks for HTTP Basic credentials
  (verified by ``portal.login``: once per session, limited failures per client and name). With
  ``TRUSTED_PROXIES=N``, the client is the address the N proxies in front forwarded
  (``X-Forwarded-For``, werkzeug's ProxyFix), not the nearest proxy's.
* State-changing Dash callbacks (rollback, upload, train, cancel): with only the API token
  configured, each must carry the token (a browser cannot), so the portal never changes anything
  unauthenticated; with portal users, the login covers them.
* Start check (``portal.exposure``): no public bind with the API protected and the pages open.
* Headers on every response: a Content-Security-Policy that Dash works with (its inline scripts are
  allowed by hash, nothing from other origins), X-Content-Type-Options, Referrer-Policy,
  X-Frame-Options and frame-ancestors.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import generate_password_hash

from portal import ids
from portal.config import Settings
from portal.dash_requests import DASH_CALLBACK_PATH
from portal.login import Login

STATE_CHANGING_INPUTS = frozenset(
    {ids.MODEL_ACTIVATE, ids.DATA_UPLOAD, ids.DATA_TRAIN, ids.DATA_CANCEL}
)


def parse_users(spec: str | None) -> dict[str, str]:
    """``alice:hash;bob:hash`` -> {"alice": "hash", ...} (a hash may contain ':')."""
    users = {}
    for entry in (spec or "").split(";"):
        name, _, hashed = entry.strip().partition(":")
        if name and hashed:
            users[name] = hashed
    return users


def hash_password(password: str) -> str:
    """A salted scrypt hash for CLV_PORTAL_USERS."""
    return generate_password_hash(password)


def content_security_policy(script_hashes: list[str]) -> str:
    """The CSP: same origin only; Dash's inline scripts by hash; Plotly needs inline styles."""
    scripts = " ".join(["'self'", *script_hashes])  # Dash returns them quoted
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts} 'unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _token_ok(expected: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected.encode())


def _login_refusal(login: Login) -> Response | None:
    """None for a verified portal user; else 401 asking for credentials, or 429 when this client
    failed too often."""
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.username:
        verdict = login.attempt(request.remote_addr or "", auth.username, auth.password or "")
        if verdict.ok:
            return None
        if verdict.retry_after is not None:
            return Response(
                "Too many failed logins: try again later.",
                429,
                {"Retry-After": str(verdict.retry_after)},
            )
    return Response(
        "Login required.",
        401,
        {"WWW-Authenticate": 'Basic realm="clv-portal", charset="UTF-8"'},
    )


def changes_state(body, callback_map: dict) -> bool:
    """Whether a callback request runs a callback triggered by a state-changing control (looked up
    on the server by its output, whatever inputs the body names)."""
    entry = callback_map.get(body.get("output")) if isinstance(body, dict) else None
    return entry is not None and any(
        item.get("id") in STATE_CHANGING_INPUTS for item in entry["inputs"]
    )


def register_security(
    server: Flask,
    settings: Settings,
    script_hashes: Callable[[], list[str]],
    callback_map: dict,
) -> None:
    """Install the token check, the portal login, the state-changing callbacks' guard and the
    response headers.

    Args:
        script_hashes: returns the CSP hashes of Dash's inline scripts; called once, at the first
            response, when Dash has set itself up (pages add inline scripts then).
        callback_map: the Dash app's callbacks (filled at its first request).
    """
    from portal.api import error_response, public_paths

    open_api_paths = public_paths()  # declared with the routes (portal.api)

    if settings.trusted_proxies > 0:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=settings.trusted_proxies)
    users = parse_users(settings.portal_users)
    login = Login(users, settings.login_max_failures) if users else None

    @functools.cache
    def headers() -> list[tuple[str, str, str]]:
        """The headers every response gets: (name in lower case, name, value)."""
        return [
            (name.lower(), name, value)
            for name, value in [
                ("Content-Security-Policy", content_security_policy(script_hashes())),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "same-origin"),
                ("X-Frame-Options", "DENY"),
            ]
        ]

    def _access():
        path = request.path
        if path.startswith("/api/"):
            if (
                settings.api_token
                and path not in open_api_paths
                and not _token_ok(settings.api_token)
            ):
                response, status = error_response(
                    401, "unauthorized", "send Authorization: Bearer <CLV_API_TOKEN>"
                )
                response.headers["WWW-Authenticate"] = 'Bearer realm="clv-portal"'
                return response, status
            return None
        return _login_refusal(login) if login else None

    # first of all before-request hooks: nobody learns anything, not even which routes exist
    server.before_request_funcs.setdefault(None, []).insert(0, _access)

    if settings.api_token and not users:

        @server.before_request  # after Dash's own setup, which fills callback_map
        def _state_changes_need_the_token():
            if (
                request.path == DASH_CALLBACK_PATH
                and request.method == "POST"
                and changes_state(request.get_json(silent=True), callback_map)
                and not _token_ok(settings.api_token)
            ):
                return Response(
                    "This action needs a portal login: set CLV_PORTAL_USERS.",
                    403,
                    mimetype="text/plain",
                )
            return None

    @server.after_request
    def _headers(response: Response) -> Response:
        """Each header unless the response sets its own (one pass over its headers, where a
        setdefault per header scans them each time)."""
        present = {name.lower() for name in response.headers.keys()}
        for lower, name, value in headers():
            if lower not in present:
                response.headers.add(name, value)
        return response
