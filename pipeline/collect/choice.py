"""Which return counts when a department sent several different ones: no single clock is trusted.

The signals, and what each is worth:
- the workbook's own last-saved time (docProps/core.xml): it survives mail and copying, but it is the
  sending PC's clock, which can be wrong, and LibreOffice writes its local time labelled as UTC (a
  10:00 JST save is stamped 10:00Z; seen with LibreOffice 7.4), so a LibreOffice stamp is read as
  Japan time;
- the time the file arrived in the inbox (its modification time on the secretariat's own disk);
- a saved time after the file arrived, or in the future, is impossible: that PC's clock is wrong, and
  the arrival time is used for that file instead;
- whether a return has errors: when the two clocks disagree on which return is newest, the one
  without errors wins (a department's second file is usually its correction).

Whenever the signals disagree, the decision carries a warning that names both files with both times
and says how to settle it: the secretariat writes one line into the year's choices file
(`returns/<年度>_採用の指定.toml`), which collect reads and the status workbook shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import tomli as tomllib  # the standard library's parser, compiled: 3× faster on a large plan

from pipeline.config import toml_syntax_problem
from pipeline.errors import UsageError

JST = dt.timezone(dt.timedelta(hours=9), "JST")
# A saved time may run ahead of the arrival time by this much before it is called impossible
# (two PCs' clocks are never exactly the same).
CLOCK_TOLERANCE = dt.timedelta(minutes=10)
_LIBREOFFICE = "LibreOffice"

CHOICES_HEADER = """\
# {year}年度: 採用するファイルの指定（make collect が読みます）
#
# 同じ部署から内容の違う回答が複数届き、collect が選んだものとは別のファイルを採用するときに、
# 部署ごとに1行書きます。書き方（回収状況の「採用の判断」シートに、そのまま使える行があります）:
#   "部署コード" = "受付フォルダー内のファイル名"
# 例:
#   "05" = "5月20日受信/情報政策課_回答（修正版）.xlsx"
"""


@dataclass(frozen=True)
class Candidate:
    """One distinct return of a department, as the choice sees it."""

    file_name: str
    saved_at: str | None          # as the workbook states it
    saved_by: str | None          # the application that saved it
    received_at: str              # when it arrived in the inbox (UTC, ISO)
    has_errors: bool


@dataclass(frozen=True)
class Times:
    """A candidate's times as understood: `saved` in UTC or None, and whether it can be believed."""

    saved: dt.datetime | None
    received: dt.datetime
    saved_plausible: bool

    @property
    def best(self) -> dt.datetime:
        return self.saved if self.saved is not None and self.saved_plausible else self.received


@dataclass(frozen=True)
class Decision:
    """The return that counts, why, and whether the signals disagreed (then `doubt` says how)."""

    chosen: str
    rule: str                     # why it was chosen, one Japanese sentence
    doubt: str = ""               # "" when every signal agrees; else what disagrees
    by_secretariat: bool = False  # the choices file decided
    candidates: tuple[Candidate, ...] = ()


def times_of(c: Candidate, now: dt.datetime) -> Times:
    received = parse_time(c.received_at) or now
    saved = saved_time(c)
    plausible = saved is not None and saved <= received + CLOCK_TOLERANCE and saved <= now + CLOCK_TOLERANCE
    return Times(saved, received, plausible)


def saved_time(c: Candidate) -> dt.datetime | None:
    """When the workbook says it was saved, in UTC (a LibreOffice stamp read as Japan time)."""
    return parse_time(c.saved_at, local=bool(c.saved_by and c.saved_by.startswith(_LIBREOFFICE)))


