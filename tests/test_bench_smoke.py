"""`make bench` keeps working: the whole benchmark at a tiny size (no timing is asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench import synthetic as S
from pipeline.collect.returns import collect
from pipeline.plan import load_plan
from pipeline.survey.workbook import build_workbook

ROOT = Path(__file__).resolve().parent.parent


def test_bench__synthetic_plan__loads_as_a_plan_file_and_every_department_is_surveyed(tmp_path):
    config_path = S.make_workspace(tmp_path / "ws", departments=30, items=12)
    config, plan = S.load_workspace(config_path)
    assert len(plan.departments) == 30 and len(plan.items) == 12
    assert len(plan.surveyed_departments()) == 30
    assert load_plan(config.plan_file).digest == plan.digest


def test_bench__prefilled_returns__collected_as_clean_returns(tmp_path):
    config, plan = S.load_workspace(S.make_workspace(tmp_path / "ws", departments=12, items=6))
    files, _size = S.write_returns(plan, config, processes=2)
    result = collect(plan.for_year(S.YEAR), config, S.YEAR)
    assert files == 12
    assert [f.code for f in result.findings] == []
    assert sum(len(o.answers) for o in result.files) == sum(len(i.departments) for i in plan.initiatives)


def test_bench__prefill__changes_only_the_input_cells(tmp_path):
    config, plan = S.load_workspace(S.make_workspace(tmp_path / "ws", departments=5, items=3))
    department = plan.departments[0]
    assert build_workbook(plan.for_year(S.YEAR), config, S.YEAR, department, prefill={}) == build_workbook(
        plan.for_year(S.YEAR), config, S.YEAR, department)


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
