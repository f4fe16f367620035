"""The plan file holds the charter completely and exactly; loading reports every mistake with its key."""

from __future__ import annotations

import re
import tomllib

import pytest

from pipeline.errors import PlanError
from pipeline.plan import DECREASE, INCREASE, load_plan, plan_from_mapping
from tests.conftest import PLAN_FILE, SEED


def test_plan__counts__match_the_charter(plan):
    assert len(plan.sections) == 2
    assert [p.code for p in plan.pillars] == ["1-1", "1-2", "1-3", "1-4", "2-1", "2-2", "2-3", "2-4"]
    assert [i.code for i in plan.items] == [
        "1101", "1102", "1201", "1202", "1301", "1401", "1402",
        "2101", "2102", "2103", "2104", "2201", "2301", "2302", "2401", "2402", "2403",
    ]
    assert len(plan.initiatives) == 58
    assert sum(i.dx for i in plan.initiatives) == 27
    assert len(plan.departments) == 19
    assert len(plan.indicators) == 17
    assert (plan.period_start, plan.period_end) == (2022, 2025)


def test_plan__initiatives_per_item__match_the_bullets_of_the_charter(plan):
    counts = {i.code: len(i.initiatives) for i in plan.items}
    assert counts == {"1101": 3, "1102": 4, "1201": 2, "1202": 2, "1301": 1, "1401": 2, "1402": 2, "2101": 12,
                      "2102": 3, "2103": 4, "2104": 2, "2201": 8, "2301": 4, "2302": 1, "2401": 2, "2402": 4,
                      "2403": 2}


def test_plan__every_text__occurs_verbatim_in_the_charter(plan):
    seed = SEED.read_text(encoding="utf-8")
    for item in plan.items:
        assert item.title in seed
        for text in item.outcomes + item.issues:
            assert text in seed, text
        for ini in item.initiatives:
            assert ini.text in seed, ini.id


def test_plan__dx_markers__counted_from_the_charter_text(plan):
    seed = SEED.read_text(encoding="utf-8")
    body = seed[seed.index("(1) 市民へのアプローチ\n\n1-1"):seed.index("4 各取組項目の参考指標一覧")]
    assert len(re.findall(r"【D ?X】", body)) == sum(i.dx for i in plan.initiatives)


def test_plan__sample_items__as_printed(plan):
    item = plan.item_by_code["2101"]
    assert item.title == "効果的な行政運営"
    assert item.previous_plan == ("新規",)
    assert [plan.department_name(c) for c in item.departments] == ["情報政策課", "企画課", "行政経営課"]
    assert item.departments_etc is True
    welfare = plan.initiative_by_id["2101-09"]
    assert welfare.text == "福祉サービスのデジタル化" and welfare.dx
    assert [plan.department_name(c) for c in welfare.departments] == ["情報政策課", "福祉事務所"]
    assert plan.initiative_by_id["2101-01"].departments_etc is True   # （企画課ほか）
    assert plan.item_by_code["1102"].previous_plan == ("継続", "新規")
    assert plan.item_by_code["2401"].initiatives_label == "具体的な取組例"
    assert plan.item_by_code["2402"].initiatives_label == "具体的な取組例"
    assert plan.item_by_code["2403"].initiatives_label == "具体的な取組"


def test_plan__indicators__carry_the_charter_traps(plan):
    line = plan.item_by_code["1101"].indicator
    assert (line.name, line.unit, line.baseline, line.target, line.direction) == ("公式LINE登録者数", "件", 6794, 9000, INCREASE)
    assert plan.item_by_code["2102"].indicator.baseline == 44.7
    assert plan.item_by_code["1301"].indicator.baseline is None              # "-"
    marked = plan.item_by_code["2101"].indicator                             # "*3件"
    assert (marked.baseline, marked.baseline_year, marked.baseline_marked) == (3, 2022, True)
    assert plan.item_by_code["2103"].indicator.cumulative is True           # "延べ3回"
    assert plan.item_by_code["2302"].indicator.cumulative is True           # "延べ7件"
    sick = plan.item_by_code["2401"].indicator                              # "減少"
    assert (sick.target, sick.direction, sick.unit, sick.baseline) == (None, DECREASE, "名", 7)
    assert sum(i.baseline_marked for i in plan.indicators) == 4
    assert all(i.reporter == plan.item_by_code[i.item_code].lead for i in plan.indicators)


def test_plan__departments__every_one_receives_a_workbook(plan):
    assert len(plan.surveyed_departments()) == 19
    assert plan.department_by_code["12"].name == "福祉事務所"


def test_plan__count_units__the_units_that_count_things(plan):
    assert plan.count_units == ("件", "回", "名", "校", "団体")
    assert {i.unit for i in plan.indicators} - set(plan.count_units) == {"%"}


def test_plan__departments_in__the_inverse_of_items_for(plan):
    for item in plan.items:
        assert plan.departments_in(item.code) == {d.code for d in plan.departments if item in plan.items_for(d.code)}
    assert plan.departments_in("9999") == set()


def _raw():
    return tomllib.loads(PLAN_FILE.read_text(encoding="utf-8"))


def _problems(data) -> list[str]:
    with pytest.raises(PlanError) as err:
        plan_from_mapping(data)
    return err.value.problems


