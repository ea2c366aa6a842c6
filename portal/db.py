"""Model versions and every run's per-customer predictions, in SQLite or PostgreSQL (SQLAlchemy).

The schema is created by the app itself (``migrate``), which also records the schema version and
refuses a database written by a newer release.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: the monitoring table
INSERT_CHUNK = 50_000

metadata = MetaData()

schema_info = Table("schema_info", metadata, Column("version", Integer, nullable=False))

model_versions = Table(
    "model_versions",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("trained_at", DateTime(timezone=True), nullable=False),
    Column("trained_by", String(128), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("cutoff", Date, nullable=False),
    Column("training_from", Date, nullable=False),
    Column("training_to", Date, nullable=False),
    Column("first_date", Date, nullable=False),
    Column("last_date", Date, nullable=False),
    Column("fingerprint", String(32), nullable=False, index=True),
    Column("source", String(256), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("metrics", JSON, nullable=False),
)

predictions = Table(  # the key starts with customer_id: it is the index history reads use
    "predictions",
    metadata,
    Column("customer_id", String(128), primary_key=True),
    Column(
        "version",
        String(64),
        ForeignKey("model_versions.version", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("predicted_clv_6m", Float, nullable=False),
    Column("p_purchase", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("decile", Integer, nullable=False),
    Column("segment", String(16), nullable=False),
)

monitoring = Table(  # one row per version: its latest evaluation against realised spend
    "monitoring",
    metadata,
    Column(
        "version",
        String(64),
        ForeignKey("model_versions.version", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
    Column("observed_to", Date, nullable=False),  # exclusive: the horizon is seen up to here
    Column("fraction_observed", Float, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("predicted_total", Float, nullable=False),  # pro-rated to the observed part
    Column("realised_total", Float, nullable=False),
    Column("normalized_gini", Float, nullable=False),
    Column("top_decile_capture", Float, nullable=False),
    Column("calibration", Float, nullable=False),
    Column("decile_mape", Float, nullable=True),
    Column("coverage", Float, nullable=True),
    Column("details", JSON, nullable=False),
)

PREDICTION_COLUMNS = ["customer_id", "predicted_clv_6m", "p_purchase", "rank", "decile", "segment"]


class SchemaTooNew(RuntimeError):
    """The database was written by a newer release than this one."""


def normalise_url(url: str) -> str:
    """Accept Heroku/Railway's ``postgres://`` and plain ``postgresql://`` URLs (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@functools.cache
def engine(url: str) -> Engine:
    """One migrated engine per database URL per process."""
    created = _new_engine(url)
    migrate(created)
    return created


def _new_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        created = create_engine(url, connect_args={"timeout": 30})
        event.listen(created, "connect", _sqlite_pragmas)
        return created
    return create_engine(url, pool_pre_ping=True)


def migrate_at_start(url: str) -> None:
    """Create or migrate the schema with a short-lived engine (safe before gunicorn forks)."""
    temporary = _new_engine(url)
    try:
        migrate(temporary)
    finally:
        temporary.dispose()


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a training run's insert
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(target: Engine) -> None:
    """Create missing tables and stamp the schema version; refuse a newer schema.

    Every schema change so far only adds tables (2: ``monitoring``), which create_all makes."""
    metadata.create_all(target)
    with target.begin() as conn:
        found = conn.execute(select(func.max(schema_info.c.version))).scalar()
        if found is None or found < SCHEMA_VERSION:  # create_all added the missing tables
            conn.execute(delete(schema_info))
            conn.execute(insert(schema_info).values(version=SCHEMA_VERSION))
        elif found > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"database schema {found} is newer than this release's {SCHEMA_VERSION}"
            )


