"""Proven with a real office suite: workbooks filled and saved by LibreOffice Calc, collected exactly,
their mistakes found at their cells; the report's table of contents and PDF made by LibreOffice Writer.

Calc is driven through UNO by tests/uno_calc.py (LibreOffice's own Python) in one shared headless soffice:
only unlocked cells are typed into, dropdown values are taken from the cells' list validations, text is
typed as a person types it (so "1234" becomes a number and "約千件" stays text), and each workbook is
saved with Calc's own .xlsx filter. Skipped where LibreOffice is missing; failed in CI (office_support).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.collect.returns import collect
from pipeline.findings import Severity
from pipeline.plan import Plan
from pipeline.records.year import Answer, Evaluation
from pipeline.report.usecase import make_report
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.survey.filling import ReturnFiller
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import RETURNED, WITH_ERRORS
from tests.conftest import ROOT, YEAR, Project, make_project
from tests.office_support import Calc, CalcRefused, need_office, requires_office

TODAY = dt.date(2025, 6, 20)
COL_VALUE = 1          # 指標実績値, 自己評価, 評価の理由: the answer in column B


@pytest.fixture(scope="module")
def calc(tmp_path_factory):
    """One headless soffice for the module's workbooks."""
    session = Calc(need_office(), tmp_path_factory.mktemp("soffice"))
    yield session
    session.close()


# --- what a person types -----------------------------------------------------------------------------

@dataclass
class TypedReturn:
    """The actions that fill one department's workbook in Calc, and what the store must then hold."""

    department: str
    actions: list[dict] = field(default_factory=list)
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    actuals: dict[str, float] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)

    def type(self, sheet: str, key: str, column: int, text: str, *, unprotect: bool = False) -> None:
        """Type `text` into the cell of row `key` (column A) and `column`; into a locked cell only after
        lifting the sheet's protection (unprotect)."""
        self._act(sheet, key, column, type=text, unprotect=unprotect)

    def enter(self, sheet: str, key: str, column: int, text: str) -> None:
        """Type `text` through Calc's own input, so Calc applies the number format it recognises ("80%")."""
        self._act(sheet, key, column, enter=text)

    def choose(self, sheet: str, key: str, column: int, index: int) -> None:
        """Pick the index-th value of the cell's dropdown."""
        self._act(sheet, key, column, choose=index)

    def clear(self, sheet: str, key: str, column: int) -> None:
        """Select the cell and press Delete."""
        self._act(sheet, key, column, clear=True)

    def _act(self, sheet: str, key: str, column: int, **what) -> None:
        self.actions.append({"sheet": sheet, "key": key, "column": L.column_letter(column), **what})


def typed_return(project: Project, department: str) -> TypedReturn:
    """Every input of the department's workbook, answered with varied Japanese text, every dropdown value
    in turn, numbers as typed (a decimal for a % indicator), and an optional 課題 left empty now and then."""
    plan, config = project.plan, project.config
    progress = [c.label for c in config.progress_choices]
    out = TypedReturn(department)
    n = 0
    for item in plan.items_for(department):
        for ini in item.initiatives:
            if department not in ini.departments:
                continue
            choice = n % len(progress)
            result = f"{ini.id}：{ini.text[:24]}について、関係課と連携して実施した。"
            if n % 4 == 1:
                result += "\n年度内に３回の検討会を開催し、①手順書、②様式を整えた。"   # Alt+Enter, ①, 全角数字
            issues = "" if n % 3 == 2 else f"担当職員の負担が大きい（{ini.id}）。"
            next_plan = "対象を拡大して継続する。" if n % 2 else "効果を検証し、必要に応じて見直す。"
            out.choose(item.code, ini.id, L.COL_PROGRESS, choice)
            out.type(item.code, ini.id, L.COL_RESULT, result)
            if issues:
                out.type(item.code, ini.id, L.COL_ISSUES, issues)
            out.type(item.code, ini.id, L.COL_NEXT, next_plan)
            out.answers[ini.id, department] = Answer(ini.id, department, item.code, progress[choice], result,
                                                    issues, next_plan)
            n += 1
        ind = item.indicator
        if ind and ind.reporter == department:
            # a figure near the plan's own (VALUE_014 holds one a hundred times beyond it), distinct per department
            value = 44.7 if ind.unit == "%" else round(ind.target or ind.baseline or 10) + n
            out.type(item.code, L.KEY_ACTUAL, COL_VALUE, str(value))
            out.actuals[item.code] = value
        if item.lead == department:
            index = int(item.code) % len(config.grades)
            reason = f"{item.title}は、おおむね計画どおりに進んだ。\n参考指標は「{ind.name if ind else 'なし'}」。"
            out.choose(item.code, L.KEY_GRADE, COL_VALUE, index)
            out.type(item.code, L.KEY_REASON, COL_VALUE, reason)
            out.evaluations[item.code] = Evaluation(item.code, department, config.grades[index].code, reason)
    return out


