"""The survey workbook's layout: the one place that both the writer (templates) and the reader
(checks) take sheet names, keys, columns and field names from.

Answers are found by the key in column A (an initiative's stable ID, or a label such as 自己評価),
never by a fixed row, so a return whose rows moved is still read correctly.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import TYPE_CHECKING

from pipeline.fiscal import fiscal_year_label

if TYPE_CHECKING:
    from pipeline.plan import ActionItem, Department, Indicator, Initiative, Plan

SCHEMA_VERSION = "1"

SHEET_GUIDE = "記入要領"
SHEET_PACKET = "差し戻し指摘"      # first sheet of a return packet (差し戻し): read by people, ignored by collect
SHEET_IDENTITY = "_identity"        # very hidden: the workbook's identity, read back by collect
PROPERTY_PREFIX = "gyozai_"         # the same identity as custom document properties

# identity keys (rows of the identity sheet and custom properties)
ID_SCHEMA = "schema_version"
ID_PLAN = "plan_id"
ID_PLAN_DIGEST = "plan_digest"
ID_YEAR = "fiscal_year"
ID_DEPARTMENT = "department_code"
ID_DEPARTMENT_NAME = "department_name"
ID_TEMPLATE = "template_id"
ID_OPINIONS = "committee_opinions"  # the committee's opinions this workbook asks about, comma-separated (if any)
IDENTITY_KEYS = (ID_SCHEMA, ID_PLAN, ID_PLAN_DIGEST, ID_YEAR, ID_DEPARTMENT, ID_DEPARTMENT_NAME, ID_TEMPLATE,
                 ID_OPINIONS)

# context rows of an item sheet: label in column A, the charter's text in column B (read-only)
CTX_CODE = "管理番号"
CTX_TITLE = "取組項目"
CTX_PREVIOUS = "前期計画"
CTX_DEPARTMENTS = "担当部署"
CTX_OUTCOMES = "アウトカム（達成後の状態）"
CTX_ISSUES = "現状・課題"
CONTEXT_LABELS = (CTX_CODE, CTX_TITLE, CTX_PREVIOUS, CTX_DEPARTMENTS, CTX_OUTCOMES, CTX_ISSUES)

# the initiatives table
HEADER_KEY = "取組ID"
COL_KEY, COL_TEXT, COL_DEPARTMENTS, COL_PROGRESS, COL_RESULT, COL_ISSUES, COL_NEXT = range(7)
LAST_COL = COL_NEXT
COL_PREVIOUS = 7                    # carry-over: last year's answer, read-only, beside the inputs

FIELD_TEXT = "具体的な取組"
FIELD_DEPARTMENTS = "担当部署"
FIELD_PROGRESS = "進捗状況"
FIELD_RESULT = "取組実績"
FIELD_ISSUES = "課題"
FIELD_NEXT = "次年度の取組予定"
INITIATIVE_HEADERS = (
    HEADER_KEY, FIELD_TEXT, FIELD_DEPARTMENTS,
    f"{FIELD_PROGRESS} ※", f"{FIELD_RESULT} ※", FIELD_ISSUES, FIELD_NEXT,
)
INITIATIVE_WIDTH = LAST_COL + 1     # an initiative row holds columns A to G (and COL_PREVIOUS, with carry-over)
# (column, field, required) of the inputs on an initiative row
INITIATIVE_INPUTS = (
    (COL_PROGRESS, FIELD_PROGRESS, True),
    (COL_RESULT, FIELD_RESULT, True),
    (COL_ISSUES, FIELD_ISSUES, False),
    (COL_NEXT, FIELD_NEXT, False),
)

# the indicator and self-evaluation block (lead department): label in column A, input in column B
KEY_INDICATOR_NAME = "参考指標"
KEY_BASELINE = "基準値"
KEY_TARGET = "目標値"
KEY_ACTUAL = "指標実績値"
KEY_HISTORY = "これまでの実績"       # carry-over: earlier years' actuals and the running total (read-only)
KEY_GRADE = "自己評価"
KEY_REASON = "評価の理由"
FIELD_ACTUAL = KEY_ACTUAL
FIELD_GRADE = KEY_GRADE
FIELD_REASON = KEY_REASON
FIELD_UNIT = "単位"
COL_UNIT = 2              # 指標実績値 row: the indicator's unit, charter text that says what the number means
COL_ACTUAL_NOTE = 3       # 指標実績値 row: how to fill it in (merged to LAST_COL)
COL_GRADE_NOTE = 2        # 自己評価 row: what the grades mean (merged to LAST_COL)

# the committee's loop: the opinions the department answers (inputs), and the good practices (read-only)
SHEET_OPINIONS = "委員会意見"
SHEET_PRACTICES = "優良事例"
HEADER_OPINION = "意見番号"
FIELD_RESPONSE_STATUS = "対応状況"
FIELD_RESPONSE_TEXT = "対応内容"
OPINION_HEADERS = (HEADER_OPINION, "意見の年度", "管理番号・取組項目", "委員会の意見", "これまでの回答",
                   f"{FIELD_RESPONSE_STATUS} ※", f"{FIELD_RESPONSE_TEXT} ※")
COL_OPINION_KEY, COL_OPINION_YEAR, COL_OPINION_ITEM, COL_OPINION_TEXT, COL_OPINION_BEFORE = range(5)
COL_RESPONSE_STATUS, COL_RESPONSE_TEXT = 5, 6
OPINION_WIDTHS = (11, 10, 24, 44, 30, 12, 44)
OPINION_FIRST_ROW = 4               # the header row (0-based); the title, subtitle and a note above it
PRACTICE_HEADERS = ("取組ID", "具体的な取組", "担当部署", "紹介の理由（委員会）")
PRACTICE_WIDTHS = (10, 60, 24, 50)

NOTE_NO_INITIATIVES = "この取組項目には、この部署が記入する具体的な取組はありません。"


def template_id(plan_id: str, plan_digest: str, year: int, department: str) -> str:
    """A stable ID for one department's workbook of one year of one exact plan file."""
    key = "|".join((plan_id, plan_digest, str(year), department, SCHEMA_VERSION))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    """Zero-based (row, col) to the A1 reference a person sees in Excel."""
    return f"{column_letter(col)}{row + 1}"


