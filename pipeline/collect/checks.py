"""Checking one returned workbook against the plan, the way a careful secretariat would.

`check_return` takes the workbook's values (not a path) and returns the answers it found and every
finding, each at the sheet and cell a person sees in Excel. Answers are found by the key in column A
(the initiative's stable ID, or a label such as 自己評価), never by a fixed row.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.collect import cells
from pipeline.collect.cells import IMPLAUSIBLE_FACTOR, implausible_actual, plan_figures
from pipeline.collect.confirmations import confirmation_line, confirmations_path
from pipeline.config import Config
from pipeline.findings import Code, Finding, finding
from pipeline.intake.reader import WorkbookValues
from pipeline.plan import ActionItem, Indicator, Plan
from pipeline.records.opinions import Response
from pipeline.records.year import Answer, Evaluation, IndicatorActual
from pipeline.sheets import layout as L
from pipeline.values import GENERAL, clean_text, format_number, normalise_choice
from pipeline.vocabulary import Arrival, ResponseStatus

_INITIATIVE_ID = re.compile(r"^\d{4}-\d{2}$")
_OPINION_ID = re.compile(r"^\d{4}-\d{2,}$")     # records.opinions.opinion_id: year and number
# A survey sheet has well under a hundred rows; far more means something was pasted below it.
MAX_SHEET_ROWS = 1000
# Text typed outside the form is reported cell by cell, up to this many per sheet (then counted).
MAX_STRAY_CELLS = 20
@dataclass
class CheckedReturn:
    department: str | None = None
    template_id: str | None = None
    schema_version: str | None = None
    findings: list[Finding] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    actuals: list[IndicatorActual] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)     # answers to the committee's opinions
    # the department a workbook without its identity seems to come from (see apparent_department), or
    # whose workbook of another year or plan it is
    apparent_department: str | None = None
    # what the workbook is when it is a department's but not the form asked for (another year's, an old one…)
    arrival: Arrival | None = None

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)


def read_identity(book: WorkbookValues) -> dict[str, str]:
    """The identity written by templates: the very hidden sheet, else the custom document properties."""
    identity: dict[str, str] = {}
    if L.SHEET_IDENTITY in book.sheet_names:
        for row in book.rows(L.SHEET_IDENTITY):
            if len(row) >= 2 and row[0] not in (None, ""):
                identity[str(row[0]).strip()] = L.row_key(row[1])
    if not identity.get(L.ID_DEPARTMENT):
        properties = book.properties
        for key in L.IDENTITY_KEYS:
            value = properties.get(L.PROPERTY_PREFIX + key)
            if value:
                identity.setdefault(key, value)
    return identity


def check_return(book: WorkbookValues, plan: Plan, config: Config, year: int, file: str,
                 asked: Mapping[str, tuple[str, ...]] | None = None) -> CheckedReturn:
    """Every finding and every answer of one returned workbook. `asked`: department → the IDs of the
    committee's opinions its workbook asks about this year (pipeline.year_ask)."""
    out = CheckedReturn()
    identity = read_identity(book)
    if not identity.get(L.ID_DEPARTMENT) or not identity.get(L.ID_PLAN):
        out.apparent_department = apparent_department(book, plan, file)
        if out.apparent_department is None:
            out.findings.append(finding(Code.IDENT_001, file=file))
        else:
            out.findings.append(finding(Code.IDENT_008, file=file, department=plan.department_name(out.apparent_department)))
            out.arrival = Arrival.COPIED_SHEETS
        return out
    dept = identity[L.ID_DEPARTMENT]
    out.template_id = identity.get(L.ID_TEMPLATE)
    out.schema_version = identity.get(L.ID_SCHEMA)
    if identity[L.ID_PLAN] != plan.id:
        out.findings.append(finding(Code.IDENT_002, file=file, value=identity[L.ID_PLAN], expected=plan.id))
        out.apparent_department, out.arrival = identity_department(identity, plan, file), Arrival.OTHER_PLANS_FORM
        return out
    if identity.get(L.ID_YEAR) != str(year):
        out.findings.append(finding(Code.IDENT_003, file=file, value=identity.get(L.ID_YEAR, "?"), expected=year))
        out.apparent_department = identity_department(identity, plan, file)
        out.arrival = Arrival.LAST_YEARS_FORM if identity.get(L.ID_YEAR) == str(year - 1) else Arrival.OTHER_YEARS_FORM
        return out
    if dept not in plan.department_by_code:
        out.findings.append(finding(Code.IDENT_004, file=file, value=dept))
        # a department code this plan does not have: a form made for another plan's departments
        out.apparent_department, out.arrival = identity_department(identity, plan, file), Arrival.OTHER_PLANS_FORM
        return out
    out.department = dept
    name = plan.department_name(dept)
    if out.schema_version != L.SCHEMA_VERSION:
        out.findings.append(finding(Code.IDENT_005, file=file, department=name, value=out.schema_version or "?",
                                    expected=L.SCHEMA_VERSION))
        out.arrival = Arrival.OLD_FORM
        return out
    expected_id = L.template_id(plan.id, plan.digest, year, dept)
    if out.template_id != expected_id:
        out.findings.append(finding(Code.IDENT_006, file=file, department=name, value=out.template_id or "",
                                    expected=expected_id))
    # (when the file is named after its own department, no other name can make it look like another's)
    others = [] if name in file else [d.name for d in plan.departments if d.code != dept and d.name in file]
    if others:
        out.findings.append(finding(Code.IDENT_007, file=file, department=name, value=name))

    items = plan.items_for(dept)
    expected_sheets = {i.code for i in items} | {L.SHEET_GUIDE, L.SHEET_IDENTITY, L.SHEET_PACKET,
                                                  L.SHEET_OPINIONS, L.SHEET_PRACTICES}
    for sheet in book.sheet_names:
        if sheet not in expected_sheets:
            out.findings.append(finding(Code.SHEET_002, file=file, department=name, sheet=sheet, value=sheet))
    for item in items:
        if item.code not in book.sheet_names:
            out.findings.append(finding(Code.SHEET_001, file=file, department=name, value=item.code))
            continue
        _SheetCheck(out, plan, config, year, dept, file, item, book).run()
    opinions = (asked or {}).get(dept, ())
    if opinions:
        # a workbook made before the committee's register was taken in does not ask: not the department's fault
        shown = set(filter(None, identity.get(L.ID_OPINIONS, "").split(",")))
        not_asked = [o for o in opinions if o not in shown]
        if not_asked:
            out.findings.append(finding(Code.RESP_005, file=file, department=name, value="、".join(not_asked),
                                        department_code=dept, year=year))
        opinions = tuple(o for o in opinions if o in shown)
        if opinions:
            _check_responses(out, book, config, year, dept, name, file, opinions, shown)
    return out


