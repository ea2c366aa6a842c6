"""clv-portal: predicted 6-month customer lifetime value, served as a Dash portal and a JSON API."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import dash
import flask
import flask_bootstrap
from werkzeug.exceptions import RequestEntityTooLarge

from portal.config import REPO_ROOT, Settings, code_fingerprint

BOOTSTRAP_DIR = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5"
VENDOR_URL = "/vendor/bootstrap"
STYLESHEETS = [
    f"{VENDOR_URL}/css/bootstrap.min.css",
    f"{VENDOR_URL}/css/font/bootstrap-icons.min.css",
]


CACHE_THRESHOLD = 1_000  # memoized figures kept on disk before the oldest are pruned


def _cache_config(settings: Settings, testing: bool) -> dict:
    """flask-caching's settings. A shared cache never hands one release the figures another one
    computed: Redis keys start with the code's fingerprint, a FileSystemCache lives in a folder
    named by it. One whose folder cannot be written falls back to a SimpleCache per worker
    (logged)."""
    if testing:
        return {"CACHE_TYPE": "NullCache"}
    config = {
        "CACHE_TYPE": settings.cache_type,
        "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout,
        "CACHE_KEY_PREFIX": f"clv-{code_fingerprint()}-",
    }
    if settings.cache_redis_url:
        config["CACHE_REDIS_URL"] = settings.cache_redis_url
    if settings.cache_type == "FileSystemCache":
        folder = settings.figure_cache_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
            writable = os.access(folder, os.W_OK)
        except OSError:
            writable = False
        if not writable:
            logging.getLogger(__name__).warning(
                "cannot write the figure cache in %s: each worker keeps its own (SimpleCache)",
                folder,
            )
            return {**config, "CACHE_TYPE": "SimpleCache"}
        config.update(CACHE_DIR=str(folder), CACHE_THRESHOLD=CACHE_THRESHOLD)
    return config


def create_app(settings: Settings | None = None, testing: bool = False) -> dash.Dash:
    """Build the Flask server, bind the cache, mount the API and the Dash pages (no side effects
    on the data folder, besides creating the figure cache's folder, or on the database:
    ``portal.startup.prepare`` is the start-up work).

    Args:
        settings: defaults to Settings.from_env().
        testing: NullCache and Flask testing mode.
    """
    from portal import jobs
    from portal.api import register_api
    from portal.components import shell
    from portal.dash_requests import DASH_CALLBACK_PATH, refuse_malformed_callback
    from portal.extensions import cache
    from portal.security import register_security

    settings = settings or Settings.from_env()
    logging.getLogger("portal").setLevel(settings.log_level)
    server = flask.Flask(__name__)
    server.config.update(
        CLV_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TESTING=testing,
        **_cache_config(settings, testing),
    )
    cache.init_app(server)
    register_api(server)

    @server.before_request
    def _room_for_uploads():
        """Dash callbacks carry the data page's uploads (base64: 4/3 of the file, plus JSON)."""
        if flask.request.path == DASH_CALLBACK_PATH:
            flask.request.max_content_length = settings.max_upload_bytes * 4 // 3 + 64 * 1024

    @server.before_request
    def _chunked_bodies_within_the_cap():
        """A chunked body (no Content-Length) over the cap is refused with 413, as a declared one
        is, instead of being cut at the cap; one within it is handed on with its length."""
        environ, limit = flask.request.environ, flask.request.max_content_length
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or limit is None or not environ.get("wsgi.input_terminated"):
            return
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            raise RequestEntityTooLarge()
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))

    @server.get(f"{VENDOR_URL}/<path:filename>")
    def vendor(filename: str):
        """Bootstrap 5 and its icons from the bootstrap-flask wheel (no CDN)."""
        return flask.send_from_directory(BOOTSTRAP_DIR, filename, max_age=86400)

    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(Path(__file__).parent / "pages"),
        assets_folder=str(REPO_ROOT / "assets"),
        external_stylesheets=STYLESHEETS,
        title="CLV portal",
        suppress_callback_exceptions=True,
        background_callback_manager=jobs.background_manager(settings),
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell

    @server.before_request
    def _callbacks_well_formed():
        if flask.request.path == DASH_CALLBACK_PATH and flask.request.method == "POST":
            return refuse_malformed_callback(app.callback_map)
        return None

    app.clientside_callback(
        dash.ClientsideFunction("shell", "toggleNavbar"),  # assets/navbar.js
        dash.Output("shell-navbar-collapse", "is_open"),
        dash.Input("shell-navbar-toggler", "n_clicks"),
        dash.State("shell-navbar-collapse", "is_open"),
    )
    register_security(server, settings, app.csp_hashes, app.callback_map)
    return app