def context_rows(plan: Plan, item: ActionItem) -> list[tuple[str, str]]:
    """The charter's read-only context of an item sheet, (label, text) in order, as written and as checked."""
    departments = "、".join(plan.department_name(c) for c in item.departments) + (" ほか" if item.departments_etc else "")
    issues = "\n".join(f"➤ {t}" for t in item.issues) + ("\nなど" if item.issues_etc else "")
    return [
        (CTX_CODE, item.code),
        (CTX_TITLE, item.title),
        (CTX_PREVIOUS, " ".join(item.previous_plan)),
        (CTX_DEPARTMENTS, departments),
        (CTX_OUTCOMES, "\n".join(f"➤ {t}" for t in item.outcomes)),
        (CTX_ISSUES, issues),
    ]


def indicator_rows(ind: Indicator) -> list[tuple[str, str]]:
    """The charter's indicator on its reporter's sheet, (label, text) in order, as written and as checked."""
    if ind.baseline_shown is None:
        baseline = "なし（計画策定時に基準値なし）"
    else:
        baseline = f"{ind.baseline_shown}（{ind.baseline_year}年度）" + ("＊" if ind.baseline_marked else "")
    target = f"{ind.target_shown}（{ind.target_year}年度）"
    return [(KEY_INDICATOR_NAME, ind.name), (KEY_BASELINE, baseline), (KEY_TARGET, target)]


_year_label = functools.cache(fiscal_year_label)     # asked for every sheet of every return
TITLE_ROWS = 2    # an item sheet's first rows: its title and its department (item_sheet_titles)


def item_sheet_titles(year: int, item: ActionItem, department: Department) -> tuple[str, str]:
    """The two title rows of an item sheet (A1, A2): the year and the item; the department and its code."""
    return (f"{_year_label(year)}実績　進捗状況調査票　{item.code} {item.title}",
            f"{department.name}（部署コード {department.code}）")


_SUBTITLE = re.compile(r"（部署コード\s*([0-9A-Za-z_-]+)\s*）\s*$")


def subtitle_department(text: object) -> str | None:
    """The department code in an item sheet's second title row ('情報政策課（部署コード 05）' → '05')."""
    found = _SUBTITLE.search(text) if isinstance(text, str) else None
    return found.group(1) if found else None


def previous_header(previous_year: int) -> str:
    """The header of the carry-over column (COL_PREVIOUS), written only when last year was collected."""
    return f"（参考）{previous_year}年度の回答"


def form_rows(plan: Plan, year: int, item: ActionItem, department: Department, carry_over: bool) -> dict[str, int]:
    """The rows the template writes on a department's item sheet, by their key in column A (the title rows
    by their text), each with how many columns from A belong to the form: what the template wrote and the
    inputs collect reads (the other cells of a merged range stay empty, so they are not the form's). An
    initiative row (not here) holds INITIATIVE_WIDTH columns, one more with carry-over. Anything else on
    the sheet was typed where nothing reads it."""
    label = 2                                  # the label, and the text or input in B (merged to LAST_COL)
    rows = dict.fromkeys(item_sheet_titles(year, item, department), 1)
    rows.update(dict.fromkeys(CONTEXT_LABELS, label))
    rows[HEADER_KEY] = INITIATIVE_WIDTH + carry_over
    if not plan.initiatives_of(item.code, department.code):
        rows[NOTE_NO_INITIATIVES] = 1
    if item.indicator and item.indicator.reporter == department.code:
        rows.update(dict.fromkeys((KEY_INDICATOR_NAME, KEY_BASELINE, KEY_TARGET, KEY_HISTORY), label))
        rows[KEY_ACTUAL] = COL_ACTUAL_NOTE + 1
    if item.lead == department.code:
        rows[KEY_GRADE] = COL_GRADE_NOTE + 1
        rows[KEY_REASON] = label
    return rows


def initiative_departments(plan: Plan, initiative: Initiative) -> str:
    """An initiative's departments as the charter prints them: '情報政策課、福祉事務所' or '企画課ほか'."""
    return "、".join(plan.department_name(c) for c in initiative.departments) + ("ほか" if initiative.departments_etc else "")


def row_key(value: object) -> str:
    """The key in column A as collect compares it: trimmed, without the required mark ※."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("※", "").strip()
