"""The survey workbook's layout: the one place that both the writer (templates) and the reader
(checks) take sheet names, keys, columns and field names from.

Answers are found by the key in column A (an initiative's stable ID, or a label such as 自己評価),
never by a fixed row, so a return whose rows moved is still read correctly.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.plan import ActionItem, Initiative, Plan

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
IDENTITY_KEYS = (ID_SCHEMA, ID_PLAN, ID_PLAN_DIGEST, ID_YEAR, ID_DEPARTMENT, ID_DEPARTMENT_NAME, ID_TEMPLATE)

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
