"""The plan master: the charter held as data (plan/*.toml), loaded and checked.

Domain terms, defined once:
  Plan        行動計画 (the charter)            Section   (1)/(2) 市民へのアプローチ・行政の取組
  Pillar      取組方針の柱 1-1 … 2-4            ActionItem 取組項目 (管理番号 1101 …)
  Initiative  具体的な取組 (one ➤ bullet)       Indicator  参考指標
  Department  担当部署 (課・福祉事務所)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.errors import PlanError, UsageError
from pipeline.values import format_number

INCREASE, DECREASE = "increase", "decrease"


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class Section:
    number: int
    title: str

    @property
    def label(self) -> str:
        return f"({self.number}) {self.title}"


@dataclass(frozen=True)
class Pillar:
    code: str
    section: int
    title: str

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}"


@dataclass(frozen=True)
class Revision:
    """A change to an initiative from a fiscal year on (変更): what it says, or who does it."""

    year: int                                  # in force from this fiscal year
    reason: str                                # 変更理由
    text: str | None = None                    # None: unchanged
    departments: tuple[str, ...] | None = None
    departments_etc: bool | None = None
    dx: bool | None = None


@dataclass(frozen=True)
class Initiative:
    id: str
    item_code: str
    text: str
    departments: tuple[str, ...]   # department codes, in the charter's order
    departments_etc: bool          # the charter wrote "ほか"
    dx: bool
    start: int = 0                 # 開始年度: first year in force (0: from the plan's start)
    end: int = 0                   # 終了年度: last year in force (0: to the plan's end)
    reason: str = ""               # 変更理由 of a late start or an early end
    revisions: tuple[Revision, ...] = ()

    @property
    def display_text(self) -> str:
        return f"【DX】{self.text}" if self.dx else self.text

    def in_force(self, year: int) -> bool:
        return (not self.start or self.start <= year) and (not self.end or year <= self.end)

    def as_of(self, year: int) -> Initiative:
        """The initiative as it stands in `year`, every revision in force applied; no record of the others."""
        ini = replace(self, start=0, end=0, reason="", revisions=())
        for r in self.revisions:
            if r.year <= year:
                ini = replace(ini, **{k: v for k, v in (("text", r.text), ("departments", r.departments),
                                                        ("departments_etc", r.departments_etc), ("dx", r.dx))
                                      if v is not None})
        return ini


@dataclass(frozen=True)
class Exclusion:
    """An action item not evaluated in a fiscal year (対象外): no workbook asks for it that year."""

    year: int
    reason: str


@dataclass(frozen=True)
class Change:
    """A change of the plan that takes effect in a year, as the year's report lists it."""

    kind: str                      # ADDED, ENDED, REVISED or EXCLUDED
    item_code: str
    initiative_id: str             # "" for an item's exclusion
    text: str                      # the initiative's text as it stands (as it stood, for one that ended)
    reason: str


ADDED, ENDED, REVISED, EXCLUDED = "追加", "終了", "変更", "対象外"


@dataclass(frozen=True)
class Indicator:
    item_code: str
    name: str
    unit: str
    baseline: float | None          # None where the charter shows "-"
    baseline_year: int
    baseline_marked: bool           # "*": the value is the FY2022 figure (see Plan.baseline_note)
    target: float | None            # None for a direction-only target ("減少")
    target_year: int
    direction: str                  # INCREASE or DECREASE
    cumulative: bool                # 延べ: the target is the sum of the yearly actuals
    reporter: str                   # department code

    @property
    def direction_only(self) -> bool:
        return self.target is None

    @property
    def baseline_shown(self) -> str | None:
        """The baseline as a quantity, '6,794件' (None where the charter shows '-')."""
        return None if self.baseline is None else f"{format_number(self.baseline)}{self.unit}"

    @property
    def target_shown(self) -> str:
        """The target as the charter prints it: '9,000件', '延べ3回', '減少'."""
        if self.direction_only:
            return "減少" if self.direction == DECREASE else "増加"
        return ("延べ" if self.cumulative else "") + f"{format_number(self.target)}{self.unit}"


