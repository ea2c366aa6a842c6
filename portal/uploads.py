"""Files uploaded on the data page: kept under ``DATA_DIR/uploads/<id>/`` with who sent them.

Only the random upload id travels through the browser; paths are always rebuilt on the server.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from portal.readers import (
    PARQUET_SUFFIXES,
    SPREADSHEET_SUFFIXES,
    IngestError,
    Limits,
    check_parquet,
    read_head,
    read_raw,
    sheet_names,
)

SUFFIXES = (".csv", ".txt", ".tsv", ".dat", ".parquet", ".pq", ".xlsx")
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
META = "upload.json"
KEEP = 20
MAX_NAME = 120
MAX_SUFFIX = 10


class UploadError(ValueError):
    """An upload that cannot be accepted (type, size, encoding, unknown id)."""


@dataclass(frozen=True)
class Upload:
    """One stored upload."""

    id: str
    path: Path
    filename: str
    size: int
    user: str
    uploaded_at: str

    @property
    def folder(self) -> Path:
        """Its folder (the training log is written beside it)."""
        return self.path.parent


def safe_filename(name: str) -> str:
    """The base name with anything but letters, digits, dot, dash and underscore replaced, its
    stem shortened to keep it within MAX_NAME characters (file systems allow 255 bytes)."""
    base = Path(name or "").name
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".") or "upload.csv"
    suffix = Path(cleaned).suffix[:MAX_SUFFIX]
    return cleaned[: MAX_NAME - len(suffix)] + suffix if len(cleaned) > MAX_NAME else cleaned


def save(
    uploads_dir: Path,
    filename: str,
    contents: str,
    max_bytes: int,
    user: str,
    limits: Limits | None = None,
) -> Upload:
    """Decode a dcc.Upload data URL and store it; raises UploadError (also for a parquet file
    whose metadata says it expands beyond ``limits``)."""
    name = safe_filename(filename)
    if Path(name).suffix.lower() not in SUFFIXES:
        raise UploadError(
            f"{filename!r}: expected one of {', '.join(SUFFIXES)} (CSV, text, parquet or Excel)"
        )
    _, _, encoded = (contents or "").partition(",")
    if len(encoded) * 3 // 4 > max_bytes + 3:
        raise UploadError(f"{filename!r} is larger than the {max_bytes / 2**20:.0f} MB limit")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError(f"{filename!r} did not arrive intact; upload it again") from None
    if not data:
        raise UploadError(f"{filename!r} is empty")
    upload_id = f"{time.time_ns():016x}{secrets.token_hex(8)}"  # sorts by time, unguessable
    folder = Path(uploads_dir) / upload_id
    meta = {
        "filename": name,
        "size": len(data),
        "user": user,
        "uploaded_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    try:
        folder.mkdir(parents=True)
        (folder / name).write_bytes(data)
        (folder / META).write_text(json.dumps(meta))
        if limits and Path(name).suffix.lower() in PARQUET_SUFFIXES:
            check_parquet(folder / name, limits)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)  # no half-stored upload stays behind
        raise UploadError(f"{name!r} could not be stored ({exc.strerror}); try again") from None
    except IngestError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadError(str(exc)) from None
    prune(uploads_dir)
    return load(uploads_dir, upload_id)


def prune(uploads_dir: Path, keep: int = KEEP) -> None:
    """Delete all but the ``keep`` newest uploads (their models and history stay)."""
    folders = sorted(
        (p for p in Path(uploads_dir).iterdir() if ID_PATTERN.match(p.name)),
        key=lambda p: p.name,
        reverse=True,
    )
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def load(uploads_dir: Path, upload_id: str | None) -> Upload:
    """A stored upload by id; raises UploadError for a malformed or unknown id."""
    if not isinstance(upload_id, str) or not ID_PATTERN.match(upload_id):
        raise UploadError("unknown upload: upload the file again")
    folder = Path(uploads_dir) / upload_id
    try:
        meta = json.loads((folder / META).read_text())
    except FileNotFoundError:
        raise UploadError("unknown upload: upload the file again") from None
    return Upload(id=upload_id, path=folder / meta["filename"], **meta)


def read(upload: Upload, sheet: str | None = None, limits: Limits | None = None) -> pd.DataFrame:
    """The upload's rows as ingest reads them, within ``limits`` (the data page's check, a background
    job); the last two files are kept per process. Treat the frame as read-only."""
    return _read(str(upload.path), upload.path.stat().st_mtime_ns, sheet, limits)


def head(upload: Upload, sheet: str | None = None) -> pd.DataFrame:
    """The upload's first rows (readers.HEAD_ROWS), all the web worker reads of it to map its
    columns; the last four are kept per process. Treat the frame as read-only."""
    return _head(str(upload.path), upload.path.stat().st_mtime_ns, sheet)


def sheets(upload: Upload) -> list[str]:
    """A workbook's sheet names, in order; [] for any other file."""
    if upload.path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        return []
    return sheet_names(upload.path)


@functools.lru_cache(maxsize=2)
def _read(path: str, _modified: int, sheet: str | None, limits: Limits | None) -> pd.DataFrame:
    return read_raw(path, sheet, limits)


@functools.lru_cache(maxsize=4)
def _head(path: str, _modified: int, sheet: str | None) -> pd.DataFrame:
    return read_head(path, sheet)
