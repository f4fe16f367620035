"""The plan master's layout (計画マスタ): the one place that both its writer (`export`) and its reader
(`importing`) take sheet names, column headers and the words of its cells from.

Every sheet but 計画 and 記入要領 is a plain table: one header row, one row per thing. The reader finds a
column by its header (so columns may be moved, and a memo column added), and the 計画 sheet's values by
the label in column A.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pipeline.values import normalise_choice

SHEET_GUIDE = "記入要領"
SHEET_PLAN = "計画"
SHEET_DEPARTMENTS = "部署"
SHEET_SECTIONS = "節"
SHEET_PILLARS = "柱"
SHEET_ITEMS = "取組項目"
SHEET_INITIATIVES = "具体的な取組"
SHEET_INDICATORS = "参考指標"
SHEET_REVISIONS = "取組の変更"
SHEET_EXCLUSIONS = "対象外"


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    note: str                  # the comment on the header cell: what goes there
    required: bool = False
    text: bool = True          # text format (@): a code typed stays text (1101, 01, 1-1 never a number or a date)


@dataclass(frozen=True)
class Field:
    """A row of the 計画 sheet: its label in column A, the [plan] key, what goes there."""

    label: str
    key: str
    note: str
    required: bool = False
    year: bool = False


# --- the 計画 sheet: label / value rows -----------------------------------------------------------------
PLAN_HEADERS = ("項目", "内容")
PLAN_FIELDS = (
    Field("計画ID", "id", "計画を見分ける半角の名前です。調査票の識別情報に書き込まれるため、計画期間の途中では変えないでください。", True),
    Field("計画名", "title", "計画の正式な名称（報告書の表紙などに使います）。", True),
    Field("市名", "city", "市の名称。", True),
    Field("策定", "issued", "策定の時期（例: 令和5年3月）。任意。"),
    Field("計画期間（開始年度）", "period_start", "計画期間の最初の年度（西暦、例: 2022）。", True, True),
    Field("計画期間（終了年度）", "period_end", "計画期間の最後の年度（西暦、例: 2025）。", True, True),
    Field("推進委員会", "committee", "計画の進捗を評価する委員会の名称。任意。"),
    Field("基準値の注記", "baseline_note", "参考指標の表の下に載せる注記（*印の意味）。任意。"),
    Field("DXの注記", "dx_note", "【DX】の意味の注記。任意。"),
    Field("数える単位", "count_units",
          "件・回・名のように数を数える単位を「、」で区切って記入します。この単位の実績値・基準値・目標値は整数に限ります。任意。"),
)

# --- the tables --------------------------------------------------------------------------------------
D_CODE, D_NAME = "部署コード", "部署名"
DEPARTMENT_COLUMNS = (
    Column(D_CODE, 12, "半角の英数字（例: 05）。調査票のファイル名や集計に使うため、一度決めたら変えないでください。", True),
    Column(D_NAME, 30, "部署の名称。ほかのシートの「担当部署」「報告部署」には、この名前を記入します。", True),
)

S_NUMBER, S_TITLE = "節番号", "節の名称"
SECTION_COLUMNS = (
    Column(S_NUMBER, 10, "節の番号（整数、例: 1）。報告書に (1) のように表示します。", True, text=False),
    Column(S_TITLE, 40, "節の名称（例: 市民へのアプローチ）。", True),
)

P_CODE, P_SECTION, P_TITLE = "柱番号", "節", "柱の名称"
PILLAR_COLUMNS = (
    Column(P_CODE, 10, "取組方針の柱の番号（例: 1-1）。", True),
    Column(P_SECTION, 8, "この柱が属する節の節番号（節シートから選びます）。", True, text=False),
    Column(P_TITLE, 40, "柱の名称（例: わかりやすい情報提供）。", True),
)

I_CODE, I_PILLAR, I_TITLE, I_PREVIOUS = "管理番号", "柱", "取組項目", "前期計画"
I_DEPARTMENTS, I_OUTCOMES, I_ISSUES, I_ISSUES_ETC, I_LABEL = (
    "担当部署", "アウトカム", "現状・課題", "課題の「など」", "具体的な取組の見出し")
DEPARTMENTS_NOTE = ("部署名を「、」で区切って記入します（最初が主担当課）。計画に「ほか」とあるときは、最後の部署名の後に"
                    "「ほか」を付けます（例: 協働まちづくり課、健康づくり課ほか）。一覧からは1つずつ選べます。")
ITEM_COLUMNS = (
    Column(I_CODE, 10, "取組項目の管理番号（4桁の数字、例: 1101）。", True),
    Column(I_PILLAR, 8, "この取組項目が属する柱の柱番号（柱シートから選びます）。", True),
    Column(I_TITLE, 30, "取組項目の名称。", True),
    Column(I_PREVIOUS, 10, "前期計画からの「継続」「新規」、または両方（継続、新規）。", True),
    Column(I_DEPARTMENTS, 24, DEPARTMENTS_NOTE, True),
    Column(I_OUTCOMES, 40, "アウトカム（達成後の状態）。複数あるときはセル内で改行し、1行に1つ書きます。", True),
    Column(I_ISSUES, 60, "現状・課題。計画の ➤ 1つを1行に書きます（セル内で改行、➤ は書きません）。", True),
    Column(I_ISSUES_ETC, 10, "現状・課題の最後に「など」が付くときは「はい」。"),
    Column(I_LABEL, 16, "具体的な取組の欄の見出し。空欄なら「具体的な取組」です（例: 具体的な取組例）。"),
)

N_ID, N_ITEM, N_TEXT, N_DEPARTMENTS, N_DX, N_START, N_END, N_REASON = (
    "取組ID", "管理番号", "具体的な取組", "担当部署", "DX", "開始年度", "終了年度", "変更理由")
INITIATIVE_COLUMNS = (
    Column(N_ID, 12, "取組の番号（管理番号-2桁、例: 1101-01）。回答の集計に使うため、一度決めたら変えないでください。", True),
    Column(N_ITEM, 10, "この取組が属する取組項目の管理番号（一覧から選びます）。取組は、このシートの行の順に並びます。", True),
    Column(N_TEXT, 60, "具体的な取組の文章（【DX】は書かず、DX の欄で「はい」にします）。", True),
    Column(N_DEPARTMENTS, 24, DEPARTMENTS_NOTE, True),
    Column(N_DX, 6, "DX推進計画アクションプランによる取組（【DX】）なら「はい」。"),
    Column(N_START, 10, "計画期間の途中から始める取組だけ、最初の年度（西暦）。空欄なら計画期間の初めからです。", text=False),
    Column(N_END, 10, "計画期間の途中で終える取組だけ、最後の年度（西暦）。空欄なら計画期間の終わりまでです。", text=False),
    Column(N_REASON, 40, "開始年度を遅らせたとき・終了年度を早めたときの理由（必須）。報告書の「計画の変更」に載ります。"),
)

K_ITEM, K_NAME, K_UNIT, K_BASELINE, K_BASELINE_YEAR, K_MARKED = "管理番号", "指標名", "単位", "基準値", "基準年度", "*印"
K_TARGET, K_TARGET_YEAR, K_DIRECTION, K_CUMULATIVE, K_REPORTER = "目標値", "目標年度", "方向", "延べ", "報告部署"
INDICATOR_COLUMNS = (
    Column(K_ITEM, 10, "参考指標を持つ取組項目の管理番号（一覧から選びます）。1つの取組項目に1行です。", True),
    Column(K_NAME, 30, "参考指標の名称。", True),
    Column(K_UNIT, 8, "単位（例: 件、%、回）。", True),
    Column(K_BASELINE, 10, "基準値（数字だけ）。計画に「-」とあるときは空欄にします。", text=False),
    Column(K_BASELINE_YEAR, 10, "基準値の年度（西暦）。*印の値なら、その数値の年度（例: 2022）。", True, text=False),
    Column(K_MARKED, 6, "計画の基準値に *印 があるときは「はい」（基準値の注記を参照）。"),
    Column(K_TARGET, 10, "目標値（数字だけ）。「減少」のように方向だけの目標なら空欄にします。", text=False),
    Column(K_TARGET_YEAR, 10, "目標年度（西暦）。", True, text=False),
    Column(K_DIRECTION, 8, "目標の方向: 増加 か 減少（空欄なら増加）。"),
    Column(K_CUMULATIVE, 6, "目標が「延べ」（毎年度の実績の合計）なら「はい」。"),
    Column(K_REPORTER, 20, "実績値を報告する部署。空欄なら取組項目の主担当課（担当部署の最初の部署）です。"),
)

R_ID, R_YEAR, R_TEXT, R_DEPARTMENTS, R_DX, R_REASON = (
    "取組ID", "適用年度", "具体的な取組（変更後）", "担当部署（変更後）", "DX（変更後）", "変更理由")
REVISION_COLUMNS = (
    Column(R_ID, 12, "変更する取組の取組ID（一覧から選びます）。", True),
    Column(R_YEAR, 10, "変更後の内容になる最初の年度（西暦）。取組の実施期間の2年度目以降です。", True, text=False),
    Column(R_TEXT, 60, "変更後の具体的な取組の文章。変えないときは空欄です。"),
    Column(R_DEPARTMENTS, 24, "変更後の担当部署（書き方は具体的な取組シートと同じ）。変えないときは空欄です。"),
    Column(R_DX, 8, "変更後の DX（はい・いいえ）。変えないときは空欄です。"),
    Column(R_REASON, 40, "変更の理由（必須）。報告書の「計画の変更」に載ります。", True),
)

X_ITEM, X_YEAR, X_REASON = "管理番号", "年度", "理由"
EXCLUSION_COLUMNS = (
    Column(X_ITEM, 10, "その年度に評価しない（調査票で尋ねない）取組項目の管理番号（一覧から選びます）。", True),
    Column(X_YEAR, 10, "対象外の年度（西暦）。", True, text=False),
    Column(X_REASON, 40, "対象外とする理由（必須）。報告書の「計画の変更」に載ります。", True),
)

TABLES: dict[str, tuple[Column, ...]] = {
    SHEET_DEPARTMENTS: DEPARTMENT_COLUMNS,
    SHEET_SECTIONS: SECTION_COLUMNS,
    SHEET_PILLARS: PILLAR_COLUMNS,
    SHEET_ITEMS: ITEM_COLUMNS,
    SHEET_INITIATIVES: INITIATIVE_COLUMNS,
    SHEET_INDICATORS: INDICATOR_COLUMNS,
    SHEET_REVISIONS: REVISION_COLUMNS,
    SHEET_EXCLUSIONS: EXCLUSION_COLUMNS,
}
SHEETS = (SHEET_PLAN, *TABLES)     # what the reader needs (記入要領 is for people only)

# --- the words of the cells ------------------------------------------------------------------------------
YES, NO = "はい", "いいえ"
INCREASE_WORD, DECREASE_WORD = "増加", "減少"
ETC = "ほか"
SEPARATOR = "、"
PREVIOUS_CHOICES = ("継続", "新規", "継続、新規")
DEFAULT_LABEL = "具体的な取組"
LABEL_CHOICES = ("具体的な取組", "具体的な取組例")

_YES = {normalise_choice(w) for w in (YES, "○", "◯", "TRUE", "true", "True")}
_NO = {normalise_choice(w) for w in (NO, "×", "✕", "FALSE", "false", "False")}
_SPLIT = re.compile(r"[、,，\n]")


def yes_no(flag: bool) -> str:
    return YES if flag else NO


def flag_of(value: object) -> bool | None:
    """はい/いいえ (○/×, TRUE/FALSE, a boolean cell) → True/False; None for anything else. A blank is not
    read here (the caller says what it means)."""
    if isinstance(value, bool):
        return value
    key = normalise_choice(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    return None


def departments_cell(names: list[str], etc: bool) -> str:
    """'協働まちづくり課、健康づくり課ほか': the names joined with 「、」, ending ほか when the charter says so."""
    return SEPARATOR.join(names) + (ETC if etc else "")


@dataclass(frozen=True)
class DepartmentsRead:
    names: tuple[str, ...]       # as the 部署 sheet spells them, in the cell's order
    etc: bool
    unknown: tuple[str, ...]     # what was typed for a name that is not on the 部署 sheet
    repeated: tuple[str, ...]


def read_departments(text: str, known: dict[str, str]) -> DepartmentsRead:
    """A 担当部署 cell read back. `known`: normalise_choice(name) → the name. A trailing ほか (after the last
    name, with or without a space) sets `etc`, unless the last name itself is a department ending in ほか."""
    text = unicodedata.normalize("NFC", text).strip()
    etc = False
    tokens = [t.strip() for t in _SPLIT.split(text) if t.strip()]
    if tokens and normalise_choice(tokens[-1]) not in known and tokens[-1].endswith(ETC):
        etc = True
        last = tokens.pop()[: -len(ETC)].strip()
        if last:
            tokens.append(last)
    names: list[str] = []
    unknown: list[str] = []
    repeated: list[str] = []
    for token in tokens:
        name = known.get(normalise_choice(token))
        if name is None:
            unknown.append(token)
        elif name in names:
            repeated.append(token)
        else:
            names.append(name)
    return DepartmentsRead(tuple(names), etc, tuple(unknown), tuple(repeated))


def split_list(text: str) -> list[str]:
    """数える単位 / 前期計画: 「、」 or comma separated."""
    return [t.strip() for t in _SPLIT.split(text) if t.strip()]


def lines_of(text: str) -> list[str]:
    """One element per line of a cell (アウトカム, 現状・課題), blank lines dropped."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def header_key(value: object) -> str:
    """A header as the reader compares it: NFKC, no spaces, no required mark ※."""
    return normalise_choice(str(value or "").replace("※", ""))