def parse_time(text: str | None, *, local: bool = False) -> dt.datetime | None:
    """An ISO 8601 time as UTC. `local`: a time labelled UTC (or not labelled) is really Japan time."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if local and (value.tzinfo is None or value.utcoffset() == dt.timedelta(0)):
        value = value.replace(tzinfo=JST)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def shown(time: dt.datetime | None) -> str:
    """A time as people here read it: '2025-05-20 14:03（日本時間）'."""
    if time is None:
        return "なし"
    return time.astimezone(JST).strftime("%Y-%m-%d %H:%M") + "（日本時間）"


def decide(candidates: Sequence[Candidate], now: dt.datetime, override: str | None = None) -> Decision:
    """The return that counts among a department's distinct returns (at least one)."""
    times = {c.file_name: times_of(c, now) for c in candidates}
    everyone = tuple(candidates)
    if override is not None:
        return Decision(override, "事務局が採用の指定ファイルで指定", by_secretariat=True, candidates=everyone)
    if len(candidates) == 1:
        return Decision(candidates[0].file_name, "ほかに回答なし", candidates=everyone)

    def newest(key) -> Candidate:
        return max(candidates, key=lambda c: (key(times[c.file_name]), c.file_name))

    by_saved = newest(lambda t: (t.best, t.received))
    by_arrival = newest(lambda t: (t.received, t.best))
    wrong_clocks = [c for c in candidates if times[c.file_name].saved is not None
                    and not times[c.file_name].saved_plausible]
    doubts = [
        f"{c.file_name} の最終保存日時 {shown(times[c.file_name].saved)}は"
        f"{'受付日時より後' if times[c.file_name].saved <= now + CLOCK_TOLERANCE else '未来の日時'}のため、"
        "保存したPCの時計が正しくないとみなし、受付日時で比べました"
        for c in wrong_clocks
    ]
    if by_saved is by_arrival or times[by_saved.file_name].received == times[by_arrival.file_name].received:
        chosen, rule = by_saved, "最終保存日時が最も新しいものを採用"
        if wrong_clocks:
            rule = "最終保存日時（信頼できないものは受付日時）が最も新しいものを採用"
    else:
        doubts.append(
            f"最終保存日時では {by_saved.file_name}（保存 {shown(times[by_saved.file_name].best)}、"
            f"受付 {shown(times[by_saved.file_name].received)}）、受付日時では {by_arrival.file_name}"
            f"（保存 {shown(times[by_arrival.file_name].saved)}、受付 {shown(times[by_arrival.file_name].received)}）"
            "が新しく、食い違っています"
        )
        if by_saved.has_errors and not by_arrival.has_errors:
            chosen, rule = by_arrival, "日時が食い違うため、エラーのない方（受付日時が新しい方）を採用"
        elif by_arrival.has_errors and not by_saved.has_errors:
            chosen, rule = by_saved, "日時が食い違うため、エラーのない方（最終保存日時が新しい方）を採用"
        else:
            chosen, rule = by_saved, "日時が食い違うため、ブックの最終保存日時が新しい方を採用"
    return Decision(chosen.file_name, rule, "。".join(doubts), candidates=everyone)


# --- the secretariat's choices file --------------------------------------------------------------

def choices_path(returns_dir: Path, year: int) -> Path:
    """Beside the year's inbox, not in it: collect takes every file in the inbox as a return."""
    return returns_dir / f"{year}_採用の指定.toml"


def choice_line(department: str, file_name: str) -> str:
    """The line that makes `file_name` the department's return."""
    escaped = file_name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{department}" = "{escaped}"'


def load_choices(path: Path) -> dict[str, str]:
    """department code → the inbox file name the secretariat chose. A missing file chooses nothing."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"採用の指定ファイル {path} を読めません（{exc}）。UTF-8 のテキストとして保存し直してください。") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(
            f"採用の指定ファイル {path} の {toml_syntax_problem(exc)}"
            '1行に "部署コード" = "ファイル名" の形で書いてください。'
        ) from None
    wrong = [key for key, value in data.items() if not isinstance(value, str)]
    if wrong:
        raise UsageError(
            f"採用の指定ファイル {path} の「{wrong[0]}」の値がファイル名（\"…\" で囲んだ文字）ではありません。"
        )
    return {str(key).strip(): value.strip() for key, value in data.items()}
