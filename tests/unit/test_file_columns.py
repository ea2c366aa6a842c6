"""Columns of serving files read with pread: the values the file holds, at any rows."""

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from portal import file_columns, serving_files


@pytest.fixture
def arrow_file(tmp_path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 1_000
    frame = pd.DataFrame(
        {
            "score": rng.normal(size=n),
            "count": rng.integers(-5, 5, n).astype(np.int64),
            "code": rng.integers(0, 100, n).astype(np.int8),
            "flag": rng.random(n) < 0.3,
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "id": [f'C{i:05d},"é{"x" * (i % 7)}' for i in range(n)],
            "group": pd.Series([None if i % 3 else f"g{i % 5}" for i in range(n)], dtype=object),
        }
    )
    frame.loc[5, "day"] = pd.NaT
    path = tmp_path / "table.arrow"
    serving_files._write_arrow(path, frame)
    return path, frame


def expected(frame: pd.DataFrame, name: str, rows) -> list:
    return [None if v is None or v != v else v for v in frame[name].iloc[rows].tolist()]


def as_list(values) -> list:
    values = values.to_pylist() if isinstance(values, pa.Array) else values.tolist()
    return [None if v is None or v != v else v for v in values]


@pytest.mark.parametrize("name", ["score", "count", "code", "flag", "day", "id", "group"])
def test_every_column_reads_its_values_one_by_one_sliced_and_gathered(arrow_file, name):
    path, frame = arrow_file
    table, columns = file_columns.read_arrow(path)
    column = columns[name]
    rows = [0, 999, 5, 17, 17, 400]
    got = [column.at(r) for r in rows]
    want = expected(frame, name, rows)
    if name == "day":
        got = [None if pd.isna(v) else pd.Timestamp(v) for v in got]
    assert [None if v is None or v != v else v for v in got] == want
    long = column.slice(3, 997)  # bits that start and end inside a byte
    if name == "day":
        stored = frame[name].iloc[3:997].to_numpy(dtype="datetime64[ns]")
        assert np.array_equal(long.view(np.int64), stored.view(np.int64))  # NaT too
    else:
        assert as_list(long) == expected(frame, name, range(3, 997))
    gathered, sliced = column.gather(np.array(rows)), column.slice(990, 1_005)  # clipped at 1,000
    if name == "day":
        gathered, sliced = pd.Series(gathered).astype(object), pd.Series(sliced).astype(object)
        gathered = [None if pd.isna(v) else v for v in gathered]
        sliced = [None if pd.isna(v) else v for v in sliced]
        assert gathered == want and sliced == expected(frame, name, range(990, 1_000))
    else:
        assert as_list(gathered) == want
        assert as_list(sliced) == expected(frame, name, range(990, 1_000))
    assert len(column.slice(10, 10)) == 0 and len(column.gather(np.array([], dtype=int))) == 0
    with pytest.raises(IndexError):
        column.at(1_000)


def test_empty_strings_and_an_empty_table_read_back(tmp_path):
    frame = pd.DataFrame({"name": ["", "", ""], "x": [1.0, 2.0, 3.0]})
    serving_files._write_arrow(tmp_path / "three.arrow", frame)
    _, columns = file_columns.read_arrow(tmp_path / "three.arrow")
    assert [columns["name"].at(i) for i in range(3)] == ["", "", ""]
    assert columns["name"].slice(0, 3).to_pylist() == ["", "", ""]
    serving_files._write_arrow(tmp_path / "none.arrow", frame.iloc[:0])
    _, columns = file_columns.read_arrow(tmp_path / "none.arrow")
    assert len(columns["name"]) == len(columns["x"]) == 0
    assert columns["name"].slice(0, 5).to_pylist() == [] and columns["x"].slice(0, 5).size == 0


def test_a_truncated_file_is_an_error_not_wrong_values(arrow_file, tmp_path):
    path, frame = arrow_file
    _, columns = file_columns.read_arrow(path)
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 2)
    with pytest.raises(OSError, match="truncated"):
        columns["group"].slice(0, 1_000)


@pytest.mark.parametrize("block", [4, 512])
def test_searchsorted_is_numpys_on_the_file(tmp_path, monkeypatch, block):
    monkeypatch.setattr(file_columns, "SEARCH_BLOCK", block)
    values = np.sort(np.random.default_rng(1).integers(0, 500, 3_000).astype(np.uint64))
    np.save(tmp_path / "sorted.npy", values)
    column = file_columns.npy_file_column(tmp_path / "sorted.npy")
    assert len(column) == 3_000 and column.dtype == np.uint64
    for probe in [0, 1, 17, 250, 499, 500, 10_000]:
        assert column.searchsorted(np.uint64(probe)) == np.searchsorted(values, probe)


