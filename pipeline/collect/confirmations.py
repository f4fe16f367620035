"""The secretariat's word on an indicator actual that cannot look right (returns/<年度>_実績値の確認.toml).

A figure far beyond the plan's baseline and target (1e15 件; cells.implausible_actual) is more likely a slip
(digits, unit, a paste) than a fact, so collect warns at its cell (VALUE_014) and does not take it: the
report, the public table and the web page show the year's actual as 「確認中」, as they show a return sent
back. When the secretariat has checked with the department that the figure is right, it writes one line in
this file, naming the indicator (管理番号) and the very figure, and collects again: the figure is taken, with
a note at the cell (VALUE_015). The line names the figure, not only the indicator, so a corrected return with
another implausible figure is held again.

A file of its own, beside the choices file (choice.choices_path), not a section of it: each file then says
one thing, its lines have one form, and a line of one cannot be read as the other's.
"""

from __future__ import annotations

import math
from pathlib import Path

import tomli as tomllib

from pipeline.errors import UsageError
from pipeline.values import spreadsheet_number

CONFIRMATIONS_HEADER = """\
# {year}年度: 確認した指標実績値（make collect が読みます）
#
# 計画の基準値・目標値とくらべて桁違いに大きい実績値は、事務局が確認するまで報告書・公開用の表・
# ウェブページに載せません（「確認中」と表示）。部署に確かめて正しい数値だったときに、指標ごとに1行書きます
# （collect の指摘 VALUE_014 に、そのまま使える行があります）:
#   "管理番号" = 確認した実績値
# 例:
#   "2301" = 250000
"""


def confirmations_path(returns_dir: Path, year: int) -> Path:
    """Beside the year's inbox (and its choices file), not in it: collect takes every file in the inbox as a return."""
    return returns_dir / f"{year}_実績値の確認.toml"


def confirmation_line(item_code: str, value: float) -> str:
    """The line that lets `value` stand as the actual of indicator `item_code`."""
    number = str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(float(value))
    return f'"{item_code}" = {number}'


def load_confirmations(path: Path, item_codes: set[str]) -> dict[str, float]:
    """管理番号 → the figure the secretariat let stand. A missing file confirms nothing; a file that cannot be
    read, or a line that names no indicator of the plan or no number, stops the run (UsageError) naming it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"実績値の確認ファイル {path} を読めません（{exc}）。UTF-8 のテキストとして保存し直してください。") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(
            f"実績値の確認ファイル {path} の書き方に誤りがあります（{exc}）。"
            '1行に "管理番号" = 実績値 の形で書いてください（例: "2301" = 250000）。'
        ) from None
    out: dict[str, float] = {}
    for key, value in data.items():
        code = str(key).strip()
        if code not in item_codes:
            raise UsageError(
                f"実績値の確認ファイル {path} の「{code}」は、参考指標のある取組項目の管理番号ではありません。"
                "collect の指摘（VALUE_014）に示した行を、そのまま書いてください。")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise UsageError(
                f"実績値の確認ファイル {path} の「{code}」の値が数値ではありません（{value!r}）。"
                f'"{code}" = 250000 のように、" で囲まずに数字だけを書いてください。')
        out[code] = spreadsheet_number(value)
    return out

