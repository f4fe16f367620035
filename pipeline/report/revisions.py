"""The plan's changes that took effect in the report's year (追加・終了・変更・対象外), each with its reason, as
the plan held them (`Plan.for_year(year).changes`). The charter allows its initiatives to change as the work
goes on; the committee sees what changed, and why, in the year it changed."""

from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH

from pipeline.fiscal import fiscal_year_label
from pipeline.plan import ADDED, ENDED, EXCLUDED, REVISED
from pipeline.report import style
from pipeline.report.writer import ReportWriter

MEANING = {
    ADDED: "この年度から実施",
    ENDED: "前年度で終了",
    REVISED: "この年度から内容・担当部署を変更",
    EXCLUDED: "この年度は評価の対象外",
}


def write_changes(w: ReportWriter, dash: str) -> None:
    """The year's changes of the plan: a caption and a table, or one sentence when there are none."""
    year, changes = w.year, w.plan.changes
    w.para(f"【{fiscal_year_label(year)}の計画の変更】", style.CAPTION, keep_with_next=True)
    if not changes:
        w.para(f"{fiscal_year_label(year)}に効力を生じた計画の変更（取組の追加・終了・変更、対象外の取組項目）はありません。")
        return
    w.para("計画の「具体的な取組は、進捗状況に応じて、変更や追加等、柔軟に対応する」との定めにより、"
           f"{fiscal_year_label(year)}から効力を生じた変更は次のとおりです。", keep_with_next=True)
    t = w.table((1.2, 1.0, 1.2, 4.1, 3.0))
    w.row(t, ("区分", "管理番号", "取組ID", "具体的な取組（取組項目）", "理由"), header=True)
    center = {0: WD_ALIGN_PARAGRAPH.CENTER, 1: WD_ALIGN_PARAGRAPH.CENTER, 2: WD_ALIGN_PARAGRAPH.CENTER}
    for change in changes:
        w.row(t, (f"{change.kind}\n（{MEANING[change.kind]}）", change.item_code, change.initiative_id or dash,
                  change.text, change.reason or dash), align=center, split=True)
    w.keep_together(t)
