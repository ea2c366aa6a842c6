"""WSGI entry point: `gunicorn app:server`."""

from portal import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    settings = server.config["CLV_SETTINGS"]
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
