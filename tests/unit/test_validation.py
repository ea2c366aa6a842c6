"""Upload validation: the mapping guess and a row-numbered report, checked on hand-made files."""

import io

import numpy as np
import pandas as pd
import pytest

from portal import uploads
from portal.ingest import ColumnMap
from portal.validation import guess_mapping, histogram, validate


def frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str)


def long_log(rows: list[str]) -> str:
    """A two-year, valid log for customer 'k1' followed by ``rows``."""
    good = [f"k1,2020-{m:02d}-15,10.50" for m in range(1, 13)]
    good += [f"k1,2021-{m:02d}-15,12.25" for m in range(1, 13)]
    return "Kunde,Tag,Betrag\n" + "\n".join(good + rows) + "\n"


def test_guess_by_name_then_by_type():
    named = frame("order_ref,Customer No,Order Date,Net Sales,Qty\n1,a,2021-01-02,3.5,1\n")
    assert guess_mapping(named) == {
        "date": "Order Date",
        "amount": "Net Sales",
        "customer_id": "Customer No",
        "quantity": "Qty",
        "order_id": "order_ref",
        "price": None,
    }
    unusual = frame(
        "Tag,Betrag,Kunde,Wert\n2021-01-02,3.50,k1,3.50\n2021-01-05,4.25,k2,1.25\n"
        "2021-02-01,1.10,k1,1.25\n"
    )
    guessed = guess_mapping(unusual)  # a repeating decimal column is never the customer id
    assert (guessed["customer_id"], guessed["date"], guessed["amount"]) == (
        "Kunde",
        "Tag",
        "Betrag",
    )


def test_report_lists_each_problem_with_its_row():
    rows = ["k2,not a date,5", ",2021-03-01,5", "k3,2021-03-01,abc", "k4,2021-03-02,-7.5"]
    rows += ["k1,2021-12-15,12.25"]  # the same as the 24th row: a duplicate
    result = validate(frame(long_log(rows)), ColumnMap("Kunde", "Tag", "Betrag"))
    listed = [(p.row, p.column, p.value, p.problem, p.blocking) for p in result.problems]
    assert listed == [
        (26, "Kunde", "", "missing customer id", True),
        (25, "Tag", "not a date", "unparsable date (or outside 1900-2200)", True),
        (27, "Betrag", "abc", "non-numeric amount", True),
        (28, "Betrag", "-7.5", "negative amount", False),
        (29, "Kunde", "k1", "duplicate row", False),
    ]
    assert result.counts == {
        "missing customer id": 1,
        "unparsable date (or outside 1900-2200)": 1,
        "non-numeric amount": 1,
        "negative amount": 1,
        "duplicate row": 1,
    }
    assert not result.can_train
    assert result.rows == 29 and result.customers == 3  # k1, k3, k4: an id and a valid date
    assert (result.first_date, result.last_date) == ("2020-01-15", "2021-12-15")
    assert any(n.startswith("1 negative amount(s): kept as a return") for n in result.notes)


def test_a_clean_log_can_train_and_its_amounts_are_summarised():
    result = validate(frame(long_log([])), ColumnMap("Kunde", "Tag", "Betrag"))
    assert result.can_train and result.problems == [] and result.errors == []
    assert result.amount["min"] == 10.5 and result.amount["max"] == 12.25
    assert result.amount["total"] == pytest.approx(12 * 10.5 + 12 * 12.25)
    assert result.amount["median"] == pytest.approx((10.5 + 12.25) / 2)


def test_too_little_history_or_a_bad_mapping_blocks_training():
    short = frame("Kunde,Tag,Betrag\nk1,2021-01-02,3.50\nk1,2021-05-01,4\n")
    result = validate(short, ColumnMap("Kunde", "Tag", "Betrag"))
    assert not result.can_train and "not enough history" in result.errors[0]
    assert validate(short, ColumnMap("Kunde", "Tag", "")).errors == ["map a column to: amount"]
    assert validate(short, ColumnMap("Kunde", "Tag", "Kunde")).errors == [
        "one column is mapped to two fields"
    ]


