"""A version's serving files: built when it is published, rebuilt when its own files change, and
mapped without copying; the id index, sort orders and codes they hold answer as the table does."""

import errno
import json
import math
import os
import re
import threading
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portal import (
    analytics,
    campaign,
    explain,
    intervals,
    loaded,
    marketing,
    scoring,
    serving_files,
    store,
)
from portal.artifacts import METRICS
from portal.explain import explain_row
from portal.model import BGNBD_COLUMNS
from portal.row_json import json_rows
from tests.conftest import served_version


@pytest.fixture(scope="module")
def cdnow(data_dir) -> store.Artifacts:
    return store.ArtifactStore(data_dir / "final").current()


def test_publishing_builds_them_and_the_table_is_a_view_of_the_mapped_file(data_dir, cdnow):
    assert serving_files.current(data_dir / "final")
    predicted = cdnow.table["predicted_clv_6m"].to_numpy()
    assert not predicted.flags.owndata and not predicted.flags.writeable  # the file's pages
    assert not cdnow.files.arrays["order.frequency.asc"].flags.owndata  # np.load mmap_mode="r"
    assert cdnow.table["rank"].tolist() == list(range(1, cdnow.n + 1))


def test_every_customer_id_finds_its_row(cdnow):
    ids = cdnow.table["customer_id"].tolist()
    assert [cdnow.files.find(customer) for customer in ids] == list(enumerate(ids))
    assert cdnow.files.find("no such customer") is None


def test_digit_ids_match_without_leading_zeros_only_when_unambiguous(cdnow, tmp_path):
    table = cdnow.table.head(6).copy()
    table["customer_id"] = ["00001", "2", "0003", "03", "A7", "0"]
    art = served_version(tmp_path, "ids", table, cdnow.model, cdnow.metrics)
    assert art.position("00001") == 0 and art.position("1") == 0 and art.position("001") == 0
    assert art.locate("1") == (0, "00001")  # the stored id, as the answer gives it
    assert art.position("002") == 1  # '2' stored without zeros, asked with them
    assert art.position("0003") == 2 and art.position("03") == 3  # exact ids first
    with pytest.raises(store.UnknownCustomer):
        art.position("3")  # '0003' and '03' both strip to '3': ambiguous, so not found
    with pytest.raises(store.UnknownCustomer):
        art.position("7")  # 'A7' is not a digit id
    assert art.position(" A7 ") == 4
    with pytest.raises(store.UnknownCustomer):
        art.position("\ud800")  # a lone surrogate (valid JSON) is no stored id
    assert art.position("00") == 5  # '0' strips to '' as '00' does
    assert sorted(art.files.prefix_rows("0")) == [0, 2, 3, 5]
    assert sorted(art.files.prefix_rows("00")) == [0, 2]
    assert list(art.files.prefix_rows("B")) == []


