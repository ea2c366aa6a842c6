"""Transaction logs in parts, and a scored table written as a folder of parquet parts.

A source is one file, a folder (its ``*.parquet``, ``*.csv``, ``*.txt`` and ``*.tsv`` files) or a
glob; its parts are read in name order. A date or decimal convention that the first part shows is
applied to every part, so a column is read one way across all of them.
"""

from __future__ import annotations

import glob
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd

from portal.amounts import read_amounts
from portal.dates import CONVENTIONS, read_dates
from portal.ingest import ColumnMap, IngestError, normalise, read_raw

PART_SUFFIXES = (".parquet", ".csv", ".txt", ".tsv")
ROW = "_row"  # the row's position in the whole source: parts keep the log's order


def source_parts(source: str | Path) -> list[Path]:
    """The files of a source, in name order; raises IngestError when there are none."""
    text = str(source)
    if any(ch in text for ch in "*?["):
        parts = [Path(p) for p in sorted(glob.glob(text)) if Path(p).is_file()]
    elif Path(text).is_dir():
        parts = sorted(p for p in Path(text).iterdir() if p.suffix.lower() in PART_SUFFIXES)
    else:
        parts = [Path(text)] if Path(text).is_file() else []
    if not parts:
        raise IngestError(f"{source}: no transaction file found")
    return parts


def one_way(columns: ColumnMap, first_part: Path) -> ColumnMap:
    """``columns`` with the date convention and decimal separator that the first part shows
    filled in, so every part is read the same way (unchanged where the user chose, or where the
    values are typed)."""
    raw = read_raw(first_part, columns.sheet)
    if columns.date_format is None and columns.date in raw:
        convention = read_dates(raw[columns.date]).convention
        if convention in CONVENTIONS or (convention and "%" in convention):
            columns = replace(columns, date_format=convention)
    money = columns.price or columns.amount
    if columns.decimal is None and money in raw:
        decimal = read_amounts(raw[money]).decimal
        if decimal:
            columns = replace(columns, decimal=decimal)
    return columns


def load_part(path: Path, index: int, columns: ColumnMap) -> pd.DataFrame:
    """One part read, mapped and validated (``ingest.normalise``), with its rows' global order."""
    frame = normalise(read_raw(path, columns.sheet), columns, source=str(path))
    # normalise sorts by customer and date, stably: the order the pandas engine sees
    frame[ROW] = (index << 40) + pd.RangeIndex(len(frame)).to_numpy()
    return frame


class PartitionedTable:
    """A scored table written as ``part-00000.parquet``... in a folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def write(self, index: int, table: pd.DataFrame) -> None:
        table.to_parquet(self.folder / f"part-{index:05d}.parquet", index=False)

    def parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.parquet"))

    def move_to(self, destination: Path) -> None:
        """Move the parts into ``destination`` (a version's clv_prepared.parquet folder)."""
        shutil.move(str(self.folder), str(destination))
        self.folder = Path(destination)

    def chunks(self, columns: list[str]):
        """The table part by part, with ``columns`` only."""
        for part in self.parts():
            yield pd.read_parquet(part, columns=columns)