def test_consecutive_rows_are_a_run():
    assert file_columns.consecutive(np.array([4, 5, 6])) == (4, 7)
    assert file_columns.consecutive(np.array([4, 6, 5])) is None
    assert file_columns.consecutive(np.array([6, 5, 4])) is None
    assert file_columns.consecutive(np.array([], dtype=int)) == (0, 0)


def resident_pages(path: Path) -> tuple[int, int]:
    """(pages of ``path`` in the page cache, pages of the file)."""
    with open(path, "rb") as file:
        cached = file_columns.cached_pages(file, path.stat().st_size)
    return int(cached.sum()), len(cached)


def test_prefetch_reads_the_files_into_the_page_cache(tmp_path):
    path = tmp_path / "column.bin"
    with open(path, "wb") as file:
        file.write(np.random.default_rng(0).bytes(40 * 2**20))  # beyond a read-ahead window
        file.flush()
        os.fsync(file.fileno())
        os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    resident, pages = resident_pages(path)
    if resident > pages // 2:
        pytest.skip("this filesystem keeps the file in memory (tmpfs?): nothing to read ahead")
    file_columns.prefetch([tmp_path / "gone.bin", path]).join(timeout=30)  # a missing one: skipped
    deadline = time.monotonic() + 20
    while resident_pages(path)[0] < pages and time.monotonic() < deadline:
        time.sleep(0.05)  # the kernel reads ahead asynchronously
    assert resident_pages(path) == (pages, pages)


def test_prefetch_asks_only_for_the_chunks_not_cached(tmp_path, monkeypatch):
    path = tmp_path / "column.bin"
    chunk = file_columns.PREFETCH_CHUNK
    with open(path, "wb") as file:
        file.write(np.random.default_rng(1).bytes(64 * chunk + 100))
        file.flush()
        os.fsync(file.fileno())
    path.read_bytes()  # every page cached
    advise, asked = os.posix_fadvise, []
    monkeypatch.setattr(
        file_columns.os, "posix_fadvise", lambda fd, offset, length, advice: asked.append(offset)
    )
    file_columns.prefetch([path]).join(timeout=30)
    assert asked == []
    with open(path, "rb") as file:
        advise(file.fileno(), 40 * chunk, 0, os.POSIX_FADV_DONTNEED)  # from chunk 40 on
    resident, pages = resident_pages(path)
    if resident == pages:
        pytest.skip("this filesystem keeps the file in memory (tmpfs?): nothing is ever missing")
    file_columns.prefetch([path]).join(timeout=30)
    # the kernel drops whole folios only: the first chunks past 40 may stay cached
    first = asked[0] // chunk
    assert 40 <= first < 64 and asked == [k * chunk for k in range(first, 65)]  # the partial last


@pytest.mark.parametrize("dtype", ["<f8", ">f8", "<i4", ">u2", "|b1", "<M8[ns]"])
def test_one_value_reads_as_stored_in_either_byte_order(tmp_path, dtype):
    values = np.array([3, 0, 1, 200], dtype=">i8").astype(dtype)
    np.save(tmp_path / "values.npy", values)
    column = file_columns.npy_file_column(tmp_path / "values.npy")
    assert all(column.at(row) == values[row] for row in range(4))
    assert column.gather(np.array([3, 1])).tolist() == values[[3, 1]].tolist()


def test_text_rows_join_the_rows_asked_for(tmp_path):
    texts = [b'{"id":"a,b"}', b"{}", b'{"x":[1,2]}', b'{"y":"\\u00e9"}']
    (tmp_path / "rows.text").write_bytes(b"".join(text + b"," for text in texts))
    np.save(tmp_path / "rows.npy", np.cumsum([0] + [len(text) + 1 for text in texts]))
    rows = file_columns.TextRows(
        tmp_path / "rows.text", file_columns.npy_file_column(tmp_path / "rows.npy")
    )
    assert len(rows) == 4
    assert rows.joined(np.arange(1, 4)) == b",".join(texts[1:])
    assert rows.joined(np.array([3, 0, 2])) == b",".join([texts[3], texts[0], texts[2]])
    assert rows.joined(np.array([2])) == texts[2]
    assert rows.joined(np.array([], dtype=np.int64)) == b""
    with pytest.raises(IndexError):
        rows.joined(np.array([4]))
