# clv-portal: slim, non-root, dependencies cached apart from the code, a CDNOW version baked in.
# Linted by hadolint (`make lint`); the one rule ignored is explained where it is ignored.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8050 DATA_DIR=/data WEB_CONCURRENCY=2
# LightGBM needs the OpenMP runtime; curl runs the health check.
# DL3008 (pin apt versions): Debian replaces a package version on its mirror with each security or
# point release, so a pinned version stops installing; the base image tag fixes the Debian release.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 1000 clv && useradd --create-home --uid 1000 --gid 1000 clv \
    && mkdir /data && chown 1000:1000 /data
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=1000:1000 . .
USER 1000:1000
# The baked version: Docker copies the image's /data into a new named volume mounted there; any
# other empty DATA_DIR is trained into at start-up (gunicorn.conf.py). The code, with the shipped
# CDNOW log in /app/data/raw, stays outside the volume.
RUN python -m portal train --cutoff 1998-01-01
VOLUME ["/data"]

EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["sh", "-c", "curl -fsS \"http://127.0.0.1:${PORT}/api/health\" || exit 1"]
CMD ["gunicorn", "app:server"]
