"""gunicorn settings from the environment (Procfile, Dockerfile and `make run`)."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# gthread, with a deadline on request headers: slow-header clients cannot hold every thread
worker_class = "portal.gunicorn_worker.HeaderDeadlineWorker"
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def on_starting(server):
    """Refuse a bind that exposes pages the API token protects (portal.security), migrate the
    database and adopt a pre-registry folder (portal.startup.prepare), then train on the shipped
    data when no artifacts exist (fresh Railway/Heroku/Docker boot) and build the current version's
    serving files when they predate this code (both in child processes)."""
    from portal.config import Settings
    from portal.exposure import refuse_exposed_start
    from portal.startup import ensure_artifacts, ensure_serving_files, prepare

    settings = Settings.from_env()
    refuse_exposed_start(settings, server.cfg.bind)
    prepare(settings)
    ensure_artifacts(settings)
    ensure_serving_files(settings)


def post_fork(server, worker):
    """Before a new worker takes requests: one request through the app, which runs Dash's
    first-request setup (not thread-safe: two threads' first requests race it and the loser gets a
    500 for a script) and loads the current artifacts, so no user request pays for either."""
    response = worker.app.wsgi().test_client().get("/api/health")
    if response.status_code != 200:
        server.log.warning("worker %s starts without artifacts: %s", worker.pid, response.json)
