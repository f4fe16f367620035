"""The plan master: the charter held as data, and the plan as it stood in a year (`Plan.for_year`). The file
is loaded and checked by pipeline.plan.loading.

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
from dataclasses import dataclass, replace
from functools import cached_property

from pipeline.errors import UsageError
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
        if not (self.start or self.end or self.reason or self.revisions):
            return self          # never revised (nearly all): as it is, with no copy
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

    def describe(self) -> str:
        """One line, as plan-check and plan import list it: '追加 1101 1101-04 動画による…（理由: …）'."""
        what = " ".join(part for part in (self.kind, self.item_code, self.initiative_id, self.text) if part)
        return f"{what}（理由: {self.reason}）"


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
    count_units: tuple[str, ...] = ()   # units that count things (件, 回, 名…): an actual in them is whole
    year: int | None = None          # a year's plan (for_year): the plan as it stood in that fiscal year
    changes: tuple[Change, ...] = ()    # in a year's plan: the changes that took effect in that year

    def work_out(self) -> None:
        """Work out now what the plan otherwise works out when first asked (the digest, the indexes of who
        takes part in what): before worker processes are forked, so that they share it instead of each
        working it out again."""
        for _worked_out in (self.digest, self._taking_part, self.initiative_by_id, self.department_by_code):
            pass

    @cached_property
    def digest(self) -> str:
        """sha256 of the plan's content (content_digest): which plan a workbook came from. Worked out when first
        asked, so a run that uses only a year's plan does not pay for the whole plan's (a large plan's takes a
        tenth of a second)."""
        return content_digest(self)

    def for_year(self, year: int) -> YearPlan:
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
    def _year_plans(self) -> dict[int, YearPlan]:
        """The year plans made so far (not a field: not in the digest, equality or repr)."""
        return {}

    def _made_for_year(self, year: int) -> YearPlan:
        self.check_year(year)
        items = tuple(replace(
            item,
            initiatives=tuple(ini.as_of(year) for ini in item.initiatives if ini.in_force(year)),
            excluded=tuple(e for e in item.excluded if e.year <= year),   # this year's and the years before
        ) for item in self.items)
        fields = {name: getattr(self, name) for name in _field_names(Plan)}
        return YearPlan(**{**fields, "items": items, "year": year, "changes": tuple(self._changes_in(year))})

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
            lines += [f"{year}年度 {change.describe()}" for change in self.for_year(year).changes]
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

    def department_name_or(self, code: str | None, otherwise: str = "") -> str:
        """The department's name, or `otherwise` for a code the plan does not know (one a file or a person wrote)."""
        department = self.department_by_code.get(code) if code is not None else None
        return department.name if department else otherwise

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


@dataclass(frozen=True)
class YearPlan(Plan):
    """The plan as it stood in one fiscal year (`Plan.for_year`; `year` is that year). A use case takes it once,
    at its entry, and hands it down: what takes a YearPlan needs no `for_year` of its own."""


def content_digest(plan: Plan) -> str:
    """sha256 of what a plan says (not of its file's bytes: a comment or a reformatting changes nothing).

    It hashes the JSON of the plan's fields, keys sorted, with "digest": "" among them (the digest was once a
    field of the plan, written as "": kept, so that every digest stays what it was; the workbooks sent out
    carry it and collect compares). The JSON is made and hashed a field at a time, and a list of records
    (departments, items) a record at a time: the same bytes as one json.dumps of the whole, without holding
    a large plan's whole text at once."""
    content: dict[str, object] = {name: getattr(plan, name) for name in _field_names(Plan)}
    content["digest"] = ""
    digest = hashlib.sha256(b"{")
    for n, key in enumerate(sorted(content)):
        digest.update(b"%s%s: " % (b", " if n else b"", _json(key)))
        value = content[key]
        if type(value) is tuple and value and _field_names(type(value[0])):   # records, one at a time
            digest.update(b"[")
            for i, record in enumerate(value):
                digest.update(b"%s%s" % (b", " if i else b"", _json(_content(record))))
            digest.update(b"]")
        else:
            digest.update(_json(_content(value)))
    digest.update(b"}")
    return digest.hexdigest()


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None: not a dataclass), looked up once per type."""
    names = _FIELD_NAMES.get(kind, ())
    if names == ():
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind)) \
            if dataclasses.is_dataclass(kind) else None
    return names


def _content(value: object) -> object:
    """`dataclasses.asdict` without its deep copies (the plan's values are strings, numbers and flags): the
    same JSON, so the same digest, in a fraction of the time, which a plan of 10,000 departments notices.
    Strings, numbers and flags are taken as they are, without a call each."""
    kind = type(value)
    names = _field_names(kind)
    if names is not None:
        out = {}
        for name in names:
            v = getattr(value, name)
            out[name] = v if type(v) in _LEAVES else _content(v)
        return out
    if kind is tuple or kind is list:
        return [v if type(v) in _LEAVES else _content(v) for v in value]
    if kind is dict:
        return {k: v if type(v) in _LEAVES else _content(v) for k, v in value.items()}
    return value


_LEAVES = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}   # a dataclass's field names; None: not one
