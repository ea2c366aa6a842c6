"""Property-based: random and malformed CSVs end in a clear IngestError or a correct result."""

import csv
import io

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.ingest import ColumnMap, IngestError, load_transactions

MAP = ColumnMap(customer_id="id", date="day", amount="amt")
cell = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.dates().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**6), 10**6).map(str),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(cell, cell, cell), max_size=8),
    header=st.sampled_from(["id,day,amt", "id,day", "x,y,z", "id,day,amt,extra"]),
)
def test_random_csv_is_rejected_clearly_or_read_completely(tmp_path_factory, rows, header):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(header + "\n")
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("prop") / "log.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        frame = load_transactions(path, MAP)
    except IngestError as exc:
        assert str(path) in str(exc)
        return
    # accepted: every data row is kept, ids are text, dates and amounts are typed
    expected = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    assert len(frame) == len(expected) == len(rows)
    assert frame["customer_id"].map(type).eq(str).all()
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert frame["amount"].map(lambda v: v == v and abs(v) != float("inf")).all()
