"""The one place that decides whether a test may use a real browser: headless Chromium through chromedriver
(Debian's `chromium` and `chromium-driver`, driven by Selenium), with axe-core from tools/axe (npm ci).

Where one of them is missing the test is skipped with the reason. In CI (`.ci/run` sets REQUIRE_BROWSER=1)
the same test fails instead, so a broken installation can never pass as green. Selenium is given the
browser and the driver by their paths: it never looks for (or downloads) anything itself.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from pipeline.platform import WINDOWS

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_ENV = "REQUIRE_BROWSER"


def _program(variable: str, debian_path: str) -> Path | None:
    """The program named in the environment `variable`, else Debian's; on Windows none unless named (Debian's
    path there is a Linux program: under Wine it even seems to exist, on the Z: drive, and cannot be started)."""
    given = os.environ.get(variable)
    if given:
        return Path(given)
    return None if WINDOWS else Path(debian_path)


CHROMIUM = _program("GYOZAI_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = _program("GYOZAI_CHROMEDRIVER", "/usr/bin/chromedriver")
AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SKIP_REASON = "ブラウザーでの点検を省略（CI では必須）"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


def missing() -> str | None:
    """What is missing for a browser test, as the line that says what to install, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium がありません（.venv/bin/pip install -e '.[dev]'）"
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "Windows では Chromium と chromedriver の場所を GYOZAI_CHROMIUM と GYOZAI_CHROMEDRIVER で指定してください"
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return f"{CHROMIUM} か {CHROMEDRIVER} がありません（apt-get install chromium chromium-driver）"
    if not AXE.exists():
        return f"{AXE.relative_to(ROOT)} がありません（npm ci --prefix tools/axe）"
    return None


def need_browser() -> None:
    """Skips the calling test or fixture where the browser or axe-core is missing (fails in CI)."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 なのに {reason}", pytrace=False)
    pytest.skip(f"{SKIP_REASON}: {reason}")


class Browser:
    """One headless Chromium for many pages (its own throw-away profile), ended by `close`."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="gyozai-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--hide-scrollbars", f"--user-data-dir={self.profile}"):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self.driver.set_script_timeout(120)

    def open(self, page: Path, width: int = 1280, height: int = 900) -> None:
        """`page` from its file, in a viewport `width` CSS pixels wide (320 = 1280 at 400% zoom)."""
        self.viewport(width, height)
        self.driver.get(page.resolve().as_uri())

    def viewport(self, width: int, height: int = 900) -> None:
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def axe(self, tags: tuple[str, ...] = WCAG_TAGS) -> dict:
        """axe-core's result on the open page with the rules of `tags` (violations, passes, incomplete…)."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        found = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
            "  .then(r => done(JSON.stringify(r)), e => done(JSON.stringify({error: String(e)})));",
            list(tags),
        )
        result = json.loads(found)
        if "error" in result:
            raise AssertionError(f"axe-core が失敗しました: {result['error']}")
        return result

    def script(self, code: str):
        return self.driver.execute_script(code)

    def close(self) -> None:
        try:
            self.driver.quit()      # ends chromedriver and the Chromium it started
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def describe(violations: list[dict]) -> str:
    """Each violation's rule, help and the nodes it found, one per line, for an assertion's message."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        lines += [f"    {' '.join(map(str, n['target']))}: {n.get('failureSummary', '')}" for n in v["nodes"][:10]]
    return "\n".join(lines)