def job(project: Project, typed: TypedReturn, name: str | None = None) -> dict:
    dept = project.plan.department_by_code[typed.department]
    return {"in": str(project.template(typed.department)), "actions": typed.actions,
            "out": str(project.inbox() / (name or f"{dept.name}_LibreOffice.xlsx"))}


def sheet_state(path: Path, sheet: str) -> str:
    """The state of `sheet` in xl/workbook.xml: 'visible', 'hidden' or 'veryHidden'."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    tag = next(t for t in re.findall(r"<sheet\b[^>]*>", workbook) if f'name="{sheet}"' in t)
    found = re.search(r'state="(\w+)"', tag)
    return found.group(1) if found else "visible"


# --- pass 1: every department fills its workbook in Calc -------------------------------------------

@pytest.fixture(scope="module")
def filled(tmp_path_factory, _templates_cache, calc):
    """All 19 departments' 2024 workbooks filled in Calc and saved as .xlsx by Calc, collected and merged."""
    project = make_project(tmp_path_factory.mktemp("libreoffice") / "project")
    shutil.copytree(_templates_cache, project.config.templates_dir)
    typed = {d.code: typed_return(project, d.code) for d in project.plan.surveyed_departments()}
    done = calc.fill([job(project, t) for t in typed.values()])
    result = run_collect_year(project.plan, project.config, YEAR).result
    return project, typed, done, result


@requires_office()
def test_calc__every_department_fills_only_unlocked_cells_from_the_dropdowns(filled):
    project, typed, done, _result = filled
    assert len(done) == len(typed) == 19
    progress = [c.label for c in project.config.progress_choices]
    grades = [g.choice for g in project.config.grades]
    cells = [d for workbook in done for d in workbook["done"]]
    assert len(cells) == sum(len(t.actions) for t in typed.values())
    assert not any(d["locked"] or d.get("unprotected") for d in cells)
    lists = {tuple(d["choices"]) for d in cells if "choices" in d}
    assert lists == {tuple(progress), tuple(grades)}            # the dropdowns Calc shows
    numbers = [d for d in cells if d["typed"].replace(".", "").isdigit()]
    assert len(numbers) == 17 and all(d["content"] == "VALUE" for d in numbers)   # one per indicator
    assert all(d["content"] == "TEXT" for d in cells if d not in numbers)


@requires_office()
def test_collect__calc_saved_returns__all_accepted_no_findings(filled):
    project, typed, done, result = filled
    assert result.roster == {code: (RETURNED, Path(w["out"]).name) for code, w in zip(typed, done, strict=True)}
    assert [f for f in result.findings if f.severity == Severity.ERROR] == []
    assert [(f.code, f.file, f.sheet, f.cell, f.message) for f in result.findings] == []    # no warnings either
    # what LibreOffice's re-save changes, and collect tolerates: the very hidden identity sheet is now
    # only hidden, and still read (every file is identified as its department)
    code = next(iter(typed))
    assert sheet_state(project.template(code), L.SHEET_IDENTITY) == "veryHidden"
    assert sheet_state(Path(done[0]["out"]), L.SHEET_IDENTITY) == "hidden"
    assert {o.department for o in result.files} == set(typed)


