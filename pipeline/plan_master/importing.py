"""Reading the plan master (計画マスタ) back: every cell checked where a person sees it, then the plan.

`read_master` takes a workbook's values (not a path: the bytes went through the gate and were read in a
worker, see `pipeline.plan_master.commands`) and gives the plan file's mapping, in the shape and key order of
plan/README.md with every optional key at its default left out, or None and every finding: each at its
sheet and A1 cell, with the value found there. When every cell reads, the mapping goes through
`plan_from_mapping`, and any mistake it still finds becomes a finding at the cell it came from.
"""

from __future__ import annotations

from typing import Any

from pipeline.errors import PlanError
from pipeline.findings import Code, Finding
from pipeline.intake.reader import WorkbookValues
from pipeline.plan.loading import plan_from_mapping
from pipeline.plan.model import DECREASE, INCREASE
from pipeline.plan_master import layout as master_layout
from pipeline.plan_master.cells import Cell, CellReader, Table, is_blank, placed_at, shown_value
from pipeline.sheets import layout
from pipeline.values import normalise_choice


def read_master(book: WorkbookValues, source_name: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The plan file's mapping from a plan master's values, or None when anything is wrong; and every
    finding (warnings too: a mapping may come with warnings)."""
    reader = _Reader(book, source_name)
    mapping = reader.read()
    return mapping, reader.findings


class _Reader(CellReader):
    def __init__(self, book: WorkbookValues, file: str):
        super().__init__(book, file)
        self.pillar_codes: set[str] = set()
        self.item_of_initiative: dict[str, str] = {}

    def item_code(self, items: dict[str, Any], c: Cell) -> str:
        """A 管理番号 that must be on the 取組項目 sheet ('' when not)."""
        code = self.code(c)
        if code and code not in items:
            self.at(Code.PLAN_005, c, value=code)
            return ""
        return code

    # --- the whole master ---------------------------------------------------------------------------------
    def read(self) -> dict[str, Any] | None:
        missing = [s for s in master_layout.SHEETS if s not in self.book.sheet_names]
        for sheet in missing:
            self.add(Code.PLAN_001, sheet, "", value=sheet)
        if missing:
            return None
        head = self._plan()
        departments = self._departments()
        sections = self._sections()
        pillars = self._pillars(sections)
        items = self._items()
        initiatives = self._initiatives(items)
        self._indicators(items)
        self._revisions(initiatives)
        self._exclusions(items)
        if not self.has_errors:
            for code, item in items.items():
                if not item["initiatives"]:
                    sheet, cell, _field, _value = self.places[f"items[{code}].code"]
                    self.add(Code.PLAN_020, sheet, cell, field=master_layout.I_CODE, value=code)
        if self.has_errors:
            return None
        mapping = {"plan": head, "departments": departments, "sections": sections, "pillars": pillars,
                   "items": [_item_mapping(item) for item in items.values()]}
        try:
            plan_from_mapping(mapping, source=self.file)
        except PlanError as exc:
            for problem in exc.problems:
                self._plan_problem(problem)
            return None
        return mapping

    def _plan_problem(self, problem: str) -> None:
        """A mistake plan_from_mapping found, at the cell its key came from (the nearest one known)."""
        key, _, message = problem.partition(": ")
        probe = key
        while probe and probe not in self.places:
            probe = probe.rpartition(".")[0]
        sheet, cell, field, value = self.places.get(probe, ("", "", "", ""))
        self.add(Code.PLAN_017, sheet, cell, field=field, value=value, problem=message, key=key)

    # --- 計画 -------------------------------------------------------------------------------------------
    def _plan(self) -> dict[str, Any]:
        sheet = master_layout.SHEET_PLAN
        rows = self.book.rows(sheet)
        found: dict[str, int] = {}
        for r in range(1, len(rows)):
            label = master_layout.header_key(rows[r][0] if rows[r] else None)
            if label:
                found.setdefault(label, r)
        self.places["plan"] = (sheet, "A1", "", "")
        head: dict[str, Any] = {}
        cells: dict[str, Cell] = {}
        for f in master_layout.PLAN_FIELDS:
            r = found.get(master_layout.header_key(f.label))
            if r is None:
                self.add(Code.PLAN_002, sheet, "", field=f.label, place="行の項目名（A列）")
                continue
            c = cells[f.key] = Cell(sheet, layout.a1(r, 1), rows[r][1] if len(rows[r]) > 1 else None, f.label)
            self.places[f"plan.{f.key}"] = placed_at(c)
            if f.year:
                value = self.integer(c, True, "2022")
            elif f.key == "count_units":
                value = master_layout.split_list(self.text(c))
            elif f.key == "id":
                value = self.code(c)
            else:
                value = self.text(c, f.required)
            if value not in (None, "", []):
                head[f.key] = value
        start, end = head.get("period_start"), head.get("period_end")
        if start is not None and end is not None:
            if end < start:
                self.at(Code.PLAN_011, cells["period_end"], value=end, other_field=cells["period_start"].field,
                        other=start)
            else:
                self.period = range(start, end + 1)
        return head

    # --- 部署, 節, 柱 ------------------------------------------------------------------------------------
    def _departments(self) -> list[dict[str, Any]]:
        t = Table(self, master_layout.SHEET_DEPARTMENTS, master_layout.DEPARTMENT_COLUMNS)
        out: list[dict[str, Any]] = []
        codes: dict[str, str] = {}
        names: dict[str, str] = {}
        for r in t.in_order(master_layout.D_CODE):
            code_cell, name_cell = t.cell(r, master_layout.D_CODE), t.cell(r, master_layout.D_NAME)
            code, name = self.code(code_cell), self.text(name_cell, True)
            self.unique(codes, code, code_cell)
            self.unique(names, normalise_choice(name), name_cell, shown=name)
            self.place_row(f"departments[{len(out)}]", t, r, {"code": master_layout.D_CODE, "name": master_layout.D_NAME})
            out.append({"code": code, "name": name})
        self.known_departments = {normalise_choice(d["name"]): d["name"] for d in out if d["name"]}
        return out

    def _sections(self) -> list[dict[str, Any]]:
        t = Table(self, master_layout.SHEET_SECTIONS, master_layout.SECTION_COLUMNS)
        out: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        for r in t.in_order(master_layout.S_NUMBER):
            number_cell = t.cell(r, master_layout.S_NUMBER)
            number = self.integer(number_cell, True, "1")
            self.unique(seen, "" if number is None else str(number), number_cell)
            self.place_row(f"sections[{len(out)}]", t, r, {"number": master_layout.S_NUMBER, "title": master_layout.S_TITLE})
            out.append({"number": number, "title": self.text(t.cell(r, master_layout.S_TITLE), True)})
        return out

    def _pillars(self, sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
        t = Table(self, master_layout.SHEET_PILLARS, master_layout.PILLAR_COLUMNS)
        numbers = {s["number"] for s in sections}
        out: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        for r in t.in_order(master_layout.P_CODE):
            code_cell, section_cell = t.cell(r, master_layout.P_CODE), t.cell(r, master_layout.P_SECTION)
            code = self.code(code_cell)
            self.unique(seen, code, code_cell)
            section = self.integer(section_cell, True, "1")
            if section is not None and section not in numbers:
                self.at(Code.PLAN_007, section_cell, value=section)
            self.place_row(f"pillars[{len(out)}]", t, r, {"code": master_layout.P_CODE, "section": master_layout.P_SECTION, "title": master_layout.P_TITLE})
            out.append({"code": code, "section": section, "title": self.text(t.cell(r, master_layout.P_TITLE), True)})
        self.pillar_codes = {p["code"] for p in out}
        return out

    # --- 取組項目 ----------------------------------------------------------------------------------------
    def _items(self) -> dict[str, dict[str, Any]]:
        t = Table(self, master_layout.SHEET_ITEMS, master_layout.ITEM_COLUMNS)
        items: dict[str, dict[str, Any]] = {}
        seen: dict[str, str] = {}
        for r in t.in_order(master_layout.I_CODE):
            code_cell, pillar_cell, previous_cell = t.cell(r, master_layout.I_CODE), t.cell(r, master_layout.I_PILLAR), t.cell(r, master_layout.I_PREVIOUS)
            code = self.code(code_cell)
            self.unique(seen, code, code_cell)
            pillar = self.code(pillar_cell)
            if pillar and pillar not in self.pillar_codes:
                self.at(Code.PLAN_006, pillar_cell, value=pillar)
            title = self.text(t.cell(r, master_layout.I_TITLE), True)
            previous = master_layout.split_list(self.text(previous_cell, True))
            for marker in previous:
                if marker not in master_layout.PREVIOUS_CHOICES[:2]:
                    self.at(Code.PLAN_016, previous_cell, value=marker, choices="・".join(master_layout.PREVIOUS_CHOICES))
            names, etc = self.departments(t.cell(r, master_layout.I_DEPARTMENTS), True) or ([], False)
            outcomes = master_layout.lines_of(self.text(t.cell(r, master_layout.I_OUTCOMES), True))
            issues = master_layout.lines_of(self.text(t.cell(r, master_layout.I_ISSUES), True))
            issues_etc = self.flag(t.cell(r, master_layout.I_ISSUES_ETC))
            label = self.text(t.cell(r, master_layout.I_LABEL))

            item: dict[str, Any] = {"code": code, "pillar": pillar, "title": title, "previous_plan": previous,
                                    "departments": names}
            if etc:
                item["departments_etc"] = True
            item["outcomes"], item["issues"] = outcomes, issues
            if issues_etc:
                item["issues_etc"] = True
            if label and label != master_layout.DEFAULT_LABEL:
                item["initiatives_label"] = label
            item["initiatives"] = []
            self.place_row(f"items[{code}]", t, r, {
                "code": master_layout.I_CODE, "pillar": master_layout.I_PILLAR, "title": master_layout.I_TITLE, "previous_plan": master_layout.I_PREVIOUS,
                "departments": master_layout.I_DEPARTMENTS, "departments_etc": master_layout.I_DEPARTMENTS, "outcomes": master_layout.I_OUTCOMES,
                "issues": master_layout.I_ISSUES, "issues_etc": master_layout.I_ISSUES_ETC, "initiatives_label": master_layout.I_LABEL,
                "initiatives": master_layout.I_CODE, "indicator": master_layout.I_CODE, "excluded": master_layout.I_CODE,
            })
            if code and code not in items:
                items[code] = item
        return items

    # --- 具体的な取組 ------------------------------------------------------------------------------------
    def _initiatives(self, items: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        t = Table(self, master_layout.SHEET_INITIATIVES, master_layout.INITIATIVE_COLUMNS)
        out: dict[str, dict[str, Any]] = {}
        seen: dict[str, str] = {}
        for r in t.in_order(master_layout.N_ID):     # within an item: the initiative IDs' order, the charter's
            id_cell, end_cell, reason_cell = t.cell(r, master_layout.N_ID), t.cell(r, master_layout.N_END), t.cell(r, master_layout.N_REASON)
            ini_id = self.code(id_cell)
            self.unique(seen, ini_id, id_cell)
            code = self.item_code(items, t.cell(r, master_layout.N_ITEM))
            text = self.text(t.cell(r, master_layout.N_TEXT), True)
            names, etc = self.departments(t.cell(r, master_layout.N_DEPARTMENTS), True) or ([], False)
            dx = self.flag(t.cell(r, master_layout.N_DX))
            start, end = self.year(t.cell(r, master_layout.N_START)), self.year(end_cell)
            reason = self.text(reason_cell)
            if start and end and end < start:
                self.at(Code.PLAN_011, end_cell, value=end, other_field=master_layout.N_START, other=start)
            elif not reason and self.period:
                if start and start > self.period.start:
                    self.at(Code.PLAN_012, reason_cell, what="計画期間の途中から始める取組")
                elif end and end < self.period.stop - 1:
                    self.at(Code.PLAN_012, reason_cell, what="計画期間の途中で終える取組")

            ini: dict[str, Any] = {"id": ini_id, "text": text, "departments": names}
            if etc:
                ini["departments_etc"] = True
            if dx:
                ini["dx"] = True
            for key, value in (("start", start), ("end", end), ("reason", reason)):
                if value:
                    ini[key] = value
            self.place_row(f"items[{code}].initiatives[{ini_id}]", t, r, {
                "id": master_layout.N_ID, "text": master_layout.N_TEXT, "departments": master_layout.N_DEPARTMENTS, "departments_etc": master_layout.N_DEPARTMENTS,
                "dx": master_layout.N_DX, "start": master_layout.N_START, "end": master_layout.N_END, "reason": master_layout.N_REASON, "revisions": master_layout.N_ID,
            })
            if code and ini_id and ini_id not in out:
                items[code]["initiatives"].append(ini)
                out[ini_id] = ini
                self.item_of_initiative[ini_id] = code
        return out

    # --- 参考指標 ----------------------------------------------------------------------------------------
    def _indicators(self, items: dict[str, dict[str, Any]]) -> None:
        t = Table(self, master_layout.SHEET_INDICATORS, master_layout.INDICATOR_COLUMNS)
        seen: dict[str, str] = {}
        for r in t.in_order(master_layout.K_ITEM):
            item_cell, reporter_cell = t.cell(r, master_layout.K_ITEM), t.cell(r, master_layout.K_REPORTER)
            code = self.item_code(items, item_cell)
            self.unique(seen, code, item_cell)
            indicator: dict[str, Any] = {"name": self.text(t.cell(r, master_layout.K_NAME), True),
                                         "unit": self.text(t.cell(r, master_layout.K_UNIT), True)}
            baseline = self.number(t.cell(r, master_layout.K_BASELINE))
            if baseline is not None:
                indicator["baseline"] = baseline
            indicator["baseline_year"] = self.integer(t.cell(r, master_layout.K_BASELINE_YEAR), True, "2021")
            if self.flag(t.cell(r, master_layout.K_MARKED)):
                indicator["baseline_marked"] = True
            target = self.number(t.cell(r, master_layout.K_TARGET))
            if target is not None:
                indicator["target"] = target
            indicator["target_year"] = self.year(t.cell(r, master_layout.K_TARGET_YEAR), required=True)
            direction = self._direction(t.cell(r, master_layout.K_DIRECTION))
            if direction != INCREASE:
                indicator["direction"] = direction
            if self.flag(t.cell(r, master_layout.K_CUMULATIVE)):
                indicator["cumulative"] = True
            reporter = self.text(reporter_cell)
            if reporter:
                known = self.known_departments.get(normalise_choice(reporter))
                if known is None:
                    self.at(Code.PLAN_004, reporter_cell, value=reporter)
                reporter = known or reporter
            item = items.get(code)
            if reporter and item is not None and item["departments"][:1] != [reporter]:
                indicator["reporter"] = reporter      # (the lead reports unless another department is named)
            self.place_row(f"items[{code}].indicator", t, r, {
                "name": master_layout.K_NAME, "unit": master_layout.K_UNIT, "baseline": master_layout.K_BASELINE, "baseline_year": master_layout.K_BASELINE_YEAR,
                "baseline_marked": master_layout.K_MARKED, "target": master_layout.K_TARGET, "target_year": master_layout.K_TARGET_YEAR,
                "direction": master_layout.K_DIRECTION, "cumulative": master_layout.K_CUMULATIVE, "reporter": master_layout.K_REPORTER,
            })
            if item is not None and "indicator" not in item:
                item["indicator"] = indicator

    def _direction(self, c: Cell) -> str:
        key = normalise_choice(c.raw)
        if not key or key in (master_layout.INCREASE_WORD, INCREASE):
            return INCREASE
        if key in (master_layout.DECREASE_WORD, DECREASE):
            return DECREASE
        self.at(Code.PLAN_016, c, value=shown_value(c.raw), choices=f"{master_layout.INCREASE_WORD}・{master_layout.DECREASE_WORD}")
        return INCREASE

    # --- 取組の変更, 対象外 -------------------------------------------------------------------------------
    def _revisions(self, initiatives: dict[str, dict[str, Any]]) -> None:
        t = Table(self, master_layout.SHEET_REVISIONS, master_layout.REVISION_COLUMNS)
        found: dict[str, list[tuple[int, int, dict[str, Any]]]] = {}   # initiative → (year, row, revision)
        seen: dict[str, str] = {}
        for r in t.in_order(master_layout.R_ID, master_layout.R_YEAR):
            id_cell, year_cell, dx_cell, reason_cell = (t.cell(r, h) for h in (master_layout.R_ID, master_layout.R_YEAR, master_layout.R_DX, master_layout.R_REASON))
            ini_id = self.code(id_cell)
            if ini_id and ini_id not in initiatives:
                self.at(Code.PLAN_008, id_cell, value=ini_id)
            year = self.year(year_cell, required=True)
            if ini_id and year:
                self.unique(seen, f"{ini_id} {year}年度", year_cell, field=f"{master_layout.R_ID}・{master_layout.R_YEAR}")
            text = self.text(t.cell(r, master_layout.R_TEXT))
            departments = self.departments(t.cell(r, master_layout.R_DEPARTMENTS), False)
            dx = self.flag(dx_cell, blank=None)
            reason = self.text(reason_cell)
            if not reason:
                self.at(Code.PLAN_012, reason_cell, what="取組の変更")
            if not text and departments is None and is_blank(dx_cell.raw):
                self.at(Code.PLAN_019, id_cell, value=ini_id)

            revision: dict[str, Any] = {"year": year}
            if text:
                revision["text"] = text
            if departments is not None:     # the cell states who does it, whole: the names and the ほか
                revision["departments"], revision["departments_etc"] = departments
            if dx is not None:
                revision["dx"] = dx
            revision["reason"] = reason
            found.setdefault(ini_id, []).append((year or 0, r, revision))
        for ini_id, revisions in found.items():
            code = self.item_of_initiative.get(ini_id, "")
            ini = initiatives.get(ini_id)
            state = (ini["departments"], ini.get("departments_etc", False)) if ini else None
            for k, (_year, r, revision) in enumerate(sorted(revisions, key=lambda x: x[0])):   # in year order
                self.place_row(f"items[{code}].initiatives[{ini_id}].revisions[{k}]", t, r, {
                    "year": master_layout.R_YEAR, "reason": master_layout.R_REASON, "text": master_layout.R_TEXT, "departments": master_layout.R_DEPARTMENTS,
                    "departments_etc": master_layout.R_DEPARTMENTS, "dx": master_layout.R_DX,
                })
                if ini is None:
                    continue
                restated = "departments" in revision
                state = _changed_only(revision, state)
                if restated and not any(key in revision for key in _REVISED):   # the same departments again
                    self.at(Code.PLAN_019, t.cell(r, master_layout.R_ID), value=ini_id)
                ini.setdefault("revisions", []).append(revision)

    def _exclusions(self, items: dict[str, dict[str, Any]]) -> None:
        t = Table(self, master_layout.SHEET_EXCLUSIONS, master_layout.EXCLUSION_COLUMNS)
        seen: dict[str, str] = {}
        for r in t.in_order(master_layout.X_ITEM, master_layout.X_YEAR):
            year_cell, reason_cell = t.cell(r, master_layout.X_YEAR), t.cell(r, master_layout.X_REASON)
            code = self.item_code(items, t.cell(r, master_layout.X_ITEM))
            year = self.year(year_cell, required=True)
            if code and year:
                self.unique(seen, f"{code} {year}年度", year_cell, field=f"{master_layout.X_ITEM}・{master_layout.X_YEAR}")
            reason = self.text(reason_cell)
            if not reason:
                self.at(Code.PLAN_012, reason_cell, what="対象外の取組項目")
            if code in items:
                excluded = items[code].setdefault("excluded", [])
                self.place_row(f"items[{code}].excluded[{len(excluded)}]", t, r, {"year": master_layout.X_YEAR, "reason": master_layout.X_REASON})
                excluded.append({"year": year, "reason": reason})


def _item_mapping(item: dict[str, Any]) -> dict[str, Any]:
    """An item in plan/README.md's order: its keys, then [[items.initiatives]], [items.indicator],
    [[items.excluded]]."""
    out = {k: v for k, v in item.items() if k not in ("initiatives", "indicator", "excluded")}
    out["initiatives"] = item["initiatives"]
    for key in ("indicator", "excluded"):
        if key in item:
            out[key] = item[key]
    return out


_REVISED = ("text", "departments", "departments_etc", "dx")


def _changed_only(revision: dict[str, Any], state: tuple[list[str], bool]) -> tuple[list[str], bool]:
    """A revision keeps only what it changes: its 担当部署 cell states the departments and the ほか whole,
    so the one of them that stays as it was the year before is left out (as a plan file says it). The
    departments and ほか in force after it."""
    names, etc = state
    if "departments" in revision:
        if revision["departments"] == names:
            del revision["departments"]
        else:
            names = revision["departments"]
        if revision["departments_etc"] == etc:
            del revision["departments_etc"]
        else:
            etc = revision["departments_etc"]
    return names, etc
