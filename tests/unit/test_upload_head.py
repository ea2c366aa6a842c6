"""The data page reads only an upload's first rows in the web worker; the whole file is read and
checked by a background job, with the report the web worker used to build."""

import base64
import json

import plotly.utils
import pytest

from portal import readers, uploads
from portal.config import Settings
from portal.ingest import ColumnMap
from portal.pages.data_views import report_view
from portal.readers import HEAD_ROWS, IngestError, read_head, read_raw
from portal.validation import validate
from tests.conftest import fresh_app

ROWS = 60_000  # about 1.5 MB: several of pandas' read chunks
COLUMNS = ColumnMap(customer_id="Kunde", date="Datum", amount="Betrag")


def write_log(path, tail: str = "") -> None:
    """ROWS order lines of 500 customers, day first, decimal comma, Windows-1252; then ``tail``."""
    lines = ["Kunde;Datum;Betrag;Stadt"]
    for i in range(ROWS):
        day, month = 1 + i % 28, 1 + i // 28 % 12
        lines.append(f"k{i % 500};{day:02d}/{month:02d}/{2021 + i % 3};{i % 90},50;Köln")
    path.write_bytes(("\n".join(lines) + "\n" + tail).encode("cp1252"))


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "bestellungen.csv"
    write_log(path)
    return path


def test_the_head_is_the_first_rows_as_the_whole_file_reads_them(log):
    head = read_head(log)
    whole = read_raw(log)
    assert len(whole) == ROWS and len(head) == HEAD_ROWS
    assert head.equals(whole.head(HEAD_ROWS))
    assert head.attrs["encoding"] == whole.attrs["encoding"] == readers.WINDOWS_1252
    assert head.loc[0].tolist() == ["k0", "01/01/2021", "0,50", "Köln"]


def test_the_head_stops_before_the_rest_of_the_file(tmp_path):
    path = tmp_path / "broken_tail.csv"
    write_log(path, tail="k1;02/01/2021;1,00;Köln;an;extra;field\n")
    with pytest.raises(IngestError, match="Expected 4 fields in line 60002, saw 7"):
        read_raw(path)
    assert len(read_head(path)) == HEAD_ROWS  # the broken line is never parsed


def test_a_parquet_file_and_a_workbook_give_their_first_rows(tmp_path, log):
    frame = read_raw(log).head(12_000)
    frame.to_parquet(tmp_path / "log.parquet", row_group_size=5_000)
    head = read_head(tmp_path / "log.parquet")
    assert head.equals(frame.head(HEAD_ROWS))
    frame.head(30).to_excel(tmp_path / "log.xlsx", index=False)
    assert read_head(tmp_path / "log.xlsx", rows=7).equals(frame.head(7))


@pytest.fixture
def portal_request(tmp_path):
    """A request context of a portal on an empty DATA_DIR, configured for the data page's jobs."""
    settings = Settings(data_dir=tmp_path / "data")
    app = fresh_app(settings)
    with app.server.test_request_context():
        yield settings


def upload(settings: Settings, path) -> str:
    """The data page's upload callback on ``path``: its upload id."""
    from portal.pages import data

    contents = "data:text/csv;base64," + base64.b64encode(path.read_bytes()).decode()
    upload_id, sheets, *_ = data.receive_upload(contents, path.name)
    assert sheets == []
    return upload_id


def test_the_web_worker_reads_only_the_head_of_an_upload(portal_request, log, monkeypatch):
    from portal.pages import data

    def whole_file(*_args, **_kwargs):
        raise AssertionError("the web worker read the whole file")

    monkeypatch.setattr(readers, "read_raw", whole_file)
    monkeypatch.setattr(uploads, "read_raw", whole_file)
    upload_id = upload(portal_request, log)
    info, hidden, preview, *options_and_guesses = data.show_file(upload_id, None)
    options, guesses = options_and_guesses[:6], options_and_guesses[6:]
    assert hidden is False and "Windows-1252" in str(info) and "Köln" in str(preview)
    assert options == [["Kunde", "Datum", "Betrag", "Stadt"]] * 6
    assert guesses[:3] == ["Kunde", "Datum", "Betrag"]
    assert data.detect_date_format(upload_id, "Datum", None)[0] == "dayfirst"
    assert data.detect_decimal(upload_id, "Betrag", None, None)[0] == ","


def as_json(component) -> dict:
    return json.loads(json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder))


def test_the_background_check_reads_the_whole_file_and_reports_as_before(portal_request, log):
    from portal.pages import data

    upload_id = upload(portal_request, log)
    steps = []
    report, disabled = data.checked(upload_id, COLUMNS, steps.append)
    before = validate(read_raw(log, limits=portal_request.upload_limits), COLUMNS)
    assert as_json(report) == as_json(report_view(before))
    assert disabled is (not before.can_train) is False
    assert before.rows == ROWS and before.customers == 500
    assert steps == [f"Reading bestellungen.csv ({log.stat().st_size / 1e6:.1f} MB)…",
                     "Checking 60,000 rows…"]  # fmt: skip


def test_the_check_refuses_a_file_over_the_row_cap_and_a_lost_upload(tmp_path, log):
    from portal.pages import data

    settings = Settings(data_dir=tmp_path / "capped", max_upload_rows=ROWS - 1)
    app = fresh_app(settings)
    with app.server.test_request_context():
        upload_id = upload(settings, log)
        assert data.show_file(upload_id, None)[1] is False  # its head maps fine
        report, disabled = data.checked(upload_id, COLUMNS, lambda _message: None)
        assert disabled and "more than 59,999 rows" in str(report)
        report, disabled = data.checked("0" * 32, COLUMNS, lambda _message: None)
        assert disabled and "unknown upload: upload the file again" in str(report)
