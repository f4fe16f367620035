"""Taking in the committee's register (opinions collect): the register the secretariat filled in goes
through the same gate as any return, is read in a worker process, and every row is checked at its cell.

`read_register` checks a register's values (not a path) against the plan: the opinions and good practices
it holds, and every finding. `collect_opinions` finds the year's register in opinions/<year>/, checks it,
writes the findings beside it, and, when nothing is wrong, replaces that year's opinions and good
practices in the store; with an error it changes nothing in the store.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.collect.checks import read_identity
from pipeline.collect.outputs import findings_csv
from pipeline.collect.reader import WorkbookValues
from pipeline.collect.single import take_workbook
from pipeline.committee import register as R
from pipeline.committee.model import GENERAL, GoodPractice, Opinion, opinion_id
from pipeline.config import Config
from pipeline.errors import PipelineError, UsageError
from pipeline.files import Staging, remove_leftovers
from pipeline.findings import Code, Finding, Tally, finding
from pipeline.fiscal import fiscal_year_short
from pipeline.plan import Plan
from pipeline.store import Store, run_lock
from pipeline.survey import layout as L
from pipeline.values import clean_text, normalise_choice

# What a message says when the store was committed but the findings file could not be put in place.
AFTER_COMMIT = "データベースは更新しましたが、点検結果のファイルは前回のままです（もう一度 make opinions-collect を実行すると、そろいます）。"


class SeveralRegistersError(PipelineError):
    """More than one register in the year's folder: which one counts is for the secretariat to say."""

    exit_code = 1


def findings_file_name(year: int) -> str:
    """'R06_2024年度_委員会意見_点検結果.csv': beside the register (never taken for one: not a workbook)."""
    return f"{fiscal_year_short(year)}_{year}年度_{R.NAME_MARK}_点検結果.csv"


# --- checking a register's values ------------------------------------------------------------------

@dataclass
class RegisterCheck:
    opinions: list[Opinion] = field(default_factory=list)
    practices: list[GoodPractice] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)


def read_register(book: WorkbookValues, plan: Plan, config: Config, year: int, file: str) -> RegisterCheck:
    """The opinions and good practices of a register on year `year`'s report, and every finding, each at
    the sheet and cell a person sees. Blank rows are skipped; the display columns (取組項目, 具体的な取組)
    and the hidden lists are never read."""
    plan = plan.for_year(year)
    out = RegisterCheck()
    if not _identity_fits(book, plan, year, file, out):
        return out
    for sheet in (R.SHEET_OPINIONS, R.SHEET_PRACTICES):
        if sheet not in book.sheet_names:
            out.findings.append(finding(Code.OPIN_006, file=file, value=sheet))
    if R.SHEET_OPINIONS in book.sheet_names:
        _OpinionRows(out, plan, config, year, file, book).run()
    if R.SHEET_PRACTICES in book.sheet_names:
        _PracticeRows(out, plan, config, year, file, book).run()
    if not out.has_errors and not out.opinions and not out.practices:
        out.findings.append(finding(Code.OPIN_019, file=file))
    return out


def _identity_fits(book: WorkbookValues, plan: Plan, year: int, file: str, out: RegisterCheck) -> bool:
    """Whether the workbook is a register of this plan and year (the hidden identity, else the document
    properties); a finding when it is not."""
    identity = read_identity(book)
    kind = identity.get(R.ID_KIND) or book.properties.get(L.PROPERTY_PREFIX + R.ID_KIND)
    if kind != R.REGISTER_KIND:
        detail = "（部署の進捗状況調査票です）" if identity.get(L.ID_DEPARTMENT) else ""
        out.findings.append(finding(Code.OPIN_001, file=file, detail=detail))
        return False
    if identity.get(L.ID_PLAN) != plan.id:
        out.findings.append(finding(Code.OPIN_002, file=file, value=identity.get(L.ID_PLAN, "?"), expected=plan.id))
        return False
    if identity.get(L.ID_YEAR) != str(year):
        out.findings.append(finding(Code.OPIN_003, file=file, value=identity.get(L.ID_YEAR, "?"), expected=year))
        return False
    if identity.get(L.ID_SCHEMA) != R.REGISTER_SCHEMA:
        out.findings.append(finding(Code.OPIN_004, file=file, value=identity.get(L.ID_SCHEMA, "?"),
                                    expected=R.REGISTER_SCHEMA))
        return False
    expected = R.register_id(plan, year)
    if identity.get(L.ID_TEMPLATE) != expected or identity.get(L.ID_PLAN_DIGEST) != plan.digest:
        out.findings.append(finding(Code.OPIN_005, file=file, value=identity.get(L.ID_TEMPLATE, ""), expected=expected))
    return True


