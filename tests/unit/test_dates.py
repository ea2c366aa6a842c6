"""Dates read one way per column: the evidence, the refusals, the explicit choice, properties."""

from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.dates import read_dates


def days(values, date_format=None):
    reading = read_dates(pd.Series(values), date_format)
    assert reading.problem is None, reading.problem
    return [None if pd.isna(d) else d.date() for d in reading.parsed]


def test_a_day_first_column_with_times_is_read_day_first_for_every_row():
    # the regression: format="mixed" read 02/01/2022 20:19 as 1 February
    reading = read_dates(pd.Series(["15/09/2023 19:08", "02/01/2022 20:19"]))
    assert reading.convention == "dayfirst"
    assert reading.label == "day first (DD/MM/YYYY HH:MM)"
    assert [d.date() for d in reading.parsed] == [date(2023, 9, 15), date(2022, 1, 2)]


@pytest.mark.parametrize(
    "values, expected",
    [
        (["01/13/2024 3:04 PM", "02/01/2024 12:00 AM"], [date(2024, 1, 13), date(2024, 2, 1)]),
        (["05.01.2024", "5.1.24"], [date(2024, 1, 5)] * 2),  # dots are day first
        (["2024-01-05", "20240106", "2024/1/7T10:22:13.5"], [date(2024, 1, d) for d in (5, 6, 7)]),
        (["45296", "45297.75"], [date(2024, 1, 5), date(2024, 1, 6)]),  # Excel serials
        (["31/12/99", "01/02/00"], [date(1999, 12, 31), date(2000, 2, 1)]),  # 2-digit years
        (["13/01/2024", "30/02/2024", "x", None], [date(2024, 1, 13), None, None, None]),
    ],
)
def test_conventions_read_from_the_evidence(values, expected):
    assert days(values) == expected


def test_offsets_count_on_the_utc_day():
    values = [
        "2024-01-05 10:22:13 -0500",
        "2024-01-05 22:30:00 -0500",  # 03:30 UTC on the 6th
        "2024-01-05T00:30:00+01:00",  # 23:30 UTC on the 4th
        "2024-01-05T10:22:13.123456Z",
        "2024-01-05 23:59:59 UTC",
    ]
    assert days(values) == [date(2024, 1, d) for d in (5, 6, 4, 5, 5)]


def test_mixed_evidence_is_refused_naming_rows_of_each():
    reading = read_dates(pd.Series(["01/02/2024", "13/01/2024", "01/13/2024", "14/02/2024"]))
    assert reading.problem.startswith(
        "mixes day-first dates (row 2: '13/01/2024', row 4: '14/02/2024') "
        "and month-first dates (row 3: '01/13/2024')"
    )
    assert reading.parsed.isna().all()


def test_an_ambiguous_column_is_refused_until_a_convention_is_chosen():
    values = ["02/01/2022 20:19", "03/04/2022", "05/05/2022"]
    reading = read_dates(pd.Series(values))
    assert reading.problem == (
        "is ambiguous: no date has a day above 12, so each could be day first or month first "
        "(row 1: '02/01/2022 20:19', row 2: '03/04/2022'); choose the date format: dayfirst or "
        "monthfirst (or a strftime format such as %d/%m/%Y)"
    )
    assert days(values, "dayfirst") == [date(2022, 1, 2), date(2022, 4, 3), date(2022, 5, 5)]
    assert days(values, "monthfirst") == [date(2022, 2, 1), date(2022, 3, 4), date(2022, 5, 5)]


def test_an_explicit_choice_wins_over_the_evidence():
    # 13/01 is day-first evidence; monthfirst was chosen, so that row cannot be read
    assert days(["13/01/2024", "02/01/2024"], "monthfirst") == [None, date(2024, 2, 1)]
    assert days(["05 Jan 2024 10:00"], "%d %b %Y %H:%M") == [date(2024, 1, 5)]
    assert read_dates(pd.Series(["2024-01-05"]), "weekly").problem.startswith(
        "has an unknown date format 'weekly'"
    )


