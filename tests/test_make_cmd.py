"""make.cmd, the front door where there is no make (the secretariat's Windows PC): its other half, tools/make.py,
runs every target the Makefile offers with the same options, the same command and the same exit codes. Runs on
every system (tools/make.py is plain Python); the comparison with the Makefile's own recipes needs GNU make."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

import pytest

from pipeline import platform
from tests.conftest import ROOT
from tools import make as make_cmd

MAKE = None if platform.WINDOWS else shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="GNU make がないため省略します（Windows の入口は make.cmd だけ）")
# the developers' targets the Makefile keeps for Linux (make bench, make docs-images); make.cmd leaves them out
LINUX_ONLY = {"bench", "docs-images"}


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):[^\n]*## ", text, flags=re.M))


def test_every_makefile_target__offered_by_make_cmd():
    assert _makefile_targets() - LINUX_ONLY == set(make_cmd.HELP) | {"help"}


@needs_make
@pytest.mark.parametrize("line", [
    "check YEAR=2025 TODAY=2026-04-01",
    "templates YEAR=2024 FORCE=1 DEPT=05,18",
    "collect YEAR=2024",
    "collect YEAR=2024 FORCE=1 CONFIG=別の設定.toml",
    "report YEAR=2024",
    "status YEAR=2024 TODAY=2025-05-20",
    "opinions-template YEAR=2024 FORCE=1",
    "opinions-collect YEAR=2024",
    "history-template YEAR=2023 FORCE=1",
    "history-import YEAR=2023 FORCE=1",
    "history-import YEAR=2023 FILE=history/2023/転記票.xlsx",
    "original YEAR=2024 DEPT=05",
    "original SHA=3f2a9c1b OUT=控え",
    "plan-check",
    "plan-export MASTER=計画マスタ.xlsx FORCE=1",
    "plan-import MASTER=計画マスタ.xlsx OUT=plan/新.toml FORCE=1",
    "demo YEAR=2024",
])
def test_make_cmd__runs_the_command_the_makefile_runs(line):
    """The Makefile's recipe (make -n) and make.cmd's command, word for word after the .venv's python."""
    target, *assignments = line.split()
    dry = subprocess.run([MAKE, "-n", "--no-print-directory", target, *assignments], cwd=ROOT, capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert dry.returncode == 0, dry.stderr
    recipe = next(ln for ln in dry.stdout.splitlines() if " -m pipeline" in ln)
    made = shlex.split(recipe.split(" || ")[0].split("; ")[-1])
    values = {**make_cmd.DEFAULTS, **dict(a.split("=", 1) for a in assignments)}
    arguments, ok = make_cmd.command_for(target, values)
    assert made[1:] == arguments
    assert ok == ((0, 1) if "INPUT_NEEDS_FIXING" in _recipe_of(target) else (0,))


def _recipe_of(target: str) -> str:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)+)", text, flags=re.M).group(1)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "make.py"), *args], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", env={**__import__("os").environ, "PYTHONIOENCODING": "utf-8"})


def test_make_cmd__help__every_target_in_japanese():
    run = _run("help")
    assert run.returncode == 0
    for target in make_cmd.HELP:
        assert re.search(rf"^  make\.cmd {re.escape(target)} +\S", run.stdout, flags=re.M), target


def test_make_cmd__a_target_it_does_not_have__exit_2_says_how_to_list_them():
    run = _run("colect", "YEAR=2024")
    assert run.returncode == 2
    assert run.stderr.strip() == "「colect」というターゲットはありません。make.cmd help で一覧を表示します。"


def test_make_cmd__plan_import_without_out__exit_2_says_what_to_add(monkeypatch):
    monkeypatch.setattr(make_cmd, "install", lambda: 0)       # nothing to install for this refusal
    assert make_cmd.main(["plan-import", "MASTER=計画マスタ.xlsx"]) == 2


@pytest.mark.parametrize(("status", "target", "ends"), [
    (1, "collect", 0),      # a return to fix: the summary was the last line, and make.cmd ends normally
    (2, "collect", 2),      # the run could not go on: make.cmd fails with it, so a script stops there
    (1, "report", 1),       # report has no "input needs fixing": any failure fails
])
def test_make_cmd__exit_codes_as_the_makefile(monkeypatch, status, target, ends):
    monkeypatch.setattr(make_cmd, "install", lambda: 0)
    ran = []

    def fake_run(command, **kwargs):
        ran.append(command)
        return subprocess.CompletedProcess(command, status)

    monkeypatch.setattr(make_cmd.subprocess, "run", fake_run)
    assert make_cmd.main([target, "YEAR=2024"]) == ends
    assert ran[0][1:] == ["-m", "pipeline", "--config", "config.toml", target, "--year", "2024"]
