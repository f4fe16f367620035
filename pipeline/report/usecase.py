"""The report command as one use case: the report (.docx, and with LibreOffice its table of contents and a
PDF), the public indicator table (.xlsx, .csv) and the web page (web/index.html, with copies of the files it
links beside it), put in place together once every one is made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import StorageError, UsageError
from pipeline.files import Staging, made_on, stamped_pdf
from pipeline.fiscal import fiscal_year_short
from pipeline.plan import Plan
from pipeline.report.builder import TocLine, load_reference
from pipeline.report.data import ReportData, load_report_data
from pipeline.report.document import REPORT_NAME, ReportDocument
from pipeline.report.public_table import TABLE_NAME, public_file_name, stage_public_table
from pipeline.store import Store, run_lock
from pipeline.vocabulary import RETURNED


@dataclass
class ReportResult:
    year: int
    folder: Path
    docx: Path
    pdf: Path | None = None
    xlsx: Path | None = None
    csv: Path | None = None
    web: Path | None = None         # web/index.html; the files it links are copied beside it
    toc_filled: bool = False
    warnings: list[str] = field(default_factory=list)
    surveyed: int = 0               # departments the year's workbooks went to
    reflected: int = 0              # of them, those whose return was accepted: their answers are in the report

    @property
    def coverage(self) -> str:
        """How much of the year the report holds: '19部署のうち 12部署の回答を反映'."""
        return f"{self.surveyed}部署のうち {self.reflected}部署の回答を反映"

    @property
    def few_returns(self) -> str | None:
        """A plain warning when fewer than half of the departments' answers are in (None otherwise): a report
        made so early reads as the year's result to whoever opens it."""
        if self.reflected * 2 >= self.surveyed:
            return None
        return (f"回答を反映した部署が半数に届きません（{self.coverage}）。残りの部署は報告書で「未提出」"
                "「差し戻し中」と表示されます。回答がそろってから make collect をもう一度実行し、報告書を作り直してください。")

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.docx, self.pdf, self.xlsx, self.csv, self.web) if p is not None]


def report_file_name(year: int, suffix: str = ".docx") -> str:
    """'進捗状況報告書_R06_2024年度.docx'."""
    return f"{REPORT_NAME}_{fiscal_year_short(year)}_{year}年度{suffix}"


# --- writing the year's folder --------------------------------------------------------------------

def match_toc(headings: Sequence[TocLine], found: Sequence[tuple[str, str]]) -> list[TocLine] | None:
    """Our headings with LibreOffice's page numbers, or None when its entries do not match ours."""
    def norm(s: str) -> str:
        return "".join(s.split())
    if len(found) != len(headings):
        return None
    lines = []
    for h, (text, page) in zip(headings, found, strict=True):
        if norm(h.text) != norm(text) or not page.strip().isdigit():
            return None
        lines.append(TocLine(h.level, h.text, page.strip()))
    return lines


def make_report(plan: Plan, config: Config, year: int, today: dt.date, *, use_office: bool = True,
                office_timeout: float = 240.0) -> ReportResult:
    """The report command: output/<year>/ from the store, read once and read-only, under the run lock: the
    report (.docx, and .pdf with LibreOffice), the indicator table and the web page, all from one `ReportData`
    and put in place together once every one is made (a full disk or a folder we cannot write changes
    nothing). Raises UsageError when there is no store yet or the year was not collected."""
    if not config.store_path.exists():
        raise UsageError(
            f"データベース {config.store_path} がありません。先に make collect YEAR={year} を実行してください。"
        )
    with run_lock(config.store_path, required=False):
        with Store(config.store_path, readonly=True) as store:
            data = load_report_data(plan, store, year)
        return _write_report(config, data, today, use_office=use_office, office_timeout=office_timeout)


def _write_report(config: Config, data: ReportData, today: dt.date, *, use_office: bool,
                  office_timeout: float) -> ReportResult:
    plan, year = data.plan, data.year    # the plan as it stood that year: a later revision changes nothing here
    folder = config.output_for(year)
    reference, note = load_reference(config)
    result = ReportResult(year, folder, folder / report_file_name(year))
    if note:
        result.warnings.append(note)

    surveyed = plan.surveyed_departments()
    result.surveyed = len(surveyed)
    result.reflected = sum(data.current.status(d.code) == RETURNED for d in surveyed)
    writer = ReportDocument(plan, config, data, today, reference, svg_charts=True)   # SVG: the web page's charts
    writer.write(None)
    with Staging() as staging:
        staging.stage(result.docx, writer.save())
        tables = stage_public_table(plan, config, data, today, staging)
        result.xlsx, result.csv = tables.xlsx, tables.csv
        if use_office:
            _office(plan, config, data, today, reference, writer, result, staging, office_timeout)
        _web(plan, config, data, today, writer, result, staging)   # after the PDF: it links what was made
        staging.publish()
    return result


