"""After collect: the year's return packets and reminder list, made and staged together with collect's
own outputs (pipeline.usecases.collect_year)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.collect.returns import CollectResult
from pipeline.config import Config
from pipeline.files import Staging
from pipeline.followup.packets import PacketsResult, stage_packets
from pipeline.followup.reminders import Reminder, reminder_list_name, reminder_workbook, reminders
from pipeline.plan import Department, YearPlan
from pipeline.vocabulary import MISSING

# --- after a collect run -------------------------------------------------------------------------------

@dataclass
class FollowupResult:
    packets: PacketsResult
    reminder_list: Path
    reminders: list[Reminder]
    missing: list[Department]
    notes: list[str] = field(default_factory=list)     # what the secretariat should know (a packet not made, …)

    def summary_lines(self) -> list[str]:
        """What collect prints after its own summary; the last line names the missing departments."""
        lines = []
        if self.packets.written:
            lines.append(f"  {self.packets.folder}/ （差し戻しファイル {len(self.packets.written)} 件）")
        lines.append(f"  {self.reminder_list}")
        lines.append(missing_line(self.missing))
        return lines


def missing_line(missing: list[Department]) -> str:
    if not missing:
        return "未提出の部署はありません。"
    return f"未提出 {len(missing)} 部署: " + "、".join(f"{d.name}（{d.code}）" for d in missing)


def stage_followup(
    plan: YearPlan, config: Config, result: CollectResult, staging: Staging,
    progress: Callable[[int, int, str], None] | None = None,
    today: dt.date | None = None,
    inline: bool = False,
) -> FollowupResult:
    """Make the year's return packets and its reminder list for output/<year>/ and stage them."""
    today = today or dt.date.today()
    packets = stage_packets(plan, config, result, staging, progress=progress, inline=inline, today=today)
    notes = [f"{plan.department_name(code)}（{code}）の差し戻しファイルを作れませんでした: {why}"
             for code, why in sorted(packets.refused.items())]
    unknown = sorted(set(config.department_contacts) - set(plan.department_by_code))
    if unknown:
        notes.append(f"設定 [department_contacts] の部署コード {', '.join(unknown)} は計画にありません。")
    items = reminders(plan, config, result, packets, today)
    path = staging.stage(config.output_for(result.year) / reminder_list_name(result.year),
                         reminder_workbook(plan, config, result.year, items, today, notes))
    missing = [r.department for r in items if r.status == MISSING]
    return FollowupResult(packets, path, items, missing, notes)
