"""Each cell rule on plain values (pipeline.collect.cells): what a person typed and where it was typed go
in, the value taken and every finding at that cell come out. No workbook, worker or store: a rule is
proven here, with the catalogue's exact words; the real path a value takes (a saved workbook through the
gate, a worker, the sheet walk and the store) is proven once by the end-to-end tests (test_collect.py,
test_collect_trust.py, test_numbers_as_shown.py, test_history.py, test_libreoffice.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from pipeline.collect import cells
from pipeline.collect.cells import Cell
from pipeline.config import load_config
from pipeline.findings import Severity
from pipeline.intake.reader import CellTrouble, cell_troubles
from pipeline.plan import load_plan
from pipeline.sheets import layout as L
from tests.conftest import PLAN_FILE, ROOT

CONFIG = load_config(ROOT / "config.toml")
PLAN = load_plan(PLAN_FILE)
LIMIT = CONFIG.max_text_length          # 1000
PROGRESS = cells.progress_choices(CONFIG.progress_choices)


def indicator(item: str):
    """The plan's indicator of `item`: 1102 件 5,820 → 6,402; 1202 % 25 → 100; 1402 % (no baseline) → 100;
    2101 件 3 → 13; 2103 回 0 → 3; 2403 名 10 → 100."""
    return PLAN.item_by_code[item].indicator


def at(field: str = L.FIELD_ACTUAL, **kw) -> Cell:
    return Cell(field, "2101", "B20", "return.xlsx", "情報政策課", **kw)


def actual(raw, item="2101", number_format=None, **kw):
    cell = at(**kw) if number_format is None else at(number_format=number_format, **kw)
    return cells.actual(raw, cell, indicator(item), PLAN.count_units)


def said(reading) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in reading.findings]


def codes(reading) -> list[str]:
    return [f.code for f in reading.findings]


# --- where a finding is said ------------------------------------------------------------------------------

def test_finding__at_the_cell_a_person_sees__file_department_sheet_cell_field_and_value():
    (f,) = actual("約千件").findings
    assert (f.severity, f.code, f.file, f.department, f.sheet, f.cell, f.field, f.value) == (
        Severity.ERROR, "VALUE_003", "return.xlsx", "情報政策課", "2101", "B20", "指標実績値", "約千件")


# --- an indicator's actual: numbers as staff type them ----------------------------------------------------

@pytest.mark.parametrize(("typed", "taken"), [
    (1234, 1234),
    (1234.0, 1234),
    ("1234", 1234),
    ("1,234", 1234),
    ("１，２３４件", 1234),          # full-width digits and separator, the unit typed after it
    (" 1 234 ", 1234),
    ("1,234 件", 1234),
    (0, 0),
    (5820 * 1.1, 6402),             # 貼り付け→値 of =5820*1.1: the number the cell shows (15 digits)
    ("6402.000000000001", 6402),
])
def test_actual__a_count_as_typed__taken_as_the_number(typed, taken):
    read = actual(typed)
    assert (read.value, read.findings) == (taken, ())


def test_actual__pasted_sum__exactly_6402_not_a_residue():
    assert repr(actual(5820 * 1.1, "1102").value) == "6402.0"


@pytest.mark.parametrize(("typed", "code", "message"), [
    ("約千件", "VALUE_003", "「指標実績値」の「約千件」を数値として読めません。数字だけで記入してください（例: 1234）。"),
    ("12回", "VALUE_004", "「指標実績値」の「12回」は単位が違います。単位（件）の数値を数字だけで記入してください。"),
    ("▲3", "VALUE_007", "「指標実績値」が負の値（▲3）です。0以上の数値を記入してください。"),
    (-3, "VALUE_007", "「指標実績値」が負の値（-3）です。0以上の数値を記入してください。"),
    ('=HYPERLINK("http://example.com","x")', "VALUE_003",
     '「指標実績値」の「=HYPERLINK("http://example.com","x")」を数値として読めません。数字だけで記入してください（例: 1234）。'),
    (True, "VALUE_003", "「指標実績値」の「True」を数値として読めません。数字だけで記入してください（例: 1234）。"),
])
def test_actual__not_a_number_of_the_unit__error_and_nothing_taken(typed, code, message):
    read = actual(typed)
    assert read.value is None
    assert said(read) == [(code, message)]


@pytest.mark.parametrize("typed", [None, "", "   ", "\u3000"])
def test_actual__left_empty__未記入(typed):
    read = actual(typed)
    assert read.value is None
    assert said(read) == [("VALUE_001", "「指標実績値」が未記入です。記入してください。")]


# --- a number's meaning lives in its cell's format --------------------------------------------------------

@pytest.mark.parametrize(("item", "typed", "number_format", "taken"), [
    ("1202", 0.8, "0%", 80),              # 80% typed in Excel: 0.8 shown as 80%
    ("1202", 0.8, "0.00%", 80),           # … in Calc: its percent format has two decimals
    ("1402", 0.447, "0.0%", 44.7),        # exactly 44.7
    ("1202", 1, "0%", 100),
    ("1202", 80, '0"%"', 80),             # a literal % shows the number itself
    ("1202", 44.7, "General", 44.7),
    ("1202", "44.7%", "General", 44.7),   # typed as text with its sign
    ("1202", 44.75, "General", 44.75),    # a % is no count: a fraction is taken
])
def test_actual__percent_as_the_cell_shows_it__taken_in_percent(item, typed, number_format, taken):
    read = actual(typed, item, number_format)
    assert (read.value, read.findings) == (taken, ())


@pytest.mark.parametrize("number_format", ["General", "0", "#,##0", "#,##0.###", "0.00E+00", '0"件"', "0_ ", "@"])
def test_actual__format_that_shows_the_number_itself__taken_as_typed(number_format):
    assert actual(1234, number_format=number_format) == cells.Reading(1234)


@pytest.mark.parametrize(("typed", "number_format", "shown", "meaning"), [
    (0.8, "0%", "80%", "百分率（%）として表示されています"),
    (0.8, "0.00%", "80.00%", "百分率（%）として表示されています"),
    (12000, "#,##0,", "12", "千単位で表示されています"),
    (12, '0"千件"', "12千件", "単位「千件」を付けて表示されています"),
    (12, '0"万円"', "12万円", "単位「万円」を付けて表示されています"),
    (12, '#,##0"回"', "12回", "単位「回」を付けて表示されています"),
    (12, "[$¥-411]#,##0", "¥12", "単位「¥」を付けて表示されています"),
])
def test_actual__format_that_changes_the_meaning_of_a_count__error_names_format_and_what_is_shown(
        typed, number_format, shown, meaning):
    read = actual(typed, number_format=number_format)
    value = f"{typed:,}" if typed >= 1 else str(typed)
    assert read.value is None
    assert said(read) == [("VALUE_009",
        f"「指標実績値」のセルは表示形式が「{number_format}」で、「{shown}」と{meaning}（保存されている値は {value}）。"
        "件の数として読めないため取り込みません。セルの表示形式を「標準」に戻し、件の数値を数字だけで記入してください（例: 1234）。")]


def test_actual__percent_indicator_in_a_format_scaled_by_thousands__error():
    assert codes(actual(80_000, "1202", "#,##0,")) == ["VALUE_009"]


@pytest.mark.parametrize("typed", [45413, dt.datetime(2024, 5, 1)])    # (calamine gives a date cell as a datetime)
def test_actual__number_in_a_date_format__error_says_it_shows_a_date(typed):
    read = actual(typed, number_format="yyyy/m/d")
    assert read.value is None and codes(read) == ["VALUE_009"]
    assert "「yyyy/m/d」" in read.findings[0].message and "日付・時刻として表示されています" in read.findings[0].message


# --- 80% typed as 0.8, a count with a fraction ------------------------------------------------------------

def test_actual__percent_indicator_given_a_fraction__taken_with_a_warning_80_percent_typed_as_0_8():
    read = actual(0.8, "1202")
    assert read.value == 0.8                     # a warning: taken as typed
    assert [f.severity for f in read.findings] == [Severity.WARNING]
    assert said(read) == [("VALUE_010",
        "「指標実績値」が 0.8 です。計画の基準値・目標値（25%、100%）と比べて桁が小さく、80% のつもりで 0.8 と"
        "入力した可能性があります。0.8% で正しいか確認し、80% なら 80 と記入し直してもらってください。")]


@pytest.mark.parametrize(("item", "typed", "number_format", "warned"), [
    ("1402", 0.5, "General", True),       # no baseline: the target alone (100%)
    ("1202", "0.8", "General", True),     # typed as text
    ("1202", "0.8%", "General", False),   # said to be a percent
    ("1202", 0.008, "0.0%", False),       # shown as 0.8%
    ("1202", 2, "General", False),
    ("1202", 0, "General", False),
    ("2101", 0.5, "General", False),      # not a % indicator (and then a fraction of a count: VALUE_011)
])
def test_actual__percent_indicator_fraction_warning__only_where_a_percent_was_not_said(item, typed, number_format,
                                                                                       warned):
    assert ("VALUE_010" in codes(actual(typed, item, number_format))) is warned


@pytest.mark.parametrize(("item", "typed", "shown"), [
    ("2101", 12.5, "12.5件"),
    ("2101", "12.5件", "12.5件"),
    ("2101", "１２．５", "12.5件"),
    ("2103", 1.5, "1.5回"),
    ("2403", 7.25, "7.25名"),
])
def test_actual__count_with_a_fraction__error_and_nothing_taken(item, typed, shown):
    read = actual(typed, item)
    unit = indicator(item).unit
    assert read.value is None
    assert said(read) == [("VALUE_011", f"「指標実績値」が {shown} で、小数になっています。{unit}は数える単位なので、整数で記入してください。")]


# --- a cell whose value is a formula's, or that has none to read -------------------------------------------

def test_actual__formula_with_its_result__warning_and_the_result_taken():
    read = actual(7, formula=True)
    assert read.value == 7
    assert said(read) == [("VALUE_008", "「指標実績値」に数式があります。計算結果の値（7）を読み取りました。値を直接入力してもらうと確実です。")]


def test_actual__formula_whose_result_is_a_pasted_sum__the_message_shows_the_number_as_the_cell_does():
    read = actual(5820 * 1.1, "1102", formula=True)
    assert read.value == 6402
    assert said(read) == [("VALUE_008", "「指標実績値」に数式があります。計算結果の値（6,402）を読み取りました。値を直接入力してもらうと確実です。")]


def test_actual__formula_with_a_result_that_is_no_number__both_said():
    assert codes(actual("約千件", formula=True)) == ["VALUE_008", "VALUE_003"]


@pytest.mark.parametrize("error", ["#DIV/0!", "#VALUE!", "#REF!", "#N/A", "#NAME?", "#NUM!", "#NULL!"])
def test_actual__formula_ending_in_an_error__error_at_the_cell_never_未記入(error):
    read = actual("", trouble=CellTrouble(error, formula=True))      # (calamine reads it as "")
    assert read.value is None
    assert [f.severity for f in read.findings] == [Severity.ERROR]
    assert said(read) == [("VALUE_012",
        f"「指標実績値」の計算式がエラー（{error}）になっています。エラーのため値を読み取れず、取り込みません。"
        "正しい値を直接入力してください（計算式を使うなら、エラーにならないよう参照先や割る数を直してください）。")]


def test_choice__error_pasted_as_a_value__said_to_be_an_error_value_not_未記入():
    read = cells.choice("", at(L.FIELD_PROGRESS, trouble=CellTrouble("#N/A", formula=False)), PROGRESS)
    assert read.value is None and codes(read) == ["VALUE_012"]
    assert read.findings[0].message.startswith(
        "「進捗状況」のセルがエラー値（エラーになった計算結果を値として貼り付けたもの）（#N/A）になっています。")


def test_text__formula_never_calculated__said_so_not_未記入():
    read = cells.text("", at(L.FIELD_RESULT, trouble=CellTrouble("", formula=True)), LIMIT, required=True)
    assert read.value is None
    assert said(read) == [("VALUE_013",
        "「取組実績」に計算式がありますが、計算結果が保存されていません（計算をしないプログラムで作られたファイルの可能性）。"
        "値を読み取れないため取り込みません。Excel で開いて計算させてから保存し直すか、値を直接入力してください。")]


def test_text__formula_whose_result_is_empty_text__an_empty_optional_cell_with_the_formula_noted():
    read = cells.text("", at(L.FIELD_ISSUES, formula=True), LIMIT, required=False)
    assert (read.value, [(f.code, f.value) for f in read.findings]) == ("", [("VALUE_008", "")])


@pytest.mark.parametrize(("xml", "trouble"), [
    (b'<c r="B20" t="e"><f>B18/B19</f><v>#DIV/0!</v></c>', CellTrouble("#DIV/0!", True)),
    (b'<c r="B20" s="3" t="e"><f>VLOOKUP(A1,B:C,2,FALSE)</f><v>#N/A</v></c>', CellTrouble("#N/A", True)),
    (b'<c r="B20" t="e"><v>#REF!</v></c>', CellTrouble("#REF!", False)),           # pasted as a value
    (b'<c r="B20"><f>CONCATENATE(B5,"x")</f><v></v></c>', CellTrouble("", True)),    # never calculated
])
def test_reader__what_a_cell_without_a_value_holds__the_trouble_the_rule_is_given(xml, trouble):
    assert cell_troubles(b"<sheetData><row>" + xml + b"</row></sheetData>") == {"B20": trouble}


@pytest.mark.parametrize("xml", [
    b'<c r="B20" t="str"><f>IF(B5="","",B5)</f><v></v></c>',        # a formula's "" is a value
    b'<c r="B20"><f>3+4</f><v>7</v></c>',
    b'<c r="B20"><v>7</v></c>',
])
def test_reader__a_cell_with_a_value__no_trouble(xml):
    assert cell_troubles(b"<sheetData><row>" + xml + b"</row></sheetData>") == {}


# --- the unit beside the actual ----------------------------------------------------------------------------

@pytest.mark.parametrize(("item", "typed"), [("2101", "件"), ("2101", " 件 "), ("1202", "％"), ("1202", "%")])
def test_unit__as_the_plan_says_it__not_edited(item, typed):
    assert cells.unit_edited(typed, at(L.FIELD_UNIT), indicator(item)) == cells.Reading(False)


@pytest.mark.parametrize(("typed", "now"), [("千件", "「千件」"), ("回", "「回」"), (None, "空欄"), ("", "空欄")])
def test_unit__changed__error_at_the_unit_cell(typed, now):
    read = cells.unit_edited(typed, at(L.FIELD_UNIT), indicator("2101"))
    assert read.value is True
    assert [(f.severity, f.field, f.value) for f in read.findings] == [(Severity.ERROR, "単位", typed or "")]
    assert said(read) == [("ROW_006",
        f"指標実績値の単位のセルが{now}に書き換えられています（計画の単位は「件」）。実績値の意味が変わるため"
        "取り込みません。単位を「件」に戻し、件の数値を記入してもらってください。")]


# --- a figure that cannot be right --------------------------------------------------------------------------

@pytest.mark.parametrize(("item", "value", "implausible"), [
    ("1102", 1e15, True),           # 5,820 → 6,402 件: a paste gone wrong
    ("1102", 64020, False),         # ten times the target: a year far better than planned
    ("1102", 640200, False),        # a hundred times: still taken
    ("1102", 640201, True),
    ("2101", 1301, True),           # 3 → 13 件
    ("2301", 200000, False),        # baseline 0, target 2,000 件
    ("1402", 100, False),           # a % indicator at its target
])
def test_implausible_actual__more_than_a_hundred_times_the_plans_larger_figure(item, value, implausible):
    assert cells.implausible_actual(value, indicator(item)) is implausible


def test_implausible_actual__no_figure_above_0__never():
    assert not cells.implausible_actual(1e15, replace(indicator("2103"), baseline=0, target=None))


@pytest.mark.parametrize(("item", "figures"), [
    ("1102", "基準値 5,820件・目標値 6,402件"),
    ("1402", "目標値 100%"),                       # no baseline
])
def test_plan_figures__as_a_message_names_them(item, figures):
    assert cells.plan_figures(indicator(item)) == figures


# --- a choice ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "taken"), [
    ("完了", "完了"),
    (" 実施中 ", "実施中"),
    ("一部 実施", "一部実施"),
    ("未着手\n", "未着手"),
])
def test_progress__typed_loosely__taken_as_the_label(typed, taken):
    assert cells.choice(typed, at(L.FIELD_PROGRESS), PROGRESS) == cells.Reading(taken)


@pytest.mark.parametrize(("typed", "taken"), [
    ("S：計画以上", "S"),
    (" Ａ：計画どおり ", "A"),       # full width, spaces
    ("A:計画どおり", "A"),
    ("B", "B"),                      # the grade's code alone
    ("ｃ", None),                    # … but not in another case
])
def test_grade__its_choice_or_its_code__taken_as_the_code(typed, taken):
    assert cells.grade(typed, at(L.FIELD_GRADE), CONFIG.grades).value == taken


def test_progress__not_in_the_list__error_lists_the_choices():
    read = cells.choice("だいたい終わった", at(L.FIELD_PROGRESS), PROGRESS)
    assert read.value is None
    assert said(read) == [("VALUE_002", "「進捗状況」の「だいたい終わった」は選択肢にありません。"
                                        "一覧（完了・実施中・一部実施・検討中・未着手）から選んでください。")]


def test_grade__not_in_the_list__error_lists_the_choices_as_the_dropdown_shows_them():
    read = cells.grade("Z：分からない", at(L.FIELD_GRADE), CONFIG.grades)
    assert said(read) == [("VALUE_002", "「自己評価」の「Z：分からない」は選択肢にありません。"
                                        "一覧（S：計画以上・A：計画どおり・B：やや遅れ・C：遅れ）から選んでください。")]


@pytest.mark.parametrize("typed", [None, "", "  ", "\u3000"])
def test_choice__left_empty__未記入(typed):
    read = cells.choice(typed, at(L.FIELD_PROGRESS), PROGRESS)
    assert read.value is None
    assert said(read) == [("VALUE_001", "「進捗状況」が未記入です。記入してください。")]


# --- free text ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "taken"), [
    ("AI-OCRを3課に導入した。\n効果を検証中。", "AI-OCRを3課に導入した。\n効果を検証中。"),
    ("  前後の空白  ", "前後の空白"),
    ("改行\r\nを統一", "改行\nを統一"),
    ("𠮷野家と髙橋さん🙂と連携した。①〜③を実施。ｶﾀｶﾅ", "𠮷野家と髙橋さん🙂と連携した。①〜③を実施。ｶﾀｶﾅ"),
    ('=HYPERLINK("http://example.com","x")', '=HYPERLINK("http://example.com","x")'),   # inert text
    (1234, "1234"),
    ("あ" * 1000, "あ" * 1000),       # at the limit
])
def test_text__as_typed__taken_cleaned(typed, taken):
    assert cells.text(typed, at(L.FIELD_RESULT), LIMIT, required=True) == cells.Reading(taken)


def test_text__control_character__removed_with_a_warning_and_taken():
    read = cells.text("標準化\x07を進めた", at(L.FIELD_RESULT), LIMIT, required=True)
    assert read.value == "標準化を進めた"
    assert [f.severity for f in read.findings] == [Severity.WARNING]
    assert said(read) == [("VALUE_006", "「取組実績」に表示できない制御文字が含まれていたため、取り除いて読み取りました。内容を確認してください。")]


@pytest.mark.parametrize(("typed", "taken"), [
    ("実施\u202e済み", "実施済み"),         # right-to-left override
    ("実\u200b施", "実施"),                 # zero width space
])
def test_text__invisible_character__removed_with_a_warning_that_shows_what_was_read(typed, taken):
    read = cells.text(typed, at(L.FIELD_RESULT), LIMIT, required=True)
    assert read.value == taken
    assert said(read) == [("VALUE_016",
        "「取組実績」に、文字の並びを逆にするなど表示を変える制御文字（U+202E など）や幅のない文字（U+200B など）が"
        "含まれていたため、取り除いて読み取りました（報告書・公表用の表・ウェブページには取り除いた文字で載ります）。"
        f"読み取った内容: {taken}")]


def test_text__both_kinds_removed__both_said_control_first():
    assert codes(cells.text("a\x07b\u200bc", at(L.FIELD_RESULT), LIMIT, required=False)) == ["VALUE_006", "VALUE_016"]


@pytest.mark.parametrize("typed", [None, "", "  ", "\u200b"])
def test_text__required_left_empty__未記入(typed):
    read = cells.text(typed, at(L.FIELD_RESULT), LIMIT, required=True)
    assert read.value is None
    assert codes(read)[-1:] == ["VALUE_001"]
    assert read.findings[-1].message == "「取組実績」が未記入です。記入してください。"


@pytest.mark.parametrize("typed", [None, "", "  "])
def test_text__optional_left_empty__taken_as_empty(typed):
    assert cells.text(typed, at(L.FIELD_ISSUES), LIMIT, required=False) == cells.Reading("")


@pytest.mark.parametrize("length", [1001, 10_000])
def test_text__over_the_limit__error_with_its_length_and_nothing_taken(length):
    read = cells.text("長" * length, at(L.FIELD_ISSUES), LIMIT, required=False)
    assert read.value is None
    assert said(read) == [("VALUE_005", f"「課題」が {length} 文字あり、上限 1000 文字を超えています。要点を 1000 文字以内にまとめてください。")]