def test_uploads_keep_only_safe_names_and_known_ids(tmp_path):
    data = "data:text/csv;base64," + __import__("base64").b64encode(b"a,b\n1,2\n").decode()
    stored = uploads.save(tmp_path, "../../etc/my log.csv", data, 1000, "ann")
    assert stored.path == tmp_path / stored.id / "my_log.csv"
    assert stored.path.read_bytes() == b"a,b\n1,2\n" and stored.user == "ann"
    assert uploads.load(tmp_path, stored.id) == stored
    for bad_id in ("../x", stored.id.upper(), None, "0" * 32):
        with pytest.raises(uploads.UploadError, match="unknown upload"):
            uploads.load(tmp_path, bad_id)
    with pytest.raises(uploads.UploadError, match="expected one of"):
        uploads.save(tmp_path, "report.xls", data, 1000, "ann")
    with pytest.raises(uploads.UploadError, match="larger than"):
        uploads.save(tmp_path, "big.csv", data, 4, "ann")
    with pytest.raises(uploads.UploadError, match="did not arrive intact"):
        uploads.save(tmp_path, "x.csv", "data:text/csv;base64,@@@", 1000, "ann")


def test_a_file_name_over_255_bytes_is_shortened_and_stored(tmp_path):
    data = "data:text/csv;base64," + __import__("base64").b64encode(b"a,b\n1,2\n").decode()
    for long_name in ("x" * 300 + ".csv", "é" * 200 + ".csv"):
        stored = uploads.save(tmp_path / "up", long_name, data, 1000, "ann")
        assert stored.path.name.endswith(".csv") and len(stored.path.name) == uploads.MAX_NAME
        assert stored.path.read_bytes() == b"a,b\n1,2\n"
    with pytest.raises(uploads.UploadError, match="expected one of"):
        uploads.save(tmp_path / "up", "x.c" + "s" * 300, data, 1000, "ann")


