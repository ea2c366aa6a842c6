"""Your data: upload a log, map its columns, read the validation report, train in the background
(the layout is in data_layout, the report and result views in data_views)."""

import dash
import dash_bootstrap_components as dbc
import flask
import pandas as pd
from dash import Input, Output, State, callback, html, no_update

from portal import components as c
from portal import ids, jobs, uploads
from portal.amounts import DECIMALS, read_amounts
from portal.dates import read_dates
from portal.extensions import settings
from portal.ingest import ColumnMap, IngestError
from portal.pages.data_layout import FIELD_LABELS, layout  # noqa: F401  (Dash reads layout here)
from portal.pages.data_views import report_view, result_view
from portal.validation import guess_mapping

dash.register_page(__name__, path="/data", name="Your data", order=6, title="CLV portal: data")

PREVIEW_ROWS = 5
READING = [
    State(ids.DATA_DATE_FORMAT, "value"),
    State(ids.DATA_DECIMAL, "value"),
    State(ids.DATA_SHEET, "value"),
]
FIELD_STATES = [State(ids.DATA_FIELDS[f], "value") for f in FIELD_LABELS] + READING


def _user() -> str:
    auth = flask.request.authorization
    return auth.username if auth and auth.username else "portal"


@callback(
    Output(ids.DATA_UPLOAD_ID, "data"),
    Output(ids.DATA_SHEET, "options"),
    Output(ids.DATA_SHEET, "value"),
    Output(ids.DATA_SHEET_ROW, "hidden"),
    Output(ids.DATA_UPLOAD_MESSAGE, "children"),
    Output(ids.DATA_RESULT, "children", allow_duplicate=True),
    Output(ids.DATA_PROGRESS, "value", allow_duplicate=True),
    Output(ids.DATA_STATUS, "children", allow_duplicate=True),
    Input(ids.DATA_UPLOAD, "contents"),
    State(ids.DATA_UPLOAD, "filename"),
    prevent_initial_call=True,
)
def receive_upload(contents, filename):
    """Store the file, offer a workbook's sheets, and clear the previous file's training result."""
    config = settings()
    try:
        upload = uploads.save(
            config.uploads_dir,
            filename,
            contents,
            config.max_upload_bytes,
            _user(),
            config.upload_limits,
        )
        sheets = uploads.sheets(upload)
    except (uploads.UploadError, IngestError) as exc:
        alert = dbc.Alert(str(exc), color="danger", id=ids.DATA_UPLOAD_ERROR)
        return None, [], None, True, alert, None, 0, ""
    return upload.id, sheets, sheets[0] if sheets else None, len(sheets) < 2, None, None, 0, ""


@callback(
    Output(ids.DATA_FILE, "children"),
    Output(ids.DATA_MAPPING, "hidden"),
    Output(ids.DATA_PREVIEW, "children"),
    *[Output(ids.DATA_FIELDS[f], "options") for f in FIELD_LABELS],
    *[Output(ids.DATA_FIELDS[f], "value") for f in FIELD_LABELS],
    Input(ids.DATA_UPLOAD_ID, "data"),
    Input(ids.DATA_SHEET, "value"),
    prevent_initial_call=True,
)
def show_file(upload_id, sheet):
    """Read the stored file's (or the chosen sheet's) first rows, show a few, prefill the mapping
    (the whole file is read by the check, a background job)."""
    unchanged = [no_update] * (2 * len(FIELD_LABELS))
    if not upload_id:
        return None, True, None, *unchanged
    try:
        upload = uploads.load(settings().uploads_dir, upload_id)
        frame = uploads.head(upload, sheet)
    except (uploads.UploadError, IngestError) as exc:
        alert = dbc.Alert(str(exc), color="danger", id=ids.DATA_UPLOAD_ERROR)
        return alert, True, None, *unchanged
    columns = [str(col) for col in frame.columns]
    guess = guess_mapping(frame)
    info = html.Span(
        [
            html.I(className="bi bi-file-earmark-check me-1"),
            html.Strong(upload.filename),
            f"  ·  sheet {sheet}" if sheet else "",
            f"  ·  {upload.size / 1e3:,.1f} kB  ·  {len(columns)} columns",
            f"  ·  {frame.attrs['encoding']}" if "encoding" in frame.attrs else "",
        ],
        id=ids.DATA_FILE_NAME,
    )
    preview = c.data_table(
        columns,
        [
            html.Tr([html.Td(str(v)) for v in row])
            for row in frame.head(PREVIEW_ROWS).itertuples(index=False)
        ],
        ids.DATA_PREVIEW_TABLE,
    )
    return (
        info,
        False,
        preview,
        *[columns] * len(FIELD_LABELS),
        *[guess.get(f) for f in FIELD_LABELS],
    )


def column_map(values) -> ColumnMap:
    """The dropdowns' values (the fields, then date format, decimal and sheet) as a ColumnMap;
    empty optional fields are None."""
    chosen = dict(zip([*FIELD_LABELS, "date_format", "decimal", "sheet"], values, strict=True))
    return ColumnMap(
        customer_id=chosen["customer_id"] or "",
        date=chosen["date"] or "",
        amount=chosen["amount"] or "",
        quantity=chosen["quantity"] or None,
        order_id=chosen["order_id"] or None,
        price=chosen["price"] or None,
        date_format=chosen["date_format"] or None,
        decimal=chosen["decimal"] or None,
        sheet=chosen["sheet"] or None,
    )


