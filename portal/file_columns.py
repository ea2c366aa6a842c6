"""Columns of a version's serving files, read with ``pread`` at the rows a request asks for.

A request reads a few values per column: one customer's row, or a page. Read through a memory
map, each value makes the whole page-cache folio around it resident in the worker (~480 KB per
value on the kernel of the benchmarks: 130 MB for ten customers' rows of a 10M-customer table), so
every worker's RSS would grow towards the whole file. A ``pread`` copies only the bytes asked for;
the page cache stays the one copy all workers share. Whole-column figures still use the maps.
"""

from __future__ import annotations

import ctypes
import math
import mmap
import os
import struct
import sys
import threading
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa

PREFETCH_CHUNK = 128 * 1024  # the kernel reads at most a disk's read-ahead window per request
# (128 KB by default, 8 MB on the benchmarks' disk), so a file is asked for 128 KB at a time
SEARCH_BLOCK = 512  # values read at once at the end of a binary search (4 KB of 8-byte values)


def _clipped(start: int, stop: int, length: int) -> tuple[int, int]:
    """Rows [start, stop) within [0, length), as ints (stop is never below start)."""
    start, stop = max(int(start), 0), min(int(stop), length)
    return start, max(start, stop)


def _checked(row: int, length: int) -> int:
    row = int(row)
    if not 0 <= row < length:
        raise IndexError(f"row {row} of {length}")
    return row


def _read(fd: int, size: int, offset: int) -> bytes:
    """Exactly ``size`` bytes from ``offset`` (a short read means the file is not what its
    layout says)."""
    if size == 0:
        return b""
    data = os.pread(fd, size, offset)
    if len(data) != size:
        raise OSError(f"read {len(data)} of {size} bytes at {offset}: the file is truncated")
    return data


