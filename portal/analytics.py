"""Pure metric functions on arrays, exactly as portal/METRICS.md defines them.

``y`` is actual horizon spend, ``p`` predicted spend, ``ids`` customer ids (the tie-break).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

DECILES = 10
# segments by rank: each one's name and the top X% it ends at (ceil(n * X / 100), as /api/elite)
SEGMENTS = (("Elite", 5.0), ("High", 20.0), ("Medium", 50.0), ("Low", 100.0))


@dataclass(frozen=True)
class Metric:
    """One figure of ``point_metrics``: its key, its label, and how it is shown."""

    name: str
    label: str
    fmt: str


# the one list of backtest figures: metrics.json keys, the CLI table and the model page
BACKTEST_METRICS = (
    Metric("normalized_gini", "Normalized Gini", "{:.3f}"),
    Metric("top_decile_capture", "Top-decile capture", "{:.1%}"),
    Metric("spearman", "Spearman", "{:.3f}"),
    Metric("mae", "MAE ($)", "{:.2f}"),
    Metric("rmse", "RMSE ($)", "{:.2f}"),
    Metric("calibration", "Calibration (Σp/Σy)", "{:.3f}"),
    Metric("decile_mape", "Decile MAPE", "{:.3f}"),
)


def rank_order(p, ids) -> np.ndarray:
    """Indices sorting by prediction descending, ties in customer-id order."""
    return np.lexsort((np.asarray(ids), -np.asarray(p, dtype=float)))


def gain_curve(y, p, ids, order: np.ndarray | None = None) -> np.ndarray:
    """g_k for k = 0..n: share of actual spend in the top k customers ranked by ``p``.

    ``order`` (positions in rank order) skips the ranking when the caller already has it.
    """
    y = np.asarray(y, dtype=float)
    ordered = y[rank_order(p, ids) if order is None else order]
    return _cumulative_share(ordered)


def _cumulative_share(ordered: np.ndarray) -> np.ndarray:
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])
    if cumulative[-1] <= 0:
        return np.linspace(0.0, 1.0, len(cumulative))
    return cumulative / cumulative[-1]


def oracle_curve(y) -> np.ndarray:
    """The gain curve of ranking by the actual outcome itself (tie order cannot change it)."""
    return _cumulative_share(np.sort(np.asarray(y, dtype=float))[::-1])


def gini(curve: np.ndarray) -> float:
    """2 * (trapezoid area under a gain curve on x = k/n - 0.5)."""
    n = len(curve) - 1
    area = (curve[:-1] + curve[1:]).sum() / (2.0 * n)
    return 2.0 * (area - 0.5)


def normalized_gini(y, p, ids) -> float:
    """Gini(model) / Gini(oracle); 1 is a perfect ranking, 0 random."""
    return gini_ratio(gain_curve(y, p, ids), oracle_curve(y))


def gini_ratio(model_curve: np.ndarray, oracle: np.ndarray) -> float:
    """Normalized Gini from the two gain curves (0 when the oracle has no spread)."""
    best = gini(oracle)
    return gini(model_curve) / best if best > 0 else 0.0


def top_decile_capture(y, p, ids) -> float:
    """g at k = floor(n / 10)."""
    return top_decile_of_curve(gain_curve(y, p, ids))


def top_decile_of_curve(curve: np.ndarray) -> float:
    """g at k = floor(n / 10) of a gain curve over n customers."""
    return float(curve[(len(curve) - 1) // 10])


def sample_curve(curve: np.ndarray, points: int) -> tuple[list[float], list[float]]:
    """(x, g) at points+1 evenly spaced x in [0, 1], interpolating the k/n curve linearly (reads
    two entries of ``curve`` per point: a mapped curve stays on disk)."""
    n = len(curve) - 1
    x = np.linspace(0.0, 1.0, points + 1)
    if n == 0:
        return x.tolist(), np.full(len(x), float(curve[0])).tolist()
    at = x * n
    below = np.minimum(at.astype(np.int64), n - 1)
    low, high = np.asarray(curve[below], dtype=float), np.asarray(curve[below + 1], dtype=float)
    return x.tolist(), (low + (at - below) * (high - low)).tolist()


def decile_bounds(n: int, deciles: int = DECILES) -> list[tuple[int, int]]:
    """[start, stop) positions of near-equal deciles, larger ones first."""
    base, extra = divmod(n, deciles)
    bounds, start = [], 0
    for d in range(deciles):
        size = base + (1 if d < extra else 0)
        bounds.append((start, start + size))
        start += size
    return bounds


def decile_of_rank(rank, n: int) -> np.ndarray:
    """Decile (1..10) of each rank (1 = best) among n customers, by ``decile_bounds``."""
    stops = [stop for _, stop in decile_bounds(n)]
    return np.searchsorted(stops, np.asarray(rank), side="left") + 1


@dataclass
class DecileRow:
    """One decile of the ranking (decile 1 = highest predictions)."""

    decile: int
    customers: int
    mean_predicted: float
    mean_actual: float | None
    share_of_actual: float | None
    lift: float | None
    predicted_lift: float


def decile_table(p, ids, y=None, order: np.ndarray | None = None) -> list[DecileRow]:
    """Decile lift; actual columns are None when ``y`` is None (no actuals yet)."""
    p = np.asarray(p, dtype=float)
    order = rank_order(p, ids) if order is None else order
    ranked_p = p[order]
    ranked_y = None if y is None else np.asarray(y, dtype=float)[order]
    mean_p_all = ranked_p.mean() if len(p) else 0.0
    mean_y_all = None if ranked_y is None else ranked_y.mean()
    total_y = None if ranked_y is None else ranked_y.sum()
    rows = []
    for d, (start, stop) in enumerate(decile_bounds(len(p)), start=1):
        part_p = ranked_p[start:stop]
        mp = float(part_p.mean()) if len(part_p) else 0.0
        row = DecileRow(d, stop - start, mp, None, None, None, _ratio(mp, mean_p_all))
        if ranked_y is not None:
            part_y = ranked_y[start:stop]
            my = float(part_y.mean()) if len(part_y) else 0.0
            row.mean_actual = my
            row.share_of_actual = _ratio(float(part_y.sum()), total_y)
            row.lift = _ratio(my, mean_y_all)
        rows.append(row)
    return rows


def _ratio(a: float, b: float | None) -> float:
    return float(a / b) if b else 0.0


def decile_mape(rows: list[DecileRow]) -> tuple[float, int]:
    """Mean |mean predicted - mean actual| / mean actual over deciles; (value, deciles left out)."""
    errors = [abs(r.mean_predicted - r.mean_actual) / r.mean_actual for r in rows if r.mean_actual]
    left_out = len(rows) - len(errors)
    return (float(np.mean(errors)) if errors else float("nan")), left_out


def elite_size(n: int, top_pct: float) -> int:
    """ceil(n * X / 100) for 0 < X <= 100."""
    if not 0 < top_pct <= 100:
        raise ValueError("top_pct must be in (0, 100]")
    return min(n, math.ceil(n * top_pct / 100 - 1e-9))


def segment_of(rank, n: int) -> np.ndarray:
    """Segment name by rank (1 = best) among n: Elite the top 5%, High to 20%, Medium to 50%,
    Low the rest, where the top X% is the first ``elite_size(n, X)`` customers (as /api/elite)."""
    rank = np.asarray(rank)
    names = np.full(len(rank), SEGMENTS[-1][0], dtype=object)
    for name, upper in reversed(SEGMENTS[:-1]):
        names[rank <= elite_size(n, upper)] = name
    return names


def standing(rank, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(decile, segment) of each rank among n: what a stored customer is given at training and a
    what-if prediction among the stored customers, by ``decile_of_rank`` and ``segment_of``."""
    return decile_of_rank(rank, n), segment_of(rank, n)


