# clv-portal: slim image, non-root, dependencies cached apart from the code, artifacts built at build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PORT=8050 DATA_DIR=/app/data WEB_CONCURRENCY=2
# LightGBM needs the OpenMP runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 clv
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=clv:clv . .
USER clv
RUN python -m portal train --cutoff 1998-01-01

EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/api/health" || exit 1
CMD ["gunicorn", "app:server"]