def test_an_upload_that_cannot_be_written_leaves_no_folder(tmp_path, monkeypatch):
    data = "data:text/csv;base64," + __import__("base64").b64encode(b"a,b\n1,2\n").decode()
    (tmp_path / "up").mkdir()

    def disk_full(self, _data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(uploads.Path, "write_bytes", disk_full)
    with pytest.raises(uploads.UploadError, match="could not be stored"):
        uploads.save(tmp_path / "up", "log.csv", data, 1000, "ann")
    assert list((tmp_path / "up").iterdir()) == []


def test_amount_histogram_clips_the_tails_into_the_end_bins():
    values = np.concatenate([np.arange(1.0, 101.0), [10_000.0]])
    hist = histogram(values)
    assert len(hist["counts"]) == 30 and sum(hist["counts"]) == 101
    low, high = np.percentile(values, [1, 99])
    assert hist["edges"][0] == pytest.approx(low) and hist["edges"][-1] == pytest.approx(high)
    assert hist["counts"][-1] >= 2  # 10,000 is counted in the last bin, not dropped
    flat = histogram(np.full(5, 7.0))
    assert sum(flat["counts"]) == 5 and flat["edges"][0] == 6.5


def test_only_the_newest_uploads_are_kept(tmp_path):
    data = "data:text/csv;base64," + __import__("base64").b64encode(b"a\n1\n").decode()
    first = uploads.save(tmp_path, "a.csv", data, 100, "ann")
    later = [uploads.save(tmp_path, f"{i}.csv", data, 100, "ann") for i in range(uploads.KEEP)]
    assert not first.folder.exists()
    assert all(u.folder.exists() for u in later)


def test_the_report_shows_how_dates_were_read_with_rows_raw_and_parsed():
    text = "c,d,a\nk1,15/09/2023 19:08,1\nk2,02/01/2022 20:19,2\nk1,07/07/2022 10:00,3\n"
    result = validate(frame(text), ColumnMap("c", "d", "a"))
    assert (result.date_format, result.date_label) == ("dayfirst", "day first (DD/MM/YYYY HH:MM)")
    assert result.date_samples == [
        (1, "15/09/2023 19:08", "15 September 2023"),
        (2, "02/01/2022 20:19", "2 January 2022"),
        (3, "07/07/2022 10:00", "7 July 2022"),
    ]
    chosen = validate(frame(text), ColumnMap("c", "d", "a", date_format="monthfirst"))
    assert chosen.date_samples[0] == (2, "02/01/2022 20:19", "1 February 2022")
    assert [(p.row, p.problem) for p in chosen.problems] == [
        (1, "unparsable date (or outside 1900-2200)")
    ]


def test_an_ambiguous_column_blocks_training_until_a_format_is_chosen():
    rows = [f"k{m % 3},{d:02d}/{m:02d}/{y},10.50" for y in (2020, 2021) for m in range(1, 13)
            for d in (3, 11)]  # fmt: skip
    text = "Kunde,Tag,Betrag\n" + "\n".join(rows) + "\n"
    result = validate(frame(text), ColumnMap("Kunde", "Tag", "Betrag"))
    assert not result.can_train and result.date_samples == []
    assert result.errors[0].startswith("column 'Tag' is ambiguous: no date has a day above 12")
    assert result.problems == []  # no row is blamed for the column's ambiguity
    chosen = validate(frame(text), ColumnMap("Kunde", "Tag", "Betrag", date_format="dayfirst"))
    assert chosen.can_train
    assert (chosen.first_date, chosen.last_date) == ("2020-01-03", "2021-12-11")


def test_quantity_times_price_and_decimal_commas_in_the_report():
    text = "Kunde;Tag;Menge;Preis\nk1;13.01.2024;2;1.234,50\nk2;14.01.2024;-1;3,25\n"
    data = pd.read_csv(io.StringIO(text), sep=";", dtype=str)
    result = validate(data, ColumnMap("Kunde", "Tag", None, "Menge", price="Preis"))
    assert result.decimal == "," and result.amount["total"] == pytest.approx(2469.0 - 3.25)
    assert [(p.row, p.column, p.problem) for p in result.problems] == [
        (2, "Menge", "negative amount")
    ]
    assert validate(data, ColumnMap("Kunde", "Tag", None, price="Preis")).errors == [
        "map a column to: quantity"
    ]


@pytest.mark.parametrize(
    "header, expected",
    [
        (  # WooCommerce order export
            "Order Number,Order Status,Order Date,Customer User ID,Billing Email Address,"
            "Order Subtotal Amount,Order Shipping Amount,Order Total Amount",
            ("Customer User ID", "Order Date", "Order Total Amount", None, "Order Number", None),
        ),
        (  # French
            "Numéro de commande,Client,Date de commande,Quantité,Remise,Montant TTC",
            ("Client", "Date de commande", "Montant TTC", "Quantité", "Numéro de commande", None),
        ),
        (  # Spanish, line items without a line total
            "Factura,Cliente,Fecha,Cantidad,Precio unitario,Descuento",
            ("Cliente", "Fecha", None, "Cantidad", "Factura", "Precio unitario"),
        ),
        (  # UCI Online Retail (the first edition's names)
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
            ("CustomerID", "InvoiceDate", None, "Quantity", "InvoiceNo", "UnitPrice"),
        ),
    ],
)
def test_guess_knows_the_usual_export_headers(header, expected):
    row = ",".join("1" for _ in header.split(","))
    guessed = guess_mapping(frame(f"{header}\n{row}\n"))
    fields = ("customer_id", "date", "amount", "quantity", "order_id", "price")
    assert tuple(guessed[f] for f in fields) == expected


def test_the_report_says_when_the_history_is_too_short_for_a_season():
    rows = [f"k1,{2020 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}-15,10.50" for m in range(1, 15)]
    result = validate(
        frame("Kunde,Tag,Betrag\n" + "\n".join(rows) + "\n"), ColumnMap("Kunde", "Tag", "Betrag")
    )
    assert result.can_train  # 2020-01-15 .. 2021-02-15: the model sees 13 months, its backtest 7
    assert [n for n in result.notes if n.startswith("season")] == [
        "season: its backtest sees 7 months of history (a yearly season needs 13); "
        "it uses no seasonal features"
    ]
    two_years = validate(frame(long_log([])), ColumnMap("Kunde", "Tag", "Betrag"))
    assert not [n for n in two_years.notes if n.startswith("season")]
