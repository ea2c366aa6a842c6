"""Columns of a version's serving files, read with ``pread`` at the rows a request asks for.

A request reads a few values per column: one customer's row, or a page. Read through a memory
map, each value makes the whole page-cache folio around it resident in the worker (~480 KB per
value on the kernel of the benchmarks: 130 MB for ten customers' rows of a 10M-customer table), so
every worker's RSS would grow towards the whole file. A ``pread`` copies only the bytes asked for;
the page cache stays the one copy all workers share. Whole-column figures still use the maps.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa

PREFETCH_CHUNK = 128 * 1024  # the kernel reads at most its read-ahead window per request (128 KB
# by default), so a whole file is asked for a window at a time
SEARCH_BLOCK = 512  # values read at once at the end of a binary search (4 KB of 8-byte values)


class FileColumn:
    """Fixed-width values stored one after another in a file from byte ``offset``."""

    def __init__(self, file, offset: int, dtype: np.dtype, length: int):
        self._file = file  # kept open as long as the column is
        self._fd = file.fileno()
        self.offset = offset
        self.dtype = np.dtype(dtype)
        self.length = length

    def __len__(self) -> int:
        return self.length

    def slice(self, start: int, stop: int) -> np.ndarray:
        """Values of rows [start, stop) (clipped to the column), in one read."""
        start, stop = max(start, 0), min(stop, self.length)
        if stop <= start:
            return np.empty(0, dtype=self.dtype)
        size = self.dtype.itemsize
        data = os.pread(self._fd, (stop - start) * size, self.offset + start * size)
        return np.frombuffer(data, dtype=self.dtype)

    def at(self, row: int):
        """The value of one row (a numpy scalar)."""
        if not 0 <= row < self.length:
            raise IndexError(f"row {row} of {self.length}")
        size = self.dtype.itemsize
        return np.frombuffer(os.pread(self._fd, size, self.offset + row * size), self.dtype)[0]

    def gather(self, rows: np.ndarray) -> np.ndarray:
        """Values at ``rows`` (any order), a read each."""
        return np.array([self.at(int(row)) for row in rows], dtype=self.dtype)

    def searchsorted(self, value) -> int:
        """Where ``value`` goes in this column (sorted ascending; the leftmost place)."""
        low, high = 0, self.length
        while high - low > SEARCH_BLOCK:
            middle = (low + high) // 2
            if self.at(middle) < value:
                low = middle + 1
            else:
                high = middle
        return low + int(np.searchsorted(self.slice(low, high), value))


class StringColumn:
    """An Arrow ``large_string`` column of a file: 64-bit offsets, UTF-8 data, an optional
    validity bitmap (a missing value reads as None)."""

    def __init__(self, file, offsets: FileColumn, data: int, validity: int | None):
        self._fd = file.fileno()
        self._file = file
        self.offsets = offsets
        self.data = data
        self.validity = validity

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def at(self, row: int) -> str | None:
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} of {len(self)}")
        if self.validity is not None:
            byte = os.pread(self._fd, 1, self.validity + row // 8)[0]
            if not byte >> (row % 8) & 1:
                return None
        start, stop = self.offsets.slice(row, row + 2)
        return os.pread(self._fd, int(stop - start), self.data + int(start)).decode()

    def gather(self, rows: np.ndarray) -> pa.Array:
        """Values at ``rows`` (any order) as an Arrow array."""
        return pa.array([self.at(int(row)) for row in rows], type=pa.large_string())

    def slice(self, start: int, stop: int) -> pa.Array:
        """Values of rows [start, stop) as an Arrow array (two reads without missing values)."""
        if self.validity is not None:
            return self.gather(np.arange(max(start, 0), min(stop, len(self))))
        offsets = self.offsets.slice(start, stop + 1)
        if len(offsets) < 2:
            return pa.array([], type=pa.large_string())
        start = int(offsets[0])
        data = os.pread(self._fd, int(offsets[-1]) - start, self.data + start)
        return pa.LargeStringArray.from_buffers(
            len(offsets) - 1, pa.py_buffer(offsets - start), pa.py_buffer(data)
        )


class BitColumn:
    """An Arrow boolean column of a file: one bit per row."""

    def __init__(self, file, offset: int, length: int):
        self._file = file
        self._fd = file.fileno()
        self.offset = offset
        self.length = length

    def __len__(self) -> int:
        return self.length

    def at(self, row: int) -> np.bool_:
        if not 0 <= row < self.length:
            raise IndexError(f"row {row} of {self.length}")
        return np.bool_(os.pread(self._fd, 1, self.offset + row // 8)[0] >> (row % 8) & 1)

    def gather(self, rows: np.ndarray) -> np.ndarray:
        return np.array([self.at(int(row)) for row in rows], dtype=bool)

    def slice(self, start: int, stop: int) -> np.ndarray:
        return self.gather(np.arange(max(start, 0), min(stop, self.length)))


Column = FileColumn | StringColumn | BitColumn


def prefetch(paths: list[Path]) -> threading.Thread | None:
    """Ask the kernel to read ``paths`` into the page cache, in a background thread (a request
    may be answered meanwhile). A request reads a few bytes per column, and a read of a page not
    in the cache waits on the disk for that page alone, with no read-ahead: after a restart,
    random reads would take minutes to bring a large version into the cache this way."""
    if not hasattr(os, "posix_fadvise"):
        return None

    def advise() -> None:
        for path in paths:
            try:
                with open(path, "rb") as file:
                    size = os.fstat(file.fileno()).st_size
                    for offset in range(0, size, PREFETCH_CHUNK):
                        os.posix_fadvise(
                            file.fileno(), offset, PREFETCH_CHUNK, os.POSIX_FADV_WILLNEED
                        )
            except OSError:  # a file replaced meanwhile: its successor's reader asks again
                continue

    thread = threading.Thread(target=advise, name="prefetch-serving-files", daemon=True)
    thread.start()
    return thread


def consecutive(rows: np.ndarray) -> tuple[int, int] | None:
    """``rows`` as (start, stop) when they are consecutive (a page in stored order), else None."""
    if len(rows) == 0:
        return (0, 0)
    start = int(rows[0])
    if int(rows[-1]) - start != len(rows) - 1 or np.any(np.diff(rows) != 1):
        return None
    return start, start + len(rows)


def read_arrow(path: Path) -> tuple[pa.Table, dict[str, Column]]:
    """The Arrow IPC file at ``path``, memory-mapped, and readers of its columns (each holding
    one chunk; numbers, dates and booleans without nulls, strings as ``large_string``)."""
    mapped = pa.memory_map(str(path))
    table = pa.ipc.open_file(mapped).read_all()
    mapped.seek(0)
    base = mapped.read_buffer(1).address  # the map's first byte (reading a map copies nothing)
    return table, _columns(path, table, base)


def _columns(path: Path, table: pa.Table, base: int) -> dict[str, Column]:
    """Readers of ``table``'s columns, a buffer's place in the file being its address in the
    map minus ``base``."""
    file = open(path, "rb", buffering=0)
    columns = {}
    for name in table.column_names:
        chunks = table.column(name).chunks
        if len(chunks) != 1:
            raise ValueError(f"{path}: column {name!r} is in {len(chunks)} chunks, not 1")
        array = chunks[0]
        buffers = array.buffers()
        validity = None
        if array.null_count and buffers[0] is not None:
            validity = buffers[0].address - base
        if array.offset:
            raise ValueError(f"{path}: column {name!r} starts at an offset")
        if pa.types.is_large_string(array.type):
            offsets = FileColumn(file, buffers[1].address - base, np.int64, len(array) + 1)
            columns[name] = StringColumn(file, offsets, buffers[2].address - base, validity)
        elif array.null_count:
            raise ValueError(f"{path}: column {name!r} holds nulls")
        elif pa.types.is_boolean(array.type):
            columns[name] = BitColumn(file, buffers[1].address - base, len(array))
        elif (
            pa.types.is_integer(array.type)
            or pa.types.is_floating(array.type)
            or (pa.types.is_timestamp(array.type) and array.type.tz is None)
        ):
            dtype = array.type.to_pandas_dtype()
            columns[name] = FileColumn(file, buffers[1].address - base, dtype, len(array))
        else:
            raise ValueError(f"{path}: column {name!r} is {array.type}, which is not read here")
    return columns


def npy_file_column(path: Path) -> FileColumn:
    """A reader of a one-dimensional ``.npy`` file's values."""
    file = open(path, "rb", buffering=0)
    version = np.lib.format.read_magic(file)
    read_header = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }[version]
    shape, _, dtype = read_header(file)
    if len(shape) != 1:
        raise ValueError(f"{path} holds a {len(shape)}-dimensional array")
    return FileColumn(file, file.tell(), dtype, shape[0])
