"""Before training an uploaded log: guess its column mapping and report every problem by row.

Rows are numbered like ingest's messages: row 1 is the first row after the header.
Blocking problems (training would fail): missing customer ids, unparsable dates, non-numeric
amounts or quantities, too little history. Warnings (training goes ahead, with the stated rule):
negative amounts (returns), zero amounts, duplicate rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from portal.ingest import FIRST_YEAR, LAST_YEAR, ColumnMap, parse_dates
from portal.train import TrainError, run_cutoffs

MAX_LISTED = 100
GUESS_SAMPLE = 500
HISTOGRAM_BINS = 30
NAME_HINTS = {
    "date": ("date", "time", "day", "when", "timestamp", "ordered", "purchased", "created"),
    "amount": (
        "amount",
        "value",
        "revenue",
        "sales",
        "spend",
        "total",
        "price",
        "dollar",
        "sum",
        "net",
        "gmv",
    ),
    "customer_id": ("customer", "cust", "client", "user", "member", "buyer", "account", "shopper"),
    "quantity": ("qty", "quantity", "units", "items", "number", "count"),
    "order_id": ("order", "invoice", "transaction", "receipt", "basket"),
}
REQUIRED = ("customer_id", "date", "amount")
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
    problems: list[Problem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def can_train(self) -> bool:
        """No blocking problem."""
        return not self.errors and not any(p.blocking for p in self.problems)


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def guess_mapping(frame: pd.DataFrame) -> dict[str, str | None]:
    """Target field -> source column, by name first, then by the values' type."""
    sample = frame.head(GUESS_SAMPLE)
    free = list(frame.columns)
    mapping: dict[str, str | None] = {}
    for target, hints in NAME_HINTS.items():
        found = next((c for c in free if any(h in _normalised(c) for h in hints)), None)
        mapping[target] = found
        if found is not None:
            free.remove(found)
    if mapping["date"] is None:
        mapping["date"] = next((c for c in free if _mostly_dates(sample[c])), None)
        free = [c for c in free if c != mapping["date"]]
    if mapping["amount"] is None:
        mapping["amount"] = next((c for c in free if _mostly_decimals(sample[c])), None)
        free = [c for c in free if c != mapping["amount"]]
    repeating = [
        c for c in free if not _mostly_decimals(sample[c]) and sample[c].nunique() < len(sample)
    ]
    if mapping["customer_id"] is None and repeating:
        mapping["customer_id"] = max(repeating, key=lambda c: sample[c].nunique())
    return mapping


def _mostly_dates(values: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(values) and not values.astype(str).str.len().eq(8).all():
        return False
    return parse_dates(values).notna().mean() >= 0.9


def _mostly_decimals(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.notna().mean() >= 0.9 and (numbers.dropna() % 1 != 0).any()


def validate(frame: pd.DataFrame, columns: ColumnMap) -> Validation:
    """Check a raw frame under a mapping; never raises for bad values."""
    frame = frame.reset_index(drop=True)
    result = Validation(rows=len(frame))
    pairs = columns.required()
    missing = [t for t in REQUIRED if not pairs.get(t)]
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
    dates = parse_dates(frame[columns.date])
    amounts = pd.to_numeric(frame[columns.amount], errors="coerce").astype(float)
    checks = [
        (ids.isna() | (ids == ""), columns.customer_id, "missing customer id", True),
        (
            dates.isna(),
            columns.date,
            f"unparsable date (or outside {FIRST_YEAR}-{LAST_YEAR})",
            True,
        ),
        (~np.isfinite(amounts), columns.amount, "non-numeric amount", True),
    ]
    if columns.quantity:
        quantity = pd.to_numeric(frame[columns.quantity], errors="coerce").astype(float)
        checks.append((~np.isfinite(quantity), columns.quantity, "non-numeric quantity", True))
    duplicated = frame.duplicated(subset=list(pairs.values()), keep="first")
    checks += [  # warnings after the blocking problems, so those are always listed
        (amounts < 0, columns.amount, "negative amount", False),
        (amounts == 0, columns.amount, "zero amount", False),
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
            run_cutoffs(first, last, cutoff=None)
        except TrainError as exc:
            result.errors.append(f"not enough history to train and backtest: {exc}")
    finite = amounts[np.isfinite(amounts)]
    if len(finite):
        q = finite.quantile([0.0, 0.25, 0.5, 0.75, 1.0]).to_numpy().tolist()
        result.amount = dict(zip(("min", "p25", "median", "p75", "max"), q, strict=True))
        result.amount.update(mean=float(finite.mean()), total=float(finite.sum()))
        result.amount_histogram = histogram(finite.to_numpy())
    return result


def histogram(values: np.ndarray) -> dict[str, list]:
    """Bin counts between the 1st and 99th percentile; the tails are counted in the end bins."""
    low, high = np.percentile(values, [1, 99])
    if high <= low:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(np.clip(values, low, high), bins=HISTOGRAM_BINS, range=(low, high))
    return {"edges": edges.tolist(), "counts": counts.tolist()}