def test_plan_load__duplicate_initiative_id__reported_with_its_key():
    data = _raw()
    data["items"][0]["initiatives"][1]["id"] = "1101-01"
    assert any(p.startswith("items[1101].initiatives[1101-01].id:") and "重複" in p for p in _problems(data))


def test_plan_load__unknown_department__reported_with_its_key():
    data = _raw()
    data["items"][7]["initiatives"][0]["departments"] = ["企画科"]
    assert "items[2101].initiatives[2101-01].departments: 部署「企画科」は [[departments]] にありません。追加するか、名前を直してください。" in _problems(data)


@pytest.mark.parametrize(("name", "said"), [
    ("企画/財政課", "部署名「企画/財政課」は、Windows でファイル名に使えない文字（/）を含みます（部署名は調査票のファイル名に使います）。"
                   "「企画／財政課」のように書き直してください。"),
    ("総務課.", "部署名「総務課.」は、Windows ではファイル名の最後に「.」や空白を置けません（部署名は調査票のファイル名に使います）。"
               "「総務課」のように書き直してください。"),
])
def test_plan_load__department_name_windows_cannot_hold_in_a_file_name__said_with_the_fix(name, said):
    """A department's name is in its survey workbook's and packet's file names, which the secretariat's Windows PC
    must hold: the plan says so at load, on every system, with a name that would do."""
    data = _raw()
    old = data["departments"][0]["name"]
    data["departments"][0]["name"] = name
    for item in data["items"]:
        for ini in item["initiatives"]:
            ini["departments"] = [name if d == old else d for d in ini["departments"]]
    assert f"departments[0].name: {said}" in _problems(data)


def test_plan_load__indicator_without_unit__reported_with_its_key():
    data = _raw()
    del data["items"][0]["indicator"]["unit"]
    assert "items[1101].indicator.unit: 単位がありません（例: unit = \"件\"）。" in _problems(data)


def test_plan_load__target_year_outside_the_plan_period__reported_with_its_key():
    data = _raw()
    data["items"][2]["indicator"]["target_year"] = 2030
    assert "items[1201].indicator.target_year: 目標年度 2030 が計画期間（2022〜2025年度）の外です。" in _problems(data)


def test_plan_load__fraction_in_a_count_unit__reported_with_its_key():
    data = _raw()
    data["items"][0]["indicator"]["baseline"] = 6794.5
    data["items"][2]["indicator"]["target"] = 20.5        # 回
    data["items"][3]["indicator"]["target"] = 99.5        # %: any number
    assert [p for p in _problems(data) if "count_units" in p] == [
        "items[1101].indicator.baseline: 単位「件」は数える単位（plan.count_units）なので、整数で書いてください。",
        "items[1201].indicator.target: 単位「回」は数える単位（plan.count_units）なので、整数で書いてください。",
    ]


def test_plan_load__count_units__a_list_of_units_each_once():
    data = _raw()
    data["plan"]["count_units"] = ["件", "件"]
    assert "plan.count_units: 同じ単位が重複しています。" in _problems(data)
    data["plan"]["count_units"] = "件"
    assert "plan.count_units: 空でない文字列のリストを書いてください。" in _problems(data)
    del data["plan"]["count_units"]
    assert plan_from_mapping(data).count_units == ()


def test_plan_load__several_mistakes__all_reported_at_once():
    data = _raw()
    data["items"][0]["indicator"]["target_year"] = 2030
    data["items"][1]["pillar"] = "9-9"
    data["departments"][1]["code"] = "01"
    problems = _problems(data)
    assert len(problems) >= 3
    assert any(p.startswith("items[1102].pillar:") for p in problems)
    assert any(p.startswith("departments[1].code:") for p in problems)


def test_plan_load__another_city__is_just_another_file():
    data = {
        "plan": {"id": "other", "title": "別の市の計画", "city": "別市", "period_start": 2024, "period_end": 2027},
        "departments": [{"code": "A", "name": "総務課"}],
        "sections": [{"number": 1, "title": "行政"}],
        "pillars": [{"code": "1-1", "section": 1, "title": "効率化"}],
        "items": [{
            "code": "0101", "pillar": "1-1", "title": "事務の効率化", "previous_plan": ["新規"],
            "departments": ["総務課"], "outcomes": ["効率化されている。"], "issues": ["紙が多い。"],
            "initiatives": [{"id": "0101-01", "text": "電子化する。", "departments": ["総務課"]}],
            "indicator": {"name": "電子化率", "unit": "%", "baseline": 10, "baseline_year": 2023,
                          "target": 90, "target_year": 2027},
        }],
    }
    plan = plan_from_mapping(data)
    assert list(plan.years) == [2024, 2025, 2026, 2027]
    assert plan.items_for("A")[0].indicator.reporter == "A"


def test_content_digest__the_same_as_when_workbooks_went_out__so_they_are_still_recognised():
    # the formula the digests of earlier workbooks were made with: dataclasses.asdict with a "digest" of ""
    import dataclasses
    import hashlib
    import json

    def as_made_before(plan):
        content = {**dataclasses.asdict(plan), "digest": ""}
        return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()

    plan = load_plan(PLAN_FILE)
    assert plan.digest == as_made_before(plan)
    for year in plan.years:
        assert plan.for_year(year).digest == as_made_before(plan.for_year(year))
