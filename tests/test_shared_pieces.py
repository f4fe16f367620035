"""The pieces that several stages share since the layers (docs/architecture.md), each on values: the year's
plan as a type, the guarded department name, the roster's word in the store, a worker's failure ours or the
file's, and the one way a figure is printed."""

from __future__ import annotations

import sqlite3

import pytest

from pipeline.config import Limits
from pipeline.findings import Code
from pipeline.intake.untrusted import failure_finding, is_ours, out_of_memory
from pipeline.isolation import WorkerFailure
from pipeline.plan import YearPlan
from pipeline.report.texts import quantity
from pipeline.vocabulary import MISSING, RETURNED, WITH_ERRORS, RosterStatus
from tests import report_fixtures as F


def test_for_year__gives_a_year_plan_that_is_its_own_year_plan():
    plan = F.plan()
    year_plan = plan.for_year(2024)
    assert isinstance(year_plan, YearPlan) and not isinstance(plan, YearPlan)
    assert year_plan.year == 2024 and year_plan.for_year(2024) is year_plan
    assert plan.for_year(2024) is year_plan          # made once per year
    with pytest.raises(ValueError):
        year_plan.for_year(2025)


def test_department_name_or__a_code_the_plan_does_not_know():
    plan = F.plan()
    code = plan.departments[0].code
    assert plan.department_name_or(code) == plan.department_name(code)
    assert plan.department_name_or("99") == ""
    assert plan.department_name_or(None) == ""
    assert plan.department_name_or("99", "99") == "99"


def test_roster_status__the_store_keeps_its_old_word_for_returned():
    assert RETURNED.value == "returned" and RETURNED.stored == "accepted"
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE roster (status TEXT)")
    db.executemany("INSERT INTO roster VALUES (?)", [(RETURNED,), (WITH_ERRORS,), (MISSING,)])
    words = [row[0] for row in db.execute("SELECT status FROM roster")]
    assert words == ["accepted", "errors", "missing"]
    assert [RosterStatus.from_stored(w) for w in words] == [RETURNED, WITH_ERRORS, MISSING]


@pytest.mark.parametrize(("failure", "ours", "code"), [
    (WorkerFailure("error", "OSError: [Errno 28] No space left on device", OSError(28, "No space")), True, None),
    (WorkerFailure("error", "MemoryError", MemoryError()), False, Code.FILE_015),
    (WorkerFailure("error", "MemoryError: the budget", None), False, Code.FILE_015),
    (WorkerFailure("crashed", "SIGABRT: memory allocation of 549755813888 bytes failed"), False, Code.FILE_015),
    (WorkerFailure("timeout", "no result within 60 s"), False, Code.FILE_016),
])
def test_a_workers_failure__ours_or_the_files(failure, ours, code):
    assert is_ours(failure) is ours
    assert out_of_memory(failure) is ("MemoryError" in failure.detail)
    if code is not None:
        assert failure_finding(failure, "05.xlsx", Limits()).code == code


def test_quantity__a_negative_figure_with_the_charters_triangle():
    assert quantity(1234, "件") == "1,234件"
    assert quantity(-5, "件") == "▲5件"
    assert quantity(2.5, "%") == "2.5%"
