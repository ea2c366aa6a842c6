"""WSGI entry point: `gunicorn app:server` (and `celery -A app:celery_app worker` with Celery)."""

from portal import create_app, jobs, startup
from portal.exposure import refuse_exposed_start

app = create_app()
server = app.server
settings = server.config["CLV_SETTINGS"]
celery_app = jobs.celery_app(settings.celery_broker_url) if settings.celery_broker_url else None

if __name__ == "__main__":
    refuse_exposed_start(settings, [settings.host])
    startup.prepare(settings)
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