@pytest.mark.parametrize("column", ["frequency", "recency_days", "p_purchase", "actual_6m"])
def test_sort_orders_are_stable_argsorts_both_ways(cdnow, column):
    values = cdnow.table[column].to_numpy()
    np.testing.assert_array_equal(cdnow.order(column, False), np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(cdnow.order(column, True), np.argsort(-values, kind="stable"))


def test_ids_sort_as_strings_and_contact_orders_break_ties_by_id(cdnow):
    ids = cdnow.table["customer_id"].to_numpy(dtype=object).astype(str)
    np.testing.assert_array_equal(cdnow.order("customer_id", False), np.argsort(ids))
    np.testing.assert_array_equal(cdnow.order("customer_id", True), np.argsort(ids)[::-1])
    risk = cdnow.marketing["value_at_risk"].to_numpy()
    np.testing.assert_array_equal(cdnow.contact_order("value_at_risk"), campaign.ranked(risk, ids))


def test_segment_and_group_masks_match_the_columns(cdnow):
    segments = cdnow.table["segment"].to_numpy(dtype=object)
    groups = cdnow.marketing["group"].to_numpy(dtype=object)
    for name in ("Elite", "High", "Medium", "Low"):
        np.testing.assert_array_equal(cdnow.segment_mask(name), segments == name)
    for name in cdnow.files.groups:
        np.testing.assert_array_equal(cdnow.group_mask(name), groups == name)
    assert cdnow.group_mask("Lapsed").sum() > 0
    assert not cdnow.segment_mask("Nobody").any() and not cdnow.group_mask("Nobody").any()


def test_a_changed_version_file_gets_them_rebuilt(copied_data_dir):
    folder = (copied_data_dir / "final").resolve()
    meta = serving_files.folder_of(folder) / "meta.json"
    built = meta.stat().st_mtime_ns
    os.utime(folder / METRICS, ns=(built + 10**9, built + 10**9))
    assert not serving_files.current(folder)
    art = store.ArtifactStore(copied_data_dir / "final").current()
    assert serving_files.current(folder) and meta.stat().st_mtime_ns > built
    assert art.n == 23_570


def test_files_built_for_another_layout_are_rebuilt(data_dir, monkeypatch):
    folder = (data_dir / "final").resolve()
    monkeypatch.setattr(serving_files, "SORTABLE", (*serving_files.SORTABLE, "tenure_days"))
    assert not serving_files.current(folder)  # a new sort column: its order is not in the files
    monkeypatch.undo()
    assert serving_files.current(folder)
    monkeypatch.setattr(campaign, "RANK_BY", {**campaign.RANK_BY, "historic": "historic_spend"})
    assert not serving_files.current(folder)  # a new contact order


def test_a_stored_customers_record_and_explanation_are_its_rows(cdnow):
    row = int(np.flatnonzero(cdnow.marketing["group"].notna())[17])
    position = cdnow.position(cdnow.table["customer_id"].iloc[row])
    assert position == row
    values, marketer = cdnow.record(position)
    assert _same(values, _numbers_and_dates(cdnow.table, row))
    assert _same(marketer, _numbers_and_dates(cdnow.marketing, row))
    assert cdnow.label(position, "segment") == cdnow.table["segment"].iloc[row]
    assert cdnow.label(position, "group") == cdnow.marketing["group"].iloc[row]
    matrix = cdnow.table[cdnow.model.raw_features].iloc[[row]].to_numpy(dtype=np.float64)
    stored, fresh = cdnow.explanation(position, values), explain_row(cdnow.model, matrix)
    assert [i["feature"] for i in stored["contributions"]] == [
        i["feature"] for i in fresh["contributions"]
    ]
    assert _numbers(stored) == pytest.approx(_numbers(fresh), rel=1e-12, abs=1e-12, nan_ok=True)
    assert stored["method"] == fresh["method"]


def test_records_keep_missing_numbers_and_groups(cdnow):
    table, fields = cdnow.table, cdnow.marketing
    no_group = int(np.flatnonzero(fields["group"].isna())[0])
    missing_gap = int(np.flatnonzero(table["gap_std_days"].isna())[0])
    for row in (no_group, missing_gap, cdnow.n - 1):
        values, marketer = cdnow.record(row)
        assert _same(values, _numbers_and_dates(table, row))
        assert _same(marketer, _numbers_and_dates(fields, row))
    assert math.isnan(cdnow.record(missing_gap)[0]["gap_std_days"])
    assert cdnow.label(no_group, "group") is None


def test_a_record_keeps_a_dates_day_and_a_missing_date(copied_data_dir, monkeypatch):
    fields_of = marketing.customer_fields

    def with_odd_dates(table, population):
        fields = fields_of(table, population)
        fields.loc[3, "next_order_date"] = pd.NaT
        fields.loc[4, "next_order_date"] = pd.Timestamp("1969-12-31 18:30")  # before 1970
        fields.loc[5, "next_order_date"] = pd.Timestamp("2031-02-28 23:59:59")
        return fields

    monkeypatch.setattr(marketing, "customer_fields", with_odd_dates)
    serving_files.build((copied_data_dir / "final").resolve())
    art = store.ArtifactStore(copied_data_dir / "final").current()
    dates = [art.record(row)[1]["next_order_date"] for row in (3, 4, 5)]
    assert dates == [None, date(1969, 12, 31), date(2031, 2, 28)]


def _numbers_and_dates(frame: pd.DataFrame, row: int) -> dict:
    """A frame's numbers (as floats) and dates (as dates, None for NaT) at ``row``."""
    result = {}
    for name in frame:
        value = frame[name].iloc[row]
        if frame[name].dtype.kind == "M":
            result[name] = None if pd.isna(value) else value.date()
        elif frame[name].dtype.kind in "fiub":
            result[name] = float(value)
    return result


def _same(got: dict, expected: dict) -> bool:
    """Equal dicts, NaN equal to NaN."""
    return list(got) == list(expected) and all(
        got[k] == expected[k] or (got[k] != got[k] and expected[k] != expected[k]) for k in got
    )


def _numbers(explanation: dict) -> list[float]:
    """Every number of an explanation, in order (None as NaN)."""
    top = [v for v in explanation.values() if isinstance(v, float)]
    items = [v for i in explanation["contributions"] for v in i.values() if not isinstance(v, str)]
    return [float("nan") if v is None else v for v in top + items]


def test_every_customers_stored_contributions_are_lightgbms(cdnow):
    model = cdnow.model
    design = model.design(cdnow.table)
    stored = np.asarray(cdnow.files.arrays[serving_files.CONTRIBUTIONS])
    purchase = model.classifier.booster_.predict(design, pred_contrib=True)
    spend = model.regressor.booster_.predict(design, pred_contrib=True)
    spend[:, -1] += np.log(model.total_correction)
    combined = explain.contributions(model, cdnow.table)
    combined = np.column_stack([combined["combined"], combined["combined_baseline"]])
    bgnbd = design[:, [model.inputs.index(name) for name in BGNBD_COLUMNS]]
    assert stored.shape == (cdnow.n, 3 * (len(model.inputs) + 1) + 3)
    assert stored == pytest.approx(np.hstack([purchase, spend, combined, bgnbd]), abs=1e-10)


def test_answers_keep_the_newest_and_compute_each_once():
    answers = loaded.Answers(2)
    computed = []

    def compute(text):
        return lambda: computed.append(text) or text.encode()

    assert answers.get("a", compute("a")) == b"a"
    assert answers.get("a", compute("other")) == b"a"  # kept: not computed again
    answers.get("b", compute("b"))
    answers.get("a", compute("a"))  # a is now the newest
    answers.get("c", compute("c"))  # drops b, the oldest
    assert len(answers) == 2
    assert answers.get("b", compute("b again")) == b"b again"
    assert computed == ["a", "b", "c", "b again"]


def test_whole_version_figures_and_curves_are_those_of_every_customer(cdnow):
    table = cdnow.table
    actual, predicted = table["actual_6m"].to_numpy(), table["predicted_clv_6m"].to_numpy()
    assert store.total_revenue_range(cdnow) == store.revenue_range(cdnow, np.arange(cdnow.n))
    assert store.predicted_total(cdnow) == pytest.approx(predicted.sum(), rel=1e-12)
    ids = table["customer_id"].to_numpy(dtype=object)
    curve = store.gain_curve.uncached(cdnow, 10)
    assert curve["normalized_gini"] == pytest.approx(
        analytics.normalized_gini(actual, predicted, ids), rel=1e-12
    )
    assert curve["normalized_gini"] == pytest.approx(
        cdnow.metrics["backtest"]["model"]["normalized_gini"], rel=1e-9
    )
    top_tenth = np.sort(actual)[::-1][: len(actual) // 10].sum() / actual.sum()
    assert curve["oracle"][1] == pytest.approx(top_tenth, rel=1e-12)
    assert curve["model"][1] == pytest.approx(curve["top_decile_capture"], abs=1e-4)
    concentration = store.value_concentration.uncached(cdnow, 10)
    assert concentration["share"][1] == pytest.approx(
        predicted[: len(predicted) // 10].sum() / predicted.sum(), abs=1e-4
    )


@pytest.mark.parametrize(
    "positions", [[40, 41, 42, 43], [43, 42, 41, 40], [5, 900, 17], [7], []], ids=str
)
def test_take_gives_the_rows_values_sliced_or_gathered(cdnow, positions):
    positions = np.array(positions, dtype=np.int64)
    columns = ["customer_id", "predicted_clv_6m", "rank", "segment"]
    taken = cdnow.take(positions, columns)
    rows = cdnow.table.iloc[positions]
    for name in columns:
        values = taken[name]
        got = values.tolist() if isinstance(values, np.ndarray) else values.to_pylist()
        assert got == rows[name].tolist()


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["no permission", "read-only"])
def test_stale_files_in_a_folder_that_cannot_be_written_say_so(cdnow, tmp_path, monkeypatch, code):
    served_version(tmp_path, "locked", cdnow.table.head(30), cdnow.model, cdnow.metrics)
    (serving_files.folder_of(tmp_path) / "meta.json").unlink()  # stale: to be rebuilt

    def refused(_folder):
        raise OSError(code, os.strerror(code), str(tmp_path))

    monkeypatch.setattr(serving_files, "_lock", refused)  # as a read-only folder answers
    with pytest.raises(
        store.ArtifactsMissing, match="cannot write the serving files.*portal setup"
    ):
        store.ArtifactStore(tmp_path).current()


def test_mapping_waits_for_a_rebuild_under_way(cdnow, tmp_path):
    served_version(tmp_path, "rebuilt", cdnow.table.head(30), cdnow.model, cdnow.metrics)
    opened = threading.Event()

    def open_them():
        serving_files.open_files(tmp_path)
        opened.set()

    with serving_files._lock(tmp_path):  # a rebuild holds the builder's lock
        reader = threading.Thread(target=open_them)
        reader.start()
        assert not opened.wait(0.5)  # the reader waits rather than map half-replaced files
    assert opened.wait(30)
    reader.join()


def resident_kb(path: Path) -> int:
    """Resident KB of every map of ``path`` in this process."""
    total, current = 0, None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        mapping = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
        if mapping:
            current = mapping.group(1)
        elif line.startswith("Rss:") and current == str(path):
            total += int(line.split()[1])
    return total


def test_serving_a_customer_or_a_page_maps_none_of_the_file(cdnow):
    """Read through a map, each value would make its page (or the whole large folio around it)
    resident in the worker: the reason rows are read with pread."""
    files = serving_files.open_files(cdnow.folder)
    table_file = (serving_files.folder_of(cdnow.folder) / "table.arrow").resolve()
    before = resident_kb(table_file)
    rows = np.random.default_rng(0).choice(len(files.table), 200, replace=False)
    for row in rows:
        customer_id = files.columns["customer_id"].at(int(row))
        assert files.find(customer_id) == (row, customer_id)
        values = {name: column.at(int(row)) for name, column in files.columns.items()}
        assert values["customer_id"] == customer_id
    for name, column in files.columns.items():
        column.gather(rows), column.slice(1_000, 1_100)
    assert resident_kb(table_file) == before
    rows_of = {
        name: (serving_files.folder_of(cdnow.folder) / f"{name}.npy").resolve()
        for name in (serving_files.RECORDS, serving_files.CONTRIBUTIONS)
    }
    untouched = {name: resident_kb(path) for name, path in rows_of.items()}
    for name in rows_of:
        width = files.arrays[name].shape[1]
        for row in rows:
            files.array_columns[name].slice(row * width, (row + 1) * width)
    files.page_rows.joined(rows), files.page_rows.joined(np.arange(100, 200))
    assert {name: resident_kb(path) for name, path in rows_of.items()} == untouched
    files.table["predicted_clv_6m"].sum()  # a whole-column figure reads through the map
    assert resident_kb(table_file) > before


@pytest.mark.parametrize("positions", [np.arange(40, 340), np.arange(300)[::-1] * 7])
def test_rows_read_from_the_files_or_through_the_maps_are_the_same_frame(
    cdnow, monkeypatch, positions
):
    columns, fields = list(cdnow.table.columns), marketing.FIELDS
    read = cdnow.rows(positions, columns, fields)
    assert list(read.index) == positions.tolist() and list(read.columns) == columns + fields
    expected = cdnow.table.iloc[positions].join(cdnow.marketing.iloc[positions][fields])
    pd.testing.assert_frame_equal(read, expected, check_index_type=False)
    assert read["group"].isna().any() and read["group"].notna().any()  # nulls read as missing
    monkeypatch.setattr(loaded, "MAPPED_ROWS", 100)  # more rows than that: through the maps
    pd.testing.assert_frame_equal(
        cdnow.rows(positions, columns, fields), expected, check_index_type=False
    )


def test_a_customers_interval_is_read_as_scored_and_computed_where_a_table_lacks_it(cdnow):
    customer = cdnow.table.iloc[40]
    answer = scoring.customer_prediction(cdnow, customer["customer_id"], explain=False)
    scored = intervals.fields(
        cdnow.model.intervals, customer["predicted_clv_6m"], customer["p_purchase"]
    )
    assert {key: answer[key] for key in scored} == pytest.approx(scored, rel=1e-12)
    columns = list(intervals.COLUMNS)
    older = cdnow.table.head(50).drop(columns=columns)  # a version scored before the columns
    assert serving_files.ranked_table(older, cdnow.model)[columns].to_numpy() == pytest.approx(
        cdnow.table[columns].head(50).to_numpy(), rel=1e-12
    )


def test_stored_page_rows_are_the_rows_a_page_encodes(cdnow):
    columns = serving_files.page_columns(cdnow.table)
    assert "actual_6m" in columns  # a backtest
    by_frequency = cdnow.order("frequency", descending=False)
    pages = {
        "a page in rank order": np.arange(200, 300),
        "the last rows": np.arange(cdnow.n - 7, cdnow.n),
        "one row": np.array([4_321]),
        "no row": np.array([], dtype=np.int64),
        "sorted by another column": by_frequency[1_000:1_100],
        "a segment's rows": np.flatnonzero(cdnow.segment_mask("Elite"))[5:55],
    }
    for name, positions in pages.items():
        stored = cdnow.page_rows(positions)
        assert stored == json_rows(cdnow.take(positions, columns)), name
        assert [row["rank"] for row in json.loads(stored)] == cdnow.table["rank"].iloc[
            positions
        ].tolist(), name


def test_page_rows_past_the_table_are_an_error(cdnow):
    with pytest.raises(IndexError):
        cdnow.page_rows(np.array([cdnow.n]))
    with pytest.raises(IndexError):
        cdnow.page_rows(np.array([3, -1]))