class _Rows:
    """One input sheet of the register: the rows below its header, each with its 番号 in column A."""

    sheet = ""
    inputs: tuple[int, ...] = ()

    def __init__(self, out: RegisterCheck, plan: Plan, config: Config, year: int, file: str, book: WorkbookValues):
        self.out, self.plan, self.config, self.year, self.file = out, plan, config, year, file
        self.rows = book.rows(self.sheet)
        header = next((r for r, row in enumerate(self.rows) if row and L.row_key(row[0]) == R.HEADER_NUMBER),
                      R.HEADER_ROW)
        self.first = header + 1
        self.header = header
        self.numbers: dict[int, str] = {}     # 番号 → the cell it was first seen in
        self.troubles = book.troubles.get(self.sheet, {})   # errors (#N/A), formulas never calculated

    def cell(self, r: int, c: int) -> object:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else None

    def add(self, code: str, r: int, c: int, **kw) -> None:
        self.out.findings.append(finding(code, file=self.file, sheet=self.sheet, cell=L.a1(r, c), **kw))

    def filled(self) -> list[int]:
        """The rows with anything typed in an input cell (an error value there too: it reads as "")."""
        return [r for r in range(self.first, len(self.rows))
                if any(clean_text(self.cell(r, c)).text for c in self.inputs) or self.troubled_cells(r)]

    def troubled_cells(self, r: int) -> list[int]:
        """The columns of row `r` whose cell has no value to read (reader.CellTrouble)."""
        if not self.troubles:
            return []
        return [c for c in (R.COL_NUMBER, *self.inputs) if L.a1(r, c) in self.troubles]

    def troubled(self, r: int) -> bool:
        """Says, at each cell, that row `r` holds an error or a formula never calculated (rather than empty
        cells); True when it does (then nothing else of the row is checked or taken)."""
        columns = self.troubled_cells(r)
        for c in columns:
            code, params = self.troubles[L.a1(r, c)].said()
            field_name = clean_text(self.cell(self.header, c)).text.removesuffix("※").strip()   # (※: required)
            self.add(code, r, c, field=field_name, **params)
        return bool(columns)

    def number(self, r: int) -> int | None:
        """The row's 番号 (its opinion's number for good), or None after a finding."""
        raw = self.cell(r, R.COL_NUMBER)
        key = L.row_key(raw)
        problem = ""
        if not key:
            problem = "空欄"
        elif not (key.isascii() and key.isdigit() and int(key) >= 1):
            problem = "1以上の整数ではない"
        elif int(key) in self.numbers:
            problem = f"{self.numbers[int(key)]} と同じ番号"
        if problem:
            self.add(Code.OPIN_007, r, R.COL_NUMBER, field=R.HEADER_NUMBER, value=key, problem=problem)
            return None
        self.numbers[int(key)] = L.a1(r, R.COL_NUMBER)
        return int(key)

    def text(self, r: int, c: int, field_name: str, limit: int, empty: str | None = None, **kw) -> str | None:
        """The cleaned text of an input cell, or None after an error. `empty`: the code when it must not be."""
        cleaned = clean_text(self.cell(r, c))
        if cleaned.removed_control:
            self.add(Code.VALUE_006, r, c, field=field_name, value=cleaned.text)
        if not cleaned.text:
            if empty:
                self.add(empty, r, c, field=field_name, **kw)
                return None
            return ""
        if len(cleaned.text) > limit:
            self.add(Code.VALUE_005, r, c, field=field_name, value=cleaned.text, length=len(cleaned.text), limit=limit)
            return None
        return cleaned.text


