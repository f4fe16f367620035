"""Refresh the README's pictures (docs/images/*.png) from a demo year, made with LibreOffice and poppler.

    .venv/bin/python tools/docs_images.py [--out docs/images] [--year 2025]      (make docs-images)

Runs `python -m pipeline.demo` in a scratch folder (which writes the report's PDF through LibreOffice),
converts one department's filled survey workbook to PDF with soffice, and renders with pdftoppm; the web
page is photographed by the headless Chromium the browser tests use (tests/browser_support.py):

    survey_sheet.png   情報政策課's sheet 2101 as it prints (A4 landscape, the yellow input cells filled)
    report_cover.png   the report's cover
    report_toc.png     its table of contents, filled in by LibreOffice
    report_item.png    the first page of 3 具体的な取組 (the charter's table of item 1101, then the year's answers)
    report_chart.png   the page with item 1101's indicator: its numbers by year and its chart
    report_summary.png the first page of 6 計画期間の総括 (the final year's closing of the plan period)
    web_page.png       the web page (output/<year>/web/index.html) in headless Chromium, 1280 CSS px wide, its top
    web_phone.png      the same page 390 CSS px wide (a phone), its top
    web_chart.png      the page around the first indicator's chart and its table, 1280 CSS px wide

Each PNG is rendered at the highest resolution that keeps it under 300 KB (the survey sheet cropped to
its upper part, so that its small print stays readable). The report is dated 20 June after the demo year.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import office  # noqa: E402 - after the path is set, when run as a script

DEPARTMENT = "情報政策課"
SHEET = "2101"
MAX_BYTES = 300_000
REPORT_DPI = (110, 100, 90, 80, 72)  # an A4 page, readable, under MAX_BYTES
SURVEY_CROP = (0.03, 0.07, 0.97, 0.68)  # the landscape sheet's title, context and first initiatives
REPORT_DAY = "06-20"               # the report is dated 20 June after the demo year: pictures change only with the layout
TIMEOUT = 240


def run(command: list[str], **kwargs) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, without the spaces pdftotext puts between Japanese and ASCII."""
    return [re.sub(r"[ \t]+", "", page) for page in run(["pdftotext", "-layout", str(pdf), "-"]).split("\f")]


def find_page(pdf: Path, pattern: str) -> int:
    """The first page (1-based) with a line matching `pattern` (spaces removed)."""
    for number, text in enumerate(page_texts(pdf), 1):
        if re.search(pattern, text, re.MULTILINE):
            return number
    raise click.ClickException(f"{pdf.name} に {pattern!r} のページがありません")


def workbook_pdf(found: office.Office, workbook: Path, folder: Path) -> Path:
    """The workbook printed to PDF by soffice, with a throw-away profile and the report's font mapping."""
    profile = folder / "profile"
    profile.mkdir()
    env = {**os.environ, "FONTCONFIG_FILE": str(office.fontconfig_file(profile))}
    proc = subprocess.Popen(
        [found.soffice, "--headless", "--invisible", "--norestore", "--nolockcheck",
         f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf", "--outdir", str(folder),
         str(workbook)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env=env,
    )
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise click.ClickException(f"soffice が {TIMEOUT} 秒で終わりませんでした") from None
    finally:
        try:
            os.killpg(proc.pid, 9)       # our own process group: soffice and what it started
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
    pdf = folder / f"{workbook.stem}.pdf"
    if not pdf.exists():
        raise click.ClickException(f"{workbook.name} を PDF にできませんでした: {err.decode(errors='replace')}")
    return pdf


def render(pdf: Path, page: int, target: Path, crop: tuple[float, float, float, float] | None = None,
           resolutions: tuple[int, ...] = (110, 100, 90, 80, 72)) -> int:
    """Page `page` of `pdf` as a PNG under MAX_BYTES, at the first resolution that fits; returns it.

    `crop` keeps part of the page: (left, top, right, bottom) as fractions of its width and height.
    """
    width, height = page_size(pdf, page)
    for dpi in resolutions:
        area = []
        if crop:
            left, top, right, bottom = (round(f * size / 72 * dpi) for f, size in zip(crop, (width, height) * 2, strict=True))
            area = ["-x", str(left), "-y", str(top), "-W", str(right - left), "-H", str(bottom - top)]
        run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), *area, "-singlefile",
             str(pdf), str(target.with_suffix(""))])
        if target.stat().st_size <= MAX_BYTES:
            return dpi
    raise click.ClickException(f"{target.name} が {MAX_BYTES} バイトを超えます")