@dataclass(frozen=True)
class ActionItem:
    code: str
    pillar: str
    title: str
    previous_plan: tuple[str, ...]
    departments: tuple[str, ...]     # department codes, lead first
    departments_etc: bool
    outcomes: tuple[str, ...]
    issues: tuple[str, ...]
    issues_etc: bool
    initiatives_label: str
    initiatives: tuple[Initiative, ...]
    indicator: Indicator | None
    excluded: tuple[Exclusion, ...] = ()     # 対象外 years (in a year's plan: up to that year)

    @property
    def lead(self) -> str:
        return self.departments[0]

    def excluded_in(self, year: int) -> Exclusion | None:
        return next((e for e in self.excluded if e.year == year), None)


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    city: str
    issued: str
    period_start: int
    period_end: int
    committee: str
    baseline_note: str
    dx_note: str
    departments: tuple[Department, ...]
    sections: tuple[Section, ...]
    pillars: tuple[Pillar, ...]
    items: tuple[ActionItem, ...]
    digest: str                      # sha256 of the plan's content (content_digest): which plan a workbook came from
    count_units: tuple[str, ...] = ()   # units that count things (件, 回, 名…): an actual in them is whole
    year: int | None = None          # a year's plan (for_year): the plan as it stood in that fiscal year
    changes: tuple[Change, ...] = ()    # in a year's plan: the changes that took effect in that year

    def for_year(self, year: int) -> Plan:
        """The plan as it stood in fiscal `year`: only the initiatives in force, each as revised up to that
        year, the year's exclusions (対象外) and the changes that took effect in it. Its digest depends on that
        year's content only, so a revision from a later year on changes nothing of an earlier year."""
        if self.year == year:
            return self
        if self.year is not None:
            raise ValueError(f"a plan for {self.year} cannot be made a plan for {year}")
        made = self._year_plans.get(year)
        if made is None:
            made = self._year_plans[year] = self._made_for_year(year)
        return made

    @cached_property
    def _year_plans(self) -> dict[int, Plan]:
        """The year plans made so far (not a field: not in the digest, equality or repr)."""
        return {}

    def _made_for_year(self, year: int) -> Plan:
        self.check_year(year)
        items = tuple(replace(
            item,
            initiatives=tuple(ini.as_of(year) for ini in item.initiatives if ini.in_force(year)),
            excluded=tuple(e for e in item.excluded if e.year <= year),   # this year's and the years before
        ) for item in self.items)
        plan = replace(self, items=items, year=year, changes=tuple(self._changes_in(year)), digest="")
        return replace(plan, digest=content_digest(plan))

    def _changes_in(self, year: int) -> list[Change]:
        out: list[Change] = []
        for item in self.items:
            for ini in item.initiatives:
                if ini.start and ini.start == year and year != self.period_start:
                    out.append(Change(ADDED, item.code, ini.id, ini.as_of(year).text, ini.reason))
                if ini.end and ini.end + 1 == year:
                    out.append(Change(ENDED, item.code, ini.id, ini.as_of(ini.end).text, ini.reason))
                for r in ini.revisions:
                    if r.year == year and ini.in_force(year):
                        out.append(Change(REVISED, item.code, ini.id, ini.as_of(year).text, r.reason))
            excluded = item.excluded_in(year)
            if excluded:
                out.append(Change(EXCLUDED, item.code, "", item.title, excluded.reason))
        return out

    def revisions_summary(self) -> list[str]:
        """For plan-check: per year of the period, the changes in force from it."""
        lines = []
        for year in self.years:
            for ch in self.for_year(year).changes:
                what = f"{ch.item_code} {ch.initiative_id}".strip()
                lines.append(f"{year}年度 {ch.kind}: {what} {ch.text}（理由: {ch.reason}）")
        return lines

    @property
    def years(self) -> range:
        return range(self.period_start, self.period_end + 1)

    def summary(self) -> str:
        """One line: the title, the period and how many of each thing the plan holds."""
        return (
            f"{self.title}（{self.period_start}〜{self.period_end}年度）: "
            f"節 {len(self.sections)}、柱 {len(self.pillars)}、取組項目 {len(self.items)}、"
            f"具体的な取組 {len(self.initiatives)}（うちDX {sum(i.dx for i in self.initiatives)}）、"
            f"部署 {len(self.departments)}、参考指標 {len(self.indicators)}"
        )

    def check_year(self, year: int) -> None:
        """Refuse a fiscal year outside the plan period, saying which years there are."""
        if year not in self.years:
            raise UsageError(
                f"{year}年度は計画期間（{self.period_start}〜{self.period_end}年度）の外です。"
                f"--year に {self.period_start}〜{self.period_end} のいずれかを指定してください。"
            )

    @cached_property
    def department_by_code(self) -> dict[str, Department]:
        return {d.code: d for d in self.departments}

    @cached_property
    def item_by_code(self) -> dict[str, ActionItem]:
        return {i.code: i for i in self.items}

    @cached_property
    def initiative_by_id(self) -> dict[str, Initiative]:
        return {ini.id: ini for item in self.items for ini in item.initiatives}

    @property
    def initiatives(self) -> list[Initiative]:
        return [ini for item in self.items for ini in item.initiatives]

    @property
    def indicators(self) -> list[Indicator]:
        return [item.indicator for item in self.items if item.indicator]

    def department_name(self, code: str) -> str:
        return self.department_by_code[code].name

    def pillars_of(self, section: Section) -> list[Pillar]:
        return [p for p in self.pillars if p.section == section.number]

    def items_of(self, pillar: Pillar) -> list[ActionItem]:
        return [i for i in self.items if i.pillar == pillar.code]

    @cached_property
    def _taking_part(self) -> tuple[dict[str, list[ActionItem]], dict[tuple[str, str], list[Initiative]]]:
        """Who takes part in what, indexed once: asked per department for every workbook and return,
        so a survey of thousands of departments must not scan the whole plan each time."""
        items: dict[str, list[ActionItem]] = {}
        initiatives: dict[tuple[str, str], list[Initiative]] = {}
        for item in self.items:
            if self.year is not None and item.excluded_in(self.year):
                continue        # 対象外 this year: nobody is asked about it
            members = dict.fromkeys([item.lead] + ([item.indicator.reporter] if item.indicator else []))
            for ini in item.initiatives:
                for dept in ini.departments:
                    initiatives.setdefault((item.code, dept), []).append(ini)
                    members[dept] = None
            for dept in members:
                items.setdefault(dept, []).append(item)
        return items, initiatives

    @cached_property
    def _members(self) -> dict[str, set[str]]:
        members: dict[str, set[str]] = {}
        for department, items in self._taking_part[0].items():
            for item in items:
                members.setdefault(item.code, set()).add(department)
        return members

    def departments_in(self, item_code: str) -> set[str]:
        """Departments that take part in an item (whose workbooks have its sheet): the inverse of items_for."""
        return set(self._members.get(item_code, ()))

    def items_for(self, department: str) -> list[ActionItem]:
        """Items a department takes part in: it has an initiative there, leads it, or reports its indicator."""
        return list(self._taking_part[0].get(department, ()))

    def initiatives_of(self, item_code: str, department: str) -> list[Initiative]:
        """The initiatives of an item that a department answers for, in the charter's order."""
        return list(self._taking_part[1].get((item_code, department), ()))

    def surveyed_departments(self) -> list[Department]:
        """Departments that receive a workbook, in code order."""
        return [d for d in self.departments if d.code in self._taking_part[0]]


