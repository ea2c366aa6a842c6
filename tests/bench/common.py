"""Shared helpers for the benchmarks: paths, synthetic data sets, result files."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

RESULTS = REPO_ROOT / "tests" / "bench" / "results"
WORK = Path("/tmp/clv-bench")
SYNTH_CUTOFF = "2023-07-01"  # 18 months into the synthetic window; horizon ends with the data


def machine() -> dict:
    """What the figures ran on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": datetime.now(UTC).isoformat(),
    }


def synthetic_log(customers: int, seed: int = 0) -> Path:
    """A cached SYNTHETIC parquet log of ``customers`` customers."""
    from portal.synth import write_synthetic

    path = WORK / f"synthetic_{customers}_{seed}.parquet"
    if not path.exists():
        write_synthetic(customers, seed, path)
    return path


PART_CUSTOMERS = 500_000


def synthetic_parts(customers: int, seed: int = 0) -> Path:
    """A cached folder of SYNTHETIC parquet parts, PART_CUSTOMERS customers each (part k: the
    generator's seed ``seed + k``, ids prefixed ``Pkkk-``), so no process holds the whole log."""
    from portal.synth import generate

    folder = WORK / f"synthetic_parts_{customers}_{seed}"
    done = folder / "_complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for k, start in enumerate(range(0, customers, PART_CUSTOMERS)):
            log, _ = generate(min(PART_CUSTOMERS, customers - start), seed + k)
            log["customer_id"] = f"P{k:03d}-" + log["customer_id"]
            log.to_parquet(folder / f"part-{k:03d}.parquet", index=False)
        done.touch()
    return folder


def save(name: str, result: dict) -> None:
    """Write tests/bench/results/<name>.json with the machine description."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"machine": machine(), **result}, indent=2, default=float)
    )


def forget_figures(data_dir: Path) -> None:
    """Empty the workers' shared cache of memoized figures: a run starts as a fresh deployment."""
    shutil.rmtree(data_dir / "cache", ignore_errors=True)


def million_customer_artifacts(customers: int = 1_000_000):
    """(DATA_DIR, customer ids) of the artifacts bench_scale.py trains: 1M customers with the
    pandas engine (``make bench``), 10M with the Dask engine (``make bench-dask-10m``); their
    serving files built (``python -m portal setup``) if the version predates them."""
    import pandas as pd

    data_dir = WORK / (
        f"scale_{customers}" if customers <= 1_000_000 else f"scale_dask_{customers}"
    )
    if not (data_dir / "final" / "metrics.json").exists():
        sys.exit(f"run bench_scale.py first (it trains the {customers:,}-customer artifacts)")
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "portal", "setup"], cwd=REPO_ROOT, env=env, check=True)
    forget_figures(data_dir)
    ids = pd.read_parquet(data_dir / "final" / "clv_prepared.parquet", columns=["customer_id"])
    return data_dir, ids["customer_id"].to_numpy(dtype=object)