def _head(upload_id, sheet):
    """The upload's first rows, or None when it is gone or unreadable."""
    try:
        upload = uploads.load(settings().uploads_dir, upload_id)
        return uploads.head(upload, sheet)
    except (uploads.UploadError, IngestError):
        return None


@callback(
    Output(ids.DATA_DATE_FORMAT, "value"),
    Output(ids.DATA_DATE_FORMAT, "placeholder"),
    Input(ids.DATA_UPLOAD_ID, "data"),
    Input(ids.DATA_FIELDS["date"], "value"),
    State(ids.DATA_SHEET, "value"),
    prevent_initial_call=True,
)
def detect_date_format(upload_id, column, sheet):
    """Prefill the date format with the convention detected in the mapped date column's first rows
    (the check reads them all)."""
    frame = _head(upload_id, sheet)
    if frame is None or column not in frame:
        return None, "map the date column first"
    reading = read_dates(frame[column])
    if reading.problem:
        return None, "choose: the file does not tell"
    if reading.convention == "typed":
        return None, "stored as dates in the file"
    return reading.convention, reading.label


@callback(
    Output(ids.DATA_DECIMAL, "value"),
    Output(ids.DATA_DECIMAL, "placeholder"),
    Input(ids.DATA_UPLOAD_ID, "data"),
    Input(ids.DATA_FIELDS["amount"], "value"),
    Input(ids.DATA_FIELDS["price"], "value"),
    State(ids.DATA_SHEET, "value"),
    prevent_initial_call=True,
)
def detect_decimal(upload_id, amount, price, sheet):
    """Prefill the decimal separator with the one detected in the amount (or price) column's first
    rows."""
    frame = _head(upload_id, sheet)
    column = price or amount
    if frame is None or column not in frame:
        return None, "map the amount column first"
    reading = read_amounts(frame[column])
    if reading.problem:
        return None, "choose: the file does not tell"
    if pd.api.types.is_numeric_dtype(frame[column]):
        return None, "stored as numbers in the file"
    return reading.decimal, f"decimal {DECIMALS[reading.decimal]}"


@callback(
    Output(ids.DATA_REPORT, "children"),
    Output(ids.DATA_TRAIN, "disabled"),
    Input(ids.DATA_UPLOAD_ID, "data"),
    *[Input(ids.DATA_FIELDS[f], "value") for f in FIELD_LABELS],
    Input(ids.DATA_DATE_FORMAT, "value"),
    Input(ids.DATA_DECIMAL, "value"),
    Input(ids.DATA_SHEET, "value"),
    background=True,
    running=[
        (Output(ids.DATA_TRAIN, "disabled"), True, True),  # until the report says
        (Output(ids.DATA_REPORT, "hidden"), True, False),  # no report of an older mapping
    ],
    progress=[Output(ids.DATA_CHECK_STATUS, "children")],
    prevent_initial_call=True,
)
def check(set_progress, upload_id, *values):
    """Validate the whole upload under the current mapping in a background job (a newer mapping
    cancels it); training is enabled only when clean."""
    if not upload_id:
        return None, True
    return checked(upload_id, column_map(values), lambda message: set_progress((message,)))


def checked(upload_id: str, columns: ColumnMap, progress) -> tuple:
    """The check's report and whether the train button stays disabled."""
    try:
        result = jobs.check_upload(settings(), upload_id, columns, progress)
    except (uploads.UploadError, IngestError) as exc:
        return dbc.Alert(str(exc), color="danger"), True
    return report_view(result), not result.can_train


@callback(
    Output(ids.DATA_RESULT, "children"),
    Input(ids.DATA_TRAIN, "n_clicks"),
    State(ids.DATA_UPLOAD_ID, "data"),
    *FIELD_STATES,
    background=True,
    running=[
        (Output(ids.DATA_TRAIN, "disabled"), True, False),
        (Output(ids.DATA_CANCEL, "disabled"), False, True),
    ],
    progress=[Output(ids.DATA_PROGRESS, "value"), Output(ids.DATA_STATUS, "children")],
    cancel=[Input(ids.DATA_CANCEL, "n_clicks")],
    prevent_initial_call=True,
)
def train(set_progress, _clicks, upload_id, *values):
    """Train on the upload in a child process, relaying its progress; show the new version."""
    set_progress((0, "starting the training process…"))

    def relay(done: int, total: int, message: str) -> None:
        set_progress(
            (round(100 * done / total), f"step {min(done + 1, total)} of {total}: {message}")
        )

    try:
        document = jobs.train_upload(settings(), upload_id, column_map(values), relay)
    except jobs.RunInProgress as exc:
        set_progress((100, "the other training run has ended"))
        return dbc.Alert(str(exc), color="info", id=ids.DATA_TRAIN_OTHER_RUN)
    except (jobs.TrainingFailed, uploads.UploadError) as exc:
        set_progress((0, "training failed"))
        return dbc.Alert(
            [html.Strong("Training failed: "), str(exc), " The current model keeps serving."],
            color="danger",
            id=ids.DATA_TRAIN_ERROR,
        )
    set_progress((100, f"done in {document['seconds']:.0f} s"))
    return result_view(document)


@callback(
    Output(ids.DATA_PROGRESS, "value", allow_duplicate=True),
    Output(ids.DATA_STATUS, "children", allow_duplicate=True),
    Input(ids.DATA_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def cancelled(_clicks):
    """Say what a cancel did (Dash has already killed the job and its training process)."""
    return 0, "Cancelled: nothing was published; the current model keeps serving."