def rank_among(ranked: np.ndarray, values) -> np.ndarray:
    """The rank (1 = best) each of ``values`` would take among n predictions sorted descending:
    one more than the number of predictions above it, at most n. A tie takes the best rank of its
    equals (a new customer has no id to break it), so it gets the standing of the first of them."""
    place = np.searchsorted(-np.asarray(ranked, dtype=float), -np.asarray(values, dtype=float))
    return np.minimum(place + 1, len(ranked))


@dataclass
class EliteSummary:
    """The top X% by prediction."""

    top_pct: float
    count: int
    predicted_value: float
    share_of_predicted: float
    share_of_actual: float | None


def elite_summary(
    p, ids, top_pct: float, y=None, order: np.ndarray | None = None
) -> tuple[EliteSummary, np.ndarray]:
    """Summary of the top ``top_pct``% and the positions of its customers in rank order."""
    p = np.asarray(p, dtype=float)
    order = rank_order(p, ids) if order is None else order
    k = elite_size(len(p), top_pct)
    chosen = order[:k]
    share_actual = None
    if y is not None:
        y = np.asarray(y, dtype=float)
        share_actual = _ratio(float(y[chosen].sum()), float(y.sum()))
    summary = EliteSummary(
        top_pct=float(top_pct),
        count=int(k),
        predicted_value=float(p[chosen].sum()),
        share_of_predicted=_ratio(float(p[chosen].sum()), float(p.sum())),
        share_of_actual=share_actual,
    )
    return summary, chosen


def point_metrics(y, p, ids) -> dict[str, float]:
    """Every portal/METRICS.md figure for one prediction vector against actuals."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    rows = decile_table(p, ids, y)
    mape, left_out = decile_mape(rows)
    rho = stats.spearmanr(p, y).statistic if np.ptp(p) > 0 and np.ptp(y) > 0 else 0.0
    return {
        "normalized_gini": normalized_gini(y, p, ids),
        "top_decile_capture": top_decile_capture(y, p, ids),
        "spearman": float(rho),
        "mae": float(np.mean(np.abs(y - p))),
        "rmse": float(np.sqrt(np.mean((y - p) ** 2))),
        "calibration": _ratio(float(p.sum()), float(y.sum())),
        "decile_mape": mape,
        "decile_mape_left_out": left_out,
    }


def as_dicts(rows) -> list[dict]:
    """Dataclass rows as plain dicts (for JSON and DataFrames)."""
    return [asdict(r) for r in rows]
