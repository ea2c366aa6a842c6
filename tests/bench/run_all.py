"""`make bench`: every benchmark in turn; figures printed and saved to tests/bench/results/."""

from __future__ import annotations

import time

import bench_campaign
import bench_hardening
import bench_history
import bench_intervals
import bench_libraries
import bench_portal
import bench_quality
import bench_reliability
import bench_scale
import bench_scenarios
import bench_serving
from common import machine

STEPS = [
    ("Boosting library (same hurdle, CDNOW)", bench_libraries.main),
    ("Model quality", bench_quality.main),
    ("Model quality on a grid of SYNTHETIC businesses", bench_scenarios.main),
    ("Prediction intervals (CDNOW and SYNTHETIC backtests)", bench_intervals.main),
    ("Campaign planner against held-out backtests", bench_campaign.main),
    ("Pipeline scale (SYNTHETIC data)", bench_scale.main),
    ("Prediction history (1M SYNTHETIC customers)", bench_history.main),
    ("Serving (1M SYNTHETIC customers)", bench_serving.main),
    ("Portal (1M SYNTHETIC customers)", bench_portal.main),
    ("Reliability (1M SYNTHETIC customers)", bench_reliability.main),
    ("Hardening (issue #15: logins, expansion, concurrent training, bodies)", bench_hardening.main),
]


def main() -> None:
    info = machine()
    print(
        f"clv-portal benchmarks on {info['cpus']} CPUs, Python {info['python']}, {info['platform']}"
    )
    started = time.perf_counter()
    for title, step in STEPS:
        print(f"\n== {title}", flush=True)
        step()
    print(
        f"\nall benchmarks: {time.perf_counter() - started:.0f} s; results in tests/bench/results/"
    )


if __name__ == "__main__":
    main()