class _OpinionRows(_Rows):
    sheet = R.SHEET_OPINIONS
    inputs = (R.COL_ITEM, R.COL_TEXT, R.COL_DEPARTMENT, R.COL_MEMBER, R.COL_DATE)

    def run(self) -> None:
        plan = self.plan
        self.items = {normalise_choice(i.code): i.code for i in plan.items} | {normalise_choice(GENERAL): GENERAL}
        self.departments = {}
        for d in plan.departments:
            self.departments[normalise_choice(d.code)] = d.code
            self.departments[normalise_choice(d.name)] = d.code
        self.surveyed = {d.code for d in plan.surveyed_departments()}
        for r in self.filled():
            if self.troubled(r):
                continue
            number = self.number(r)
            item = self.item(r)
            text = self.text(r, R.COL_TEXT, R.FIELD_TEXT, self.config.max_text_length, empty=Code.OPIN_010)
            department = self.department(r, item)
            member = self.text(r, R.COL_MEMBER, R.FIELD_MEMBER, R.MEMBER_LIMIT)
            given_on = self.date(r)
            values = (number, item, text, department, member, given_on)
            if None not in values:
                self.out.opinions.append(Opinion(opinion_id(self.year, number), self.year, number, item, department,
                                                 text, member, given_on))

    def item(self, r: int) -> str | None:
        raw = self.cell(r, R.COL_ITEM)
        key = normalise_choice(L.row_key(raw))
        if not key:
            self.add(Code.OPIN_008, r, R.COL_ITEM, field=R.FIELD_ITEM)
            return None
        if key not in self.items:
            self.add(Code.OPIN_009, r, R.COL_ITEM, field=R.FIELD_ITEM, value=raw, example=self.plan.items[0].code)
            return None
        return self.items[key]

    def department(self, r: int, item: str | None) -> str | None:
        """Who answers the opinion: the department typed (its name or code), else the item's lead."""
        raw = self.cell(r, R.COL_DEPARTMENT)
        key = normalise_choice(L.row_key(raw))
        if not key:
            if item == GENERAL:
                self.add(Code.OPIN_013, r, R.COL_DEPARTMENT, field=R.FIELD_DEPARTMENT)
                return None
            return self.plan.item_by_code[item].lead if item else None
        code = self.departments.get(key)
        if code is None and key.isascii() and key.isdigit():    # a code typed as a number: 5 for 05
            code = next((c for c in self.departments.values() if c.isdigit() and int(c) == int(key)), None)
        if code is None:
            self.add(Code.OPIN_011, r, R.COL_DEPARTMENT, field=R.FIELD_DEPARTMENT, value=raw)
            return None
        if code not in self.surveyed:
            self.add(Code.OPIN_012, r, R.COL_DEPARTMENT, field=R.FIELD_DEPARTMENT, value=self.plan.department_name(code))
            return None
        return code

    def date(self, r: int) -> str | None:
        """The meeting's date as ISO ('' when blank), or None after a finding."""
        raw = self.cell(r, R.COL_DATE)
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        text = clean_text(raw).text
        if not text:
            return ""
        day = _date_from_text(text)
        if day is None:
            self.add(Code.OPIN_014, r, R.COL_DATE, field=R.FIELD_DATE, value=raw, example=f"{self.year + 1}/7/15")
            return None
        return day.isoformat()


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _date_from_text(text: str) -> dt.date | None:
    """'2025/7/15', '2025-07-15', '2025年7月15日' (full-width digits too) → a date; anything else None."""
    match = _DATE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


