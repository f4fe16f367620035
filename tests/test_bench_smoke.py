"""`make bench` keeps working: the whole benchmark at a tiny size (no timing is asserted)."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from bench import synthetic as S
from pipeline import platform
from pipeline.collect.returns import collect
from pipeline.plan import load_plan
from pipeline.survey.filling import COLUMN, ReturnFiller
from pipeline.survey.workbook import build_workbook

ROOT = Path(__file__).resolve().parent.parent


def test_bench__synthetic_plan__loads_as_a_plan_file_and_every_department_is_surveyed(tmp_path):
    config_path = S.make_workspace(tmp_path / "ws", departments=30, items=12)
    config, plan = S.load_workspace(config_path)
    assert len(plan.departments) == 30 and len(plan.items) == 12
    assert len(plan.surveyed_departments()) == 30
    assert load_plan(config.plan_file).digest == plan.digest


@pytest.mark.skipif(platform.WINDOWS, reason="make bench is a Linux tool (forked workers, resource, /proc)")
def test_bench__prefilled_returns__collected_as_clean_returns(tmp_path):
    config, plan = S.load_workspace(S.make_workspace(tmp_path / "ws", departments=12, items=6))
    files, _size = S.write_returns(plan, config, processes=2)
    result = collect(plan.for_year(S.YEAR), config, S.YEAR)
    assert files == 12
    assert [f.code for f in result.findings] == []
    assert sum(len(o.answers) for o in result.files) == sum(len(i.departments) for i in plan.initiatives)


def test_bench__prefill__each_answer_in_its_input_cell_and_nothing_else_changed(tmp_path):
    config, plan = S.load_workspace(S.make_workspace(tmp_path / "ws", departments=5, items=3))
    taking = S.participation(plan)
    department = next(d for d in plan.departments if taking.get(d.code))
    prefill = S.prefill_for(plan, config, department.code, taking[department.code], random.Random(1))
    template_path = tmp_path / "template.xlsx"
    template_path.write_bytes(build_workbook(plan.for_year(S.YEAR), config, S.YEAR, department))
    template = ReturnFiller(template_path)
    filled = openpyxl.load_workbook(io.BytesIO(build_workbook(plan.for_year(S.YEAR), config, S.YEAR, department, prefill=prefill)))
    answers = {(sheet, template.wb[sheet].cell(template.row_of(sheet, key), COLUMN.get(field, 2)).coordinate): value
               for (sheet, key, field), value in prefill.items() if value is not None}
    assert len(answers) == len([v for v in prefill.values() if v is not None]) > 0     # no two on one cell

    def cells(wb):
        return {(ws.title, c.coordinate): (c.value, c.number_format, c.protection.locked, c.fill.fgColor.rgb)
                for ws in wb for row in ws.iter_rows() for c in row}

    before, after = cells(template.wb), cells(filled)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == set(answers)
    for k, value in answers.items():
        assert after[k] == (value, *before[k][1:])           # the answer, in the input cell's own format
        assert before[k][0] is None and not before[k][2]     # an empty, unlocked input cell of the template
    for ws in filled:
        assert ws.protection.sheet == template.wb[ws.title].protection.sheet
        assert [v.sqref for v in ws.data_validations.dataValidation] == [
            v.sqref for v in template.wb[ws.title].data_validations.dataValidation]


@pytest.mark.skipif(platform.WINDOWS, reason="make bench is a Linux tool (forked workers, resource, /proc)")
def test_bench__tiny_run__writes_every_section_of_the_results(tmp_path):
    output = tmp_path / "RESULTS.md"
    env = {**os.environ, "BENCH_SIZES": "12", "REPORT_ITEMS": "10", "BENCH_OPENPYXL_SAMPLE": "4"}
    run = subprocess.run([sys.executable, "-m", "bench.run", "--output", str(output), "--workdir",
                          str(tmp_path / "work")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    text = output.read_text(encoding="utf-8")
    for heading in ("## Collect", "## Templates", "## Report", "## Against the targets", "## How to read this"):
        assert heading in text
    assert "| 12 |" in text                       # the collect row for N=12
    assert "12/12 |" in text                      # every return accepted
    assert f"on {os.cpu_count()} cores" in text
