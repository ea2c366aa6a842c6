"""Map, validate and normalise a transaction log read by ``portal.readers``.

Output columns: customer_id (str), date (datetime64, UTC-naive day), amount (float), and
quantity / order_id when mapped. Dates and amounts are read one way per column (``portal.dates``,
``portal.amounts``); with a unit-price column, amount = quantity x price.

Returns rule: rows with a negative amount are returns. They are kept and net against the
customer's spend (sums of amount), but never count as a purchase occasion. ``IngestReport``
counts them, so nothing is dropped silently. A cancelled line written as a negative quantity
(UCI Online Retail's invoices starting with C) has a negative amount, so it follows the same rule.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from portal.amounts import read_amounts
from portal.dates import FIRST_YEAR, LAST_YEAR, read_dates
from portal.readers import WINDOWS_1252, IngestError, read_raw

__all__ = ["FIRST_YEAR", "LAST_YEAR", "IngestError", "read_raw"]

log = logging.getLogger(__name__)

MAX_EXAMPLES = 5
OUTPUT_COLUMNS = ("customer_id", "date", "amount", "quantity", "order_id")


@dataclass(frozen=True)
class ColumnMap:
    """Which source column holds each field, and how to read the file and its values.

    quantity, order_id and price are optional; with price (which needs quantity) the amount is
    quantity x price and ``amount`` is not read. date_format: None (detect), a named convention
    (dayfirst, monthfirst, yearfirst, excel) or a strftime format; decimal: None (detect), "." or
    ","; sheet: a workbook's sheet (the first by default).
    """

    customer_id: str = "customer_id"
    date: str = "date"
    amount: str | None = "amount"
    quantity: str | None = None
    order_id: str | None = None
    price: str | None = None
    date_format: str | None = None
    decimal: str | None = None
    sheet: str | None = None

    def required(self) -> dict[str, str]:
        """Target name -> source name for the fields present."""
        pairs = {"customer_id": self.customer_id, "date": self.date}
        if self.price:
            pairs["price"] = self.price
        else:
            pairs["amount"] = self.amount
        for target in ("quantity", "order_id"):
            if getattr(self, target):
                pairs[target] = getattr(self, target)
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


def _offending(frame: pd.DataFrame, mask: pd.Series, column: str) -> str:
    """Describe the first offending rows as 'row N: value' (row 1 is the first data row)."""
    rows = frame.index[mask.to_numpy()][:MAX_EXAMPLES]
    return ", ".join(f"row {i + 1}: {frame.at[i, column]!r}" for i in rows)


def parse_dates(values: pd.Series, date_format: str | None = None) -> pd.Series:
    """Days of a column read one way (``portal.dates``); unparsable values become NaT.

    Raises:
        IngestError: the column mixes conventions, or is ambiguous and no format was given.
    """
    reading = read_dates(values, date_format)
    if reading.problem:
        raise IngestError(f"the date column {reading.problem}")
    return reading.parsed


def normalise(frame: pd.DataFrame, columns: ColumnMap, source: str = "input") -> pd.DataFrame:
    """Map, validate and type a raw frame; raise IngestError naming column and rows."""
    frame = frame.reset_index(drop=True)
    pairs = columns.required()
    if columns.price and not columns.quantity:
        raise IngestError(f"{source}: a unit-price column needs a quantity column")
    missing = [src for src in pairs.values() if not src or src not in frame.columns]
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

    dates = read_dates(out["date"], columns.date_format)
    if dates.problem:
        raise IngestError(f"{source}: column {columns.date!r} {dates.problem}")
    out["date"] = dates.parsed
    bad = out["date"].isna()
    if bad.any():
        raise IngestError(
            f"{source}: column {columns.date!r} has {int(bad.sum())} unparsable date(s) "
            f"(or outside {FIRST_YEAR}-{LAST_YEAR}): {_offending(frame, bad, columns.date)}; "
            f"read as {dates.label}"
        )

    for target in ("amount", "price", "quantity"):
        if target in out:
            out[target] = numbers(frame, pairs[target], columns.decimal, source)
    if "price" in out:
        out["amount"] = out["quantity"] * out.pop("price")
    if "order_id" in out:
        out["order_id"] = out["order_id"].astype(str)
    out = out[[name for name in OUTPUT_COLUMNS if name in out]]
    return out.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)


def numbers(frame: pd.DataFrame, column: str, decimal: str | None, source: str) -> pd.Series:
    """A column of amounts (or quantities) as floats; raises IngestError naming rows."""
    reading = read_amounts(frame[column], decimal)
    if reading.problem:
        raise IngestError(f"{source}: column {column!r} {reading.problem}")
    bad = ~np.isfinite(reading.parsed)
    if bad.any():
        raise IngestError(
            f"{source}: column {column!r} has {int(bad.sum())} non-numeric value(s): "
            + _offending(frame, bad, column)
        )
    return reading.parsed


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
    """Read, map and validate a transaction file; log the encoding and what the returns rule did."""
    raw = read_raw(path, columns.sheet)
    if raw.attrs.get("encoding") == WINDOWS_1252:
        log.warning("%s: not UTF-8; read as %s", path, WINDOWS_1252)
    frame = normalise(raw, columns, source=str(path))
    summary = report(frame)
    for note in summary.notes:
        log.warning("%s: %s", path, note)
    return frame


def fingerprint(transactions: pd.DataFrame) -> str:
    """Content hash of a normalised log (stable across file names and row order)."""
    hashed = pd.util.hash_pandas_object(transactions, index=False).to_numpy()
    return hashlib.sha256(np.sort(hashed).tobytes()).hexdigest()[:16]