@requires_office()
def test_store__holds_exactly_the_values_typed_in_calc(filled):
    project, typed, _done, _result = filled
    with Store(project.config.store_path) as store:
        answers, evaluations = store.answers(YEAR), store.evaluations(YEAR)
        actuals = {code: v for (year, code), v in store.actuals().items() if year == YEAR}
    expected_answers = {k: v for t in typed.values() for k, v in t.answers.items()}
    assert len(answers) == len(expected_answers) == sum(
        len(ini.departments) for ini in project.plan.initiatives)
    assert answers == expected_answers
    assert actuals == {k: v for t in typed.values() for k, v in t.actuals.items()} and len(actuals) == 17
    assert evaluations == {k: v for t in typed.values() for k, v in t.evaluations.items()}
    assert len(evaluations) == 17
    # a few exactly, as a reader checks them
    assert answers["2101-02", "05"] == Answer(
        "2101-02", "05", "2101", "実施中", "2101-02：AI-OCR、RPAを活用した業務の効率化について、関係課と連携して実施した。"
        "\n年度内に３回の検討会を開催し、①手順書、②様式を整えた。", "担当職員の負担が大きい（2101-02）。",
        "対象を拡大して継続する。")
    assert sum(a.issues == "" for a in answers.values()) > 10                  # left empty: "" in the store
    assert {a.progress for a in answers.values()} == {c.label for c in project.config.progress_choices}
    assert {e.grade for e in evaluations.values()} == {g.code for g in project.config.grades}
    assert actuals["1202"] == 44.7 and actuals["2101"] == 21                    # typed "44.7" and "21"


# --- pass 2: the usual mistakes, made in Calc --------------------------------------------------------

@requires_office()
def test_collect__mistakes_made_in_calc__each_reported_at_its_cell(project, calc):
    code = "05"                                   # 情報政策課: reports 2101's indicator and leads it
    template = ReturnFiller(project.template(code))
    initiatives = template.initiatives("2101")
    wrong, emptied, reworded = initiatives[0], initiatives[1], initiatives[2]
    typed = typed_return(project, code)
    typed.type("2101", wrong, L.COL_PROGRESS, "済み")                       # a value not in the list
    typed.type("2101", L.KEY_ACTUAL, COL_VALUE, "約千件")                   # text in the number cell
    typed.clear("2101", emptied, L.COL_RESULT)                              # a required cell emptied
    typed.type("2101", reworded, L.COL_TEXT, "計画の文言を書き換えた。", unprotect=True)   # a locked cell
    typed.type("2101", wrong, 8, "進捗は別紙のとおり", unprotect=True)     # beyond the form (column I)
    (done,) = calc.fill([job(project, typed, "情報政策課_回答.xlsx")])
    mistakes = done["done"][-5:]
    assert [d["content"] for d in mistakes] == ["TEXT", "TEXT", "EMPTY", "TEXT", "TEXT"]     # 約千件 stayed text
    assert [d.get("unprotected", False) for d in mistakes] == [False, False, False, True, False]

    result = collect(project.plan.for_year(YEAR), project.config, YEAR)
    found = {(f.severity.value, f.code, f.sheet, f.cell, f.field, f.value)
             for f in result.findings if f.file == "情報政策課_回答.xlsx"}

    def at(key: str, column: int) -> str:           # where a person sees the cell, from the template itself
        return L.a1(template.row_of("2101", key) - 1, column)

    assert found == {
        ("error", "VALUE_002", "2101", at(wrong, L.COL_PROGRESS), L.FIELD_PROGRESS, "済み"),
        ("error", "VALUE_003", "2101", at(L.KEY_ACTUAL, COL_VALUE), L.FIELD_ACTUAL, "約千件"),
        ("error", "VALUE_001", "2101", at(emptied, L.COL_RESULT), L.FIELD_RESULT, ""),
        ("warning", "ROW_004", "2101", at(reworded, L.COL_TEXT), L.FIELD_TEXT, "計画の文言を書き換えた。"),
        ("warning", "ROW_005", "2101", at(wrong, 8), "", "進捗は別紙のとおり"),
    }
    assert result.roster[code] == (WITH_ERRORS, "情報政策課_回答.xlsx")


