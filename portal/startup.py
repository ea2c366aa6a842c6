"""Start-up work, run once before the app serves and kept out of ``create_app``: gunicorn's start
hook (``gunicorn.conf.py``), ``python app.py``, ``python -m portal serve`` and ``python -m portal
setup`` run it.

``prepare``: the database schema created or migrated, and a pre-registry ``DATA_DIR/final``
folder moved into the registry and recorded. ``ensure_artifacts``: the shipped CDNOW backtest
trained when the data folder has no version yet.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys

from sqlalchemy.exc import SQLAlchemyError

from portal import db, serving_files
from portal.artifacts import METRICS
from portal.config import CDNOW_CUTOFF, REPO_ROOT, Settings
from portal.publishing import adopt_legacy_version

log = logging.getLogger(__name__)


def prepare(settings: Settings) -> bool:
    """Migrate the database, adopt a pre-registry model folder and remove other releases' cached
    figures; returns whether the database is usable. An unusable one is logged, not raised:
    scoring works without it (no history)."""
    forget_other_releases_figures(settings)
    try:
        db.migrate_at_start(settings.database_url)
        adopt_legacy_version(settings.data_dir, settings.database_url)
    except SQLAlchemyError as exc:
        log.error("the database is unusable (history is off): %s", exc)
        return False
    return True


def ensure_artifacts(settings: Settings | None = None) -> None:
    """Train the shipped CDNOW backtest when ``DATA_DIR/final`` has no metrics.json.

    Training runs in a child process: a gunicorn master that ran LightGBM's OpenMP threads itself
    would fork workers that deadlock in their first OpenMP call.
    """
    settings = settings or Settings.from_env()
    if (settings.final_dir / METRICS).exists():
        return
    log.warning("no artifacts in %s: training on the shipped CDNOW data", settings.final_dir)
    subprocess.run(
        [sys.executable, "-m", "portal", "train", "--cutoff", CDNOW_CUTOFF],
        cwd=REPO_ROOT,
        env={**os.environ, "DATA_DIR": str(settings.data_dir)},
        check=True,
    )


def ensure_serving_files(settings: Settings | None = None) -> None:
    """Build the current version's serving files in a child process when they predate this code.

    gunicorn's start hook runs this before any worker starts: building takes minutes at millions
    of customers (every customer's explanation: ~5 at 10M), longer than gunicorn lets a worker
    start, and runs LightGBM, which the master must not (``ensure_artifacts``).
    """
    settings = settings or Settings.from_env()
    final = settings.final_dir
    if not (final / METRICS).exists() or serving_files.current(final):
        return
    log.warning("building the serving files of %s (they predate this code)", final.resolve())
    build = f"from portal import serving_files; serving_files.ensure({str(final.resolve())!r})"
    subprocess.run([sys.executable, "-c", build], cwd=REPO_ROOT, check=False)


def forget_other_releases_figures(settings: Settings) -> None:
    """Remove the figure-cache folders of other releases (``Settings.figure_cache_dir``: named by
    a 12-digit hex fingerprint; nothing else in the folder is touched)."""
    if not settings.cache_dir.is_dir():
        return
    for folder in settings.cache_dir.iterdir():
        named_by_release = re.fullmatch(r"[0-9a-f]{12}", folder.name)
        if named_by_release and folder != settings.figure_cache_dir and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
