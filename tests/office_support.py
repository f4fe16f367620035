"""The one place that decides whether a test may use LibreOffice, and a shared headless soffice for Calc.

Where LibreOffice (soffice and a Python with `uno`) or the poppler tools a test needs are missing, the
test is skipped with the reason. In CI (`.ci/run` sets REQUIRE_LIBREOFFICE=1) the same test fails
instead, so a broken installation can never pass as green. The search is pipeline.office.find_office,
so GYOZAI_SOFFICE=/nonexistent simulates a machine without LibreOffice.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import office
from tests.uno_calc import prepare_profile, soffice_command

REQUIRE_ENV = "REQUIRE_LIBREOFFICE"
SKIP_REASON = "LibreOffice が見つからないため省略（CI では必須）"
UNO_CALC = Path(__file__).with_name("uno_calc.py")


def office_required() -> bool:
    """True in CI: a missing LibreOffice is a failure, not a skip."""
    return os.environ.get(REQUIRE_ENV) == "1"


@functools.cache
def _find_office() -> office.Office | None:
    return office.find_office()


def missing(*tools: str) -> str | None:
    """What is missing for a LibreOffice test that also runs `tools` (pdftotext, …), or None."""
    if _find_office() is None:
        return "soffice と UNO の使える Python（python3-uno）が見つかりません"
    lacking = [t for t in tools if shutil.which(t) is None]
    if lacking:
        return f"{'・'.join(lacking)}（poppler-utils）が見つかりません"
    return None


def office_available(*tools: str) -> bool:
    return missing(*tools) is None


def need_office(*tools: str) -> office.Office:
    """The LibreOffice to use; skips the calling test or fixture where it is missing (fails in CI)."""
    reason = missing(*tools)
    if reason is None:
        return _find_office()
    if office_required():
        pytest.fail(f"{REQUIRE_ENV}=1 なのに {reason}", pytrace=False)
    pytest.skip(f"{SKIP_REASON}: {reason}")


def requires_office(*tools: str) -> Callable:
    """Decorator for a test that needs LibreOffice (and `tools`): skipped where it is missing, failed in CI."""
    def decorate(test: Callable) -> Callable:
        reason = missing(*tools)
        if reason is None:
            return test
        if not office_required():
            return pytest.mark.skip(reason=f"{SKIP_REASON}: {reason}")(test)

        def fail(*_args, **_kwargs):   # requests no fixture, so nothing that needs LibreOffice runs
            pytest.fail(f"{REQUIRE_ENV}=1 なのに {reason}", pytrace=False)

        fail.__name__, fail.__qualname__, fail.__doc__ = test.__name__, test.__qualname__, test.__doc__
        return fail
    return decorate


class CalcRefused(Exception):
    """tests/uno_calc.py refused an action (a locked cell, a value the dropdown does not offer)."""


class Calc:
    """One headless soffice for many workbooks: tests/uno_calc.py connects to it over a named pipe.

    Started in its own process group with a throw-away profile; `close` ends that group, by its id.
    """

    def __init__(self, found: office.Office, folder: Path, *, tz: str | None = None):
        self.python = found.python
        self.soffice = found.soffice
        self.folder = folder
        self.tz = tz
        self.starts = 0
        self._start()

    def _start(self) -> None:
        self.starts += 1
        self.pipe = f"gyozai_tests_{os.getpid()}_{id(self)}_{self.starts}"
        profile = self.folder / f"profile{self.starts}"
        prepare_profile(self.soffice, profile)
        self.process = subprocess.Popen(
            soffice_command(self.soffice, profile, self.pipe),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "TZ": self.tz} if self.tz else None,   # the clock of the PC that saves (its local time)
        )

    def fill(self, jobs: list[dict], *, timeout: float = 300.0) -> list[dict]:
        """Run the jobs ({in, out, actions}) through LibreOffice; returns what uno_calc.py did per workbook.

        LibreOffice itself now and then dies with a signal in the middle of a long session (seen: SIGSEGV in
        the UNO bridge, about one run in five): that is the office suite's crash, not a refusal, so soffice is
        started afresh and the same jobs are run once more. A refusal (exit 1) is never retried."""
        proc = self._run(jobs, timeout)
        if proc.returncode < 0:
            self.close()
            self._start()
            proc = self._run(jobs, timeout)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip()
            raise CalcRefused(message or f"uno_calc.py が終了コード {proc.returncode} で終わりました")
        return json.loads(proc.stdout.decode("utf-8"))

    def _run(self, jobs: list[dict], timeout: float) -> subprocess.CompletedProcess:
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=self.folder, delete=False,
                                         encoding="utf-8") as f:
            json.dump(jobs, f, ensure_ascii=False)
        try:
            return subprocess.run(
                [self.python, "-I", str(UNO_CALC), "--pipe", self.pipe, "--jobs", f.name],
                capture_output=True, timeout=timeout,
            )
        finally:
            os.unlink(f.name)

    def close(self) -> None:
        """End soffice: asked through UNO, so it cleans up after itself; then its process group, by id."""
        try:
            subprocess.run([self.python, "-I", str(UNO_CALC), "--pipe", self.pipe, "--terminate"],
                           capture_output=True, timeout=30)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)     # whatever is left of our process group
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()