def test_serials_next_to_written_dates_are_refused():
    reading = read_dates(pd.Series(["45296", "2024-01-05"]))
    assert "mixes Excel serial numbers (row 1: '45296') with written dates (row 2:" in (
        reading.problem
    )


DAY_MONTH = {
    "dayfirst": ["%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%Y"],
    "monthfirst": ["%m/%d/%Y", "%m-%d-%y"],
}
YEAR_FIRST = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
TIMES = ["", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S", " %I:%M %p"]
moments = st.datetimes(datetime(1969, 1, 1), datetime(2068, 12, 31))


def on_days(first: int, last: int):
    """Moments whose day of the month is in [first, last] (built, not filtered: filtering most
    draws away fails Hypothesis's health check on unlucky seeds)."""
    return st.tuples(moments, st.integers(first, last)).map(lambda t: t[0].replace(day=t[1]))


@settings(max_examples=100, deadline=None)
@given(
    stamps=st.lists(moments, min_size=1, max_size=30),
    convention=st.sampled_from(["dayfirst", "monthfirst", "yearfirst"]),
    layout=st.data(),
    time=st.sampled_from(TIMES),
)
def test_random_dates_in_any_convention_read_back_for_every_row(stamps, convention, layout, time):
    day_layout = layout.draw(st.sampled_from(DAY_MONTH.get(convention, YEAR_FIRST)))
    fmt = day_layout + ("" if day_layout == "%Y%m%d" else time)  # a compact date has no time
    values = [s.strftime(fmt) for s in stamps]
    expected = [s.date() for s in stamps]
    reading = read_dates(pd.Series(values))
    telling = convention != "yearfirst" and ("." in day_layout or any(s.day > 12 for s in stamps))
    if convention == "yearfirst" or telling or all(s.day == s.month for s in stamps):
        assert reading.problem is None
        assert [d.date() for d in reading.parsed] == expected
    else:
        assert reading.problem.startswith("is ambiguous")
    named = convention if convention != "yearfirst" else None
    assert days(values, named) == expected  # the explicit choice always reads it back


@settings(max_examples=100, deadline=None)
@given(
    stamps=st.lists(moments, min_size=1, max_size=20),
    minutes=st.lists(st.integers(-12 * 60, 14 * 60), min_size=20, max_size=20),
)
def test_random_timestamps_with_offsets_count_on_their_utc_day(stamps, minutes):
    aware = [
        s.replace(tzinfo=timezone(timedelta(minutes=m)))
        for s, m in zip(stamps, minutes, strict=False)
    ]
    values = [s.strftime("%Y-%m-%dT%H:%M:%S%z") for s in aware]
    expected = [s.astimezone(UTC).date() for s in aware]
    assert days(values) == [d if 1900 <= d.year <= 2200 else None for d in expected]


@settings(max_examples=100, deadline=None)
@given(
    stamps=st.lists(on_days(1, 12), min_size=2, max_size=20),
    day_first=on_days(13, 28),
    month_first=on_days(13, 28),
    where=st.data(),
)
def test_a_column_mixing_day_first_and_month_first_is_refused_naming_both(
    stamps, day_first, month_first, where
):
    values = [s.strftime("%d/%m/%Y") for s in stamps]
    i = where.draw(st.integers(0, len(values)))
    values.insert(i, day_first.strftime("%d/%m/%Y"))
    j = where.draw(st.integers(0, len(values)))
    values.insert(j, month_first.strftime("%m/%d/%Y"))
    i += j <= i  # the first insert moved down
    problem = read_dates(pd.Series(values)).problem
    assert problem.startswith(f"mixes day-first dates (row {i + 1}: '{values[i]}')")
    assert f"and month-first dates (row {j + 1}: '{values[j]}')" in problem