class _Stored:
    """``length`` values stored in ``file`` from byte ``offset``."""

    dtype: np.dtype

    def __init__(self, file, offset: int, length: int):
        self._file = file  # kept open as long as the column is
        self._fd = file.fileno()
        self.offset = offset
        self.length = length

    def __len__(self) -> int:
        return self.length

    def slice(self, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError

    def at(self, row: int):
        """The value of one row (a numpy scalar)."""
        row = _checked(row, self.length)
        return self.slice(row, row + 1)[0]

    def gather(self, rows: np.ndarray) -> np.ndarray:
        """Values at ``rows`` (any order), a read each."""
        return np.array([self.at(row) for row in rows], dtype=self.dtype)


class FileColumn(_Stored):
    """Fixed-width values stored one after another."""

    def __init__(self, file, offset: int, dtype: np.dtype, length: int):
        super().__init__(file, offset, length)
        self.dtype = np.dtype(dtype)
        self._size = self.dtype.itemsize
        self._value = _value_reader(self.dtype)

    def slice(self, start: int, stop: int) -> np.ndarray:
        """Values of rows [start, stop) (clipped to the column), in one read."""
        start, stop = _clipped(start, stop, self.length)
        size = self.dtype.itemsize
        data = _read(self._fd, (stop - start) * size, self.offset + start * size)
        return np.frombuffer(data, dtype=self.dtype)

    def at(self, row: int):
        """The value of one row, in one read: a Python number for a number (the lean path: a
        request reads ~45 single values), else a numpy scalar."""
        row = _checked(row, self.length)
        return self._value(_read(self._fd, self._size, self.offset + row * self._size))

    def searchsorted(self, value) -> int:
        """Where ``value`` goes in this column (sorted ascending; the leftmost place): the block
        between two fences, in one read."""
        fence = int(np.searchsorted(self._fences, value))  # fences below value
        low = max(fence - 1, 0) * SEARCH_BLOCK  # a value below ``value``, or the start
        high = min(fence * SEARCH_BLOCK + 1, self.length)  # past a value at or above it
        return low + int(np.searchsorted(self.slice(low, high), value))

    @cached_property
    def _fences(self) -> np.ndarray:
        """Every ``SEARCH_BLOCK``-th value, read once (19,532 reads, ~40 ms, at 10M values)."""
        rows = range(0, self.length, SEARCH_BLOCK)
        return np.array([self.at(row) for row in rows], dtype=self.dtype)


_STRUCT_CODES = {"b1": "?", "i1": "b", "i2": "h", "i4": "i", "i8": "q", "u1": "B", "u2": "H"}
_STRUCT_CODES |= {"u4": "I", "u8": "Q", "f2": "e", "f4": "f", "f8": "d"}


def _value_reader(dtype: np.dtype):
    """A function from one value's bytes to the value (``FileColumn.at``)."""
    code = _STRUCT_CODES.get(f"{dtype.kind}{dtype.itemsize}")
    little = dtype.byteorder == "<" or (dtype.byteorder in "=|" and sys.byteorder == "little")
    if code is not None and little:
        unpack = struct.Struct("<" + code).unpack
        return lambda data: unpack(data)[0]
    return lambda data: np.frombuffer(data, dtype)[0]


class StringColumn:
    """An Arrow ``large_string`` column of a file: 64-bit offsets, UTF-8 data, an optional
    validity bitmap (a missing value reads as None)."""

    def __init__(self, file, offsets: FileColumn, data: int, validity: Bits | None):
        self._fd = file.fileno()
        self._file = file
        self.offsets = offsets
        self.data = data
        self.validity = validity

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def at(self, row: int) -> str | None:
        row = _checked(row, len(self))
        if self.validity is not None and not self.validity.at(row):
            return None
        start, stop = (int(v) for v in self.offsets.slice(row, row + 2))
        return _read(self._fd, stop - start, self.data + start).decode()

    def gather(self, rows: np.ndarray) -> pa.Array:
        """Values at ``rows`` (any order) as an Arrow array."""
        return pa.array([self.at(row) for row in rows], type=pa.large_string())

    def slice(self, start: int, stop: int) -> pa.Array:
        """Values of rows [start, stop) as an Arrow array: the offsets, the data and the
        validity bits of the run in a read each."""
        start, stop = _clipped(start, stop, len(self))
        if stop == start:
            return pa.array([], type=pa.large_string())
        offsets = self.offsets.slice(start, stop + 1)
        first = int(offsets[0])
        data = _read(self._fd, int(offsets[-1]) - first, self.data + first)
        valid = None if self.validity is None else self.validity.slice(start, stop)
        return pa.LargeStringArray.from_buffers(
            stop - start,
            pa.py_buffer(offsets - first),
            pa.py_buffer(data),
            None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little")),
        )


class TextRows:
    """Texts stored one after another in a file, each followed by a comma; ``starts`` holds where
    each begins, and one more value: the file's length."""

    def __init__(self, path: Path, starts: FileColumn):
        self._file = open(path, "rb", buffering=0)  # kept open as long as the reader is
        self._fd = self._file.fileno()
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts) - 1

    def joined(self, rows: np.ndarray) -> bytes:
        """The texts of ``rows`` (any order) joined by commas: a run of consecutive rows in two
        reads, other rows two reads each."""
        run = consecutive(rows)
        if run is not None:
            return self._run(*run)[:-1]
        return b",".join(self._run(int(row), int(row) + 1)[:-1] for row in rows)

    def _run(self, start: int, stop: int) -> bytes:
        if not 0 <= start <= stop <= len(self):
            raise IndexError(f"rows {start}-{stop} of {len(self)}")
        if stop == start:
            return b","  # the texts of no row, followed by their comma
        first, *_, last = self.starts.slice(start, stop + 1).tolist()
        return _read(self._fd, last - first, first)


class Bits(_Stored):
    """A run of bits (Arrow's booleans and validity bitmaps: least significant bit first), read
    as numpy booleans."""

    dtype = np.dtype(bool)

    def slice(self, start: int, stop: int) -> np.ndarray:
        """Bits of rows [start, stop) (clipped), in one read."""
        start, stop = _clipped(start, stop, self.length)
        if stop == start:
            return np.empty(0, dtype=bool)
        first, last = start // 8, (stop - 1) // 8
        data = np.frombuffer(_read(self._fd, last - first + 1, self.offset + first), np.uint8)
        bits = np.unpackbits(data, bitorder="little")
        return bits[start - 8 * first : stop - 8 * first].astype(bool)


Column = FileColumn | StringColumn | Bits


def prefetch(paths: list[Path]) -> threading.Thread | None:
    """Ask the kernel to read the parts of ``paths`` missing from the page cache, in a background
    thread (a request may be answered meanwhile). A request reads a few bytes per column, and a
    read of a page not in the cache waits on the disk for that page alone, with no read-ahead:
    after a restart, random reads would take minutes to bring a large version into the cache this
    way. Parts already cached are skipped: a worker respawned beside others that keep the files
    cached asks for nothing (asking anyway for 15 GB at 10M customers, 128 KB at a time, stalled
    the worker's requests for up to 2 s)."""
    if not hasattr(os, "posix_fadvise"):
        return None

    def advise() -> None:
        for path in paths:
            try:
                with open(path, "rb") as file:
                    for offset in _uncached_chunks(file):
                        os.posix_fadvise(
                            file.fileno(), offset, PREFETCH_CHUNK, os.POSIX_FADV_WILLNEED
                        )
            except OSError:  # a file replaced meanwhile: its successor's reader asks again
                continue

    thread = threading.Thread(target=advise, name="prefetch-serving-files", daemon=True)
    thread.start()
    return thread