@requires_office()
def test_collect__80_percent_typed_in_calc__stored_as_80_for_a_percent_indicator_refused_for_a_count(project, calc):
    percent = typed_return(project, "06")          # 企画課 reports 1202 (%)
    percent.enter("1202", L.KEY_ACTUAL, COL_VALUE, "80%")
    count = typed_return(project, "05")            # 情報政策課 reports 2101 (件)
    count.enter("2101", L.KEY_ACTUAL, COL_VALUE, "80%")
    done = calc.fill([job(project, percent, "企画課.xlsx"), job(project, count, "情報政策課.xlsx")])
    typed = [d["done"][-1] for d in done]
    assert [(d["content"], d["value"], "%" in d["format"]) for d in typed] == [("VALUE", 0.8, True)] * 2

    result = run_collect_year(project.plan, project.config, YEAR).result
    with Store(project.config.store_path) as store:
        actuals = store.actuals()
    assert [f for f in result.findings if f.file == "企画課.xlsx"] == []
    assert actuals[(YEAR, "1202")] == 80
    cell = L.a1(ReturnFiller(project.template("05")).row_of("2101", L.KEY_ACTUAL) - 1, COL_VALUE)
    found = [(f.severity.value, f.code, f.sheet, f.cell, f.value) for f in result.findings if f.file == "情報政策課.xlsx"]
    assert found == [("error", "VALUE_009", "2101", cell, "0.8")]
    assert (YEAR, "2101") not in actuals
    assert result.roster["06"] == (RETURNED, "企画課.xlsx") and result.roster["05"] == (WITH_ERRORS, "情報政策課.xlsx")


@requires_office()
def test_calc__a_locked_cell_refuses_typing_until_protection_is_lifted(project, calc, tmp_path):
    template = str(project.template("05"))
    locked = {"sheet": "2101", "key": L.KEY_ACTUAL, "column": "A", "type": "変更"}
    with pytest.raises(CalcRefused, match="保護されたセル"):
        calc.fill([{"in": template, "out": str(tmp_path / "x.xlsx"), "actions": [locked]}])
    with pytest.raises(CalcRefused, match="一覧に「済み」はありません"):
        calc.fill([{"in": template, "out": str(tmp_path / "x.xlsx"),
                    "actions": [{"sheet": "2101", "key": L.KEY_GRADE, "column": "B", "choose": "済み"}]}])


# --- Writer: the report's table of contents and PDF ------------------------------------------------

def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def compact(line: str) -> str:
    """A line of pdftotext's output without the spaces it puts between Japanese and ASCII ("第 3 次")."""
    return re.sub(r"\s+", "", line)


