"""Stage: the Word report (進捗状況報告書) for the 行財政改革推進委員会, from the year's report data.

`ReportDocument` writes the report from the year's `ReportData` and `save` gives the .docx bytes, writing
no file: the same data and date give the same bytes (fixed document timestamps, no random IDs, no revision
numbers). The report command's use case, `pipeline.report.usecase.make_report`, writes it with the public
table, the web page and, through LibreOffice, the PDF.

The body mirrors the charter's layout: 1 the plan and how progress is managed, 2 計画の体系 with the
year's 自己評価 and an overview, 3 具体的な取組 per section, pillar and item in the charter's own table,
followed by the year's progress, 4 参考指標一覧; then the report's own 5 委員会意見への対応
(`pipeline.report.committee`), and 6 計画期間の総括 (in earlier years 計画期間の推移, `pipeline.report.summary`).
Every text from a return is a plain run, with the characters XML forbids removed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cached_property

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH

from pipeline.files import made_on
from pipeline.fiscal import fiscal_year_label, format_date_ja
from pipeline.plan import ActionItem, Indicator, Initiative
from pipeline.report import achievement, charts, committee, style, summary, wordml
from pipeline.report.builder import TocLine, text_of
from pipeline.report.data import YearState
from pipeline.report.overview import NOT_SUBMITTED
from pipeline.report.revisions import write_changes
from pipeline.report.texts import (
    DASH,
    actual_text,
    baseline_text,
    grade_text,
    progress_answer,
    quantity,
    rate_text,
    reason_text,
    remark,
)
from pipeline.report.writer import ReportWriter
from pipeline.values import format_number
from pipeline.vocabulary import PENDING, PENDING_SENT_BACK, PENDING_SENT_BACK_CELL, RETURNED, WITH_ERRORS

REPORT_NAME = "進捗状況報告書"
SUBMITTED = "提出済み"
SUBTLE_FILL = "F2F2F2"     # the initiative rows of a progress table
TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'
TOC_PLACEHOLDER = "目次を表示するには、ここを右クリックして「フィールド更新」を選んでください。"


class ReportDocument(ReportWriter):
    """The whole report, chapter by chapter (chapters 5 and 6 in `committee` and `summary`)."""

    def save(self) -> bytes:
        plan = self.plan
        stamp = made_on(self.today)
        props = self.doc.core_properties
        props.title = f"{plan.title} {REPORT_NAME}（{fiscal_year_label(self.year)}実績）"
        props.subject = f"{plan.committee}への報告" if plan.committee else REPORT_NAME
        props.author = self.config.secretariat.name
        props.last_modified_by = self.config.secretariat.name
        props.keywords = "行財政改革;進捗状況;参考指標"
        props.comments = ""
        props.created = stamp
        props.modified = stamp
        return self.package(stamp)

    # --- the whole report -----------------------------------------------------------------------
    def write(self, toc: Sequence[TocLine] | None) -> None:
        _ = self.charts_by_item    # drawn first, while this process is small: its chart workers fork quickly
        self.cover()
        self.contents(toc)
        self.part1()
        self.part2()
        self.part3()
        self.part4()
        self.part5()
        self.part6()

    def cover(self) -> None:
        plan, year = self.plan, self.year
        self.para(f"{plan.title}\n{REPORT_NAME}", "Title")
        self.para(f"{fiscal_year_label(year)}実績", "Subtitle")
        for _ in range(8):
            self.para("", style.COVER)
        self.para(format_date_ja(self.today), style.COVER)
        self.para(plan.city, style.COVER)
        if self.config.secretariat.name:
            self.para(f"（事務局　{self.config.secretariat.name}）", style.COVER)

    def contents(self, toc: Sequence[TocLine] | None) -> None:
        self.para("目次", "TOC Heading")
        lines = list(toc or [])
        if not lines:
            p = self.doc.add_paragraph(style=self.styles["Normal"])
            wordml.field(p._p, TOC_INSTRUCTION, TOC_PLACEHOLDER)
            return
        for n, line in enumerate(lines):
            p = self.doc.add_paragraph(style=self.styles[f"toc {min(max(line.level, 1), 3)}"])
            if n == 0:
                wordml.field_start(p._p, TOC_INSTRUCTION)
            p.add_run(text_of(line.text))
            p.add_run("\t")
            p.add_run(text_of(line.page))
            if n == len(lines) - 1:
                wordml.field_end(p._p)

    # --- 1 the plan and how progress is managed --------------------------------------------------
    def part1(self) -> None:
        plan, cfg, year, data = self.plan, self.config, self.year, self.data
        start, end = plan.period_start, plan.period_end
        self.heading(f"1 {plan.title}について", 1)

        self.heading("(1) 計画期間と本報告書", 2)
        issued = f"（{plan.issued}策定）" if plan.issued else ""
        self.para(
            f"{plan.title}{issued}の計画期間は、{fiscal_year_label(start)}から{fiscal_year_label(end)}までの"
            f"{end - start + 1}年間です。本報告書は、計画期間の{year - start + 1}年度目にあたる"
            f"{fiscal_year_label(year)}の取組の進捗状況を取りまとめたものです。"
        )

        self.heading("(2) 進捗管理の方法", 2)
        committee_name = self.committee_name
        self.para(
            f"行動計画における各取組は、年度ごとに進捗状況を取りまとめ、{committee_name}に報告して意見を求めます。"
            "同委員会の意見は、その後の取組の強化や見直しに活かします。"
            f"意見への各部署の対応状況と、同委員会が紹介した優良事例は、5 {committee.CHAPTER}に示します。"
            "また、各取組の進捗状況は、広報紙やホームページなどを通じて公表します。"
        )
        self.para("進捗状況は、毎年度、次の手順で取りまとめます。")
        steps = (
            f"年度の終了後、事務局（{cfg.secretariat.name}）が、各部署に担当する取組項目の進捗状況調査票（Excel）を"
            f"送付します。{fiscal_year_label(year)}分の提出期限は{format_date_ja(cfg.deadline(year))}です。",
            "各部署は、具体的な取組ごとに進捗状況・取組実績・課題・次年度の予定を記入します。"
            "取組項目の主担当課（担当部署の最初の課）は、取組項目の自己評価とその理由、参考指標の実績を記入します。"
            f"{committee_name}の意見のうち対応が完了していないものには、担当部署が対応状況と対応内容を記入します。",
            "事務局は、返送された調査票を点検し、誤りがあれば差し戻して修正を求め（差し戻し）、"
            "提出のない部署には提出を依頼します（督促）。",
            f"取りまとめた結果を本報告書にまとめて{committee_name}に報告し、参考指標の一覧は"
            "Excel形式・CSV形式でも公表します。",
        )
        for mark, text in zip("①②③④", steps, strict=True):
            self.para(f"{mark} {text}", style.LIST_ITEM)

        self.heading("(3) 進捗状況と自己評価の区分", 2)
        self.para("具体的な取組ごとに、担当部署が次の区分で進捗状況を記入します。", keep_with_next=True)
        t = self.table((1, 4))
        self.row(t, ("進捗状況", "意味"), header=True)
        for choice in cfg.progress_choices:
            self.row(t, (choice.label, choice.description), labels=(0,))
        self.keep_together(t)
        self.para("")
        self.para("取組項目ごとに、主担当課が次の区分で自己評価を行います。", keep_with_next=True)
        t = self.table((1, 4))
        self.row(t, ("自己評価", "意味"), header=True)
        for grade in cfg.grades:
            self.row(t, (grade.choice, grade.description), labels=(0,))
        self.keep_together(t)

        self.heading("(4) 参考指標の達成率と判定", 2)
        self.para("各取組項目の参考指標は、次の式で達成率を算定し、判定しています。")
        for text in achievement.METHOD:
            self.para(f"・{text}", style.LIST_ITEM)
        t = self.table((1, 4))
        self.row(t, ("判定", "基準"), header=True)
        for label, meaning in achievement.JUDGEMENTS:
            self.row(t, (label, meaning), labels=(0,))
        self.keep_together(t)
        self.para(
            f"実績の報告がない指標は、{NOT_SUBMITTED}（調査票の提出がない）、{PENDING}（差し戻し中）"
            f"または「{DASH}」（実績なし）と表示しています。", style.NOTE,
        )

        self.heading("(5) 調査票の提出状況", 2)
        own = data.transcribed.get(year)
        if own is not None:     # a year done by hand: no workbook was sent by this tool
            self.para(f"{fiscal_year_label(year)}の進捗状況は、このツールを使う前に手作業で調査・報告したため、"
                      f"その年度の報告書から転記したものです（{own.source}）。部署ごとの調査票の提出状況はありません。")
            return
        departments = self.plan.surveyed_departments()
        status = {d.code: data.current.status(d.code) for d in departments}
        returned = [d for d in departments if status[d.code] == RETURNED]
        pending = [d for d in departments if status[d.code] == WITH_ERRORS]
        missing = [d for d in departments if status[d.code] not in (RETURNED, WITH_ERRORS)]
        text = f"{fiscal_year_label(year)}の調査票は{len(departments)}部署に送付し、" + (
            f"{len(returned)}部署から提出がありました。" if returned else "提出のあった部署はありません。")
        if pending:
            text += (f"{'、'.join(d.name for d in pending)}の調査票は誤りがあり差し戻し中のため、"
                     f"その内容を「{PENDING_SENT_BACK}」としています。")
        if missing:
            text += (f"{'、'.join(d.name for d in missing)}からは提出がなく、"
                     f"該当する欄を「{NOT_SUBMITTED}」としています。")
        self.para(text, keep_with_next=True)
        t = self.table((2, 1.6, 4.4))
        self.row(t, ("部署", "提出状況", "担当する取組項目（管理番号）"), header=True)
        for d in departments:
            items = "、".join(i.code for i in plan.items_for(d.code))
            self.row(t, (d.name, _status_text(status[d.code]), items), labels=(0,),
                     align={1: WD_ALIGN_PARAGRAPH.CENTER})
        self.keep_together(t)
        for text in summary.transcribed_paragraphs(data):     # earlier years done by hand, named with their source
            self.para(text)

    # --- 2 計画の体系 and the overview --------------------------------------------------------------
    def part2(self) -> None:
        plan, year, data = self.plan, self.year, self.data
        self.heading("2 計画の体系", 1)
        self.para(
            f"大綱の取組方針（{len(plan.sections)}つの取組と{len(plan.pillars)}つの柱）と"
            f"行動計画の取組項目（{len(plan.items)}項目）の体系、及び各取組項目の{year}年度の自己評価です。"
        )
        t = self.table((2.2, 2.8, 1.1, 4.2, 1.6))
        self.row(t, ("取組方針", "柱", "管理番号", "取組項目", f"自己評価\n（{year}年度）"), header=True)
        for section in plan.sections:
            section_rows = []
            for pillar in plan.pillars_of(section):
                pillar_rows = []
                for item in plan.items_of(pillar):
                    grade = self.grade_text(item, data.current, short=True)
                    r = self.row(t, ("", "", item.code, item.title, grade), labels=(0, 1),
                                 align={2: WD_ALIGN_PARAGRAPH.CENTER, 4: WD_ALIGN_PARAGRAPH.CENTER})
                    pillar_rows.append(r)
                if pillar_rows:
                    self.vmerge(t, pillar_rows, 1, pillar.label)
                    section_rows.extend(pillar_rows)
            if section_rows:
                self.vmerge(t, section_rows, 0, section.label)
        self.keep_together(t)

        self.heading(f"(1) 取組項目の自己評価の状況（{year}年度）", 2)
        self.grade_overview()
        self.heading(f"(2) 具体的な取組の進捗状況（{year}年度）", 2)
        self.progress_overview()

    # --- 3 具体的な取組 ------------------------------------------------------------------------------
    def part3(self) -> None:
        plan, year = self.plan, self.year
        self.heading("3 具体的な取組", 1)
        self.para(
            "各取組項目について、計画の内容（管理番号・取組項目・担当部署・アウトカム・現状・課題・具体的な取組）と、"
            f"{fiscal_year_label(year)}の進捗状況、自己評価、参考指標の実績を示します。"
        )
        if plan.dx_note:
            self.para(f"（{plan.dx_note}）", style.NOTE)
        write_changes(self, DASH)
        for section in plan.sections:
            self.heading(section.label, 2)
            for pillar in plan.pillars_of(section):
                self.heading(pillar.label, 3)
                for item in plan.items_of(pillar):
                    self.item(item)

    def item(self, item: ActionItem) -> None:
        plan, year = self.plan, self.year
        self.heading(f"{item.code} {item.title}", 4)
        # the charter's own table
        t = self.table((1.6, 0.9, 1.3, 3.7, 1.1, 1.4))
        first_row = self.row(t, ("管理番号", item.code, "取組項目", item.title, "前期計画",
                                 " ".join(item.previous_plan)),
                             labels=(0, 2, 4), align={1: WD_ALIGN_PARAGRAPH.CENTER, 5: WD_ALIGN_PARAGRAPH.CENTER})
        wordml.repeat_as_header(first_row.tr)
        blocks = [
            ("担当部署", [self.departments_text(item.departments, False) + (" ほか" if item.departments_etc else "")]),
            ("アウトカム\n(達成後の状態)", [(style.TABLE_BULLET, f"➤ {o}") for o in item.outcomes]),
            ("現状・課題", [(style.TABLE_BULLET, f"➤ {s}") for s in item.issues] + (["など"] if item.issues_etc else [])),
            (item.initiatives_label, [
                (style.TABLE_BULLET, f"➤ {ini.display_text}（{self.departments_text(ini.departments, ini.departments_etc)}）")
                for ini in item.initiatives
            ]),
        ]
        for label, lines in blocks:
            r = self.row(t, (label, "", "", "", "", ""), labels=(0,))
            self.merge(r, 1, 5, lines)
        self.keep_together(t)

        # the year's progress
        state = self.data.current
        excluded = item.excluded_in(year)
        if excluded:
            self.para(f"【{fiscal_year_label(year)}の進捗状況】", style.CAPTION)
            self.para(f"この取組項目は、{fiscal_year_label(year)}は評価の対象外です（理由: {excluded.reason}）。")
            return
        self.para(f"【{fiscal_year_label(year)}の進捗状況】", style.CAPTION)
        t = self.table((1.7, 1.1, 2.9, 2.15, 2.15))
        self.row(t, ("担当部署", "進捗状況", "取組実績", "課題", "次年度の予定"), header=True)
        for n, ini in enumerate(item.initiatives, 1):
            r = self.row(t, ("", "", "", "", ""))
            departments = self.departments_text(ini.departments, ini.departments_etc)
            merged = self.merge(r, 0, 4, f"取組{n}　{ini.display_text}（{departments}）", fill=SUBTLE_FILL)
            for p in merged.p_lst:
                wordml.keep_with_next(p)   # the initiative's title stays with its answers
            for dept in ini.departments:
                self.progress_row(t, state, ini, dept)

        # 自己評価
        self.para(f"【自己評価（主担当課: {plan.department_name(item.lead)}）】", style.CAPTION)
        t = self.table((1.6, 8.4))
        self.row(t, ("自己評価", "評価の理由"), header=True)
        self.row(t, (self.grade_text(item, state), self.reason_text(item, state)),
                 align={0: WD_ALIGN_PARAGRAPH.CENTER}, split=True)

        if item.indicator:
            self.indicator_block(item.indicator)

    def progress_row(self, table, state: YearState, ini: Initiative, dept: str) -> None:
        name = self.plan.department_name(dept)
        center = {1: WD_ALIGN_PARAGRAPH.CENTER}
        progress, texts = progress_answer(state, ini, dept)
        if isinstance(texts, str):      # no answer to show: why, across the three columns
            r = self.row(table, (name, progress, "", "", ""), labels=(0,), align=center)
            self.merge(r, 2, 4, texts)
            return
        self.row(table, (name, progress, *(t or DASH for t in texts)), labels=(0,), align=center, split=True)

    def grade_text(self, item: ActionItem, state: YearState, short: bool = False) -> str:
        return grade_text(self.config, self.grade_key(item, state), short=short)

    def reason_text(self, item: ActionItem, state: YearState) -> str:
        return reason_text(self.plan, self.year, item, state, self.grade_key(item, state))

    # --- indicators --------------------------------------------------------------------------------
    def indicator_block(self, ind: Indicator) -> None:
        year, data = self.year, self.data
        result = data.achievements[ind.item_code]
        self.para(f"【参考指標（報告: {self.plan.department_name(ind.reporter)}）】", style.CAPTION)
        t = self.table((3.0, 1.5, 1.5, 1.7, 1.2, 1.1))
        self.row(t, ("参考指標", f"基準値\n（{ind.baseline_year}年度）", f"目標値\n（{ind.target_year}年度）",
                     f"実績\n（{year}年度）", "達成率", "判定"), header=True)
        actual = self.actual_text(ind, year)
        if ind.cumulative and result.value is not None:
            actual += f"\n（累計 {quantity(result.value, ind.unit)}）"
        right = {i: WD_ALIGN_PARAGRAPH.CENTER for i in range(1, 6)}
        self.row(t, (ind.name, baseline_text(ind), ind.target_shown, actual, rate_text(result),
                     self.judgement_text(ind, result)), align=right)
        note = [f"算定式: {result.formula}"]
        if result.expected is not None and result.rate is not None and result.judgement not in (achievement.ACHIEVED,
                                                                                              achievement.NOT_ACHIEVED):
            note.append(f"{result.value_year}年度の見込みの達成率 {format_number(result.expected)}%")
        if result.note:
            note.append(result.note)
        if ind.baseline_marked:
            note.append(f"基準値は{ind.baseline_year}年度の数値です。")
        r = self.row(t, ("", "", "", "", "", ""))
        self.merge(r, 0, 5, "備考: " + "　".join(note))
        self.keep_together(t)
        self.indicator_course(ind)

    def indicator_course(self, ind: Indicator) -> None:
        """The indicator's course over the period so far: its numbers in a table, then the same as a chart
        (whose text alternative says them again)."""
        years = [y for y in self.plan.years if y <= self.year]
        t = self.table([2.0, 1.9, *[1.4] * len(years), 1.9])
        self.row(t, ("区分", f"基準値\n（{ind.baseline_year}年度）", *[f"{y}年度" for y in years],
                     f"目標値\n（{ind.target_year}年度）"), header=True)
        center = {i: WD_ALIGN_PARAGRAPH.CENTER for i in range(1, len(years) + 3)}    # every figure, the target too
        self.row(t, (f"実績（{ind.unit}）", baseline_text(ind), *[self.actual_text(ind, y) for y in years],
                     ind.target_shown), labels=(0,), align=center)
        running = self.data.figures[ind.item_code].running       # from assess: the one computation
        if ind.cumulative:
            totals = [quantity(running[y], ind.unit) if y in running else DASH for y in years]
            self.row(t, ("累計", DASH, *totals, ind.target_shown), labels=(0,), align=center)
        self.keep_together(t)
        figure = self.charts_by_item[ind.item_code]
        self.picture(figure.png, charts.WIDTH_CM, figure.alt, figure.title)

    @cached_property
    def charts_by_item(self) -> dict[str, charts.Figure]:
        """Every indicator's chart, drawn once (on all cores when there are many)."""
        return charts.draw_charts(self.plan.indicators, self.data.actuals, list(self.plan.years), self.year,
                                        workers=self.config.workers,
                                        memory_bytes=self.config.limits.worker_memory_bytes, svg=self.svg_charts)

    def actual_text(self, ind: Indicator, year: int) -> str:
        return actual_text(self.data.figures[ind.item_code], year)

    def judgement_text(self, ind: Indicator, result: achievement.Achievement) -> str:
        return self.data.figures[ind.item_code].judgement

    # --- 4 参考指標一覧 ------------------------------------------------------------------------------
    def part4(self) -> None:
        plan, year, data = self.plan, self.year, self.data
        section = self.doc.add_section()
        section.orientation = WD_ORIENT.LANDSCAPE
        width, height = section.page_width, section.page_height
        if width < height:
            section.page_width, section.page_height = height, width
        section.different_first_page_header_footer = False
        landscape_width = int(section.page_width - section.left_margin - section.right_margin) // 635

        self.heading("4 各取組項目の参考指標一覧", 1, page_break=False)
        self.para(
            "各取組項目の進行を管理・点検するための「物差し」として設定した参考指標の、"
            f"{fiscal_year_label(year)}までの実績と達成率です。"
        )
        indicators = plan.indicators
        base_year = Counter(i.baseline_year for i in indicators if not i.baseline_marked).most_common(1)
        target_year = Counter(i.target_year for i in indicators).most_common(1)
        by = base_year[0][0] if base_year else plan.period_start - 1
        ty = target_year[0][0] if target_year else plan.period_end
        years = [y for y in plan.years if y <= year]
        t = self.table([1.0, 2.4, 2.6, 1.1, 1.1] + [1.0] * len(years) + [1.0, 0.9, 2.2], landscape_width)
        self.row(t, ["管理番号", "取組項目", "参考指標", f"{by}年度\n(基準)", f"{ty}年度\n(目標)",
                     *[f"{y}年度\n実績" for y in years], "達成率", "判定", "備考"], header=True)
        center = {i: WD_ALIGN_PARAGRAPH.CENTER for i in [0, *range(3, 5 + len(years) + 2)]}
        for ind in indicators:
            item = plan.item_by_code[ind.item_code]
            result = data.figures[ind.item_code].achievement     # the public table's figures (data.py)
            base = baseline_text(ind) + ("" if ind.baseline_year == by or ind.baseline_marked
                                         else f"\n({ind.baseline_year}年度)")
            target = ind.target_shown + ("" if ind.target_year == ty else f"\n({ind.target_year}年度)")
            self.row(t, [ind.item_code, item.title, ind.name, base, target,
                         *[self.actual_text(ind, y) for y in years],
                         rate_text(result), self.judgement_text(ind, result), self.remark(ind, result)],
                     align=center)
        notes = []
        if plan.baseline_note:
            notes.append(f"注）{plan.baseline_note}")
        notes.append(f"達成率の算定方法と判定の基準は、1(4)のとおりです。「{DASH}」は実績・達成率がないことを示します。")
        notes.append(f"{NOT_SUBMITTED}: 調査票の提出がない。{PENDING}: 調査票の差し戻し中。")
        missing_years = [y for y in years if y not in data.rosters]
        if missing_years:
            notes.append(f"{'・'.join(f'{y}年度' for y in missing_years)}の回答はデータベースにないため「{DASH}」としています。")
        for n in notes:
            self.para(n, style.NOTE)

    def remark(self, ind: Indicator, result: achievement.Achievement) -> str:
        return remark(ind, result)

    # --- 5 委員会意見への対応 (on the indicator list's landscape pages: its table is as wide) -----------
    def part5(self) -> None:
        section = self.doc.sections[-1]
        width = int(section.page_width - section.left_margin - section.right_margin) // 635   # EMU → twips
        committee.write_chapter(self, 5, width=width, dash=DASH, group_fill=SUBTLE_FILL)

    # --- 6 計画期間の総括 / 推移 (after the committee's chapter: it closes the report; also landscape) ----
    def part6(self) -> None:
        section = self.doc.sections[-1]
        width = int(section.page_width - section.left_margin - section.right_margin) // 635   # EMU → twips
        summary.write_chapter(self, 6, width=width, dash=DASH)


def _status_text(status: str) -> str:
    return {RETURNED: SUBMITTED, WITH_ERRORS: PENDING_SENT_BACK_CELL}.get(status, NOT_SUBMITTED)
