"""A small SYNTHETIC log in two releases, and a database per backend (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from portal import db
from portal.synth import generate

SECOND_RELEASE_FROM = "2023-07-01"


@pytest.fixture(scope="session")
def small_logs(tmp_path_factory) -> tuple[Path, Path]:
    """(first, second) CSVs of 300 SYNTHETIC customers: the second adds the last 6 months."""
    folder = tmp_path_factory.mktemp("logs")
    log, _ = generate(300, seed=3)
    first, second = folder / "first.csv", folder / "second.csv"
    log[log["date"] < SECOND_RELEASE_FROM].to_csv(first, index=False)
    log.to_csv(second, index=False)
    return first, second


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty, migrated database. PostgreSQL comes from TEST_DATABASE_URL (.ci/postgres.sh)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'clv.db'}"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must set TEST_DATABASE_URL: .ci/run starts PostgreSQL for it")
        pytest.skip("TEST_DATABASE_URL is not set: `sudo .ci/postgres.sh` prints one")
    leftover = create_engine(db.normalise_url(url))  # not db.engine: it would migrate first
    db.metadata.drop_all(leftover)
    leftover.dispose()
    db.migrate(db.engine(url))
    return url
