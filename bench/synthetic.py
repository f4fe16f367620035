"""A synthetic survey at scale, made with the project's own code: a plan file of many departments and
items, a workspace config, and filled returns.

The plan has the real plan's shape (plan/README.md) at a larger scale: every department takes part in
a few of the items (3 to 5 of about 50), with 1 to 3 initiatives of its own in each (a quarter of them
shared with a second department), and every item has an indicator reported by its lead. So each return
is a small workbook like the real ones, and the plan grows with the number of departments, as a
prefecture's or a ministry's would.

Filled returns are written by the project's own template writer with the answers already in the input
cells (`templates.build_workbook(prefill=...)`): the same workbook a person fills in Excel, written at
xlsxwriter's speed instead of openpyxl's (about 30 files/s, too slow for 10,000).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.config import Config, load_config
from pipeline.plan import Department, Plan, load_plan
from pipeline.records.year import Answer, Evaluation, IndicatorActual, YearRecord
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.survey.workbook import build_workbook, template_file_name
from pipeline.vocabulary import RETURNED

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2024
PERIOD = (2022, 2025)

_VERBS = ["推進する", "見直す", "拡充する", "効率化する", "周知する", "検討する", "導入する", "連携して実施する"]
_OBJECTS = ["窓口業務の手続", "公共施設の維持管理", "電子申請の対象手続", "補助金の交付事務", "庁内の文書管理",
            "地域団体との協働事業", "情報発信の媒体", "職員の研修制度", "業務委託の範囲", "使用料・手数料"]
_RESULTS = ["関係課と連携して計画どおり実施した。年度内に{n}回の検討会を開催し、対象業務を{m}件拡大した。",
            "一部の業務で先行して実施した。全庁展開に向けて、費用対効果と運用体制の調整を続けている。",
            "先進自治体の事例を調査し、実施方法と必要な予算を検討した。次年度に試行する予定である。",
            "計画した内容をすべて実施した。利用者アンケートでは{n}割が「便利になった」と回答した。"]
_ISSUES = ["担当職員の負担が大きく、業務の平準化が必要である。", "予算の確保と効果の検証方法が課題である。",
           "関係団体との調整に時間を要している。", "", ""]
_NEXT = ["対象を拡大して継続する。", "効果を検証し、必要に応じて手順を見直す。", "実施に向けた準備を進める。"]


# --- the plan -------------------------------------------------------------------------------------

def plan_mapping(departments: int, items: int = 50, *, seed: int = 1) -> dict[str, Any]:
    """A plan in the plan file's shape with `departments` departments and `items` items."""
    rng = random.Random(seed)
    items = max(1, items)
    depts = [{"code": f"D{n:05d}", "name": f"第{n:05d}課"} for n in range(1, departments + 1)]
    pillars = [{"code": f"{1 + p // 4}-{1 + p % 4}", "section": 1 + p // 4, "title": f"取組方針{p + 1}"}
               for p in range(8)]
    # which items each department takes part in: its first one round-robin (so every item has someone)
    taking: list[list[int]] = [[] for _ in range(items)]
    for d in range(departments):
        chosen = {d % items} | set(rng.sample(range(items), min(items, rng.randint(3, 5)) - 1))
        for i in sorted(chosen):
            taking[i].append(d)
    for i in range(items):
        if not taking[i]:
            taking[i].append(rng.randrange(departments))
    out_items = []
    for i in range(items):
        code = f"{1000 + i:04d}"
        members = taking[i]
        lead = members[0]
        initiatives: list[dict[str, Any]] = []
        for d in members:
            for _ in range(rng.randint(1, 3)):
                owners = [d]
                if len(members) > 1 and rng.random() < 0.25:
                    other = rng.choice(members)
                    if other != d:
                        owners.append(other)
                initiatives.append({
                    "id": f"{code}-{len(initiatives) + 1:02d}",
                    "text": f"{rng.choice(_OBJECTS)}について、{rng.choice(_OBJECTS)}と合わせて{rng.choice(_VERBS)}。",
                    "departments": [depts[o]["name"] for o in owners],
                    "departments_etc": False,
                    "dx": rng.random() < 0.2,
                })
        out_items.append({
            "code": code,
            "pillar": pillars[i % len(pillars)]["code"],
            "title": f"{rng.choice(_OBJECTS)}の改善（{code}）",
            "previous_plan": ["継続"],
            "departments": [depts[d]["name"] for d in members[:3]],
            "departments_etc": len(members) > 3,
            "outcomes": [f"{rng.choice(_OBJECTS)}が市民にとって分かりやすく、利用しやすくなっている。"],
            "issues": [f"{rng.choice(_OBJECTS)}の手続が煩雑で、職員と市民の双方に負担がある。",
                       "取組の効果を測る指標が十分に整っていない。"],
            "issues_etc": False,
            "initiatives_label": "具体的な取組",
            "initiatives": initiatives,
            "indicator": {
                "name": f"{rng.choice(_OBJECTS)}の件数", "unit": "件", "baseline": rng.randint(10, 500),
                "baseline_year": 2021, "baseline_marked": False, "target": rng.randint(600, 2000),
                "target_year": PERIOD[1], "direction": "increase", "cumulative": False,
                "reporter": depts[lead]["name"],
            },
        })
    return {
        "plan": {
            "id": f"bench-{departments}x{items}", "title": "合成ベンチマーク行動計画", "city": "ベンチマーク市",
            "issued": "令和5年3月", "period_start": PERIOD[0], "period_end": PERIOD[1],
            "committee": "ベンチマーク委員会", "baseline_note": "", "dx_note": "【DX】はDX推進計画による取組",
        },
        "departments": depts,
        "sections": [{"number": 1, "title": "市民へのアプローチ"}, {"number": 2, "title": "行政の取組"}],
        "pillars": pillars,
        "items": out_items,
    }


def toml_text(mapping: dict[str, Any]) -> str:
    """The plan mapping as a TOML file (only the shapes a plan file uses)."""
    lines: list[str] = []

    def scalars(table: dict[str, Any]) -> None:
        for key, value in table.items():
            if not isinstance(value, dict) and not (isinstance(value, list) and value and isinstance(value[0], dict)):
                lines.append(f"{key} = {_toml_value(value)}")

    lines.append("[plan]")
    scalars(mapping["plan"])
    for key in ("departments", "sections", "pillars"):
        for table in mapping[key]:
            lines.append(f"\n[[{key}]]")
            scalars(table)
    for item in mapping["items"]:
        lines.append("\n[[items]]")
        scalars(item)
        for ini in item["initiatives"]:
            lines.append("[[items.initiatives]]")
            scalars(ini)
        if item.get("indicator"):
            lines.append("[items.indicator]")
            scalars(item["indicator"])
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)   # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"not a plan value: {value!r}")


