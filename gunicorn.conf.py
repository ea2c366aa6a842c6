"""gunicorn settings from the environment (Procfile, Dockerfile and `make run`)."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def on_starting(server):
    """Train on the shipped data when no artifacts exist (fresh Railway/Heroku/Docker boot)."""
    from portal.train import ensure_artifacts

    ensure_artifacts()


def post_fork(server, worker):
    """Load the current artifacts in each new worker, so no user request pays for it."""
    from portal.config import Settings
    from portal.store import ArtifactsMissing, store_for

    try:
        store_for(Settings.from_env().final_dir).current()
    except ArtifactsMissing as exc:
        server.log.warning("worker %s starts without artifacts: %s", worker.pid, exc)
