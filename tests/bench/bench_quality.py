"""Model quality: the CDNOW backtest (every portal/METRICS.md figure, model vs baselines and
BG/NBD + Gamma-Gamma) and the original SYNTHETIC backtest, where the true expected spend is known
(the grid of SYNTHETIC businesses is ``bench_scenarios.py``)."""

from __future__ import annotations

import time

import numpy as np
from bench_scenarios import cell
from common import REPO_ROOT, SYNTH_CUTOFF, WORK, save

from portal.cli_train import metrics_table
from portal.config import CDNOW_CUTOFF
from portal.features import daily
from portal.ingest import CDNOW_COLUMNS
from portal.pipeline import run
from portal.synth import LEGACY, generate

SYNTH_CUSTOMERS = 20_000
METHODS = ("model", "last_6m_repeated", "half_last_12m", "bgnbd_gamma_gamma")


def cdnow() -> dict:
    started = time.perf_counter()
    doc = run(
        REPO_ROOT / "data" / "raw" / "CDNOW_master.txt", WORK / "cdnow", CDNOW_COLUMNS, CDNOW_CUTOFF
    )
    seconds = time.perf_counter() - started
    return {"train_seconds": seconds, "methods": {k: doc["backtest"][k] for k in METHODS}}


def synthetic() -> dict:
    """The original SYNTHETIC scenario (one cohort, sine season), as before the grid existed."""
    log, people = generate(SYNTH_CUSTOMERS, 0, LEGACY)
    result = cell(log, people, daily(log), LEGACY, SYNTH_CUTOFF)
    result["cutoff"] = SYNTH_CUTOFF
    return result


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
    show(f"SYNTHETIC backtest ({s['customers']:,} customers, cutoff {SYNTH_CUTOFF})", s["methods"])
    print(
        "  calibration against the true expected total: "
        + ", ".join(f"{k} {v['calibration_vs_truth']:.3f}" for k, v in s["methods"].items())
    )
    save("quality", result)
    return result


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
