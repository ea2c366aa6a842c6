"""Publishing a trained version: written into the registry, recorded in the database, made current.

Also the adoption of a pre-registry ``final`` folder (``adopt_legacy_version``, a start-up step) and
the check whether a log was already trained the same way (``unchanged``, for ``retrain``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from portal import db, registry, serving_files
from portal.artifacts import METRICS, PREPARED, write_artifacts
from portal.config import Settings
from portal.ingest import fingerprint


def publish(
    data_dir: Path,
    table: pd.DataFrame,
    model,
    document: dict,
    database_url: str | None = None,
) -> None:
    """Write a version (and its serving files) into the registry, record it in the database,
    then make it current.

    A failure (or a kill) before the pointer switch leaves the current version serving; a
    version whose database record failed is removed again. ``model`` (a ``ClvModel``) and
    ``document`` get the version's final name.
    """
    url = database_url or Settings(data_dir=data_dir).database_url
    with registry.publishing_lock(data_dir):
        registry.remove_abandoned_staging(data_dir)
        registry.remove_unrecorded(data_dir)
        _record_legacy_version(data_dir, url)
        version = registry.unique_name(data_dir, document["version"])
        document["version"] = model.version = version
        staging = registry.staging_dir(data_dir)
        try:
            write_artifacts(staging, table, model, document)
            serving_files.build(staging)
            folder = registry.place(data_dir, staging, version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if not isinstance(table, pd.DataFrame):  # a table in parts: now in the version's folder
            table.folder = folder / PREPARED
        try:
            db.record_version(url, document, table)
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        registry.mark_recorded(folder)
        registry.activate(data_dir, version)


def adopt_legacy_version(data_dir: Path, url: str) -> None:
    """Move a pre-registry ``final`` folder into the registry and record it (at start-up)."""
    pointer = Path(data_dir) / registry.POINTER
    if pointer.is_symlink() or not pointer.is_dir():
        return
    with registry.publishing_lock(data_dir):
        _record_legacy_version(data_dir, url)


def _record_legacy_version(data_dir: Path, url: str) -> None:
    """Move a pre-registry ``final`` folder into the registry and record it, so it stays listed."""
    adopted = registry.adopt_legacy_folder(data_dir)
    if adopted:
        folder = registry.version_dir(data_dir, adopted)
        document = json.loads((folder / METRICS).read_text())
        document["version"] = adopted
        table = pd.read_parquet(folder / PREPARED)
        db.record_version(url, document, table)


def unchanged(data_dir: Path, transactions: pd.DataFrame, cutoff: str | None) -> str | None:
    """The current version's name when it was trained on the same data the same way, else None."""
    return unchanged_fingerprint(data_dir, fingerprint(transactions), cutoff)


def unchanged_fingerprint(data_dir: Path, data_hash: str, cutoff: str | None) -> str | None:
    """``unchanged`` given the data's fingerprint."""
    name = registry.current_version(data_dir)
    if name is None:
        return None
    current = json.loads((Path(data_dir) / registry.POINTER / METRICS).read_text())
    same_mode = current["mode"] == ("production" if cutoff is None else "backtest")
    same_cutoff = cutoff is None or current["cutoff"] == str(pd.Timestamp(cutoff).date())
    same_data = current["data"]["fingerprint"] == data_hash
    return name if same_mode and same_cutoff and same_data else None
