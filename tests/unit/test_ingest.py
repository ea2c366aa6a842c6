"""Ingest: formats, column mapping, and a clear error for each kind of bad input."""

from dataclasses import replace

import pandas as pd
import pytest

from portal.ingest import ColumnMap, IngestError, load_transactions, parse_dates, report

MAP = ColumnMap(customer_id="Client", date="When", amount="Total")


def write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_any_column_names_and_date_formats(tmp_path):
    path = write(tmp_path, "Client,When,Total\n7,2021-03-04,10.5\n8,05/03/2021,2\n7,20210306,1\n")
    with pytest.raises(IngestError, match="'When' is ambiguous.*row 2: '05/03/2021'"):
        load_transactions(path, MAP)  # 05/03 could be either: nothing in the column tells
    frame = load_transactions(path, replace(MAP, date_format="dayfirst"))
    assert list(frame.columns) == ["customer_id", "date", "amount"]
    assert frame["customer_id"].tolist() == ["7", "7", "8"]
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-03-04",
        "2021-03-06",
        "2021-03-05",
    ]
    assert frame["amount"].tolist() == [10.5, 1.0, 2.0]


def test_semicolon_csv_and_parquet(tmp_path):
    path = write(tmp_path, "Client;When;Total\n1;2021-01-01;3\n")
    assert len(load_transactions(path, MAP)) == 1
    pq = tmp_path / "log.parquet"
    pd.DataFrame(
        {
            "Client": [1, 2],
            "When": pd.to_datetime(["2021-01-01", "2021-01-02"]),
            "Total": [1.0, 2.0],
        }
    ).to_parquet(pq)
    frame = load_transactions(pq, MAP)
    assert frame["customer_id"].tolist() == ["1", "2"]


def test_whitespace_text_cdnow_layout(tmp_path):
    path = write(tmp_path, " id  day n amt\n 00001 19970101 1 11.77\n", "log.txt")
    frame = load_transactions(path, ColumnMap("id", "day", "amt", quantity="n"))
    assert frame.iloc[0].to_dict()["customer_id"] == "00001"
    assert frame.iloc[0]["quantity"] == 1.0


@pytest.mark.parametrize(
    "text, needle",
    [
        ("Client,When\n1,2021-01-01\n", "missing column(s) ['Total']"),
        (
            "Client,When,Total\n1,2021-01-01,3\n2,not a date,4\n3,2021-13-45,1\n",
            "column 'When' has 2 unparsable date(s) (or outside 1900-2200): "
            "row 2: 'not a date', row 3: '2021-13-45'",
        ),
        (
            "Client,When,Total\n1,2021-01-01,abc\n",
            "column 'Total' has 1 non-numeric value(s): row 1",
        ),
        ("Client,When,Total\n,2021-01-01,3\n", "1 empty customer id(s): row 1"),
        ("Client,When,Total\n1,0001-01-01,3\n", "row 1: '0001-01-01'"),
        ("Client,When,Total\n", "has a header but no rows"),
        ("", "the file is empty"),
    ],
)
def test_bad_input_names_file_column_and_rows(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(IngestError) as err:
        load_transactions(path, MAP)
    assert needle in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="file not found"):
        load_transactions(tmp_path / "nope.csv", MAP)


def test_negative_amounts_are_counted_as_returns(tmp_path):
    path = write(tmp_path, "Client,When,Total\n1,2021-01-01,30\n1,2021-01-02,-10\n2,2021-01-01,0\n")
    frame = load_transactions(path, MAP)
    summary = report(frame)
    assert len(frame) == 3  # nothing dropped
    assert (summary.returns, summary.zero_amount, summary.customers) == (1, 1, 2)
    assert "netted against spend" in summary.notes[0]


def test_day_first_dates_with_times_are_read_day_first_for_every_row(tmp_path):
    # the regression: the per-row fallback read 02/01/2022 20:19 as 1 February 2022
    path = write(tmp_path, "Client,When,Total\n1,15/09/2023 19:08,5\n2,02/01/2022 20:19,7\n")
    frame = load_transactions(path, MAP)
    assert dict(zip(frame["customer_id"], frame["date"].dt.date.astype(str), strict=True)) == {
        "1": "2023-09-15",
        "2": "2022-01-02",
    }
    assert parse_dates(pd.Series(["02/01/2022 20:19"]), "monthfirst").dt.day.tolist() == [1]
    with pytest.raises(IngestError, match="the date column is ambiguous"):
        parse_dates(pd.Series(["02/01/2022 20:19"]))


def test_line_items_quantity_times_price(tmp_path):
    text = "Invoice,Qty,Price,Client,When\n1,3,2.50,a,2024-01-05\nC2,-1,2.50,a,2024-01-06\n"
    path = write(tmp_path, text)
    columns = ColumnMap("Client", "When", None, "Qty", "Invoice", price="Price")
    frame = load_transactions(path, columns)
    assert frame[["amount", "quantity", "order_id"]].values.tolist() == [
        [7.5, 3.0, "1"],
        [-2.5, -1.0, "C2"],
    ]
    with pytest.raises(IngestError, match="a unit-price column needs a quantity column"):
        load_transactions(path, ColumnMap("Client", "When", None, price="Price"))
