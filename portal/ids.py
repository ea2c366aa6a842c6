"""Component ids, page-prefixed kebab-case."""

HOME_GAIN = "home-gain-graph"
HOME_NO_BACKTEST = "home-no-backtest"

LIFT_GRAPH = "lift-graph"
LIFT_CALIBRATION = "lift-calibration-graph"
LIFT_TABLE = "lift-table"

SEGMENTS_SLIDER = "segments-top-pct-slider"
SEGMENTS_INPUT = "segments-top-pct"
SEGMENTS_KPIS = "segments-kpis"
SEGMENTS_PARETO = "segments-pareto-graph"
SEGMENTS_GRID = "segments-grid"
SEGMENTS_GRID_NOTE = "segments-grid-note"
SEGMENTS_DOWNLOAD_BUTTON = "segments-download-button"
SEGMENTS_DOWNLOAD = "segments-download"

CUSTOMERS_GRID = "customers-grid"
CUSTOMERS_SEARCH = "customers-search"
CUSTOMERS_SEGMENT = "customers-segment"
CUSTOMERS_GROUP = "customers-group"
CUSTOMERS_TOTAL = "customers-total"
CUSTOMERS_LOCATION = "customers-location"

PREDICT_ID = "predict-customer-id"
PREDICT_BUTTON = "predict-button"
PREDICT_RESULT = "predict-result"
PREDICT_WHATIF = "predict-whatif"
PREDICT_WHATIF_RESULT = "predict-whatif-result"
PREDICT_FEATURE = "predict-feature"

DATA_UPLOAD = "data-upload"
DATA_UPLOAD_ID = "data-upload-id"
DATA_FILE = "data-file"
DATA_MAPPING = "data-mapping"
DATA_PREVIEW = "data-preview"
DATA_REPORT = "data-report"
DATA_CHECK_STATUS = "data-check-status"
DATA_PROBLEMS = "data-problems"
DATA_TRAIN = "data-train"
DATA_CANCEL = "data-cancel"
DATA_PROGRESS = "data-progress"
DATA_STATUS = "data-status"
DATA_RESULT = "data-result"
DATA_FIELDS = {
    "customer_id": "data-map-customer",
    "date": "data-map-date",
    "amount": "data-map-amount",
    "quantity": "data-map-quantity",
    "order_id": "data-map-order",
    "price": "data-map-price",
}
DATA_DATE_FORMAT = "data-date-format"
DATA_SHEET = "data-sheet"
DATA_SHEET_ROW = "data-sheet-row"
DATA_UPLOAD_MESSAGE = "data-upload-message"
DATA_DECIMAL = "data-decimal"
DATA_DATE_SAMPLES = "data-date-samples"
DATA_NO_BACKTEST = "data-no-backtest"

MODEL_VERSIONS = "model-versions-table"
MODEL_VERSION_PICK = "model-version-pick"
MODEL_ACTIVATE = "model-activate"
MODEL_ACTIVATE_RESULT = "model-activate-result"
MODEL_COVERAGE = "model-coverage"
MODEL_COVERAGE_GRAPH = "model-coverage-graph"
MODEL_NO_BACKTEST = "model-no-backtest"

PREDICT_HISTORY = "predict-history-graph"

HOME_MONITORING_WARNING = "home-monitoring-warning"

MONITORING_TABLE = "monitoring-table"
MONITORING_TOTALS = "monitoring-totals-graph"
MONITORING_QUALITY = "monitoring-quality-graph"
MONITORING_VERSION = "monitoring-version"
MONITORING_DECILES = "monitoring-deciles-graph"
MONITORING_EMPTY = "monitoring-empty"
MONITORING_DRIFT = "monitoring-drift"
MONITORING_DRIFT_TABLE = "monitoring-drift-table"

CAMPAIGN_RANK_BY = "campaign-rank-by"
CAMPAIGN_COST = "campaign-contact-cost"
CAMPAIGN_MARGIN = "campaign-margin"
CAMPAIGN_EFFECT = "campaign-effect"
CAMPAIGN_UPLIFT = "campaign-uplift"
CAMPAIGN_RESPONSE = "campaign-response-rate"
CAMPAIGN_ORDER_VALUE = "campaign-order-value"
CAMPAIGN_DISCOUNT = "campaign-discount"
CAMPAIGN_ALERT = "campaign-alert"
CAMPAIGN_KPIS = "campaign-kpis"
CAMPAIGN_GRAPH = "campaign-profit-graph"
CAMPAIGN_GRID = "campaign-audience-grid"
CAMPAIGN_GRID_NOTE = "campaign-audience-note"
CAMPAIGN_DOWNLOAD_BUTTON = "campaign-download-button"
CAMPAIGN_DOWNLOAD = "campaign-download"
CAMPAIGN_GROUPS = "campaign-groups-table"