class _PracticeRows(_Rows):
    sheet = R.SHEET_PRACTICES
    inputs = (R.COL_INITIATIVE, R.COL_REASON)

    def run(self) -> None:
        ids = {normalise_choice(ini.id): ini.id for ini in self.plan.initiatives}
        seen: dict[str, str] = {}
        for r in self.filled():
            if self.troubled(r):
                continue
            number = self.number(r)
            raw = self.cell(r, R.COL_INITIATIVE)
            key = normalise_choice(L.row_key(raw))
            initiative = ids.get(key)
            if not key:
                self.add(Code.OPIN_015, r, R.COL_INITIATIVE, field=R.FIELD_INITIATIVE)
            elif initiative is None:
                self.add(Code.OPIN_016, r, R.COL_INITIATIVE, field=R.FIELD_INITIATIVE, value=raw,
                         example=self.plan.initiatives[0].id)
            elif initiative in seen:
                self.add(Code.OPIN_018, r, R.COL_INITIATIVE, field=R.FIELD_INITIATIVE, value=initiative,
                         cells=f"{seen[initiative]}、{L.a1(r, R.COL_INITIATIVE)}")
            else:
                seen[initiative] = L.a1(r, R.COL_INITIATIVE)
            reason = self.text(r, R.COL_REASON, R.FIELD_REASON, self.config.max_text_length, empty=Code.OPIN_017,
                               value=initiative or clean_text(raw).text)
            if number is not None and initiative is not None and reason is not None:
                self.out.practices.append(GoodPractice(self.year, number, initiative, reason))


# --- the file: found, read once, gated, read in a worker --------------------------------------------------

def find_register(config: Config, year: int) -> Path:
    """The one register in opinions/<year>/; UsageError (exit 2) when there is none, SeveralRegistersError
    (exit 1) when there are several."""
    folder = config.opinions_for(year)
    found = R.registers_in(folder)
    if not found:
        raise UsageError(
            f"{folder} に委員会意見の記録票（ファイル名に「{R.NAME_MARK}」を含む .xlsx）がありません。"
            f"make opinions-template YEAR={year} で記録票を作り、記入して保存してから、"
            "もう一度実行してください。"
        )
    if len(found) > 1:
        names = "、".join(p.name for p in found)
        raise SeveralRegistersError(
            f"{folder} に委員会意見の記録票が {len(found)} 件あります（{names}）。どれを取り込むか決められません。"
            "取り込む1件だけを残し、ほかはこのフォルダーの外に移してから、もう一度実行してください。"
        )
    return found[0]


def _register_values(book: WorkbookValues, *, plan: Plan, config: Config, year: int,
                     file: str) -> tuple[RegisterCheck, list[Finding]]:
    """In the worker (pipeline.collect.single): the register's values checked."""
    check = read_register(book, plan, config, year, file)
    return check, check.findings


# --- the use case ------------------------------------------------------------------------------------

@dataclass
class OpinionsResult(Tally):
    year: int
    register: Path
    findings_file: Path
    findings: list[Finding]
    opinions: list[Opinion]
    practices: list[GoodPractice]
    sha256: str = ""
    stored: bool = False        # the year's opinions and good practices were replaced in the store


def collect_opinions(plan: Plan, config: Config, year: int, *, inline: bool = False) -> OpinionsResult:
    """Check the year's register and, when it has no error, replace that year's opinions and good practices
    in the store; the findings go to a CSV beside the register either way. With an error the store is not
    touched. Raises UsageError / SeveralRegistersError (no register, several), LockedError, or StorageError
    (a file or the store we could not write: nothing was changed). `inline`: check in this process (tests)."""
    plan = plan.for_year(year)
    path = find_register(config, year)
    with run_lock(config.store_path):
        remove_leftovers(path.parent)   # of a run killed half-way
        outcome = take_workbook(
            path, functools.partial(_register_values, plan=plan, config=config, year=year, file=path.name),
            config.limits, password=config.workbook_password, inline=inline)
        check = outcome.checked or RegisterCheck()
        result = OpinionsResult(year, path, path.parent / findings_file_name(year), outcome.findings,
                                check.opinions, check.practices, outcome.sha256)
        with Staging() as staging:
            staging.stage(result.findings_file, findings_csv(result.findings))
            if result.errors or outcome.data is None:
                staging.publish()
                return result
            os.sync()   # the staged file on disk before the store points at it
            with Store(config.store_path, archive=config.archive_dir) as store:
                store.keep_file(outcome.sha256, outcome.data)   # the exact bytes, committed with the register
                store.replace_opinions(year, result.opinions, result.practices, file_name=path.name,
                                       sha256=outcome.sha256)
            result.stored = True
            staging.publish(sync=False, changed=AFTER_COMMIT)
    return result
