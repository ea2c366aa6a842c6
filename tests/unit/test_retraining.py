"""What decides a retrain: the data fingerprint, the mode and the cutoff; and a run's cutoffs."""

import json
import shutil

import pandas as pd
import pytest

from portal import registry
from portal.artifacts import METRICS
from portal.cutoffs import TrainError, run_cutoffs
from portal.ingest import fingerprint, load_transactions
from portal.publishing import unchanged

LOG = (
    "customer_id,date,amount\n"
    "a,2021-01-05,10.00\n"
    "b,2021-02-11,7.50\n"
    "a,2021-03-01,-2.00\n"
    "c,2021-06-30,99.90\n"
)


def shuffled(text: str) -> str:
    header, *rows = text.splitlines()
    return "\n".join([header, *reversed(rows)]) + "\n"


def test_the_fingerprint_ignores_row_order_and_file_name(tmp_path):
    (tmp_path / "orders.csv").write_text(LOG)
    (tmp_path / "export-2021.csv").write_text(shuffled(LOG))
    (tmp_path / "changed.csv").write_text(LOG.replace("7.50", "7.51"))
    first = fingerprint(load_transactions(tmp_path / "orders.csv"))
    assert fingerprint(load_transactions(tmp_path / "export-2021.csv")) == first
    assert fingerprint(load_transactions(tmp_path / "changed.csv")) != first


def current_version(data_dir, mode: str, cutoff: str, data_hash: str) -> str:
    """Make a version with this metrics document current (no model needed to decide a retrain)."""
    name = "20210701T000000Z-v"
    folder = registry.models_dir(data_dir) / name
    folder.mkdir(parents=True)
    document = {"version": name, "mode": mode, "cutoff": cutoff, "data": {"fingerprint": data_hash}}
    (folder / METRICS).write_text(json.dumps(document))
    registry.activate(data_dir, name)
    return name


def test_a_retrain_is_skipped_only_for_the_same_data_mode_and_cutoff(tmp_path):
    (tmp_path / "orders.csv").write_text(LOG)
    log = load_transactions(tmp_path / "orders.csv")
    assert unchanged(tmp_path, log, None) is None  # nothing trained yet
    name = current_version(tmp_path, "backtest", "2021-06-01", fingerprint(log))
    assert unchanged(tmp_path, log, "2021-06-01") == name
    assert unchanged(tmp_path, log.sample(frac=1, random_state=1), "2021-06-01") == name
    assert unchanged(tmp_path, log, "2021-05-01") is None  # another cutoff
    assert unchanged(tmp_path, log, None) is None  # production mode after a backtest
    assert unchanged(tmp_path, log.iloc[1:], "2021-06-01") is None  # other data


def test_a_current_version_whose_folder_is_gone_is_no_reason_to_skip(tmp_path):
    (tmp_path / "orders.csv").write_text(LOG)
    log = load_transactions(tmp_path / "orders.csv")
    name = current_version(tmp_path, "production", "2021-07-01", fingerprint(log))
    shutil.rmtree(registry.models_dir(tmp_path) / name)
    assert registry.current_version(tmp_path) is None
    assert unchanged(tmp_path, log, None) is None


def test_production_mode_after_production_mode_is_skipped_whatever_the_cutoff(tmp_path):
    (tmp_path / "orders.csv").write_text(LOG)
    log = load_transactions(tmp_path / "orders.csv")
    name = current_version(tmp_path, "production", "2021-07-01", fingerprint(log))
    assert unchanged(tmp_path, log, None) == name
    assert unchanged(tmp_path, log, "2021-07-01") is None  # a backtest is another mode


def test_run_cutoffs_in_production_and_backtest_mode():
    first, last = pd.Timestamp("2020-01-15"), pd.Timestamp("2021-06-30")
    # production: score the day after the last transaction, backtest 6 months before it
    score, backtest = run_cutoffs(first, last, None)
    assert (score, backtest) == (pd.Timestamp("2021-07-01"), pd.Timestamp("2021-01-01"))
    # backtest: both at the given cutoff
    assert run_cutoffs(first, last, "2021-03-01") == (pd.Timestamp("2021-03-01"),) * 2
    # production's backtest needs 6 months of labels and 6 more of training; without them the
    # run still trains and scores (no backtest) as long as the final fit has 6 months of labels
    assert run_cutoffs(first, pd.Timestamp("2020-12-31"), None) == (
        pd.Timestamp("2021-01-01"),
        None,
    )
    with pytest.raises(TrainError, match="at least 6 months"):
        run_cutoffs(first, pd.Timestamp("2020-07-30"), None)
    with pytest.raises(TrainError, match="before the first transaction"):
        run_cutoffs(first, last, "2020-01-01")
