"""The files of one version (``DATA_DIR/models/<version>/``) and what its metrics.json says.

``clv_prepared.parquet``: one row per scored customer; ``model.joblib``: the ``ClvModel``;
``metrics.json``: the run's document, written last (``registry``: the marker of a complete version).
Both sides use these names: training writes them (``write_artifacts``), the read side loads them.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from portal.registry import METRICS

PREPARED = "clv_prepared.parquet"
MODEL = "model.joblib"

__all__ = ["METRICS", "MODEL", "PREPARED", "backtest_available", "write_artifacts"]


def write_artifacts(out_dir: Path, table: pd.DataFrame, model, document: dict) -> None:
    """Write the parquet, the model, then metrics.json (the marker of a complete version).

    ``table``: a frame, or a table already written in parts (``partitions.PartitionedTable``),
    moved in as a folder of parquet parts."""
    if isinstance(table, pd.DataFrame):
        table.to_parquet(out_dir / PREPARED, index=False)
    else:
        table.move_to(out_dir / PREPARED)
    joblib.dump(model, out_dir / MODEL)
    (out_dir / METRICS).write_text(json.dumps(document, indent=2, default=_json_default))


def _json_default(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")


def backtest_available(metrics: dict) -> bool:
    """Whether a version's metrics hold a backtest (versions before this flag always did)."""
    return metrics.get("backtest", {}).get("available", True)
