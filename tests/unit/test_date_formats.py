"""The date formats the README lists, each read from a file of its own."""

import pytest

from portal.ingest import load_transactions

DAYS = ["2021-03-25", "2021-11-30"]  # day > 12: no format in the list can misread them


@pytest.mark.parametrize(
    "written",
    [
        ["20210325", "20211130"],  # YYYYMMDD
        ["2021-03-25", "2021-11-30"],  # ISO
        ["2021/03/25", "2021/11/30"],  # YYYY/MM/DD
        ["25/03/2021", "30/11/2021"],  # DD/MM/YYYY
        ["03/25/2021", "11/30/2021"],  # MM/DD/YYYY
        ["25.03.2021", "30.11.2021"],  # DD.MM.YYYY
        ["2021-03-25T10:00:00Z", "2021-11-30T23:59:59+00:00"],  # ISO timestamps
        ["2021-03-24T23:30:00-02:00", "2021-12-01T00:30:00+01:00"],  # converted to UTC days
    ],
)
def test_each_listed_date_format_reads_the_same_days(tmp_path, written):
    path = tmp_path / "orders.csv"
    rows = "".join(f"c{i},{d},10.00\n" for i, d in enumerate(written))
    path.write_text("customer_id,date,amount\n" + rows)
    frame = load_transactions(path)
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == DAYS
    assert (frame["date"] == frame["date"].dt.normalize()).all() and len(frame) == 2
