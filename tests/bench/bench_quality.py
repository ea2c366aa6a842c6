"""Model quality: the CDNOW backtest (every portal/METRICS.md figure, model vs baselines) and a
SYNTHETIC backtest where the true expected spend is known."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from common import REPO_ROOT, SYNTH_CUTOFF, WORK, save, synthetic_log

from portal import analytics, bgnbd
from portal.__main__ import metrics_table
from portal.config import CDNOW_CUTOFF
from portal.ingest import CDNOW_COLUMNS, ColumnMap
from portal.synth import START, generate, true_expected_spend
from portal.train import PREPARED, run

SYNTH_CUSTOMERS = 20_000


def bgnbd_baseline(table: pd.DataFrame) -> dict:
    """BG/NBD expected purchases x historical mean value (no Gamma-Gamma shrinkage)."""
    x, t_x, T = bgnbd.rfm_arrays(table["frequency"], table["recency_days"], table["tenure_days"])
    params = bgnbd.fit(x, t_x, T)
    predicted = bgnbd.expected_purchases(params, 26.0, x, t_x, T) * table["monetary_mean"]
    return analytics.point_metrics(
        table["actual_6m"], predicted.to_numpy(), table["customer_id"].to_numpy()
    )


def cdnow() -> dict:
    started = time.perf_counter()
    doc = run(
        REPO_ROOT / "data" / "raw" / "CDNOW_master.txt", WORK / "cdnow", CDNOW_COLUMNS, CDNOW_CUTOFF
    )
    seconds = time.perf_counter() - started
    table = pd.read_parquet(WORK / "cdnow" / "final" / PREPARED)
    methods = {k: doc["backtest"][k] for k in ("model", "last_6m_repeated", "half_last_12m")}
    methods["bgnbd_x_mean_value"] = bgnbd_baseline(table)
    return {"train_seconds": seconds, "methods": methods}


def synthetic() -> dict:
    path = synthetic_log(SYNTH_CUSTOMERS)
    run(path, WORK / "synthetic", ColumnMap(), SYNTH_CUTOFF)
    table = pd.read_parquet(WORK / "synthetic" / "final" / PREPARED)
    _, people = generate(SYNTH_CUSTOMERS, 0)
    cutoff_day = (pd.Timestamp(SYNTH_CUTOFF) - START).days
    horizon = (
        pd.Timestamp(SYNTH_CUTOFF) + pd.DateOffset(months=6) - pd.Timestamp(SYNTH_CUTOFF)
    ).days
    truth = (
        pd.Series(true_expected_spend(people, cutoff_day, horizon), index=people["customer_id"])
        .reindex(table["customer_id"])
        .to_numpy()
    )
    y, ids = table["actual_6m"].to_numpy(), table["customer_id"].to_numpy()
    return {
        "customers": len(table),
        "cutoff": SYNTH_CUTOFF,
        "model": analytics.point_metrics(y, table["predicted_clv_6m"].to_numpy(), ids),
        "true_expectation": analytics.point_metrics(y, truth, ids),
    }


def show(title: str, methods: dict) -> None:
    print(title)
    print(metrics_table(methods))


def main() -> dict:
    result = {"cdnow": cdnow(), "synthetic": synthetic()}
    show(
        f"CDNOW backtest, cutoff {CDNOW_CUTOFF} (train {result['cdnow']['train_seconds']:.1f} s)",
        result["cdnow"]["methods"],
    )
    s = result["synthetic"]
    show(
        f"SYNTHETIC backtest ({s['customers']:,} customers, cutoff {SYNTH_CUTOFF})",
        {"model": s["model"], "true_expectation": s["true_expectation"]},
    )
    print(
        f"  model Gini / true-expectation Gini = "
        f"{s['model']['normalized_gini'] / s['true_expectation']['normalized_gini']:.3f}"
    )
    save("quality", result)
    return result


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