@requires_office("pdftotext", "pdffonts")
def test_report__toc_filled_and_pdf_with_japanese_fonts_embedded(filled):
    project, _typed, _done, _result = filled
    plan: Plan = project.plan
    shutil.copy(ROOT / "input_templates" / "report_reference.docx", project.config.report_reference)
    result = make_report(plan, project.config, YEAR, TODAY)
    assert result.warnings == []
    assert result.pdf is not None and result.toc_filled

    text = run("pdftotext", "-layout", str(result.pdf), "-")
    lines = [compact(line) for line in text.splitlines()]
    headings = [f"1 {plan.title}について", "2 計画の体系", "3 具体的な取組", "4 各取組項目の参考指標一覧",
                "5 委員会意見への対応", f"6 計画期間の推移（{YEAR}年度まで）"]
    toc = {}
    for heading in headings:
        entry = next((line for line in lines if re.fullmatch(rf"{re.escape(compact(heading))}\.{{3,}}\d+", line)), None)
        assert entry is not None, f"目次に「{heading} …… ページ」の行がない"
        toc[heading] = int(re.search(r"\d+$", entry).group())
        assert compact(heading) in lines, f"本文に見出し「{heading}」がない"
    assert list(toc.values()) == sorted(toc.values()) and toc[headings[0]] >= 2
    for item in plan.items:
        assert compact(f"{item.code} {item.title}") in lines, item.code          # each item's own heading
    footers = [tuple(map(int, m)) for m in re.findall(r"^\s*(\d+) / (\d+)\s*$", text, re.MULTILINE)]
    pages = text.count("\f")
    assert [n for n, _ in footers] == list(range(2, pages + 1))          # every page but the cover
    assert {total for _, total in footers} == {pages}

    # pdffonts: name, type, encoding, emb, sub, uni, object, ID (the type may hold a space)
    fonts = [line.split() for line in run("pdffonts", str(result.pdf)).splitlines()[2:]]
    assert fonts and all(f[-5] == "yes" for f in fonts), fonts               # every font embedded
    families = {f[0].split("+")[-1].split("-")[0] for f in fonts}
    assert {"NotoSansCJKjp", "NotoSerifCJKjp"} <= families                     # 游ゴシック, 游明朝 mapped


# --- the committee's loop, answered in Calc -----------------------------------------------------------

@requires_office()
def test_calc__committee_opinions_answered_from_the_dropdown__collected_and_asked_again_while_open(project, calc):
    from pipeline.survey.workbook import write_templates
    from pipeline.usecases.collect_year import run_collect_year
    from pipeline.vocabulary import ResponseStatus
    from tests.test_opinions_loop import give_opinions, responses

    project.return_all(2023)
    run_collect_year(project.plan, project.config, 2023, today=TODAY, inline=True)
    give_opinions(project, 2023, [("2101", "05", "電子申請の利用を広げる工夫をしてほしい。"),
                                  ("全般", "04", "計画全体の進み具合を分かりやすく示してほしい。")])
    write_templates(project.plan, project.config, YEAR, force=True)
    informatics, finance = typed_return(project, "05"), typed_return(project, "04")
    informatics.choose(L.SHEET_OPINIONS, "2023-01", L.COL_RESPONSE_STATUS, 1)          # 対応中
    informatics.type(L.SHEET_OPINIONS, "2023-01", L.COL_RESPONSE_TEXT, "対象の手続を３件増やした。\n引き続き拡大する。")
    finance.choose(L.SHEET_OPINIONS, "2023-02", L.COL_RESPONSE_STATUS, 0)              # 対応済
    finance.type(L.SHEET_OPINIONS, "2023-02", L.COL_RESPONSE_TEXT, "進み具合を一覧にして公表した。")
    calc.fill([job(project, informatics), job(project, finance)])

    result = run_collect_year(project.plan, project.config, YEAR, today=TODAY).result
    assert [f for f in result.findings if f.file.endswith("_LibreOffice.xlsx")] == []
    stored = responses(project)
    assert stored[(YEAR, "2023-01")] == (ResponseStatus.IN_PROGRESS, "対象の手続を３件増やした。\n引き続き拡大する。")
    assert stored[(YEAR, "2023-02")] == (ResponseStatus.DONE, "進み具合を一覧にして公表した。")
    write_templates(project.plan, project.config, YEAR + 1)
    again = ReturnFiller(project.template("05", YEAR + 1))
    assert again.opinions == ["2023-01"] and ReturnFiller(project.template("04", YEAR + 1)).opinions == []