def page_size(pdf: Path, page: int) -> tuple[float, float]:
    """Width and height of a page in points."""
    info = run(["pdfinfo", "-f", str(page), "-l", str(page), str(pdf)])
    found = re.search(rf"^Page\s+{page} size:\s+([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    if not found:
        raise click.ClickException(f"{pdf.name} の {page} ページの大きさが分かりません")
    return float(found.group(1)), float(found.group(2))


@click.command()
@click.option("--out", type=click.Path(path_type=Path), default=ROOT / "docs" / "images", show_default=True,
              help="PNG の保存先。")
@click.option("--year", type=int, default=2025, show_default=True, help="見本の年度。")
def main(out: Path, year: int) -> None:
    """README の画像（報告書の表紙・目次・取組・グラフ・総括のページ、調査票のシート）を作り直す。

    \b
    例:
      .venv/bin/python tools/docs_images.py --out docs/images
    """
    found = office.find_office()
    lacking = [t for t in ("pdftotext", "pdftoppm") if shutil.which(t) is None]
    if found is None or lacking:
        raise click.ClickException("LibreOffice（soffice と python3-uno）と poppler-utils が必要です")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gyozai-docs-") as tmp:
        workspace = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "pipeline.demo", "--workspace", str(workspace), "--year", str(year)],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "pipeline", "--config", str(workspace / "config.toml"), "report",
                        "--year", str(year), "--date", f"{year + 1}-{REPORT_DAY}"],
                       cwd=workspace, check=True, stdout=subprocess.DEVNULL)
        report = next((workspace / "output" / str(year)).glob("進捗状況報告書_*.pdf"), None)
        if report is None:
            raise click.ClickException("見本の報告書 PDF ができませんでした（LibreOffice の警告を確認してください）")
        returned = sorted((workspace / "returns" / str(year)).rglob(f"*{DEPARTMENT}*.xlsx"))
        if not returned:
            raise click.ClickException(f"見本の回答に {DEPARTMENT} の調査票がありません")
        sheet_pdf = workbook_pdf(found, returned[-1], Path(tmp))
        pictures = {   # name: pdf, page, crop, resolutions
            "survey_sheet.png": (sheet_pdf, find_page(sheet_pdf, rf"進捗状況調査票　?{SHEET}"),
                                 SURVEY_CROP, (150, 140, 130, 120)),
            "report_cover.png": (report, 1, None, REPORT_DPI),
            "report_toc.png": (report, find_page(report, r"^目次$"), None, REPORT_DPI),
            "report_item.png": (report, find_page(report, r"^3具体的な取組$"), None, REPORT_DPI),
            "report_chart.png": (report, find_page(report, r"^実績（件）"), None, REPORT_DPI),
            "report_summary.png": (report, find_page(report, r"^6計画期間の(総括|推移（\d+年度まで）)$"), None, REPORT_DPI),
        }
        for name, (pdf, page, crop, resolutions) in pictures.items():
            dpi = render(pdf, page, out / name, crop, resolutions)
            size = (out / name).stat().st_size
            click.echo(f"{out / name}  ({pdf.name} {page} ページ, {dpi} dpi, {size // 1000} KB)")
        web_pictures(workspace / "output" / str(year) / "web" / "index.html", out)


WEB_SHOTS = {   # name: (viewport width in CSS px, height of the picture, the element at its top or None)
    "web_page.png": (1280, 1500, None),
    "web_phone.png": (390, 1600, None),
    "web_chart.png": (1280, 1100, "courses"),
}


def web_pictures(page: Path, out: Path) -> None:
    """The web page as the browser tests see it: headless Chromium, Japanese fonts, a fixed viewport."""
    from tests import browser_support as B

    reason = B.missing()
    if reason:
        raise click.ClickException(f"ウェブページの画像には Chromium と axe-core が必要です: {reason}")
    browser = B.Browser()
    try:
        for name, (width, height, anchor) in WEB_SHOTS.items():
            browser.open(page, width=width, height=height)
            top = browser.script(f"return document.getElementById('{anchor}').getBoundingClientRect().top"
                                 " + window.scrollY - 16") if anchor else 0
            shot = browser.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": top, "width": width, "height": height, "scale": 1}})
            target = out / name
            target.write_bytes(base64.b64decode(shot["data"]))
            if target.stat().st_size > MAX_BYTES * 2:
                raise click.ClickException(f"{name} が {MAX_BYTES * 2} バイトを超えます")
            click.echo(f"{target}  (index.html, {width} px 幅, {target.stat().st_size // 1000} KB)")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