# --- the workspace --------------------------------------------------------------------------------

def make_workspace(root: Path, departments: int, items: int = 50, *, seed: int = 1) -> Path:
    """A workspace folder with plan.toml and config.toml (paths inside it); returns the config's path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "plan.toml").write_text(toml_text(plan_mapping(departments, items, seed=seed)), encoding="utf-8")
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('file = "plan/izunokuni_2022_2025.toml"', 'file = "plan.toml"')
    reference = (ROOT / "input_templates" / "report_reference.docx").as_posix()
    text = text.replace('report_reference = "input_templates/report_reference.docx"', f'report_reference = "{reference}"')
    config_path = root / "config.toml"
    config_path.write_text(text, encoding="utf-8")
    return config_path


def load_workspace(config_path: Path) -> tuple[Config, Plan]:
    config = load_config(config_path)
    return config, load_plan(config.plan_file)


# --- answers --------------------------------------------------------------------------------------

def participation(plan: Plan) -> dict[str, list[tuple[str, list[str]]]]:
    """department → [(item code, its own initiative IDs)], built in one pass over the plan."""
    out: dict[str, dict[str, list[str]]] = {}
    for item in plan.items:
        for ini in item.initiatives:
            for d in ini.departments:
                out.setdefault(d, {}).setdefault(item.code, []).append(ini.id)
        for d in (item.lead, item.indicator.reporter if item.indicator else item.lead):
            out.setdefault(d, {}).setdefault(item.code, [])
    return {d: list(by_item.items()) for d, by_item in out.items()}


def prefill_for(plan: Plan, config: Config, department: str, taking: list[tuple[str, list[str]]],
                rng: random.Random) -> dict[tuple[str, str, str], object]:
    """A clean, plausible return's answers: (sheet, key, field) → value."""
    labels = [c.label for c in config.progress_choices]
    grades = [g.choice for g in config.grades]
    out: dict[tuple[str, str, str], object] = {}
    for code, initiative_ids in taking:
        item = plan.item_by_code[code]
        for ini_id in initiative_ids:
            out[(code, ini_id, L.FIELD_PROGRESS)] = rng.choice(labels)
            # unique texts, as real answers are (a workbook stores each distinct string once)
            out[(code, ini_id, L.FIELD_RESULT)] = (
                f"{rng.choice(_OBJECTS)}と{rng.choice(_OBJECTS)}について、{rng.choice(_VERBS)}ため{rng.randint(2, 12)}回の"
                f"協議を行った。" + rng.choice(_RESULTS).format(n=rng.randint(2, 9), m=rng.randint(2, 30)))
            issue = rng.choice(_ISSUES)
            out[(code, ini_id, L.FIELD_ISSUES)] = f"{rng.choice(_OBJECTS)}について、{issue}" if issue else None
            out[(code, ini_id, L.FIELD_NEXT)] = f"{rng.choice(_OBJECTS)}は、{rng.choice(_NEXT)}"
        if item.indicator and item.indicator.reporter == department:
            out[(code, L.KEY_ACTUAL, L.FIELD_ACTUAL)] = rng.randint(100, 1500)
        if item.lead == department:
            grade = rng.choice(grades)
            out[(code, L.KEY_GRADE, L.FIELD_GRADE)] = grade
            out[(code, L.KEY_REASON, L.FIELD_REASON)] = f"{item.title}は{grade.split('：')[1]}に進んでいる。指標の推移も踏まえて評価した。"
    return out