def record_version(url: str, document: dict, table) -> None:
    """Insert one version and its per-customer predictions in a single transaction.

    ``table``: a frame, or a table in parts (``partitions.PartitionedTable``) recorded part by
    part."""
    data = document["data"]
    row = {
        "version": document["version"],
        "trained_at": datetime.fromisoformat(document["trained_at"]),
        "trained_by": document.get("trained_by", "unknown"),
        "mode": document["mode"],
        "cutoff": date.fromisoformat(document["cutoff"]),
        "training_from": date.fromisoformat(document["training_cutoffs"][0]),
        "training_to": date.fromisoformat(document["training_cutoffs"][-1]),
        "first_date": date.fromisoformat(data["first_date"]),
        "last_date": date.fromisoformat(data["last_date"]),
        "fingerprint": data["fingerprint"],
        "source": data["source"][:256],
        "rows": int(data["rows"]),
        "customers": int(document["customers"]),
        "seconds": float(document["seconds"]),
        "metrics": document["backtest"],
    }
    parts = [table] if isinstance(table, pd.DataFrame) else table.chunks(PREDICTION_COLUMNS)
    with engine(url).begin() as conn:
        conn.execute(insert(model_versions).values(row))
        for part in parts:
            _bulk_insert_predictions(conn, _scores(part, row["version"]))


def _scores(table: pd.DataFrame, version: str) -> pd.DataFrame:
    """The predictions table's rows of a scored table."""
    scores = table[PREDICTION_COLUMNS].astype(
        {
            "customer_id": str,
            "predicted_clv_6m": float,
            "p_purchase": float,
            "rank": int,
            "decile": int,
            "segment": str,
        }
    )
    scores.insert(1, "version", version)
    return scores


def _bulk_insert_predictions(conn, scores: pd.DataFrame) -> None:
    """Insert many prediction rows in the open transaction: COPY of CSV text on PostgreSQL (many
    times faster than INSERTs), one executemany per chunk elsewhere."""
    columns = ", ".join(scores.columns)
    cursor = conn.connection.driver_connection.cursor()
    if conn.dialect.name == "postgresql":
        with cursor.copy(f"COPY predictions ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, len(scores), INSERT_CHUNK):
                chunk = scores.iloc[start : start + INSERT_CHUNK]
                copy.write(chunk.to_csv(header=False, index=False, lineterminator="\n"))
        return
    marks = ", ".join("?" for _ in scores.columns)
    sql = f"INSERT INTO predictions ({columns}) VALUES ({marks})"
    for start in range(0, len(scores), INSERT_CHUNK):
        chunk = scores.iloc[start : start + INSERT_CHUNK]
        cursor.executemany(sql, zip(*(chunk[c].tolist() for c in chunk.columns)))  # 5x itertuples


def list_versions(url: str) -> list[dict]:
    """Every recorded version, newest first, with its backtest Gini (None without a backtest)
    instead of all its metrics."""
    with engine(url).connect() as conn:
        newest_first = (model_versions.c.trained_at.desc(), model_versions.c.version.desc())
        rows = conn.execute(select(model_versions).order_by(*newest_first))
        listed = []
        for row in rows:
            plain = plain_row(row._asdict())
            model = plain.pop("metrics").get("model") or {}  # none without a backtest
            plain["normalized_gini"] = model.get("normalized_gini")
            listed.append(plain)
        return listed


def customer_history(url: str, customer_id: str) -> list[dict]:
    """One customer's prediction in every recorded run, oldest scoring date first."""
    v, p = model_versions, predictions
    query = (
        select(
            v.c.version,
            v.c.trained_at,
            v.c.cutoff,
            v.c.mode,
            p.c.predicted_clv_6m,
            p.c.p_purchase,
            p.c.rank,
            p.c.decile,
            p.c.segment,
        )
        .join(p, p.c.version == v.c.version)
        .where(p.c.customer_id == customer_id)
        .order_by(v.c.cutoff, v.c.trained_at)
    )
    with engine(url).connect() as conn:
        return [plain_row(r._asdict()) for r in conn.execute(query)]


def plain_row(row: dict) -> dict:
    """JSON-ready values: ISO dates and times (UTC), Python numbers."""
    out = {}
    for key, value in row.items():
        if isinstance(value, datetime):
            value = value.isoformat() if value.tzinfo else value.isoformat() + "+00:00"
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out