# the files the web page links, in its order: (the result's attribute, label, kind)
WEB_DOWNLOADS = (("pdf", REPORT_NAME, "PDF形式"), ("xlsx", TABLE_NAME, "Excel形式"), ("csv", TABLE_NAME, "CSV形式"))


def _web(plan: Plan, config: Config, data: ReportData, today: dt.date, writer: ReportDocument, result: ReportResult,
         staging: Staging) -> None:
    """The web page (staged), with a copy of each file it links beside it: the web folder goes on the city's
    site as it is. A PDF of an earlier run there goes when this run made none."""
    from pipeline.report.web import WEB_FOLDER

    folder = result.folder / WEB_FOLDER
    new = not folder.exists()       # made by the first file staged in it: gone again if anything fails after
    try:
        _stage_web(plan, config, data, today, writer, result, staging, folder)
    except BaseException:
        if new:
            staging.discard()       # the files staged in it first (the run stops: nothing is published)
            try:
                folder.rmdir()
            except OSError:
                pass
        raise


def _stage_web(plan: Plan, config: Config, data: ReportData, today: dt.date, writer: ReportDocument,
               result: ReportResult, staging: Staging, folder: Path) -> None:
    from pipeline.report.web import PAGE_NAME, Download, build_page

    downloads = []
    for attribute, label, kind in WEB_DOWNLOADS:
        source: Path | None = getattr(result, attribute)
        if source is None:
            if (folder / _file_name(result, attribute)).exists():
                staging.remove_on_publish(folder / _file_name(result, attribute))
            continue
        try:
            content = staging.staged(source).read_bytes()
        except OSError as exc:
            raise StorageError.of(exc, source, action="を読めません") from None
        staging.stage(folder / source.name, content)
        downloads.append(Download(source.name, label, kind, len(content)))
    result.web = staging.stage(folder / PAGE_NAME,
                               build_page(plan, data, config, today, writer.charts_by_item, downloads))


def _file_name(result: ReportResult, attribute: str) -> str:
    """The name the file of `attribute` ("pdf", "xlsx", "csv") has when it is made."""
    if attribute == "pdf":
        return report_file_name(result.year, ".pdf")
    return public_file_name(result.year, f".{attribute}")


def _office(plan: Plan, config: Config, data: ReportData, today: dt.date, reference: bytes, writer: ReportDocument,
            result: ReportResult, staging: Staging, timeout: float) -> None:
    """With LibreOffice: the PDF (staged) and the .docx again with its table of contents filled in."""
    import pikepdf

    from pipeline import office

    pdf = result.folder / report_file_name(year=result.year, suffix=".pdf")
    runner = office.find_office()
    if runner is None:
        result.warnings.append(
            "LibreOffice（soffice と python3-uno）が見つからないため、PDF は作成せず、目次は Word で開いたときに"
            "更新されます（「フィールドを更新しますか」に「はい」）。"
        )
        return
    made = staging.temporary(pdf)
    try:
        found = runner.update_and_export(staging.temporary(result.docx), made, timeout=timeout)
        stamped = stamped_pdf(made.read_bytes(), made_on(today))   # LibreOffice stamps the clock's time
    except OSError as exc:
        raise StorageError.of(exc, made, action="を読めません") from None
    except (office.OfficeError, pikepdf.PdfError) as exc:
        staging.unstage(pdf)
        staging.remove_on_publish(pdf)   # a PDF of an earlier report would not match the new .docx
        result.warnings.append(f"LibreOffice で目次の更新と PDF の作成ができませんでした（{exc}）。.docx はそのまま使えます。")
        return
    staging.stage(pdf, stamped)
    result.pdf = pdf
    lines = match_toc(writer.headings, found)
    if lines is None:
        result.warnings.append("LibreOffice の目次が報告書の見出しと一致しないため、.docx の目次は Word での更新を待ちます。")
        return
    filled = ReportDocument(plan, config, data, today, reference)
    filled.charts_by_item = writer.charts_by_item       # the same charts: drawn once per report
    filled.write(lines)
    staging.stage(result.docx, filled.save())
    result.toc_filled = True