# --- filled returns, on every core ---------------------------------------------------------------

_JOB: dict[str, Any] = {}


def _write_return(department: Department) -> int:
    plan, config, folder, taking = _JOB["plan"], _JOB["config"], _JOB["folder"], _JOB["taking"]
    rng = random.Random(f"{plan.id}/{department.code}")
    prefill = prefill_for(plan, config, department.code, taking[department.code], rng)
    data = build_workbook(plan.for_year(YEAR), config, YEAR, department, prefill=prefill)
    (folder / template_file_name(plan, YEAR, department)).write_bytes(data)
    return len(data)


def write_returns(plan: Plan, config: Config, year: int = YEAR, processes: int | None = None) -> tuple[int, int]:
    """One filled return per surveyed department into the year's inbox; (files, bytes)."""
    folder = config.returns_for(year)
    folder.mkdir(parents=True, exist_ok=True)
    taking = participation(plan)
    departments = [d for d in plan.departments if d.code in taking]
    _JOB.update(plan=plan, config=config, folder=folder, taking=taking)
    try:
        context = multiprocessing.get_context("fork")   # the plan is inherited, not pickled
        with context.Pool(processes or os.cpu_count() or 1) as pool:
            sizes = list(pool.imap_unordered(_write_return, departments, chunksize=16))
    finally:
        _JOB.clear()
    return len(sizes), sum(sizes)


def inbox_files(config: Config, year: int = YEAR) -> list[Path]:
    return sorted(p for p in config.returns_for(year).rglob("*.xlsx"))


# --- a store as collect leaves it (for the report) ------------------------------------------------

def year_records(plan: Plan, config: Config, years: Iterable[int], *, seed: int = 1) -> Iterator[YearRecord]:
    """Every department returned a clean workbook in each of `years`."""
    taking = participation(plan)
    for year in years:
        rng = random.Random(f"{seed}/{year}")
        answers, actuals, evaluations = [], [], []
        for dept, items in taking.items():
            sha = f"sha-{dept}-{year}"
            values = prefill_for(plan, config, dept, items, rng)
            for code, initiative_ids in items:
                for ini_id in initiative_ids:
                    answers.append((Answer(
                        ini_id, dept, code, values[(code, ini_id, L.FIELD_PROGRESS)],
                        values[(code, ini_id, L.FIELD_RESULT)], values[(code, ini_id, L.FIELD_ISSUES)] or "",
                        values[(code, ini_id, L.FIELD_NEXT)]), sha))
                if (code, L.KEY_ACTUAL, L.FIELD_ACTUAL) in values:
                    actuals.append((IndicatorActual(code, dept, float(values[(code, L.KEY_ACTUAL, L.FIELD_ACTUAL)])), sha))
                if (code, L.KEY_GRADE, L.FIELD_GRADE) in values:
                    grade = str(values[(code, L.KEY_GRADE, L.FIELD_GRADE)]).split("：")[0]
                    evaluations.append((Evaluation(code, dept, grade, str(values[(code, L.KEY_REASON, L.FIELD_REASON)])), sha))
        yield YearRecord(
            fiscal_year=year, plan_id=plan.id, plan_digest=plan.digest, collected_at=f"{year + 1}-06-10T10:00:00Z",
            submissions=[], roster={d: (RETURNED, f"{d}.xlsx") for d in taking},
            answers=answers, actuals=actuals, evaluations=evaluations, findings=[],
        )


def fill_store(plan: Plan, config: Config, years: Iterable[int]) -> None:
    with Store(config.store_path) as store:
        for record in year_records(plan, config, years):
            store.replace_year(record)
