"""Shared fixtures: tiny hand-made logs, one trained CDNOW backtest per session, fresh apps."""

from __future__ import annotations

import shutil
from pathlib import Path

import dash._pages
import pandas as pd
import pytest

from portal import create_app, store
from portal.artifacts import write_artifacts
from portal.config import CDNOW_CUTOFF, REPO_ROOT, Settings
from portal.ingest import CDNOW_COLUMNS, load_transactions
from portal.pipeline import run, train_frame
from portal.startup import prepare

CDNOW = REPO_ROOT / "data" / "raw" / "CDNOW_master.txt"


@pytest.fixture
def tiny_log() -> pd.DataFrame:
    """Four customers around a 2020-07-01 cutoff (see tests/unit/test_features.py)."""
    rows = [
        ("A", "2020-01-10", 10.0, 1),
        ("A", "2020-03-01", 20.0, 2),
        ("A", "2020-03-01", 5.0, 1),
        ("A", "2020-06-20", 30.0, 3),
        ("A", "2020-07-05", 40.0, 1),
        ("B", "2020-05-15", 50.0, 5),
        ("C", "2019-08-01", 12.0, 1),
        ("C", "2020-12-31", 7.0, 1),
        ("D", "2020-08-01", 99.0, 9),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "quantity"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """A DATA_DIR with the CDNOW backtest trained once for the whole session."""
    root = tmp_path_factory.mktemp("data")
    run(CDNOW, root, CDNOW_COLUMNS, CDNOW_CUTOFF, seed=0)
    return root


SHORT_CDNOW_LAST_DAY = "1997-12-31"


def cdnow_until(last_day: str | None = None) -> pd.DataFrame:
    """The CDNOW log as ingested, cut after ``last_day`` (all of it for None)."""
    log = load_transactions(CDNOW, CDNOW_COLUMNS)
    return log if last_day is None else log[log["date"] <= last_day].reset_index(drop=True)


@pytest.fixture(scope="session")
def short_data_dir(tmp_path_factory) -> Path:
    """A DATA_DIR whose one version is production mode on CDNOW cut at 1997-12-31: 12 months,
    enough to train and score but not to backtest."""
    root = tmp_path_factory.mktemp("short")
    train_frame(cdnow_until(SHORT_CDNOW_LAST_DAY), "CDNOW_master.txt", root, None, seed=0)
    return root


@pytest.fixture(scope="session")
def monitored_data_dir(short_data_dir, tmp_path_factory) -> Path:
    """A copy of ``short_data_dir`` whose version monitoring judged on the full CDNOW log."""
    from portal import features, monitoring
    from portal.ingest import fingerprint

    root = tmp_path_factory.mktemp("monitored") / "data"
    shutil.copytree(short_data_dir, root, symlinks=True)
    log = cdnow_until()
    monitoring.evaluate_all(
        root, Settings(data_dir=root).database_url, features.daily(log), fingerprint(log)
    )
    return root


def served_version(folder: Path, version: str, table: pd.DataFrame, model, metrics: dict):
    """A version written to ``folder`` from a table in memory, loaded as the read side serves it."""
    folder.mkdir(parents=True, exist_ok=True)
    write_artifacts(folder, table, model, {**metrics, "version": version})
    return store.ArtifactStore(folder).current()


@pytest.fixture
def settings(data_dir) -> Settings:
    return Settings(data_dir=data_dir)


def fresh_app(settings: Settings, production_cache: bool = False):
    """A new app after the start-up work a server runs first (``portal.startup.prepare``);
    Dash's page registry is process-global, so it is cleared first.

    Test apps run without a cache (NullCache) unless ``production_cache`` asks for the one the
    settings name (FileSystemCache by default), as a deployed portal runs.
    """
    prepare(settings)
    dash._pages.PAGE_REGISTRY.clear()
    return create_app(settings, testing=not production_cache)


@pytest.fixture
def app(settings):
    return fresh_app(settings)


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def empty_settings(tmp_path) -> Settings:
    """Settings whose data folder has no artifacts."""
    return Settings(data_dir=tmp_path)


@pytest.fixture
def copied_data_dir(data_dir, tmp_path) -> Path:
    """A private copy of the trained data folder, safe to damage."""
    target = tmp_path / "data"
    shutil.copytree(data_dir, target, symlinks=True)
    return target
