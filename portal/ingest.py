"""Read a transaction log (CSV, whitespace-separated text or parquet) and normalise it.

Output columns: customer_id (str), date (datetime64, UTC-naive day), amount (float), and
quantity / order_id when mapped.

Returns rule: rows with a negative amount are returns. They are kept and net against the
customer's spend (sums of amount), but never count as a purchase occasion. ``IngestReport``
counts them, so nothing is dropped silently.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

MAX_EXAMPLES = 5
DATE_FORMATS = ("%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y")
TEXT_SUFFIXES = (".txt", ".dat", ".tsv")
DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
FIRST_YEAR, LAST_YEAR = 1900, 2200


class IngestError(ValueError):
    """Bad input: the message names the file, the column and the first offending rows."""


@dataclass(frozen=True)
class ColumnMap:
    """Which source column holds each field; quantity and order_id are optional."""

    customer_id: str = "customer_id"
    date: str = "date"
    amount: str = "amount"
    quantity: str | None = None
    order_id: str | None = None

    def required(self) -> dict[str, str]:
        """Target name -> source name for the fields present."""
        pairs = {"customer_id": self.customer_id, "date": self.date, "amount": self.amount}
        if self.quantity:
            pairs["quantity"] = self.quantity
        if self.order_id:
            pairs["order_id"] = self.order_id
        return pairs


CDNOW_COLUMNS = ColumnMap(
    customer_id="customer_id", date="date", amount="dollar_value", quantity="number_of_cds"
)


@dataclass
class IngestReport:
    """What ingest saw: row counts, date range and the rows treated by a rule."""

    rows: int
    customers: int
    first_date: str
    last_date: str
    returns: int
    zero_amount: int
    notes: list[str] = field(default_factory=list)


def read_raw(path: str | Path) -> pd.DataFrame:
    """Read a file as strings (parquet keeps its types), choosing the parser by suffix."""
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif path.suffix.lower() in TEXT_SUFFIXES:
            frame = pd.read_csv(path, sep=r"\s+", dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str, sep=sniff_delimiter(path))
    except (pd.errors.ParserError, csv.Error, UnicodeDecodeError, OSError, ValueError) as exc:
        raise IngestError(f"{path}: cannot be parsed ({exc})") from None
    if frame.empty:
        raise IngestError(f"{path}: the file has a header but no rows")
    return frame


def sniff_delimiter(path: Path) -> str:
    """The delimiter of a CSV, guessed from its first 64 kB (comma when unsure)."""
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        head = handle.read(SNIFF_BYTES)
    try:
        return csv.Sniffer().sniff(head, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _offending(frame: pd.DataFrame, mask: pd.Series, column: str) -> str:
    """Describe the first offending rows as 'row N: value' (row 1 is the first data row)."""
    rows = frame.index[mask.to_numpy()][:MAX_EXAMPLES]
    return ", ".join(f"row {i + 1}: {frame.at[i, column]!r}" for i in rows)


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse dates trying each known format in turn.

    Unparsable values, and dates outside FIRST_YEAR..LAST_YEAR, become NaT.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values.astype("datetime64[s, UTC]" if values.dt.tz else "datetime64[s]")
    else:
        text = values.astype("string").str.strip()
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
        for fmt in DATE_FORMATS:
            todo = parsed.isna() & text.notna()
            if not todo.any():
                break
            parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce").astype(
                "datetime64[s]"
            )
        todo = parsed.isna() & text.notna()
        if todo.any():
            parsed[todo] = (
                pd.to_datetime(text[todo], errors="coerce", utc=True, format="mixed")
                .dt.tz_localize(None)
                .astype("datetime64[s]")
            )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    parsed = parsed.where(parsed.dt.year.between(FIRST_YEAR, LAST_YEAR))
    return parsed.astype("datetime64[ns]").dt.normalize()


def normalise(frame: pd.DataFrame, columns: ColumnMap, source: str = "input") -> pd.DataFrame:
    """Map, validate and type a raw frame; raise IngestError naming column and rows."""
    frame = frame.reset_index(drop=True)
    pairs = columns.required()
    missing = [src for src in pairs.values() if src not in frame.columns]
    if missing:
        raise IngestError(
            f"{source}: missing column(s) {missing}; columns found: {list(frame.columns)}"
        )
    out = pd.DataFrame({target: frame[src] for target, src in pairs.items()})

    ids = out["customer_id"].astype("string").str.strip()
    bad = ids.isna() | (ids == "")
    if bad.any():
        raise IngestError(
            f"{source}: column {columns.customer_id!r} has {int(bad.sum())} empty customer id(s): "
            + _offending(frame, bad, columns.customer_id)
        )
    out["customer_id"] = ids.astype(str)

    out["date"] = parse_dates(out["date"])
    bad = out["date"].isna()
    if bad.any():
        raise IngestError(
            f"{source}: column {columns.date!r} has {int(bad.sum())} unparsable date(s) "
            f"(or outside {FIRST_YEAR}-{LAST_YEAR}): " + _offending(frame, bad, columns.date)
        )

    for target in ("amount", "quantity"):
        if target not in out:
            continue
        numbers = pd.to_numeric(out[target], errors="coerce").astype(float)
        bad = ~np.isfinite(numbers)
        if bad.any():
            name = pairs[target]
            raise IngestError(
                f"{source}: column {name!r} has {int(bad.sum())} non-numeric value(s): "
                + _offending(frame, bad, name)
            )
        out[target] = numbers
    if "order_id" in out:
        out["order_id"] = out["order_id"].astype(str)
    return out.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)


def report(transactions: pd.DataFrame) -> IngestReport:
    """Summarise a normalised log, counting the rows that the returns rule touches."""
    returns = int((transactions["amount"] < 0).sum())
    notes = []
    if returns:
        notes.append(f"{returns} negative amount(s) treated as returns: netted against spend")
    return IngestReport(
        rows=len(transactions),
        customers=int(transactions["customer_id"].nunique()),
        first_date=str(transactions["date"].min().date()),
        last_date=str(transactions["date"].max().date()),
        returns=returns,
        zero_amount=int((transactions["amount"] == 0).sum()),
        notes=notes,
    )


def load_transactions(path: str | Path, columns: ColumnMap = ColumnMap()) -> pd.DataFrame:
    """Read, map and validate a transaction file; log what the returns rule did."""
    frame = normalise(read_raw(path), columns, source=str(path))
    summary = report(frame)
    for note in summary.notes:
        log.warning("%s: %s", path, note)
    return frame
