"""The data page's layout: the four steps (upload, map, check, train) and their choices."""

import dash_bootstrap_components as dbc
from dash import dcc, html

from portal import components as c
from portal import ids, uploads
from portal.extensions import settings

FIELD_LABELS = {
    "customer_id": "Customer id",
    "date": "Order date",
    "amount": "Amount",
    "quantity": "Quantity (optional)",
    "order_id": "Order id (optional)",
    "price": "Unit price (optional: amount = quantity × price)",
}
OPTIONAL = ("amount", "quantity", "order_id", "price")
DATE_FORMATS = [
    {"label": "Day first: 02/01/2024 is 2 January", "value": "dayfirst"},
    {"label": "Month first: 02/01/2024 is February 1", "value": "monthfirst"},
    {"label": "Year first: 2024-01-02 (ISO)", "value": "yearfirst"},
    {"label": "Excel serial numbers (45293)", "value": "excel"},
]
DECIMAL_CHOICES = [
    {"label": "Decimal point: 1,234.50", "value": "."},
    {"label": "Decimal comma: 1.234,50", "value": ","},
]


def reading_choice(label: str, component_id: str, options) -> dbc.Col:
    """A labelled dropdown for how a column is read, empty meaning "as stored in the file"."""
    return dbc.Col(
        [
            dbc.Label(label, html_for=component_id),
            dcc.Dropdown(id=component_id, options=options, placeholder="as stored in the file"),
        ],
        xs=12,
        md=6,
        className="mb-2",
    )


def layout(**_):
    """The four steps: upload, map, check, train."""
    limit_mb = settings().max_upload_bytes / 2**20
    mapping = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(label, html_for=ids.DATA_FIELDS[field]),
                    dcc.Dropdown(id=ids.DATA_FIELDS[field], clearable=field in OPTIONAL),
                ],
                xs=12,
                md=True,
                className="mb-2",
            )
            for field, label in FIELD_LABELS.items()
        ]
    )
    reading = dbc.Row(
        [
            reading_choice("Date format", ids.DATA_DATE_FORMAT, DATE_FORMATS),
            reading_choice("Decimal separator", ids.DATA_DECIMAL, DECIMAL_CHOICES),
        ]
    )
    return html.Div(
        [
            c.page_header(
                "Your data",
                "Upload your own transaction log, map its columns, check it, then train a new "
                "model version. The current model keeps serving until the new one is ready.",
            ),
            c.version_alert(),
            step(
                "1. Upload",
                [
                    dcc.Upload(
                        id=ids.DATA_UPLOAD,
                        children=html.Div(
                            [
                                html.I(className="bi bi-cloud-arrow-up me-2"),
                                "Drop a CSV, Excel (.xlsx) or parquet file here, or ",
                                html.A("choose one", href="#"),
                                html.Div(
                                    f"one row per order line: customer, date, amount "
                                    f"(up to {limit_mb:.0f} MB)",
                                    className="small text-muted",
                                ),
                            ]
                        ),
                        max_size=settings().max_upload_bytes,
                        accept=",".join(uploads.SUFFIXES),
                        className="upload-zone",
                    ),
                    html.Div(id=ids.DATA_UPLOAD_MESSAGE, className="mt-2"),
                    html.Div(
                        [
                            dbc.Label("Sheet", html_for=ids.DATA_SHEET),
                            dcc.Dropdown(id=ids.DATA_SHEET, clearable=False),
                        ],
                        id=ids.DATA_SHEET_ROW,
                        hidden=True,
                        className="mt-2",
                    ),
                    html.Div(id=ids.DATA_FILE, className="mt-2"),
                ],
            ),
            html.Div(
                [
                    step(
                        "2. Map the columns",
                        [mapping, reading, html.Div(id=ids.DATA_PREVIEW, className="mt-2")],
                    ),
                    step("3. Check", html.Div(id=ids.DATA_REPORT)),
                    step(
                        "4. Train",
                        [
                            html.Div(
                                [
                                    dbc.Button(
                                        "Train a new version",
                                        id=ids.DATA_TRAIN,
                                        color="primary",
                                        disabled=True,
                                        className="me-2",
                                    ),
                                    dbc.Button(
                                        "Cancel",
                                        id=ids.DATA_CANCEL,
                                        color="secondary",
                                        outline=True,
                                        disabled=True,
                                    ),
                                ],
                                className="mb-2",
                            ),
                            dbc.Progress(id=ids.DATA_PROGRESS, value=0, striped=True),
                            html.Div(id=ids.DATA_STATUS, className="small text-muted mt-1"),
                            html.Div(id=ids.DATA_RESULT, className="mt-2"),
                        ],
                    ),
                ],
                id=ids.DATA_MAPPING,
                hidden=True,
            ),
            dcc.Store(id=ids.DATA_UPLOAD_ID),
        ]
    )


def step(title: str, body) -> dbc.Card:
    """One numbered step of the page."""
    return dbc.Card([dbc.CardHeader(title), dbc.CardBody(body)], className="mb-3")
