"""Every memoized store query is keyed by the loaded version it is given and computes from that
version alone: with the current version swapped to another one between the key and the
computation, the cache holds the keyed version's numbers."""

import flask
import numpy as np
import pytest

from portal import store
from portal.extensions import cache
from portal.loaded import Artifacts
from tests.conftest import served_version

SMALL = 1_005

QUERIES = [  # (memoized function, its arguments after the version)
    (store.gain_curve, (20,)),
    (store.decile_lift, ()),
    (store.elite, (5.0,)),
    (store.groups, ()),
    (store.value_concentration, (20,)),
    (store.dependence, ("recency_days",)),
]


@pytest.fixture(scope="module")
def versions(data_dir, tmp_path_factory) -> tuple[Artifacts, Artifacts]:
    """(the CDNOW version, a second one holding its 1,005 best customers)."""
    cdnow = store.store_for(data_dir / "final").current()
    small = served_version(
        tmp_path_factory.mktemp("small"),
        "small",
        cdnow.table.head(SMALL),
        cdnow.model,
        cdnow.metrics,
    )
    return cdnow, small


@pytest.fixture
def cached():
    """A production-like cache (SimpleCache) bound to an app, emptied for each test."""
    server = flask.Flask(__name__)
    server.config.update(CACHE_TYPE="SimpleCache", CACHE_DEFAULT_TIMEOUT=600)
    cache.init_app(server)
    with server.app_context():
        cache.clear()
        yield
        cache.clear()


def same(a, b) -> bool:
    """Deep equality of query results (lists, dicts, floats with NaN)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple, np.ndarray)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return a == b


@pytest.mark.parametrize("query, args", QUERIES, ids=[q.__name__ for q, _ in QUERIES])
def test_a_swap_between_key_and_computation_caches_the_keyed_versions_numbers(
    versions, cached, monkeypatch, query, args
):
    cdnow, small = versions
    own = {art.version: query.uncached(art, *args) for art in versions}
    assert not same(own[cdnow.version], own[small.version])  # the two versions' numbers differ
    # the pointer now names the small version, wherever a query might look it up
    monkeypatch.setattr(store, "current", lambda _final_dir: small)
    monkeypatch.setattr(store.ArtifactStore, "current", lambda _self: small)
    assert same(query(cdnow, *args), own[cdnow.version])  # computed, under cdnow's key
    assert same(query(small, *args), own[small.version])
    assert same(query(cdnow, *args), own[cdnow.version])  # from the cache: still cdnow's
