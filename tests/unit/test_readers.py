"""Files and amounts: encodings, workbooks, the CLI's format options, amounts as written."""

import codecs

import pandas as pd
import pytest

from portal.__main__ import column_map, parser
from portal.amounts import read_amounts
from portal.ingest import ColumnMap, IngestError, load_transactions
from portal.readers import read_raw

MAP = ColumnMap(customer_id="Kunde", date="Datum", amount="Betrag")
TEXT = "Kunde;Datum;Betrag\nMüller;05.01.2024;1.234,50 €\nGöße;13.01.2024;12,00 €\n"
EXPECTED = [("Göße", "2024-01-13", 12.0), ("Müller", "2024-01-05", 1234.5)]


def rows(frame):
    return [(c, str(d.date()), a) for c, d, a in frame[["customer_id", "date", "amount"]].values]


@pytest.mark.parametrize(
    "encode, encoding",
    [
        (lambda t: t.encode("utf-8"), "UTF-8"),
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "UTF-8 with BOM"),
        (lambda t: t.encode("utf-16"), "UTF-16"),
        (lambda t: t.encode("cp1252"), "Windows-1252 (Latin-1)"),
        (lambda t: t.replace(" €", "").encode("latin-1"), "Windows-1252 (Latin-1)"),
    ],
)
def test_text_encodings_are_detected(tmp_path, encode, encoding):
    path = tmp_path / "log.csv"
    path.write_bytes(encode(TEXT))
    assert read_raw(path).attrs["encoding"] == encoding
    assert rows(load_transactions(path, MAP)) == EXPECTED  # the BOM is not in the header


def test_undecodable_or_binary_files_are_refused_clearly(tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(TEXT.encode("utf-8").replace("ü".encode(), b"\x81"))
    with pytest.raises(IngestError, match=r"neither UTF-8 nor Windows-1252/Latin-1 text \(byte "
                       r"0x81 at offset 20\); save it as UTF-8 CSV"):  # fmt: skip
        read_raw(path)
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(IngestError, match="is not a text file"):
        read_raw(path)
    old = tmp_path / "log.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(IngestError, match="old .xls workbooks are not read"):
        read_raw(old)


def test_workbook_sheets_first_by_default_or_named(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"Kunde": ["a"], "Datum": ["13.01.2024"], "Betrag": [3.5]}).to_excel(
            writer, sheet_name="Erste", index=False
        )
        pd.DataFrame({"Kunde": [7.0], "Datum": ["14.01.2024"], "Betrag": [2]}).to_excel(
            writer, sheet_name="Zweite", index=False
        )
    assert rows(load_transactions(path, MAP)) == [("a", "2024-01-13", 3.5)]
    second = load_transactions(path, ColumnMap("Kunde", "Datum", "Betrag", sheet="Zweite"))
    assert rows(second) == [("7", "2024-01-14", 2.0)]  # a number cell 7 is the id "7"
    with pytest.raises(IngestError, match=r"no sheet named 'Dritte'; sheets: \['Erste', 'Zweite'"):
        load_transactions(path, ColumnMap("Kunde", "Datum", "Betrag", sheet="Dritte"))


@pytest.mark.parametrize(
    "values, decimal, expected",
    [
        (["$1,234.50", "(12.00)", "USD 3", "-$4.25", "£0.99", "7"], None,
         [1234.5, -12, 3, -4.25, 0.99, 7]),
        (["1.234,50 €", "EUR 12", "(12,00)", "1 234,56", "12,00-"], None,
         [1234.5, 12, -12, 1234.56, -12]),
        (["1'234.50", "CHF 5"], None, [1234.5, 5]),
        (["1,234", "12"], ",", [1.234, 12]),
        (["1,234", "12"], ".", [1234, 12]),
        (["1,23", "12,5", "abc", "(3", ""], None, [1.23, 12.5, None, None, None]),
    ],
)  # fmt: skip
def test_amounts_as_people_write_them(values, decimal, expected):
    reading = read_amounts(pd.Series(values), decimal)
    assert reading.problem is None
    got = [None if pd.isna(v) else v for v in reading.parsed]
    assert got == [None if e is None else pytest.approx(e) for e in expected]


def test_amount_columns_that_cannot_be_read_one_way_are_refused():
    mixed = read_amounts(pd.Series(["1.234,50", "12.5", "3,25"]))
    assert mixed.problem.startswith(
        "mixes a decimal point (row 2: '12.5') and a decimal comma (row 1: '1.234,50', row 3: "
    )
    ambiguous = read_amounts(pd.Series(["1,234", "12"]))
    assert ambiguous.problem == (
        "is ambiguous: values such as row 1: '1,234' could be thousands or decimals; "
        "choose the decimal separator: . or ,"
    )


def test_ambiguous_amounts_name_the_file_and_column(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text('c,d,a\nx,2024-01-05,"1,234"\n')
    with pytest.raises(IngestError, match=f"{path}: column 'a' is ambiguous"):
        load_transactions(path, ColumnMap("c", "d", "a"))
    frame = load_transactions(path, ColumnMap("c", "d", "a", decimal="."))
    assert frame["amount"].tolist() == [1234.0]


def test_cli_options_reach_the_column_map():
    args = parser().parse_args(
        ["train", "--transactions", "x.xlsx", "--customer-col", "Customer ID",
         "--date-col", "InvoiceDate", "--quantity-col", "Quantity", "--price-col", "Price",
         "--date-format", "%d/%m/%Y %H:%M", "--decimal", ",", "--sheet", "2010"]
    )  # fmt: skip
    assert column_map(args) == ColumnMap(
        "Customer ID", "InvoiceDate", None, "Quantity", None, "Price", "%d/%m/%Y %H:%M", ",", "2010"
    )
    default = column_map(parser().parse_args(["retrain", "--date-format", "dayfirst"]))
    assert (default.amount, default.price, default.date_format) == ("amount", None, "dayfirst")
    with pytest.raises(SystemExit):
        parser().parse_args(["train", "--date-format", "weekly"])