def _check_responses(out: CheckedReturn, book: WorkbookValues, config: Config, year: int, dept: str, name: str,
                     file: str, opinions: tuple[str, ...], shown: set[str]) -> None:
    """The 委員会意見 sheet: 対応状況 (a choice) and 対応内容 (required unless 未対応) for every opinion asked.
    `shown`: what the workbook asked when it was made; an opinion since moved to another department (the
    register corrected) is not this department's to answer any more, and its row is not its mistake."""
    sheet = L.SHEET_OPINIONS

    def add(code: str, r: int | None = None, c: int | None = None, **kw) -> None:
        cell = L.a1(r, c) if r is not None and c is not None else ""
        out.findings.append(finding(code, file=file, department=name, sheet=sheet if r is not None else "", cell=cell,
                                    **kw))

    if sheet not in book.sheet_names:
        add(Code.RESP_001, value=sheet)
        return
    rows = book.rows(sheet)
    troubles = book.troubles.get(sheet, {})
    keys: dict[str, list[int]] = defaultdict(list)
    for r, row in enumerate(rows):
        key = L.row_key(row[0]) if row else ""
        if _OPINION_ID.match(key):
            keys[key].append(r)

    def cell(r: int, c: int) -> object:
        return rows[r][c] if c < len(rows[r]) else None

    def at(r: int, c: int, field_name: str) -> cells.Cell:
        return cells.Cell(field_name, sheet, L.a1(r, c), file, name)

    for key, found in keys.items():
        if key not in opinions and key not in shown:
            add(Code.RESP_003, found[0], L.COL_OPINION_KEY, field=L.HEADER_OPINION, value=key)
    choices = {normalise_choice(s.label): s for s in ResponseStatus.choices()}
    for opinion_id in opinions:
        found = keys.get(opinion_id)
        if not found:
            add(Code.RESP_002, field=L.HEADER_OPINION, value=opinion_id)
            continue
        if len(found) > 1:
            add(Code.ROW_002, found[1], L.COL_OPINION_KEY, field=L.HEADER_OPINION, value=opinion_id,
                cells="、".join(L.a1(r, L.COL_OPINION_KEY) for r in found))
            continue
        r = found[0]
        troubled = [c for c in (L.COL_RESPONSE_STATUS, L.COL_RESPONSE_TEXT) if L.a1(r, c) in troubles]
        for c in troubled:
            code, params = troubles[L.a1(r, c)].said()
            add(code, r, c, field=L.FIELD_RESPONSE_STATUS if c == L.COL_RESPONSE_STATUS else L.FIELD_RESPONSE_TEXT,
                **params)
        if troubled:
            continue
        # (no formula is flagged here: the cells hold no error or uncalculated formula, said above)
        read = cells.choice(cell(r, L.COL_RESPONSE_STATUS), at(r, L.COL_RESPONSE_STATUS, L.FIELD_RESPONSE_STATUS),
                            choices, shown=[s.label for s in ResponseStatus.choices()])
        text = cells.text(cell(r, L.COL_RESPONSE_TEXT), at(r, L.COL_RESPONSE_TEXT, L.FIELD_RESPONSE_TEXT),
                          config.max_text_length, required=False)
        out.findings += read.findings + text.findings
        status = read.value
        if status is None or text.value is None:
            continue
        if not text.value and status is not ResponseStatus.NOT_YET:
            add(Code.RESP_004, r, L.COL_RESPONSE_TEXT, field=L.FIELD_RESPONSE_TEXT, status=status.label)
            continue
        out.responses.append(Response(opinion_id, year, dept, status, text.value))


