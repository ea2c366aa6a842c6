"""Before training an uploaded log: report how it would be read and every problem by row.

Rows are numbered like ingest's messages: row 1 is the first row after the header.
Blocking problems (training would fail): a date or amount column that cannot be read one way
(mixed or ambiguous conventions, until a format is chosen), missing customer ids, unparsable dates,
non-numeric amounts, prices or quantities, too little history. Warnings (training goes ahead, with
the stated rule): negative amounts (returns), zero amounts, duplicate rows. The report also says
how the dates were read, with a few rows raw -> parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from portal import season
from portal.amounts import read_amounts
from portal.cutoffs import TrainError, no_backtest, run_cutoffs
from portal.dates import FIRST_YEAR, LAST_YEAR, read_dates
from portal.ingest import ColumnMap
from portal.mapping import guess_mapping

__all__ = ["guess_mapping", "histogram", "validate"]

MAX_LISTED = 100
HISTOGRAM_BINS = 30
SAMPLES = 5
REQUIRED = ("customer_id", "date")
TREATMENTS = {
    "negative amount": "kept as a return: netted against the customer's spend, never a purchase",
    "zero amount": "kept: counts as a purchase occasion worth nothing",
    "duplicate row": "kept: rows of one customer on one day form one purchase occasion, "
    "their amounts summed; remove double-loaded rows from the file",
}


@dataclass
class Problem:
    """One offending row."""

    row: int
    column: str
    value: str
    problem: str
    blocking: bool


@dataclass
class Validation:
    """What training would see, and everything wrong with it."""

    rows: int
    customers: int = 0
    first_date: str | None = None
    last_date: str | None = None
    amount: dict[str, float] = field(default_factory=dict)
    amount_histogram: dict[str, list] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    date_format: str | None = None  # the convention used: detected, or as chosen
    date_label: str | None = None
    date_samples: list[tuple[int, str, str]] = field(default_factory=list)  # row, raw, parsed
    decimal: str | None = None
    problems: list[Problem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def can_train(self) -> bool:
        """No blocking problem."""
        return not self.errors and not any(p.blocking for p in self.problems)


def validate(frame: pd.DataFrame, columns: ColumnMap) -> Validation:
    """Check a raw frame under a mapping; never raises for bad values."""
    frame = frame.reset_index(drop=True)
    result = Validation(rows=len(frame))
    pairs = columns.required()
    wanted = REQUIRED + (("price", "quantity") if columns.price else ("amount",))
    missing = [t for t in wanted if not pairs.get(t)]
    if missing:
        result.errors.append(f"map a column to: {', '.join(missing)}")
        return result
    absent = sorted({src for src in pairs.values() if src not in frame.columns})
    if absent:
        result.errors.append(f"no column named {', '.join(absent)} in the file")
        return result
    if len(set(pairs.values())) < len(pairs):
        result.errors.append("one column is mapped to two fields")
        return result

    ids = frame[columns.customer_id].astype("string").str.strip()
    dates = _read_dates(frame, columns, result)
    numbers = {
        target: _read_numbers(frame, pairs[target], columns.decimal, result)
        for target in ("amount", "price", "quantity")
        if target in pairs
    }
    read = {target: values for target, values in numbers.items() if values is not None}
    nothing = pd.Series(np.nan, index=frame.index)
    if columns.price:
        amounts = read.get("quantity", nothing) * read.get("price", nothing)
    else:
        amounts = read.get("amount", nothing)
    amount_column = columns.quantity if columns.price else columns.amount
    checks = [(ids.isna() | (ids == ""), columns.customer_id, "missing customer id", True)]
    if result.date_format:
        problem = f"unparsable date (or outside {FIRST_YEAR}-{LAST_YEAR})"
        checks.append((dates.isna(), columns.date, problem, True))
    for target, values in read.items():
        problem = f"non-numeric {'unit price' if target == 'price' else target}"
        checks.append((~np.isfinite(values), pairs[target], problem, True))
    duplicated = frame.duplicated(subset=list(pairs.values()), keep="first")
    checks += [  # warnings after the blocking problems, so those are always listed
        (amounts < 0, amount_column, "negative amount", False),
        (amounts == 0, amount_column, "zero amount", False),
        (duplicated, columns.customer_id, "duplicate row", False),
    ]

    for mask, column, problem, blocking in checks:
        mask = pd.Series(mask, index=frame.index).fillna(False).astype(bool)
        count = int(mask.sum())
        if not count:
            continue
        result.counts[problem] = count
        if problem in TREATMENTS:
            result.notes.append(f"{count:,} {problem}(s): {TREATMENTS[problem]}")
        room = MAX_LISTED - len(result.problems)
        for i in np.flatnonzero(mask.to_numpy())[: max(room, 0)]:
            value = frame.at[i, column]
            result.problems.append(
                Problem(int(i) + 1, column, "" if pd.isna(value) else str(value), problem, blocking)
            )

    good = ids.notna() & (ids != "") & dates.notna()
    result.customers = int(ids[good].nunique())
    if good.any():
        first, last = dates[good].min(), dates[good].max()
        result.first_date, result.last_date = str(first.date()), str(last.date())
        try:
            result.notes += season_notes(first, *run_cutoffs(first, last, cutoff=None))
        except TrainError as exc:
            result.errors.append(f"not enough history to train: {exc}")
    finite = amounts[np.isfinite(amounts)]
    if len(finite):
        q = finite.quantile([0.0, 0.25, 0.5, 0.75, 1.0]).to_numpy().tolist()
        result.amount = dict(zip(("min", "p25", "median", "p75", "max"), q, strict=True))
        result.amount.update(mean=float(finite.mean()), total=float(finite.sum()))
        result.amount_histogram = histogram(finite.to_numpy())
    return result


def season_notes(
    first: pd.Timestamp, score: pd.Timestamp, backtest: pd.Timestamp | None
) -> list[str]:
    """Say when the history is too short for the model to see a yearly season, or for a
    backtest at all."""
    notes = []
    if backtest is None:
        notes.append(no_backtest(first, score)["note"])
    for what, cutoff in (("the model", score), ("its backtest", backtest)):
        if cutoff is None:
            continue
        months = season.months_of_history(first, cutoff)
        if not season.season_visible(first, cutoff):
            notes.append(
                f"season: {what} sees {months} months of history (a yearly season needs "
                f"{season.SEASON_MIN_MONTHS}); it uses no seasonal features"
            )
    return notes


def _read_dates(frame: pd.DataFrame, columns: ColumnMap, result: Validation) -> pd.Series:
    """The date column read one way; records the format and a few rows raw -> parsed."""
    reading = read_dates(frame[columns.date], columns.date_format)
    if reading.problem:
        result.errors.append(f"column {columns.date!r} {reading.problem}")
        return reading.parsed
    result.date_format, result.date_label = reading.convention, reading.label
    parsed = reading.parsed.notna()
    telling = parsed if reading.order_matters is None else parsed & reading.order_matters
    rows = list(np.flatnonzero(telling.to_numpy())[:SAMPLES])
    first_parsed = np.flatnonzero(parsed.to_numpy())[: 2 * SAMPLES]
    rows += [i for i in first_parsed if i not in rows][: SAMPLES - len(rows)]
    for i in sorted(rows):
        day = reading.parsed.iloc[i]
        raw = frame[columns.date].iloc[i]
        result.date_samples.append((int(i) + 1, str(raw), f"{day.day} {day:%B %Y}"))
    return reading.parsed


def _read_numbers(frame: pd.DataFrame, column: str, decimal, result: Validation):
    """A numeric column read one way, or None (an error recorded) when it cannot be."""
    reading = read_amounts(frame[column], decimal)
    if reading.problem:
        result.errors.append(f"column {column!r} {reading.problem}")
        return None
    result.decimal = result.decimal or reading.decimal
    return reading.parsed


def histogram(values: np.ndarray) -> dict[str, list]:
    """Bin counts between the 1st and 99th percentile; the tails are counted in the end bins."""
    low, high = np.percentile(values, [1, 99])
    if high <= low:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(np.clip(values, low, high), bins=HISTOGRAM_BINS, range=(low, high))
    return {"edges": edges.tolist(), "counts": counts.tolist()}
