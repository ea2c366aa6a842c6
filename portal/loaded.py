"""One loaded version (``Artifacts``): its scored table in rank order, model and metrics, with the
indexes the read side's queries need (sort orders, segment masks, id look-ups), built once.

``portal.store`` loads it from the current version's folder and caches the queries over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from portal import campaign, marketing
from portal.model import ClvModel

SORTABLE = {
    "rank",
    "customer_id",
    "predicted_clv_6m",
    "p_purchase",
    "decile",
    "frequency",
    "recency_days",
    "monetary_total",
    "spend_6m",
    "actual_6m",
}


class UnknownCustomer(KeyError):
    """The customer id is not in the scored table."""


@dataclass(repr=False)
class Artifacts:
    """One loaded version: the scored table in rank order, the model and the metrics."""

    version: str
    folder: Path
    table: pd.DataFrame
    model: ClvModel
    metrics: dict

    def __repr__(self) -> str:
        """Version folder and name: flask-caching keys memoized calls by their arguments' repr."""
        return f"Artifacts({str(self.folder)!r}, {self.version!r})"

    @property
    def n(self) -> int:
        """Number of scored customers."""
        return len(self.table)

    @property
    def has_actuals(self) -> bool:
        """True for a backtest, where the horizon's actual spend is known."""
        return "actual_6m" in self.table

    @property
    def sortable(self) -> set[str]:
        """The columns a page of this version can be sorted by (actual_6m only in a backtest)."""
        return SORTABLE if self.has_actuals else SORTABLE - {"actual_6m"}

    @cached_property
    def ids(self) -> np.ndarray:
        """Customer ids in rank order (strings)."""
        return self.table["customer_id"].to_numpy(dtype=object)

    @cached_property
    def predicted(self) -> np.ndarray:
        """Predicted 6-month spend in rank order."""
        return self.table["predicted_clv_6m"].to_numpy(dtype=float)

    @cached_property
    def actual(self) -> np.ndarray | None:
        """Actual horizon spend in rank order, or None outside a backtest."""
        return self.table["actual_6m"].to_numpy(dtype=float) if self.has_actuals else None

    @cached_property
    def positions(self) -> pd.Index:
        """Index for id -> row lookups."""
        return pd.Index(self.ids)

    @cached_property
    def unpadded(self) -> dict[str, int]:
        """Digit ids without leading zeros -> row, so '1' finds '00001'."""
        stripped = pd.Series(self.ids).str.lstrip("0")
        unique = ~stripped.duplicated(keep=False)
        return dict(zip(stripped[unique], np.flatnonzero(unique.to_numpy())))

    @cached_property
    def ranked(self) -> np.ndarray:
        """Positions in rank order: the table is stored that way (ranked at training time)."""
        return np.arange(self.n)

    @cached_property
    def _orders(self) -> dict:
        return {
            ("rank", False): self.ranked,
            ("predicted_clv_6m", True): self.ranked,
            ("contact", "predicted_clv"): self.ranked,  # ranked at training time the same way
        }

    def order(self, column: str, descending: bool) -> np.ndarray:
        """Row positions sorted by ``column`` (stable: ties stay in rank order), cached."""
        key = (column, descending)
        if key not in self._orders:
            values = self.table[column].to_numpy()
            if np.issubdtype(values.dtype, np.number):
                order = np.argsort(-values if descending else values, kind="stable")
            else:
                order = np.argsort(values.astype(str), kind="stable")
                order = order[::-1] if descending else order
            self._orders[key] = order
        return self._orders[key]

    @cached_property
    def _segment_masks(self) -> dict:
        segments = self.table["segment"].to_numpy()
        return {name: segments == name for name in np.unique(segments)}

    def segment_mask(self, segment: str) -> np.ndarray:
        """Rows of one segment (all False for an unknown name)."""
        return self._segment_masks.get(segment, np.zeros(self.n, dtype=bool))

    @cached_property
    def _ids_sorted(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self.ids.astype(str), kind="stable")
        return order, self.ids.astype(str)[order]

    def prefix_mask(self, prefix: str) -> np.ndarray:
        """Rows whose customer id starts with ``prefix`` (binary search on sorted ids)."""
        order, sorted_ids = self._ids_sorted
        low = np.searchsorted(sorted_ids, prefix, side="left")
        high = np.searchsorted(sorted_ids, prefix + "\U0010ffff", side="left")
        mask = np.zeros(self.n, dtype=bool)
        mask[order[low:high]] = True
        return mask

    @cached_property
    def marketing(self) -> pd.DataFrame:
        """The marketer fields of every customer (``portal.marketing``), in rank order."""
        return marketing.customer_fields(self.table, self.model.population)

    @cached_property
    def id_rank(self) -> np.ndarray:
        """Each row's place in customer-id order: an integer tie-break, cheaper than the ids."""
        order, _ = self._ids_sorted
        rank = np.empty(self.n, dtype=np.int64)
        rank[order] = np.arange(self.n)
        return rank

    def contact_order(self, rank_by: str) -> np.ndarray:
        """Positions in a campaign's contact order (``campaign.RANK_BY``), cached."""
        key = ("contact", rank_by)
        if key not in self._orders:
            column = campaign.RANK_BY[rank_by]
            source = self.marketing if column in self.marketing else self.table
            self._orders[key] = campaign.ranked(source[column].to_numpy(dtype=float), self.id_rank)
        return self._orders[key]

    def row(self, customer_id: str) -> pd.Series:
        """The scored row of one customer; raises UnknownCustomer."""
        key = str(customer_id).strip()
        if key in self.positions:
            return self.table.iloc[self.positions.get_loc(key)]
        if key.isdigit() and key.lstrip("0") in self.unpadded:
            return self.table.iloc[self.unpadded[key.lstrip("0")]]
        raise UnknownCustomer(key)