def apparent_department(book: WorkbookValues, plan: Plan, file: str) -> str | None:
    """The department a workbook that lost its identity seems to come from (its sheets copied into a new
    workbook), or None when that is unclear or it is no survey workbook at all (no sheet named after an
    item, no item sheet's subtitle).

    The signs, strongest first, each narrowing the departments the stronger ones left (a sign that fits
    none of them is passed over): the department code in the sheets' second title row, the item sheets
    (exactly one department's set; then every department taking part in them all), the initiative IDs in
    column A, and a department's name in the file name."""
    sheets = [s for s in book.sheet_names if s in plan.item_by_code]
    subtitles: set[str] = set()
    initiatives: set[str] = set()
    for sheet in book.sheet_names:          # (sheets renamed in the copy still hold their rows)
        if sheet in (L.SHEET_GUIDE, L.SHEET_IDENTITY, L.SHEET_PACKET):
            continue
        rows = book.rows(sheet)
        for r, row in enumerate(rows[:MAX_SHEET_ROWS]):
            if not row:
                continue
            if r < L.TITLE_ROWS and L.subtitle_department(row[0]) in plan.department_by_code:
                subtitles.add(L.subtitle_department(row[0]))
            key = L.row_key(row[0])
            if key in plan.initiative_by_id:
                initiatives.add(key)
    if not sheets and not subtitles:
        return None
    taking_part = set.intersection(*(plan.departments_in(s) for s in sheets)) if sheets else set()
    exactly = {d for d in taking_part if {i.code for i in plan.items_for(d)} == set(sheets)}
    answering = set.intersection(*(set(plan.initiative_by_id[i].departments) for i in initiatives)) if initiatives else set()
    named = departments_named(plan, file)
    candidates: set[str] | None = None
    for sign in (subtitles, exactly, taking_part, answering, named):
        if sign and (candidates is None or candidates & sign):
            candidates = sign if candidates is None else candidates & sign
    return next(iter(candidates)) if candidates and len(candidates) == 1 else None


