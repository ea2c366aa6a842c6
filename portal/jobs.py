"""Background jobs of the data page: the Dash background-callback manager, the upload's check and
training.

The check reads the whole upload in the job, so a web worker reads only a file's first rows. The
training job runs ``python -m portal train --progress-format json`` as a child process and relays
the records it prints (``portal.records``), so a web worker never trains (nor forks a process that
ran LightGBM's OpenMP threads). Diskcache under ``DATA_DIR/jobs`` holds the jobs by default (one machine, any number of gunicorn workers); with
``CELERY_BROKER_URL`` set, Celery workers run them (several instances, one Redis).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

import dash

from portal import records, registry, uploads
from portal.artifacts import METRICS
from portal.config import REPO_ROOT, Settings
from portal.ingest import ColumnMap
from portal.validation import Validation, validate

FOLLOW_SECONDS = 0.5
OTHER_RUN = (
    "Another training run was in progress; its progress was shown here until it ended, and the "
    "version it published, if any, is now served. Train again to train on this file."
)


class TrainingFailed(RuntimeError):
    """The training process ended without publishing a version."""


class RunInProgress(RuntimeError):
    """Another run held the DATA_DIR's training lock: its progress was relayed until it ended."""


@functools.cache
def celery_app(broker_url: str):
    """The Celery application behind CeleryManager (start workers with ``celery -A app:celery_app
    worker``)."""
    from celery import Celery

    return Celery("clv-portal", broker=broker_url, backend=broker_url)


def background_manager(settings: Settings):
    """CeleryManager when CELERY_BROKER_URL is set, else a DiskcacheManager in DATA_DIR/jobs."""
    if settings.celery_broker_url:
        return dash.CeleryManager(celery_app(settings.celery_broker_url))
    import diskcache

    settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    return dash.DiskcacheManager(diskcache.Cache(str(settings.jobs_dir)))


def check_upload(
    settings: Settings, upload_id: str, columns: ColumnMap, progress: Callable[[str], None]
) -> Validation:
    """Read a whole upload and validate it under a mapping: the data page's check, run as a
    background job so the web worker only ever reads a file's first rows.

    Raises UploadError (gone) or IngestError (unreadable, or over MAX_UPLOAD_ROWS).
    """
    upload = uploads.load(settings.uploads_dir, upload_id)
    progress(f"Reading {upload.filename} ({upload.size / 1e6:,.1f} MB)…")
    frame = uploads.read(upload, columns.sheet, settings.upload_limits)
    progress(f"Checking {len(frame):,} rows…")
    return validate(frame, columns)


def train_command(upload: uploads.Upload, columns: ColumnMap) -> list[str]:
    """The CLI call that trains on an upload under a column mapping.

    Values go as ``--flag=value`` so a column or user name starting with '-' stays a value.
    """
    options = [
        ("--transactions", str(upload.path)),
        ("--customer-col", columns.customer_id),
        ("--date-col", columns.date),
        ("--amount-col", None if columns.price else columns.amount),
        ("--trained-by", upload.user),
        ("--quantity-col", columns.quantity),
        ("--order-col", columns.order_id),
        ("--price-col", columns.price),
        ("--date-format", columns.date_format),
        ("--decimal", columns.decimal),
        ("--sheet", columns.sheet),
    ]
    command = [sys.executable, "-m", "portal", "train", "--progress-format=json"]
    return command + [f"{flag}={value}" for flag, value in options if value]


def train_upload(
    settings: Settings,
    upload_id: str,
    columns: ColumnMap,
    progress: Callable[[int, int, str], None],
) -> dict:
    """Train and publish a version from an upload into ``settings``' data folder and database;
    returns its metrics document.

    Raises:
        RunInProgress: another run (the page's or the CLI's) was training this DATA_DIR: its
            progress was relayed until it ended, and nothing was started.
        TrainingFailed: with the CLI's error message; the current version keeps serving.
    """
    upload = uploads.load(settings.uploads_dir, upload_id)
    if follow_running(settings, progress):
        raise RunInProgress(OTHER_RUN)
    env = {
        **os.environ,
        "DATA_DIR": str(settings.data_dir.resolve()),
        "DATABASE_URL": settings.database_url,
    }
    version = error = None
    log_path = upload.folder / f"train-{time.time_ns():x}.log"  # one per run
    with open(log_path, "w") as log:
        child = subprocess.Popen(
            train_command(upload, columns),
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        for line in child.stdout:
            record = records.read(line) or {}
            if record.get("event") == "progress":
                progress(record["done"], record["total"], record["message"])
            elif record.get("event") == "published":
                version = record["version"]
            elif record.get("event") == "error":
                error = record["message"]
        child.wait()
    if child.returncode == registry.IN_PROGRESS_EXIT:  # a run started after the check above
        follow_running(settings, progress)
        raise RunInProgress(OTHER_RUN)
    if child.returncode != 0 or version is None:
        raise TrainingFailed(error or _failure(log_path.read_text(), child.returncode))
    return json.loads((registry.version_dir(settings.data_dir, version) / METRICS).read_text())


def follow_running(settings: Settings, progress: Callable[[int, int, str], None]) -> bool:
    """Relay the progress of the run training ``DATA_DIR`` until it ends; False if none ran."""
    followed, last = False, None
    while (current := registry.running_progress(settings.data_dir)) is not None:
        followed = True
        if current != last:
            progress(*current)
            last = current
        time.sleep(FOLLOW_SECONDS)
    return followed


def _failure(log: str, code: int) -> str:
    """For a process that ended without an error record (killed, crashed): the CLI's own 'error:'
    line, else the last line of its log."""
    lines = [line for line in log.splitlines() if line.strip()]
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
    if errors:
        return errors[-1]
    return lines[-1] if lines else f"the training process exited with code {code}"
