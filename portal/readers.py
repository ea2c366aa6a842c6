"""Read a transaction file into a frame: CSV, whitespace-separated text, parquet or ``.xlsx``.

Text is decoded as UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or
else Windows-1252 (which reads Latin-1 text identically); anything else is refused. Columns come
back as text, except parquet's own types and spreadsheet columns holding only dates, so dates and
amounts are then read one way per column (``portal.dates``, ``portal.amounts``). The encoding used
is kept in ``frame.attrs["encoding"]``. ``Limits`` bound what a file may expand to: a parquet file's
metadata is checked before it is read, text and workbooks are read up to one row past the cap.
``read_head`` reads only a file's first rows (the data page's column mapping).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PARQUET_SUFFIXES = (".parquet", ".pq")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".txt", ".dat", ".tsv")
DELIMITERS = ",;\t|"
SNIFF_CHARS = 64 * 1024
WINDOWS_1252 = "Windows-1252 (Latin-1)"
CELL_BYTES = 8  # the least a decoded cell takes in memory
HEAD_ROWS = 10_000  # what the data page reads in the web worker to map the columns
HEAD_BYTES = 4 * 2**20


@dataclass(frozen=True)
class Limits:
    """The most a file may expand to when read (MAX_UPLOAD_ROWS, MAX_UPLOAD_DECODED_BYTES)."""

    rows: int
    decoded_bytes: int


class IngestError(ValueError):
    """Bad input: the message names the file, the column and the first offending rows."""


def read_raw(
    path: str | Path, sheet: str | None = None, limits: Limits | None = None
) -> pd.DataFrame:
    """Read a file by its suffix (``sheet``: a workbook's sheet, the first by default); with
    ``limits``, a file that expands beyond them is refused with IngestError."""
    path = _readable(path)
    suffix = path.suffix.lower()
    with _parse_errors(path):
        nrows = limits.rows + 1 if limits else None
        if suffix in PARQUET_SUFFIXES:
            if limits:
                check_parquet(path, limits)
            frame = pd.read_parquet(path)
        elif suffix in SPREADSHEET_SUFFIXES:
            frame = read_spreadsheet(path, sheet, nrows)
        else:
            text, encoding, _ = decode(path)
            frame = _read_text(io.StringIO(text), text, suffix, nrows)
            frame.attrs["encoding"] = encoding
    _has_rows(frame, path)
    if limits and len(frame) > limits.rows:
        raise IngestError(f"{path.name}: {_too_large(f'more than {limits.rows:,} rows', limits)}")
    return frame


def read_head(path: str | Path, sheet: str | None = None, rows: int = HEAD_ROWS) -> pd.DataFrame:
    """The first ``rows`` rows of a file, read as read_raw reads them but without reading the rest
    (a text file's encoding and delimiter are decided on its first HEAD_BYTES)."""
    path = _readable(path)
    suffix = path.suffix.lower()
    with _parse_errors(path):
        if suffix in PARQUET_SUFFIXES:
            parquet = pq.ParquetFile(path)
            batch = next(parquet.iter_batches(batch_size=rows), None)
            batches = [batch] if batch is not None else []
            frame = pa.Table.from_batches(batches, schema=parquet.schema_arrow).to_pandas()
        elif suffix in SPREADSHEET_SUFFIXES:
            frame = read_spreadsheet(path, sheet, rows)
        else:
            with open(path, "rb") as handle:
                start = handle.read(HEAD_BYTES)
            text, encoding, codec = _decode(start, path, final=len(start) < HEAD_BYTES)
            # past the first HEAD_BYTES, a byte the encoding cannot read only shows as U+FFFD here
            with open(path, encoding=codec, errors="replace", newline="") as handle:
                frame = _read_text(handle, text, suffix, rows)
            frame.attrs["encoding"] = encoding
    _has_rows(frame, path)
    return frame


def _readable(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty")
    if path.suffix.lower() == ".xls":
        raise IngestError(f"{path}: old .xls workbooks are not read; save it as .xlsx or CSV")
    return path


@contextlib.contextmanager
def _parse_errors(path: Path):
    """Any parser's failure as an IngestError naming the file."""
    try:
        yield
    except IngestError:
        raise
    except (pd.errors.ParserError, csv.Error, OSError, ValueError) as exc:
        raise IngestError(f"{path}: cannot be parsed ({exc})") from None


def _read_text(source, text: str, suffix: str, nrows: int | None) -> pd.DataFrame:
    """CSV or whitespace-separated text from ``source`` (the delimiter sniffed from ``text``, its
    start), every column as text."""
    sep = r"\s+" if suffix in TEXT_SUFFIXES else sniff_delimiter(text)
    return pd.read_csv(source, dtype=str, sep=sep, nrows=nrows)


def _has_rows(frame: pd.DataFrame, path: Path) -> None:
    if frame.empty:
        raise IngestError(f"{path}: the file has a header but no rows")


def check_parquet(path: Path, limits: Limits) -> None:
    """Refuse a parquet file whose metadata says it expands beyond ``limits``, before reading it:
    its rows, and its decoded size (the row groups' uncompressed bytes, or at least 8 bytes a
    cell, whichever is larger)."""
    try:
        meta = pq.ParquetFile(path).metadata
    except (OSError, ValueError) as exc:
        raise IngestError(f"{path.name}: cannot be parsed as parquet ({exc})") from None
    stored = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    decoded = max(stored, meta.num_rows * meta.num_columns * CELL_BYTES)
    if meta.num_rows > limits.rows or decoded > limits.decoded_bytes:
        rows = f"{meta.num_rows:,} rows, {decoded / 2**20:,.1f} MB decoded"
        raise IngestError(f"{path.name}: {_too_large(rows, limits)}")


def _too_large(found: str, limits: Limits) -> str:
    return (
        f"{found}; the portal reads at most {limits.rows:,} rows and "
        f"{limits.decoded_bytes / 2**20:,.0f} MB decoded (MAX_UPLOAD_ROWS, "
        f"MAX_UPLOAD_DECODED_BYTES): split the file or train from the command line"
    )


def decode(path: Path) -> tuple[str, str, str]:
    """The file's text, the name of its encoding and its Python codec; raises IngestError when it
    is not text."""
    return _decode(path.read_bytes(), path, final=True)


def _decode(data: bytes, path: Path, final: bool) -> tuple[str, str, str]:
    """``data`` decoded (a file's start when not ``final``: a character cut at its end is left
    out), the encoding's name and codec."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "UTF-8 with BOM")]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", "UTF-16")]
    elif b"\x00" in data:
        raise IngestError(
            f"{path}: is not a text file (is it a spreadsheet saved under a .csv name?)"
        )
    else:
        candidates = [("utf-8", "UTF-8"), ("cp1252", WINDOWS_1252)]
    for codec, name in candidates:
        try:
            return codecs.getincrementaldecoder(codec)().decode(data, final=final), name, codec
        except UnicodeDecodeError as exc:
            failure = exc
    raise IngestError(
        f"{path}: is neither UTF-8 nor Windows-1252/Latin-1 text (byte "
        f"{data[failure.start]:#04x} at offset {failure.start}); save it as UTF-8 CSV"
    )


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV, guessed from its first 64 k characters (comma when unsure)."""
    try:
        return csv.Sniffer().sniff(text[:SNIFF_CHARS], delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def sheet_names(path: Path) -> list[str]:
    """The sheets of an .xlsx workbook, in order."""
    with _workbook(path) as book:
        return list(book.sheet_names)


def _workbook(path: Path) -> pd.ExcelFile:
    try:
        return pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise IngestError(f"{path}: is not a readable .xlsx workbook ({exc})") from None


def read_spreadsheet(
    path: Path, sheet: str | None = None, nrows: int | None = None
) -> pd.DataFrame:
    """One sheet of an .xlsx workbook (the first unless named; its first ``nrows`` rows if given),
    cells as text or dates."""
    with _workbook(path) as book:
        if sheet not in (None, "") and sheet not in book.sheet_names:
            raise IngestError(f"{path}: no sheet named {sheet!r}; sheets: {book.sheet_names}")
        frame = book.parse(sheet or book.sheet_names[0], dtype=object, nrows=nrows)
    frame = frame.dropna(how="all")
    frame.columns = [str(column) for column in frame.columns]
    return frame.apply(_cells).reset_index(drop=True)


def _cells(column: pd.Series) -> pd.Series:
    """A column of only dates keeps its type; any other becomes text (12.0 is written 12)."""
    present = column.dropna()
    if len(present) and present.map(lambda v: isinstance(v, (datetime, date))).all():
        return pd.to_datetime(column)
    return column.map(_text, na_action="ignore")


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)