def departments_named(plan: Plan, name: str) -> set[str]:
    """The departments whose name a file name holds ("総務課_回答.xlsx", "R06_2024年度_05_総務課_….xlsx"): a
    name inside a longer one there (企画課 in 環境企画課) is the longer one's, not a second department."""
    found, rest = set(), name
    for d in sorted(plan.departments, key=lambda d: -len(d.name)):
        if d.name and d.name in rest:
            found.add(d.code)
            rest = rest.replace(d.name, "\0")
    return found


def department_of_name(plan: Plan, *names: str) -> str | None:
    """The one department the first telling name points to (None when none does, or several)."""
    for name in names:
        found = departments_named(plan, name)
        if len(found) == 1:
            return next(iter(found))
    return None


def identity_department(identity: dict[str, str], plan: Plan, file: str) -> str | None:
    """Whose workbook of another year or plan it is: the department code its identity records, when this plan
    gives that code the same name; else the department its recorded name, then its file name, points to."""
    code, name = identity.get(L.ID_DEPARTMENT, ""), identity.get(L.ID_DEPARTMENT_NAME, "")
    if code in plan.department_by_code and (not name or plan.department_name(code) == name):
        return code
    return department_of_name(plan, name, file) if name else department_of_name(plan, file)


class SheetCells:
    """One sheet's input cells handed to the cell rules (pipeline.collect.cells), each value with where it is
    and what the workbook says about it (a formula, an error, its number format); their findings go to
    `findings`. A return's item sheets and a year's 転記票 (pipeline.history) both read their cells so."""

    dept_name = ""

    def __init__(self, findings: list[Finding], plan: Plan, config: Config, file: str, sheet: str,
                 book: WorkbookValues):
        self.findings, self.plan, self.config, self.file, self.sheet = findings, plan, config, file, sheet
        self.book = book
        self.rows = book.rows(sheet)
        self.formulas = book.formulas.get(sheet, set())
        self.troubles = book.troubles.get(sheet, {})     # error values, formulas never calculated

    def cell(self, r: int, c: int) -> object:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else None

    def add(self, code: str, r: int | None = None, c: int | None = None, **kw) -> None:
        cell = L.a1(r, c) if r is not None and c is not None else ""
        self.findings.append(finding(code, file=self.file, department=self.dept_name, sheet=self.sheet,
                                     cell=cell, **kw))

    def at(self, r: int, c: int, field_name: str, number_format: str = GENERAL) -> cells.Cell:
        at = L.a1(r, c)
        return cells.Cell(field_name, self.sheet, at, self.file, self.dept_name, at in self.formulas,
                          self.troubles.get(at), number_format)

    def took(self, reading: cells.Reading):
        self.findings.extend(reading.findings)
        return reading.value

    def unit_edited(self, r: int, c: int, ind: Indicator) -> bool:
        """Whether the unit shown beside the actual (cell r, c) was changed (a finding)."""
        return self.took(cells.unit_edited(self.cell(r, c), self.at(r, c, L.FIELD_UNIT), ind))

    def actual(self, r: int, c: int, ind: Indicator) -> float | None:
        """The indicator's actual in its unit, as the person saw it, or None after a finding."""
        raw = self.cell(r, c)
        # the number format is read only for a number (most actuals): it is where a number's meaning lives
        numeric = raw is not None and not isinstance(raw, str | bool)
        shown = self.book.number_format(self.sheet, L.a1(r, c)) if numeric else GENERAL
        return self.took(cells.actual(raw, self.at(r, c, L.FIELD_ACTUAL, shown), ind, self.plan.count_units))

    def grade(self, r: int, c: int) -> str | None:
        """An item's 自己評価 (its code), or None after a finding."""
        return self.took(cells.grade(self.cell(r, c), self.at(r, c, L.FIELD_GRADE), self.config.grades))

    def progress_choices(self) -> dict[str, str]:
        return cells.progress_choices(self.config.progress_choices)

    def choice(self, r: int, c: int, field_name: str, allowed: dict[str, str]) -> str | None:
        return self.took(cells.choice(self.cell(r, c), self.at(r, c, field_name), allowed))

    def text(self, r: int, c: int, field_name: str, required: bool) -> str | None:
        """The cleaned text, or None when it has an error."""
        return self.took(cells.text(self.cell(r, c), self.at(r, c, field_name), self.config.max_text_length,
                                    required))


