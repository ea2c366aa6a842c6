"""One loaded version (``Artifacts``): its scored table in rank order, model and metrics, over the
version's serving files (``portal.serving_files``): sort orders, segment and group codes and the
customer-id index come from those files, so a worker builds nothing per version. A request's rows
are read from the files (``portal.file_columns``); figures of whole columns read the maps.

``portal.store`` loads it from the current version's folder and caches the queries over it.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from portal.explain import explain_stored
from portal.file_columns import consecutive
from portal.model import ClvModel
from portal.row_json import Encoded
from portal.serving_files import CONTRIBUTIONS, NO_CODE, RECORDS, SORTABLE, Mapped

MAPPED_ROWS = 1_000  # more rows than this (an export) are gathered through the maps: the API's
# pages (at most 1,000 rows) are read from the files
EPOCH = date(1970, 1, 1)  # a date in a record is a count of days from it
ANSWERS_PER_VERSION = 4_096  # encoded answers kept per worker and version (~5.5 KB each)


class UnknownCustomer(KeyError):
    """The customer id is not in the scored table."""


class Answers:
    """A bounded, thread-safe LRU of encoded answers (bytes: one object each, nothing for the
    garbage collector to walk, where a dict per explanation held ~150)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], bytes]) -> bytes:
        """The answer kept under ``key``, or ``compute()``'s, kept (the oldest is dropped)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        answer = compute()
        with self._lock:
            self._items[key] = answer
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return answer

    def __len__(self) -> int:
        return len(self._items)


@dataclass(repr=False)
class Artifacts:
    """One loaded version: the scored table in rank order, the model and the metrics."""

    version: str
    folder: Path
    files: Mapped
    model: ClvModel
    metrics: dict
    answers: Answers = field(init=False, default_factory=lambda: Answers(ANSWERS_PER_VERSION))

    def __repr__(self) -> str:
        """Version folder and name: flask-caching keys memoized calls by their arguments' repr."""
        return f"Artifacts({str(self.folder)!r}, {self.version!r})"

    @property
    def table(self) -> pd.DataFrame:
        """The scored table in rank order (a view of the mapped file)."""
        return self.files.table

    @property
    def marketing(self) -> pd.DataFrame:
        """The marketer fields of every customer (``portal.marketing``), in rank order."""
        return self.files.marketing

    @property
    def n(self) -> int:
        """Number of scored customers."""
        return len(self.table)

    @cached_property
    def has_actuals(self) -> bool:
        """True for a backtest, where the horizon's actual spend is known."""
        return "actual_6m" in self.table

    @cached_property
    def sortable(self) -> set[str]:
        """The columns a page of this version can be sorted by (actual_6m only in a backtest)."""
        return {column for column in SORTABLE if column in self.table}

    @cached_property
    def predicted(self) -> np.ndarray:
        """Predicted 6-month spend in rank order."""
        return self.table["predicted_clv_6m"].to_numpy(dtype=float)

    @cached_property
    def actual(self) -> np.ndarray | None:
        """Actual horizon spend in rank order, or None outside a backtest."""
        return self.table["actual_6m"].to_numpy(dtype=float) if self.has_actuals else None

    @property
    def ranked(self) -> np.ndarray:
        """Positions in rank order, 0..n-1: the table is stored that way (ranked at training)."""
        return self.files.arrays["ranked"]

    def order(self, column: str, descending: bool) -> np.ndarray:
        """Row positions sorted by ``column`` (stable: ties stay in rank order)."""
        return self.files.arrays[_order_file(column, descending)]

    def in_rank_order(self, column: str, descending: bool) -> bool:
        """Whether sorting by ``column`` gives the stored (rank) order."""
        return _order_file(column, descending) == "ranked"

    def order_rows(self, column: str, descending: bool, start: int, stop: int) -> np.ndarray:
        """Places [start, stop) of ``order(column, descending)``, read from its file."""
        return self.files.array_columns[_order_file(column, descending)].slice(start, stop)

    def segment_mask(self, segment: str) -> np.ndarray:
        """Rows of one segment (all False for an unknown name)."""
        return self._code_mask("segment_codes", self.files.segments, segment)

    def group_mask(self, group: str) -> np.ndarray:
        """Rows of one named group (``portal.marketing.GROUPS``; all False for an unknown name)."""
        return self._code_mask("group_codes", self.files.groups, group)

    def _code_mask(self, codes: str, names: list[str], name: str) -> np.ndarray:
        if name not in names:
            return np.zeros(self.n, dtype=bool)
        return self.files.arrays[codes] == names.index(name)

    def prefix_mask(self, prefix: str) -> np.ndarray:
        """Rows whose customer id starts with ``prefix``."""
        mask = np.zeros(self.n, dtype=bool)
        mask[self.files.prefix_rows(prefix)] = True
        return mask

    def contact_order(self, rank_by: str) -> np.ndarray:
        """Positions in a campaign's contact order (``campaign.RANK_BY``)."""
        return self.files.arrays[f"contact.{rank_by}"]

    def contact_rows(self, rank_by: str, start: int, stop: int) -> np.ndarray:
        """Places [start, stop) of ``contact_order(rank_by)``, read from its file."""
        return self.files.array_columns[f"contact.{rank_by}"].slice(start, stop)

    def position(self, customer_id: str) -> int:
        """Row of one customer ('1' finds '00001'); raises UnknownCustomer."""
        return self.locate(customer_id)[0]

    def locate(self, customer_id: str) -> tuple[int, str]:
        """(Row, stored id) of one customer ('1' finds '00001'); raises UnknownCustomer."""
        key = str(customer_id).strip()
        found = self.files.find(key)
        if found is None:
            raise UnknownCustomer(key)
        return found

    def record(self, position: int) -> tuple[dict, dict]:
        """The numbers and dates of the customer at row ``position`` in one read: (its table
        values, its marketer values), numbers as floats, dates as ``datetime.date`` (None for
        none)."""
        row = self._stored_row(RECORDS, position)
        for at in self._record_dates:
            row[at] = None if math.isnan(row[at]) else EPOCH + timedelta(days=row[at])
        table_names, marketing_names = self.files.record["table"], self.files.record["marketing"]
        split = len(table_names)
        return dict(zip(table_names, row[:split])), dict(zip(marketing_names, row[split:]))

    @cached_property
    def _record_dates(self) -> list[int]:
        names = self.files.record["table"] + self.files.record["marketing"]
        return [at for at, name in enumerate(names) if name in self.files.record_dates]

    def label(self, position: int, codes: str) -> str | None:
        """The segment (``codes="segment"``) or group (``"group"``) of the customer at row
        ``position`` (None for no group)."""
        code = self.files.array_columns[f"{codes}_codes"].at(position)
        names = self.files.segments if codes == "segment" else self.files.groups
        return None if code == NO_CODE else names[code]

    def take(self, positions: np.ndarray, columns: list[str]) -> dict:
        """The values of ``columns`` at rows ``positions``, column by column (a page without a
        frame of every column): read from the table's file (numbers as numpy arrays, strings as
        Arrow arrays; a run of consecutive rows in one read per column), or, beyond
        ``MAPPED_ROWS`` rows, gathered through the map (pandas series)."""
        return self._take(self.files.columns, self.table, positions, columns)

    def rows(
        self, positions: np.ndarray, columns: list[str], marketer: list[str] = ()
    ) -> pd.DataFrame:
        """The table's ``columns`` and the ``marketer`` fields at rows ``positions``, read as
        ``take`` reads them, as a frame indexed by position."""
        taken = {
            **self.take(positions, columns),
            **self._take(self.files.marketing_columns, self.marketing, positions, marketer),
        }
        frame = pd.DataFrame({name: _plain(values) for name, values in taken.items()})
        return frame.set_axis(pd.Index(np.asarray(positions, dtype=np.int64)))

    @staticmethod
    def _take(columns: dict, mapped: pd.DataFrame, positions: np.ndarray, names) -> dict:
        if len(positions) > MAPPED_ROWS:  # an export: gathering through the map is faster
            return {name: mapped[name].iloc[positions] for name in names}
        run = consecutive(positions)
        if run is not None:
            return {name: columns[name].slice(*run) for name in names}
        return {name: columns[name].gather(positions) for name in names}

    def page_rows(self, positions: np.ndarray) -> Encoded:
        """The rows at ``positions`` of a table page (``serving_files.page_columns``) as a JSON
        array, read as stored (a page in rank order is two reads)."""
        return Encoded(b"[" + self.files.page_rows.joined(positions) + b"]")

    def explanation(self, position: int, values: dict) -> dict:
        """The exact explanation of the customer at row ``position`` from its ``values`` and its
        contributions stored with the version (one read)."""
        return explain_stored(self.model, values, self._stored_row(CONTRIBUTIONS, position))

    def _stored_row(self, name: str, position: int) -> list[float]:
        """Row ``position`` of the 2-d serving array ``name``, in one read."""
        width = self.files.arrays[name].shape[1]
        start = position * width
        return self.files.array_columns[name].slice(start, start + width).tolist()


def _order_file(column: str, descending: bool) -> str:
    """The serving file of one sort order (rank ascending is the stored order: ``ranked``)."""
    direction = "desc" if descending else "asc"
    if (column, direction) in (("rank", "asc"), ("predicted_clv_6m", "desc")):
        return "ranked"
    return f"order.{column}.{direction}"


def _plain(values):
    """A column ``take`` gave, ready to line up with the others by place in a new frame."""
    if isinstance(values, pa.Array):
        return values.to_pandas()
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    return values
