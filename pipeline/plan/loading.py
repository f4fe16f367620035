"""Loading the plan file (plan/*.toml) and checking it: every mistake is collected with its key (PlanError),
none is a traceback; revisions during the period (start, end, revisions, excluded) are checked here too."""

from __future__ import annotations

import hashlib
import pickle
import re
from pathlib import Path
from typing import Any

import tomli as tomllib  # the standard library's parser, compiled: 3× faster on a large plan

from pipeline import platform
from pipeline.config import toml_syntax_problem
from pipeline.errors import PlanError
from pipeline.kept import cache_folder, code_version, read_kept, write_kept
from pipeline.plan.model import (
    DECREASE,
    INCREASE,
    ActionItem,
    Department,
    Exclusion,
    Indicator,
    Initiative,
    Pillar,
    Plan,
    Revision,
    Section,
)

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


def load_plan(path: Path | str) -> Plan:
    """Load and check a plan file; raise PlanError listing every mistake with its key.

    A plan that loaded without a mistake is kept parsed (see _PlanCache), keyed by the sha256 of the file's
    bytes and of this program's code: the same bytes under the same code are taken from there (a large plan
    in a tenth of the time), any other bytes or code are parsed and checked again."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise PlanError(str(source), [f"ファイルを読めません: {exc.strerror or exc}"]) from None
    cache = _PlanCache.for_bytes(raw)
    cached = cache.load() if cache else None
    if cached is not None:
        return cached
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanError(str(source), ["UTF-8 で保存してください。"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(str(source), [toml_syntax_problem(exc)]) from None
    plan = plan_from_mapping(data, source=str(source))
    if cache:
        cache.keep(plan)
    return plan


# --- the parsed plan, kept --------------------------------------------------------------------------

CACHE_ENV = "GYOZAI_PLAN_CACHE"    # a folder for the kept plans, or "off" (else pipeline.kept.cache_folder)
KEEP_PLANS = 8                      # the most recently used kept plans stay; older ones are removed
_MAGIC = b"gyozai parsed plan 1\n"


class _PlanCache:
    """One plan kept parsed, with its year plans and their digests worked out (pipeline.kept: in the user's
    own cache folder, checksummed, keyed by the plan file's bytes and this program's code). A pickle is
    trusted code: pipeline.kept reads it only from where no one else can write."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def for_bytes(cls, raw: bytes) -> _PlanCache | None:
        folder = cache_folder("plans", CACHE_ENV)
        if folder is None:
            return None
        try:
            key = hashlib.sha256(code_version().encode() + b"\0" + raw).hexdigest()
        except OSError:
            return None
        return cls(folder / f"{key}.kept")

    def load(self) -> Plan | None:
        payload = read_kept(self.path, _MAGIC)
        if payload is None:
            return None
        try:
            plan = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - a kept plan that cannot be read is parsed again, whatever the reason
            return None
        return plan if isinstance(plan, Plan) else None

    def keep(self, plan: Plan) -> None:
        for year in plan.years:      # what a run asks first: the year's plan and its digest
            _ = plan.for_year(year).digest
        write_kept(self.path, _MAGIC, pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL), keep=KEEP_PLANS)


def plan_from_mapping(data: dict[str, Any], source: str = "<plan>") -> Plan:
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
        elif name and (problem := platform.name_problem(name)):    # a survey workbook and a packet are named by it
            c.add(f"{where}.name", f"部署名「{name}」は、{problem}（部署名は調査票のファイル名に使います）。"
                                   f"「{platform.safe_name(name)}」のように書き直してください。")
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
        count_units=count_units,
    )
    return plan


# --- revisions during the period ------------------------------------------------------------------

def _year_in(c: _Collector, table: dict[str, Any], key: str, where: str, years: range) -> int:
    """An optional fiscal year within the plan period (0 when absent)."""
    if key not in table:
        return 0
    year = c.integer(table, key, where)
    _outside_period(c, year, f"{where}.{key}", years)
    return year


def _outside_period(c: _Collector, year: int, where: str, years: range) -> bool:
    """Whether `year` (0: none given) lies outside the plan period, saying so at `where` when it does."""
    if year and years and year not in years:
        c.add(where, f"{year}年度は計画期間（{years.start}〜{years.stop - 1}年度）の外です。")
        return True
    return False


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
        if _outside_period(c, year, f"{rwhere}.year", years):
            pass
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
        _outside_period(c, year, f"{ewhere}.year", years)
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
