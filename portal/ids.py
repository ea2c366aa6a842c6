"""Component ids, page-prefixed kebab-case."""

HOME_GAIN = "home-gain-graph"

LIFT_GRAPH = "lift-graph"
LIFT_CALIBRATION = "lift-calibration-graph"
LIFT_TABLE = "lift-table"

SEGMENTS_SLIDER = "segments-top-pct-slider"
SEGMENTS_INPUT = "segments-top-pct"
SEGMENTS_KPIS = "segments-kpis"
SEGMENTS_PARETO = "segments-pareto-graph"
SEGMENTS_GRID = "segments-grid"
SEGMENTS_DOWNLOAD_BUTTON = "segments-download-button"
SEGMENTS_DOWNLOAD = "segments-download"

CUSTOMERS_GRID = "customers-grid"
CUSTOMERS_SEARCH = "customers-search"
CUSTOMERS_SEGMENT = "customers-segment"
CUSTOMERS_TOTAL = "customers-total"
CUSTOMERS_LOCATION = "customers-location"

PREDICT_ID = "predict-customer-id"
PREDICT_BUTTON = "predict-button"
PREDICT_RESULT = "predict-result"
PREDICT_WHATIF = "predict-whatif"
PREDICT_WHATIF_RESULT = "predict-whatif-result"
PREDICT_FEATURE = "predict-feature"
