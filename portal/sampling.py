"""Seeded samples chosen by each customer's id, not by row order.

A customer is in a sample of n when its key, a keyed hash of (id, salt), is among the n smallest.
The choice depends only on the ids present and the salt, so the pandas engine (one frame) and the
Dask engine (customers hash-partitioned) pick the same customers: each partition keeps its
candidates below a bound, and the n smallest keys overall are found among them.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

POPULATION_CUSTOMERS = 50_000  # BG/NBD, Gamma-Gamma and the feature defaults at each cutoff


def salt(cutoff, seed: int) -> str:
    """The salt of the samples taken at ``cutoff`` with ``seed``."""
    return f"{pd.Timestamp(cutoff).date()}:{seed}"


def keys(ids, salt: str) -> np.ndarray:
    """uint64 keys of customer ids (SipHash keyed by the salt), uniform over the ids."""
    key = hashlib.blake2b(salt.encode(), digest_size=8).hexdigest()
    values = np.asarray(pd.Index(ids).astype(str), dtype=object)
    return pd.util.hash_array(values, hash_key=key, categorize=False)


def threshold(candidate_keys: np.ndarray, n: int) -> int | None:
    """The n-th smallest key (None when there are at most n: everyone is chosen)."""
    if len(candidate_keys) <= n:
        return None
    return int(np.partition(candidate_keys, n - 1)[n - 1])


def smallest(ids, n: int, salt: str) -> np.ndarray:
    """Boolean mask of the n customers with the smallest keys (all of them when at most n)."""
    k = keys(ids, salt)
    cut = threshold(k, n)
    return np.ones(len(k), dtype=bool) if cut is None else k <= np.uint64(cut)


def sample(frame: pd.DataFrame, n: int, salt: str) -> pd.DataFrame:
    """The rows of the n customers (``frame``'s index) with the smallest keys, in frame order."""
    if len(frame) <= n:
        return frame
    return frame[smallest(frame.index, n, salt)]


def population_sample(features: pd.DataFrame, cutoff, seed: int = 0) -> pd.DataFrame:
    """The customers the population models (and the feature defaults) at ``cutoff`` are fitted on."""
    return sample(features, POPULATION_CUSTOMERS, salt(cutoff, seed))