def _uncached_chunks(file) -> list[int]:
    """Offsets of the ``PREFETCH_CHUNK``s of ``file`` with a page missing from the page cache (all
    of them where the cache cannot be asked)."""
    size = os.fstat(file.fileno()).st_size
    chunks = range(0, size, PREFETCH_CHUNK)
    cached = cached_pages(file, size)
    if cached is None:
        return list(chunks)
    per_chunk = PREFETCH_CHUNK // mmap.PAGESIZE
    padded = np.ones(len(chunks) * per_chunk, dtype=bool)
    padded[: len(cached)] = cached
    missing = ~padded.reshape(len(chunks), per_chunk).all(axis=1)
    return (np.flatnonzero(missing) * PREFETCH_CHUNK).tolist()


def cached_pages(file, size: int) -> np.ndarray | None:
    """Which pages of ``file`` (``size`` bytes) are in the page cache, by mincore(2) over a
    private map (which reads nothing); None where that cannot be asked."""
    if size == 0:
        return np.zeros(0, dtype=bool)
    try:
        mincore = ctypes.CDLL(None, use_errno=True).mincore
    except (OSError, AttributeError):
        return None
    mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    vector = ctypes.create_string_buffer(-(-size // mmap.PAGESIZE))
    with mmap.mmap(file.fileno(), size, access=mmap.ACCESS_COPY) as view:
        first = ctypes.c_char.from_buffer(view)  # the map's address (copy-on-write: writable)
        status = mincore(ctypes.addressof(first), size, vector)
        del first  # before the map closes
    if status != 0:
        return None
    return (np.frombuffer(vector.raw, dtype=np.uint8) & 1).astype(bool)


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
    map minus ``base`` (checked to lie in the file)."""
    file = open(path, "rb", buffering=0)
    try:
        size = os.fstat(file.fileno()).st_size
        return {name: _column(file, size, table.column(name), base) for name in table.column_names}
    except BaseException:
        file.close()
        raise


def _column(file, size: int, column: pa.ChunkedArray, base: int) -> Column:
    if column.num_chunks > 1:
        raise ValueError(f"{file.name}: a column is in {column.num_chunks} chunks, not 1")
    array = column.chunk(0) if column.num_chunks else pa.array([], type=column.type)
    if array.offset:
        raise ValueError(f"{file.name}: a column starts at an offset")

    def place(buffer: pa.Buffer | None) -> int:
        if buffer is None or buffer.size == 0 or len(array) == 0:
            return 0  # nothing is ever read from it
        offset = buffer.address - base
        if not 0 <= offset <= size - buffer.size:
            raise ValueError(f"{file.name}: a buffer lies outside the file (not read from it)")
        return offset

    validity, *buffers = array.buffers()
    bits = Bits(file, place(validity), len(array)) if array.null_count else None
    kind = array.type
    if pa.types.is_large_string(kind):
        offsets = FileColumn(file, place(buffers[0]), np.int64, len(array) + 1)
        return StringColumn(file, offsets, place(buffers[1]), bits)
    if bits is not None:
        raise ValueError(f"{file.name}: a {kind} column holds nulls")
    if pa.types.is_boolean(kind):
        return Bits(file, place(buffers[0]), len(array))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_timestamp(kind):
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            raise ValueError(f"{file.name}: a timestamp column with a time zone")
        return FileColumn(file, place(buffers[0]), kind.to_pandas_dtype(), len(array))
    raise ValueError(f"{file.name}: a column of {kind}, which is not read here")


def npy_file_column(path: Path) -> FileColumn:
    """A reader of a ``.npy`` file's values in C order (row ``i`` of a two-dimensional array of
    width ``w`` is ``slice(i * w, (i + 1) * w)``)."""
    file = open(path, "rb", buffering=0)
    try:
        version = np.lib.format.read_magic(file)
        read_header = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }[version]
        shape, fortran_order, dtype = read_header(file)
        if fortran_order:
            raise ValueError(f"{path} holds an array in Fortran order")
        return FileColumn(file, file.tell(), dtype, math.prod(shape))
    except BaseException:
        file.close()
        raise
