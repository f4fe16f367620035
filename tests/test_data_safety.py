"""Data safety: a run killed at any moment leaves the previous store and outputs as they were; a lock
stops two runs at once; memory stays bounded on the zip bomb and the far cell."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from pipeline import platform
from pipeline.cli import main
from pipeline.store import Store, run_lock
from pipeline.vocabulary import RETURNED
from tests.conftest import ROOT, YEAR
from tests.test_gate import SHEET, GiB, _Entry, _raw_zip, _replaced, _zeros_deflated
from tests.test_hostile import _bytes, _with_sheet_xml


def _collect_command(project) -> list[str]:
    return [sys.executable, "-m", "pipeline", "--config", str(project.config_path), "collect", "--year", str(YEAR)]


def _state(project) -> tuple:
    with Store(project.config.store_path) as store:
        dump = {k: v for k, v in store.dump().items() if k != "runs"}
    out = project.config.output_for(YEAR)
    return json.dumps(dump, sort_keys=True, default=str), (out / "findings.csv").read_bytes()


def test_kill_9_during_collect__store_and_outputs_are_the_old_or_the_new_never_half(project):
    returned = project.return_all()
    # copies sent again, so that the run lasts long enough to be killed at many moments
    for n in range(8):
        for path in returned.values():
            (project.inbox() / f"再送{n}" / path.name).parent.mkdir(exist_ok=True)
            (project.inbox() / f"再送{n}" / path.name).write_bytes(path.read_bytes())
    subprocess.run(_collect_command(project), cwd=ROOT, check=False, capture_output=True)
    before = _state(project)
    # the inbox changes: one department sends a corrected return with a mistake in it
    filler = project.filler("05").fill_all(actual="約千件")
    filler.save(project.inbox() / "情報政策課_修正.xlsx", saved_at=dt.datetime(2025, 6, 1))
    seen, killed_mid_run = [], 0
    for delay in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2):
        process = subprocess.Popen(_collect_command(project), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, **platform.own_group())
        time.sleep(delay)
        killed_mid_run += process.poll() is None
        platform.kill_group(process)   # the run and its workers, at once (SIGKILL; on Windows taskkill /F /T)
        with sqlite3.connect(project.config.store_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        seen.append(_state(project))
    subprocess.run(_collect_command(project), cwd=ROOT, check=False, capture_output=True)
    after = _state(project)
    assert after != before and killed_mid_run >= 3
    for store_state, csv_state in seen:
        # each is written atomically on its own: the store in one transaction, each output by rename
        assert store_state in (before[0], after[0])
        assert csv_state in (before[1], after[1])


def test_lock__second_collect_while_one_runs__clear_message_exit_2(project):
    project.return_all()
    with run_lock(project.config.store_path):
        result = CliRunner().invoke(main, ["--config", str(project.config_path), "collect", "--year", str(YEAR)])
    assert result.exit_code == 2
    assert "別の collect または report が実行中です" in result.output


@pytest.mark.skipif(platform.WINDOWS, reason="RLIMIT_AS and getrusage are POSIX's (the Job Object cap: test_platform)")
def test_memory__zip_bomb_and_far_cell__bounded_and_the_good_return_accepted(project):
    inbox = project.inbox()
    good = project.filler("05").fill_all()
    good.save(inbox / "good.xlsx")
    base = _bytes(project.filler("01").fill_all())
    (inbox / "bomb.xlsx").write_bytes(_raw_zip(_replaced(base, _Entry(SHEET, _zeros_deflated(3 * 1024), 3 * GiB, 0))))
    (inbox / "far.xlsx").write_bytes(_with_sheet_xml(base, "1101", lambda xml: xml.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')))
    # the whole run in a child whose address space is capped; report the largest RSS in its process tree
    probe = (
        "import resource, subprocess, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({4 * GiB}, resource.RLIM_INFINITY))\n"
        f"r = subprocess.run({_collect_command(project)!r}, capture_output=True, text=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(r.stdout)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    status, max_rss_kib = map(int, out.stdout.splitlines()[0].split())
    assert status == 1, out.stdout + out.stderr
    assert max_rss_kib < 500 * 1024, f"peak RSS {max_rss_kib // 1024} MiB"
    csv = (project.config.output_for(YEAR) / "findings.csv").read_text(encoding="utf-8")
    assert ",FILE_009,bomb.xlsx," in csv and ",FILE_015,far.xlsx," in csv
    with Store(project.config.store_path) as store:
        assert store.roster(YEAR)["05"] == RETURNED
        assert ("2101-02", "05") in store.answers(YEAR)