# --- loading ---------------------------------------------------------------------------------------

_ITEM_CODE = re.compile(r"\d{4}")
_PREVIOUS_PLAN = {"継続", "新規"}


class _Collector:
    """Collects every mistake with its key instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.problems.append(f"{key}: {problem}")

    def text(self, table: dict[str, Any], key: str, where: str, required: bool = True) -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(f"{where}.{key}", "空でない文字列を書いてください。")
            return ""
        return value.strip()

    def integer(self, table: dict[str, Any], key: str, where: str) -> int:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(f"{where}.{key}", "整数を書いてください。")
            return 0
        return value

    def number(self, table: dict[str, Any], key: str, where: str) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(f"{where}.{key}", f"数値を書いてください（値: {value!r}）。")
            return None
        return value

    def flag(self, table: dict[str, Any], key: str, where: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.add(f"{where}.{key}", "true か false を書いてください。")
            return False
        return value

    def texts(self, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            self.add(f"{where}.{key}", "空でない文字列のリストを書いてください。")
            return ()
        return tuple(v.strip() for v in value)

    def tables(self, data: dict[str, Any], key: str, where: str = "") -> list[dict[str, Any]]:
        value = data.get(key)
        full = f"{where}.{key}" if where else key
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.add(full, f"[[{full}]] の表を1つ以上書いてください。")
            return []
        return value


def content_digest(plan: Plan) -> str:
    """sha256 of what a plan says (not of its file's bytes: a comment or a reformatting changes nothing)."""
    content = dataclasses.asdict(replace(plan, digest=""))
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def load_plan(path: Path | str) -> Plan:
    """Load and check a plan file; raise PlanError listing every mistake with its key."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise PlanError(str(source), [f"ファイルを読めません: {exc.strerror or exc}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanError(str(source), ["UTF-8 で保存してください。"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(str(source), [f"TOMLの書式の誤り: {exc}"]) from None
    return plan_from_mapping(data, source=str(source))


def plan_from_mapping(data: dict[str, Any], digest: str = "", source: str = "<plan>") -> Plan:
    c = _Collector()
    head = data.get("plan") if isinstance(data.get("plan"), dict) else {}
    if not head:
        c.add("plan", "[plan] の表がありません。")
    plan_id = c.text(head, "id", "plan")
    start, end = c.integer(head, "period_start", "plan"), c.integer(head, "period_end", "plan")
    if start and end and start > end:
        c.add("plan.period_end", f"計画期間の終わり（{end}）が始まり（{start}）より前です。")
    years = range(start, end + 1)
    count_units = c.texts(head, "count_units", "plan") if "count_units" in head else ()
    if len(set(count_units)) != len(count_units):
        c.add("plan.count_units", "同じ単位が重複しています。")

    departments: list[Department] = []
    code_by_name: dict[str, str] = {}
    department_codes_seen: set[str] = set()
    for i, d in enumerate(c.tables(data, "departments")):
        where = f"departments[{i}]"
        code, name = c.text(d, "code", where), c.text(d, "name", where)
        if code and not re.fullmatch(r"[0-9A-Za-z_-]+", code):
            c.add(f"{where}.code", f"部署コード「{code}」は半角英数字で書いてください（ファイル名に使います）。")
        if code in department_codes_seen:
            c.add(f"{where}.code", f"部署コード「{code}」が重複しています。")
        department_codes_seen.add(code)
        if name in code_by_name:
            c.add(f"{where}.name", f"部署名「{name}」が重複しています。")
        departments.append(Department(code, name))
        code_by_name[name] = code

    def department_codes(names: Any, where: str) -> tuple[str, ...]:
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            c.add(where, "部署名のリストを書いてください。")
            return ()
        codes = []
        for n in names:
            if n not in code_by_name:
                c.add(where, f"部署「{n}」は [[departments]] にありません。追加するか、名前を直してください。")
            elif code_by_name[n] in codes:
                c.add(where, f"部署「{n}」が重複しています。")
            else:
                codes.append(code_by_name[n])
        return tuple(codes)

    sections: list[Section] = []
    for i, s in enumerate(c.tables(data, "sections")):
        where = f"sections[{i}]"
        number = c.integer(s, "number", where)
        if number in {x.number for x in sections}:
            c.add(f"{where}.number", f"番号 {number} が重複しています。")
        sections.append(Section(number, c.text(s, "title", where)))

    pillars: list[Pillar] = []
    for i, p in enumerate(c.tables(data, "pillars")):
        where = f"pillars[{i}]"
        pillar = Pillar(c.text(p, "code", where), c.integer(p, "section", where), c.text(p, "title", where))
        if pillar.section not in {s.number for s in sections}:
            c.add(f"{where}.section", f"節 {pillar.section} は [[sections]] にありません。")
        if pillar.code in {x.code for x in pillars}:
            c.add(f"{where}.code", f"柱「{pillar.code}」が重複しています。")
        pillars.append(pillar)

    items: list[ActionItem] = []
    item_codes_seen: set[str] = set()
    seen_initiatives: set[str] = set()
    for i, it in enumerate(c.tables(data, "items")):
        where = f"items[{i}]"
        code = c.text(it, "code", where)
        if code:
            where = f"items[{code}]"
            if not _ITEM_CODE.fullmatch(code):
                c.add(f"{where}.code", "管理番号は4桁の数字で書いてください。")
            if code in item_codes_seen:
                c.add(f"{where}.code", f"管理番号 {code} が重複しています。")
            item_codes_seen.add(code)
        pillar = c.text(it, "pillar", where)
        if pillar and pillar not in {p.code for p in pillars}:
            c.add(f"{where}.pillar", f"柱「{pillar}」は [[pillars]] にありません。")
        previous = c.texts(it, "previous_plan", where)
        for marker in previous:
            if marker not in _PREVIOUS_PLAN:
                c.add(f"{where}.previous_plan", f"「{marker}」は使えません（継続 / 新規）。")
        depts = department_codes(it.get("departments"), f"{where}.departments")

        initiatives: list[Initiative] = []
        for j, ini in enumerate(c.tables(it, "initiatives", where)):
            iwhere = f"{where}.initiatives[{j}]"
            ini_id = c.text(ini, "id", iwhere)
            if ini_id:
                iwhere = f"{where}.initiatives[{ini_id}]"
                if ini_id in seen_initiatives:
                    c.add(f"{iwhere}.id", f"取組ID「{ini_id}」が重複しています。")
                if not re.fullmatch(r"[0-9A-Za-z_-]+", ini_id):
                    c.add(f"{iwhere}.id", "取組IDは半角英数字とハイフンで書いてください。")
                seen_initiatives.add(ini_id)
            ini_start, ini_end, ini_reason = _span(c, ini, iwhere, years)
            initiatives.append(Initiative(
                id=ini_id,
                item_code=code,
                text=c.text(ini, "text", iwhere),
                departments=department_codes(ini.get("departments"), f"{iwhere}.departments"),
                departments_etc=c.flag(ini, "departments_etc", iwhere),
                dx=c.flag(ini, "dx", iwhere),
                start=ini_start,
                end=ini_end,
                reason=ini_reason,
                revisions=_revisions(c, ini, iwhere, years, ini_start, ini_end, department_codes),
            ))

        indicator = None
        raw_ind = it.get("indicator")
        if raw_ind is not None:
            indicator = _indicator(c, raw_ind, f"{where}.indicator", code, depts, code_by_name, years)
        if indicator and indicator.unit in count_units:
            for key, figure in (("baseline", indicator.baseline), ("target", indicator.target)):
                if figure is not None and not float(figure).is_integer():
                    c.add(f"{where}.indicator.{key}", f"単位「{indicator.unit}」は数える単位（plan.count_units）なので、整数で書いてください。")

        items.append(ActionItem(
            code=code,
            pillar=pillar,
            title=c.text(it, "title", where),
            previous_plan=previous,
            departments=depts,
            departments_etc=c.flag(it, "departments_etc", where),
            outcomes=c.texts(it, "outcomes", where),
            issues=c.texts(it, "issues", where),
            issues_etc=c.flag(it, "issues_etc", where),
            initiatives_label=c.text(it, "initiatives_label", where, required=False) or "具体的な取組",
            initiatives=tuple(initiatives),
            indicator=indicator,
            excluded=_exclusions(c, it, where, years),
        ))

    if c.problems:
        raise PlanError(source, c.problems)
    plan = Plan(
        id=plan_id,
        title=c.text(head, "title", "plan"),
        city=c.text(head, "city", "plan"),
        issued=c.text(head, "issued", "plan", required=False),
        period_start=start,
        period_end=end,
        committee=c.text(head, "committee", "plan", required=False),
        baseline_note=c.text(head, "baseline_note", "plan", required=False),
        dx_note=c.text(head, "dx_note", "plan", required=False),
        departments=tuple(departments),
        sections=tuple(sections),
        pillars=tuple(pillars),
        items=tuple(items),
        digest="",
        count_units=count_units,
    )
    return replace(plan, digest=digest or content_digest(plan))


# --- revisions during the period ------------------------------------------------------------------

def _year_in(c: _Collector, table: dict[str, Any], key: str, where: str, years: range) -> int:
    """An optional fiscal year within the plan period (0 when absent)."""
    if key not in table:
        return 0
    year = c.integer(table, key, where)
    if year and years and year not in years:
        c.add(f"{where}.{key}", f"{year}年度は計画期間（{years.start}〜{years.stop - 1}年度）の外です。")
    return year


def _span(c: _Collector, ini: dict[str, Any], where: str, years: range) -> tuple[int, int, str]:
    """開始年度, 終了年度 and the 変更理由 they need."""
    start, end = _year_in(c, ini, "start", where, years), _year_in(c, ini, "end", where, years)
    if start and end and end < start:
        c.add(f"{where}.end", f"終了年度（{end}）が開始年度（{start}）より前です。")
    late = bool(start) and bool(years) and start > years.start
    early = bool(end) and bool(years) and end < years.stop - 1
    reason = c.text(ini, "reason", where, required=late or early)
    if reason and not (late or early):
        c.add(f"{where}.reason", "変更理由は、開始年度を遅らせるか終了年度を早めるときに書きます（変更は [[…revisions]]）。")
    return start, end, reason


def _revisions(c: _Collector, ini: dict[str, Any], where: str, years: range, start: int, end: int,
               department_codes) -> tuple[Revision, ...]:
    raw = ini.get("revisions")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        c.add(f"{where}.revisions", "[[…initiatives.revisions]] の表で書いてください。")
        return ()
    out: list[Revision] = []
    for k, r in enumerate(raw):
        rwhere = f"{where}.revisions[{k}]"
        year = c.integer(r, "year", rwhere)
        if year and years and year not in years:
            c.add(f"{rwhere}.year", f"{year}年度は計画期間（{years.start}〜{years.stop - 1}年度）の外です。")
        elif year and (year <= (start or years.start) or (end and year > end)):
            c.add(f"{rwhere}.year", f"{year}年度は、この取組の実施期間の2年度目以降でなければなりません（変更はその年度から）。")
        if out and year <= out[-1].year:
            c.add(f"{rwhere}.year", "変更は年度の順に、同じ年度は1つにまとめて書いてください。")
        changed = {key for key in ("text", "departments", "departments_etc", "dx") if key in r}
        if not changed:
            c.add(rwhere, "変更する項目（text・departments・departments_etc・dx）がありません。")
        out.append(Revision(
            year=year,
            reason=c.text(r, "reason", rwhere),
            text=c.text(r, "text", rwhere) if "text" in r else None,
            departments=department_codes(r.get("departments"), f"{rwhere}.departments") if "departments" in r else None,
            departments_etc=c.flag(r, "departments_etc", rwhere) if "departments_etc" in r else None,
            dx=c.flag(r, "dx", rwhere) if "dx" in r else None,
        ))
    return tuple(out)


def _exclusions(c: _Collector, item: dict[str, Any], where: str, years: range) -> tuple[Exclusion, ...]:
    raw = item.get("excluded")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        c.add(f"{where}.excluded", "[[items.excluded]] の表（year と reason）で書いてください。")
        return ()
    out: list[Exclusion] = []
    for k, e in enumerate(raw):
        ewhere = f"{where}.excluded[{k}]"
        year = c.integer(e, "year", ewhere)
        if year and years and year not in years:
            c.add(f"{ewhere}.year", f"{year}年度は計画期間（{years.start}〜{years.stop - 1}年度）の外です。")
        if year in {x.year for x in out}:
            c.add(f"{ewhere}.year", f"{year}年度の対象外が重複しています。")
        out.append(Exclusion(year, c.text(e, "reason", ewhere)))
    return tuple(out)


def _indicator(
    c: _Collector, raw: Any, where: str, item_code: str, item_departments: tuple[str, ...],
    code_by_name: dict[str, str], years: range,
) -> Indicator | None:
    if not isinstance(raw, dict):
        c.add(where, "[items.indicator] の表で書いてください。")
        return None
    unit = raw.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        c.add(f"{where}.unit", "単位がありません（例: unit = \"件\"）。")
        unit = ""
    direction = raw.get("direction", INCREASE)
    if direction not in (INCREASE, DECREASE):
        c.add(f"{where}.direction", f"「{direction}」は使えません（increase / decrease）。")
    baseline_year = c.integer(raw, "baseline_year", where)
    target_year = c.integer(raw, "target_year", where)
    if years and target_year and target_year not in years:
        c.add(f"{where}.target_year", f"目標年度 {target_year} が計画期間（{years.start}〜{years.stop - 1}年度）の外です。")
    if years and baseline_year and not (years.start - 10 <= baseline_year < years.stop):
        c.add(f"{where}.baseline_year", f"基準年度 {baseline_year} が計画期間から離れすぎています。")
    target = c.number(raw, "target", where)
    cumulative = c.flag(raw, "cumulative", where)
    if target is None and direction != DECREASE:
        c.add(f"{where}.target", "目標値がありません。方向だけの目標（減少）なら direction = \"decrease\" にしてください。")
    if target is None and cumulative:
        c.add(f"{where}.cumulative", "延べ（累計）の目標には目標値が必要です。")
    reporter_name = raw.get("reporter")
    if reporter_name is None:
        reporter = item_departments[0] if item_departments else ""
    elif reporter_name in code_by_name:
        reporter = code_by_name[reporter_name]
    else:
        c.add(f"{where}.reporter", f"部署「{reporter_name}」は [[departments]] にありません。")
        reporter = ""
    return Indicator(
        item_code=item_code,
        name=c.text(raw, "name", where),
        unit=unit.strip(),
        baseline=c.number(raw, "baseline", where),
        baseline_year=baseline_year,
        baseline_marked=c.flag(raw, "baseline_marked", where),
        target=target,
        target_year=target_year,
        direction=direction,
        cumulative=cumulative,
        reporter=reporter,
    )