class _SheetCheck(SheetCells):
    """One item sheet: context text, initiative rows, indicator, self-evaluation."""

    def __init__(self, out: CheckedReturn, plan: Plan, config: Config, year: int, dept: str, file: str,
                 item: ActionItem, book: WorkbookValues):
        super().__init__(out.findings, plan, config, file, item.code, book)
        self.out, self.year, self.dept = out, year, dept
        self.dept_name, self.item = plan.department_name(dept), item
        self.overflow = False          # filled far below the form (SHEET_003)
        self.keys: dict[str, list[int]] = defaultdict(list)
        self.row_keys: list[str] = []          # column A of each row, as row_key reads it
        for r, row in enumerate(self.rows):
            key = L.row_key(row[0]) if row else ""
            self.row_keys.append(key)
            if key:
                self.keys[key].append(r)

    def run(self) -> None:
        # calamine's row count bounds the used rows: only a long sheet needs the last filled row found
        if len(self.rows) > MAX_SHEET_ROWS:
            used = max((r for r, row in enumerate(self.rows) if any(v not in (None, "") for v in row)), default=0) + 1
            if used > MAX_SHEET_ROWS:
                self.add(Code.SHEET_003, rows=used, expected=MAX_SHEET_ROWS)
                self.overflow = True
        self.context()
        self.initiatives()
        ind = self.item.indicator
        if ind and ind.reporter == self.dept:
            self.indicator()
        if self.item.lead == self.dept:
            self.evaluation()
        self.stray_text()

    def context(self) -> None:
        for label, text in L.context_rows(self.plan, self.item):
            rows = self.keys.get(label)
            if rows and clean_text(self.cell(rows[0], 1)).text != text:
                self.add(Code.ROW_004, rows[0], 1, field=label, value=self.cell(rows[0], 1))

    def initiatives(self) -> None:
        own = {ini.id: ini for ini in self.plan.initiatives_of(self.item.code, self.dept)}
        progress_choices = self.progress_choices()
        for key, rows in self.keys.items():
            if _INITIATIVE_ID.match(key) and key not in own:
                self.add(Code.ROW_003, rows[0], L.COL_KEY, field=L.HEADER_KEY, value=key)
        for ini_id, ini in own.items():
            rows = self.keys.get(ini_id)
            if not rows:
                self.add(Code.ROW_001, field=L.HEADER_KEY, value=ini_id)
                continue
            if len(rows) > 1:
                self.add(Code.ROW_002, rows[1], L.COL_KEY, field=L.HEADER_KEY, value=ini_id,
                         cells="、".join(L.a1(r, L.COL_KEY) for r in rows))
                continue
            r = rows[0]
            if clean_text(self.cell(r, L.COL_TEXT)).text != ini.display_text:
                self.add(Code.ROW_004, r, L.COL_TEXT, field=L.FIELD_TEXT, value=self.cell(r, L.COL_TEXT))
            if clean_text(self.cell(r, L.COL_DEPARTMENTS)).text != L.initiative_departments(self.plan, ini):
                self.add(Code.ROW_004, r, L.COL_DEPARTMENTS, field=L.FIELD_DEPARTMENTS,
                         value=self.cell(r, L.COL_DEPARTMENTS))
            progress = self.choice(r, L.COL_PROGRESS, L.FIELD_PROGRESS, progress_choices)
            texts = {f: self.text(r, col, f, required) for col, f, required in L.INITIATIVE_INPUTS[1:]}
            if progress is not None and None not in texts.values():
                self.out.answers.append(Answer(
                    initiative_id=ini_id, department_code=self.dept, item_code=self.item.code,
                    progress=progress, result=texts[L.FIELD_RESULT], issues=texts[L.FIELD_ISSUES],
                    next_plan=texts[L.FIELD_NEXT],
                ))

    def labelled_row(self, key: str) -> int | None:
        rows = self.keys.get(key)
        if not rows:
            self.add(Code.ROW_001, field=key, value=key)
            return None
        return rows[0]

    def indicator(self) -> None:
        ind = self.item.indicator
        for label, text in L.indicator_rows(ind):
            rows = self.keys.get(label)
            if rows and clean_text(self.cell(rows[0], 1)).text != text:
                self.add(Code.ROW_004, rows[0], 1, field=label, value=self.cell(rows[0], 1))
        r = self.labelled_row(L.KEY_ACTUAL)
        if r is None:
            return
        unit_edited = self.unit_edited(r, L.COL_UNIT, ind)
        actual = self.actual(r, 1, ind)
        if actual is not None and implausible_actual(actual, ind):
            # taken, then held by collect.run until the secretariat confirms it
            path = confirmations_path(self.config.returns_dir, self.year)
            self.add(Code.VALUE_014, r, 1, field=L.FIELD_ACTUAL, value=format_number(actual), unit=ind.unit,
                     figures=plan_figures(ind), factor=IMPLAUSIBLE_FACTOR, confirm_file=path.name,
                     line=confirmation_line(self.item.code, actual))
        if actual is not None and not unit_edited:
            self.out.actuals.append(IndicatorActual(self.item.code, self.dept, actual))

    def evaluation(self) -> None:
        r = self.labelled_row(L.KEY_GRADE)
        if r is None:
            return
        grade = self.grade(r, 1)
        reason_row = self.labelled_row(L.KEY_REASON)
        reason = self.text(reason_row, 1, L.FIELD_REASON, False) if reason_row is not None else ""
        if grade is not None and reason is not None:
            self.out.evaluations.append(Evaluation(self.item.code, self.dept, grade, reason))

    def initiative_row(self, key: str) -> bool:
        return key in self.plan.initiative_by_id or bool(key and _INITIATIVE_ID.match(key))

    def stray_text(self) -> None:
        """Text typed where the form neither wrote anything nor reads (a row inserted between the rows, a
        cell beyond the form's columns, below its last block): collect would drop it, so each such cell is
        reported. Which cells are the form's comes from the layout (layout.form_rows), not from the template.
        Below the form of a sheet filled far beyond it, SHEET_003 has said so already."""
        header = self.keys.get(L.HEADER_KEY)
        carry_over = bool(header) and (
            clean_text(self.cell(header[0], L.COL_PREVIOUS)).text == L.previous_header(self.year - 1))
        department = self.plan.department_by_code[self.dept]
        form = L.form_rows(self.plan, self.year, self.item, department, carry_over)
        initiative = L.INITIATIVE_WIDTH + carry_over
        end = len(self.rows)
        if self.overflow:
            end = 1 + max((r for key, rows in self.keys.items() if key in form or self.initiative_row(key)
                           for r in rows), default=-1)
        stray: list[tuple[int, int, str]] = []
        for r in range(min(end, MAX_SHEET_ROWS)):
            row, key = self.rows[r], self.row_keys[r]
            if key in form:
                width = form[key] if self.keys[key][0] == r else 0    # only the first row of a label is read
            elif self.initiative_row(key):
                width = initiative
            else:
                width = 0
            if width >= len(row):
                continue
            rest = row[width:]
            if not any(rest) and 0 not in rest:     # the common case, in C: nothing there ("" or None)
                continue
            stray += [(r, c, clean_text(value).text) for c, value in enumerate(rest, width) if not _blank(value)]
        titles = L.item_sheet_titles(self.year, self.item, department) if stray else ()
        for n, (r, c, text) in enumerate(stray[:MAX_STRAY_CELLS], 1):
            key = self.row_keys[r]
            if key in form and self.keys[key][0] == r:
                place = "表題の行" if key in titles else f"「{key}」の行の記入欄の外"
            elif self.initiative_row(key):
                place = f"取組 {key} の行の記入欄の外"
            else:
                place = "記入欄のない行"
            more = len(stray) - n if n == MAX_STRAY_CELLS else 0
            self.add(Code.ROW_005, r, c, value=text, place=place,
                     more=f"（このシートでは、ほかに {more} セルにも同じような入力があります）" if more else "")


def _blank(value: object) -> bool:
    """Nothing in the cell: no value, or only spaces (Calc and Excel may save an emptied cell as "")."""
    return value is None or (isinstance(value, str) and not value.strip())

