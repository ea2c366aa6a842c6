"""What an uploaded file may expand to: parquet metadata checked before reading, text and
workbooks read up to one row past the cap."""

import base64

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from portal import readers, uploads
from portal.config import Settings
from portal.readers import IngestError, Limits, read_raw

GROUPS, GROUP_ROWS = 20, 50_000


@pytest.fixture
def bomb(tmp_path):
    """1,000,000 constant rows in 20 row groups: about 21 kB on disk (zstd + dictionary)."""
    table = pa.table(
        {
            "customer": pa.array(["c1"] * GROUP_ROWS),
            "date": pa.array(["2024-01-05"] * GROUP_ROWS),
            "amount": pa.array([12.5] * GROUP_ROWS),
        }
    )
    path = tmp_path / "orders.parquet"
    with pq.ParquetWriter(path, table.schema, compression="zstd", use_dictionary=True) as writer:
        for _ in range(GROUPS):
            writer.write_table(table)
    return path


@pytest.fixture
def never_decoded(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the parquet file was decoded")

    monkeypatch.setattr(readers.pd, "read_parquet", refuse)


def test_the_crafted_file_is_small_and_expands_to_a_million_rows(bomb):
    assert bomb.stat().st_size < 32_000
    assert pq.ParquetFile(bomb).metadata.num_rows == GROUPS * GROUP_ROWS


def test_a_parquet_file_over_the_row_cap_is_refused_unread(bomb, never_decoded):
    with pytest.raises(IngestError, match=r"orders.parquet: 1,000,000 rows, 22.9 MB decoded; the "
                       r"portal reads at most 999,999 rows and 1,024 MB decoded"):  # fmt: skip
        read_raw(bomb, limits=Limits(rows=999_999, decoded_bytes=2**30))


def test_a_parquet_file_over_the_decoded_size_cap_is_refused_unread(bomb, never_decoded):
    # 1,000,000 rows x 3 columns x 8 bytes = 24,000,000 bytes at least, once decoded
    with pytest.raises(IngestError, match="1,000,000 rows, 22.9 MB decoded"):
        read_raw(bomb, limits=Limits(rows=10**7, decoded_bytes=23_999_999))


def test_a_parquet_file_within_the_caps_is_read(bomb):
    frame = read_raw(bomb, limits=Limits(rows=10**6, decoded_bytes=24_000_000))
    assert len(frame) == 1_000_000 and frame["amount"].sum() == 12_500_000


def test_the_upload_of_a_parquet_bomb_is_refused_and_nothing_stays(bomb, tmp_path):
    contents = (
        "data:application/octet-stream;base64," + base64.b64encode(bomb.read_bytes()).decode()
    )
    limits = Limits(rows=100_000, decoded_bytes=2**30)
    with pytest.raises(uploads.UploadError, match="1,000,000 rows"):
        uploads.save(tmp_path / "up", "orders.parquet", contents, 2**20, "ann", limits)
    assert list((tmp_path / "up").iterdir()) == []
    broken = "data:application/octet-stream;base64," + base64.b64encode(b"not parquet").decode()
    with pytest.raises(uploads.UploadError, match="cannot be parsed as parquet"):
        uploads.save(tmp_path / "up", "orders.parquet", broken, 2**20, "ann", limits)
    assert list((tmp_path / "up").iterdir()) == []


def test_text_is_read_up_to_the_row_cap(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("customer,date,amount\n" + "c1,2024-01-05,3\n" * 12)
    with pytest.raises(IngestError, match="log.csv: more than 11 rows; the portal reads at most"):
        read_raw(path, limits=Limits(rows=11, decoded_bytes=2**30))
    assert len(read_raw(path, limits=Limits(rows=12, decoded_bytes=2**30))) == 12


def test_a_workbook_is_read_up_to_the_row_cap(tmp_path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame({"customer": ["c"] * 5, "amount": [1.5] * 5}).to_excel(path, index=False)
    with pytest.raises(IngestError, match="book.xlsx: more than 4 rows"):
        read_raw(path, limits=Limits(rows=4, decoded_bytes=2**30))
    assert len(read_raw(path, limits=Limits(rows=5, decoded_bytes=2**30))) == 5


def test_the_caps_come_from_the_environment():
    limits = Settings.from_env({"MAX_UPLOAD_ROWS": "7", "MAX_UPLOAD_DECODED_BYTES": "9"})
    assert limits.upload_limits == Limits(rows=7, decoded_bytes=9)
    assert Settings().upload_limits == Limits(rows=5_000_000, decoded_bytes=2**30)
