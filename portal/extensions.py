"""Flask extensions (created unbound, bound in create_app) and the running app's data folder."""

from pathlib import Path

from flask import current_app, has_app_context
from flask_caching import Cache

cache = Cache()


def settings():
    """The Settings of the app handling the current request; outside a request (a background
    job: the data page's training), those of the app this process created."""
    if has_app_context():
        return current_app.config["CLV_SETTINGS"]
    import dash

    return dash.get_app().server.config["CLV_SETTINGS"]


def final_dir() -> Path:
    """The artifact folder of the app handling the current request."""
    return settings().final_dir
