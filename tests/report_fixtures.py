"""A store filled as two collect runs (2023 and 2024) would leave it, for the report and table tests.

2024: every surveyed department returned except 商工課 (missing, as in 2023) and 福祉事務所 (returned
with errors, sent back). Some answers carry what people paste: a HYPERLINK formula, a DDE payload, a
URL, a control character. Actuals are chosen so that every kind of indicator and judgement appears.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.config import Config, load_config
from pipeline.plan import Plan, load_plan
from pipeline.records.year import Answer, Evaluation, IndicatorActual, YearRecord
from pipeline.store import Store
from pipeline.vocabulary import MISSING, RETURNED, WITH_ERRORS

ROOT = Path(__file__).resolve().parent.parent
PLAN_FILE = ROOT / "plan" / "izunokuni_2022_2025.toml"
CONFIG_FILE = ROOT / "config.toml"

MISSING_DEPT = "18"      # 商工課: leads 2302 and reports its indicator; returned nothing in 2023 or 2024
ERRORS_DEPT = "12"       # 福祉事務所: shares 2101-09 and 2101-10 with 情報政策課; sent back in 2024
UNANSWERED = ("2402-03", "11")   # 総務管財課 returned, but this initiative's row is empty

HYPERLINK = '=HYPERLINK("http://example.com","x")'
DDE = "+cmd|' /C calc'!A0"
URL = "http://example.com/page 参照"
CONTROL = "実績\x07あり\x0bです"
CONTROL_CLEAN = "実績ありです"

# the year's own figure per indicator (not running totals)
ACTUALS = {
    2023: {
        "1101": 7000, "1102": 6000, "1201": 12, "1202": 25, "1301": 5, "1401": 7, "1402": 50, "2101": 6,
        "2102": 50, "2103": 1, "2104": 40, "2201": 50, "2301": 900, "2401": 8, "2402": 5, "2403": 30,
    },
    2024: {
        "1101": 7500, "1102": 6300, "1201": 20, "1202": 50, "1301": 13, "1401": 8, "1402": 80, "2101": 10,
        "2102": 60, "2103": 1, "2201": 60, "2301": 2500, "2401": 5, "2402": 12, "2403": 55,
        # 2104: 企画課 returned without it (the 2023 figure is used); 2302: 商工課 returned nothing
    },
}
GRADES = {2023: "BBCA", 2024: "SABC"}   # cycled over the items in plan order


def plan() -> Plan:
    return load_plan(PLAN_FILE)


def config(tmp: Path, **changes) -> Config:
    """The project's config with the output and store in `tmp`."""
    base = load_config(CONFIG_FILE)
    return dataclasses.replace(base, output_dir=tmp / "output", store_path=tmp / "output" / "progress.sqlite",
                               **changes)


def write_config(root: Path) -> Path:
    """A config.toml in `root` (output and store there) using the project's plan and report reference."""
    root.mkdir(parents=True, exist_ok=True)
    text = CONFIG_FILE.read_text(encoding="utf-8")
    text = text.replace('file = "plan/izunokuni_2022_2025.toml"', f'file = "{PLAN_FILE.as_posix()}"')
    reference = ROOT / "input_templates" / "report_reference.docx"
    text = text.replace('report_reference = "input_templates/report_reference.docx"',
                        f'report_reference = "{reference.as_posix()}"')
    path = root / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _special_text(year: int, initiative: str, dept: str, field: str) -> str | None:
    if year != 2024:
        return None
    return {
        ("1101-01", "01", "result"): HYPERLINK,
        ("1102-01", "01", "issues"): DDE,
        ("1201-01", "01", "result"): CONTROL,
        ("1202-01", "06", "next_plan"): URL,
    }.get((initiative, dept, field))


def year_record(p: Plan, year: int) -> YearRecord:
    surveyed = [d.code for d in p.surveyed_departments()]
    roster: dict[str, tuple[str, str | None]] = {}
    for code in surveyed:
        if code == MISSING_DEPT:
            roster[code] = (MISSING, None)
        elif code == ERRORS_DEPT and year == 2024:
            roster[code] = (WITH_ERRORS, f"{code}.xlsx")
        else:
            roster[code] = (RETURNED, f"{code}.xlsx")
    returned = {c for c, (s, _f) in roster.items() if s == RETURNED}
    choices = ["完了", "実施中", "一部実施", "検討中", "未着手"]
    answers = []
    n = 0
    for ini in p.initiatives:
        for dept in ini.departments:
            n += 1
            if dept not in returned or (year == 2024 and (ini.id, dept) == UNANSWERED):
                continue
            texts = {
                "result": f"{year}年度 {ini.id} {p.department_name(dept)}の取組実績",
                "issues": "" if n % 4 == 0 else f"{ini.id} {p.department_name(dept)}の課題",
                "next_plan": f"{ini.id} {p.department_name(dept)}の次年度の予定",
            }
            for key in texts:
                texts[key] = _special_text(year, ini.id, dept, key) or texts[key]
            progress = choices[(n + year) % len(choices)]
            answers.append((Answer(ini.id, dept, ini.item_code, progress, texts["result"], texts["issues"],
                                   texts["next_plan"]), f"sha-{dept}"))
    evaluations = []
    for i, item in enumerate(p.items):
        if item.lead in returned:
            reason = HYPERLINK if (year, item.code) == (2024, "1101") else f"{year}年度 {item.code} の評価の理由"
            evaluations.append((Evaluation(item.code, item.lead, GRADES[year][i % 4], reason), f"sha-{item.lead}"))
    actuals = []
    for item_code, value in ACTUALS[year].items():
        reporter = p.item_by_code[item_code].indicator.reporter
        assert reporter in returned, (year, item_code)
        actuals.append((IndicatorActual(item_code, reporter, float(value)), f"sha-{reporter}"))
    return YearRecord(
        fiscal_year=year, plan_id=p.id, plan_digest=p.digest, collected_at=f"{year + 1}-06-10T10:00:00",
        submissions=[], roster=roster, answers=answers, actuals=actuals, evaluations=evaluations, findings=[],
    )


def filled_store(path: Path, p: Plan, years: tuple[int, ...] = (2023, 2024)) -> Store:
    store = Store(path)
    for year in years:
        store.replace_year(year_record(p, year))
    return store


def final_year_store(path: Path, p: Plan) -> Store:
    """The filled store and the plan's last year (2025) after it: the 2024 returns again, as if each department
    had sent the same answers (商工課 missing, 福祉事務所 sent back), for the plan-period summary."""
    store = filled_store(path, p)
    last = dataclasses.replace(year_record(p, 2024), fiscal_year=2025, collected_at="2026-06-10T10:00:00")
    store.replace_year(last)
    return store


def docx_of(plan: Plan, config: Config, year: int, today) -> bytes:
    """The report's .docx as the report command writes it (make_report, without LibreOffice)."""
    from pipeline.report.usecase import make_report

    return make_report(plan, config, year, today, use_office=False).docx.read_bytes()


def indicator_table_of(plan: Plan, store: Store, year: int, today):
    """The public table's rows as the report command makes them: from the year's one ReportData."""
    from pipeline.report.data import load_report_data
    from pipeline.report.public_table import indicator_table

    data = load_report_data(plan, store, year)
    return indicator_table(data.plan, data, today)
