"""Stage 1: the survey workbooks (調査票), one per department, from the plan.

`build_workbook` makes one workbook's bytes and touches no file; `write_templates` writes the year's
folder and refuses to overwrite a workbook someone may be editing unless told to.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from pipeline import isolation
from pipeline.config import Config
from pipeline.errors import NOTHING_CHANGED, AlreadyExistsError, PipelineError, UsageError, our_failure
from pipeline.files import Staging, same_on_every_system, write_new
from pipeline.fiscal import fiscal_year_label, fiscal_year_short, format_date_ja
from pipeline.plan import ActionItem, Department, Indicator, Plan, YearPlan
from pipeline.records.opinions import OpinionState, item_title
from pipeline.records.year import Answer, Evaluation
from pipeline.sheets import layout
from pipeline.sheets.look import (
    LINE_HEIGHT,
    Look,
    identity_sheet,
    label_rows,
    length_rule,
    meanings_table,
    print_setup,
)
from pipeline.sheets.properties import describe_workbook
from pipeline.store import Store
from pipeline.textwidth import wrapped_lines
from pipeline.values import format_number
from pipeline.vocabulary import MISSING, ResponseStatus
from pipeline.year_ask import YearAsk, load_year_ask

# column widths (in characters) of an item sheet: A key, B 具体的な取組, C 担当部署, D 進捗状況, E-G inputs
ITEM_WIDTHS = (14, 44, 16, 12, 40, 30, 30)
PREVIOUS_WIDTH = 40


@dataclass(frozen=True)
class History:
    """What the store holds from earlier years, shown read-only so nobody re-types it (carry-over)."""

    previous_year: int
    answers: dict[tuple[str, str], Answer]       # (initiative, department) → last year's answer
    roster: dict[str, str]                       # department → last year's status
    evaluations: dict[str, Evaluation]           # item → last year's self-evaluation
    actuals: dict[tuple[int, str], float]        # (year, item) → that year's own figure, years before this one


def load_history(config: Config, year: int) -> History | None:
    """Last year's answers from the store, or None when the store has not collected that year."""
    if not config.store_path.exists():
        return None
    with Store(config.store_path, readonly=True) as store:
        if not store.has_year(year - 1):
            return None
        return History(
            previous_year=year - 1,
            answers=store.answers(year - 1),
            roster=store.roster(year - 1),
            evaluations=store.evaluations(year - 1),
            actuals={k: v for k, v in store.actuals().items() if k[0] < year},
        )


@dataclass(frozen=True)
class WrittenTemplate:
    department: Department
    path: Path
    items: tuple[str, ...]
    template_id: str


@dataclass
class TemplatesResult:
    year: int
    folder: Path
    written: list[WrittenTemplate] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)   # workbooks of departments the year no longer asks
    history: History | None = None
    ask: YearAsk | None = None          # the committee's open opinions and good practices shown this year


def template_file_name(plan: Plan, year: int, department: Department) -> str:
    """'R06_2024年度_05_情報政策課_進捗状況調査票.xlsx' — the year (和暦 too), the code and the name."""
    return f"{fiscal_year_short(year)}_{year}年度_{department.code}_{department.name}_進捗状況調査票.xlsx"


def write_templates(
    plan: Plan, config: Config, year: int, *, force: bool = False,
    departments: list[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> TemplatesResult:
    """Write the year's workbooks into templates/<year>/; refuse to overwrite without `force`."""
    plan = plan.for_year(year)     # only the initiatives in force that year, as they stood
    unknown = [d for d in departments or () if d not in plan.department_by_code]
    if unknown:
        raise UsageError(f"DEPT=（--department）の部署コード {', '.join(unknown)} は計画にありません。"
                         "計画の部署コード（make plan-export で書き出す計画マスタの部署シート）を指定してください。")
    folder = config.templates_for(year)
    targets = [d for d in plan.surveyed_departments() if departments is None or d.code in departments]
    paths = [(d, folder / template_file_name(plan, year, d)) for d in targets]
    stale: list[Path] = []
    if departments is None:
        # the year's whole set: a workbook left from before a revision (a department with nothing in force
        # this year) must not be sent out by mistake; it goes with --force like any other
        asked = {d.code for d in targets}
        stale = [p for d in plan.departments if d.code not in asked
                 for p in [folder / template_file_name(plan, year, d)] if p.exists()]
    existing = [p for _, p in paths if p.exists()] + stale
    if existing and not force:
        names = "、".join(p.name for p in existing[:3]) + (" ほか" if len(existing) > 3 else "")
        dept = f" DEPT={','.join(departments)}" if departments else ""
        raise AlreadyExistsError(
            f"{folder} に調査票が既にあります（{names}、{len(existing)}件）。記入中のファイルを守るため上書きしません。"
            f"作り直すときは make templates YEAR={year} FORCE=1{dept} を実行してください（コマンドでは --force）。"
        )
    result = TemplatesResult(year, folder, history=load_history(config, year), ask=load_year_ask(plan, config, year),
                             removed=stale)
    _init_writer(plan, config, year, result.history, result.ask)
    written: dict[str, WrittenTemplate] = {}
    with Staging() as staging:
        for stale in result.removed:
            staging.remove_on_publish(stale)
        # each workbook is written to its temporary name by whoever builds it; all are put in place together
        jobs = [(d.code, str(p), str(staging.temporary(p))) for d, p in paths]
        if len(jobs) < PARALLEL_FROM:
            results = isolation.run_inline(_write_one, jobs)
        else:
            # every workbook is independent: write them on all cores (the workers inherit the plan at fork,
            # with its digest and indexes worked out once)
            plan.work_out()
            results = isolation.run_isolated(_write_one, jobs, workers=config.workers,
                                             memory_bytes=config.limits.worker_memory_bytes, timeout=None)
        try:
            for n, ((code, path, _), outcome) in enumerate(results, 1):
                if isinstance(outcome, isolation.WorkerFailure):
                    if outcome.kind == "error":
                        raise our_failure(outcome.error, outcome.detail, doing=f"調査票 {Path(path).name} の作成中")
                    raise PipelineError(f"調査票 {Path(path).name} を書けませんでした（{outcome.detail}）。{NOTHING_CHANGED}")
                department = plan.department_by_code[code]
                written[code] = WrittenTemplate(
                    department, Path(path), tuple(i.code for i in plan.items_for(code)),
                    layout.template_id(plan.id, plan.digest, year, code),
                )
                if progress:
                    progress(n, len(jobs), Path(path).name)
        finally:
            results.close()
        staging.publish()   # one flush for the year's workbooks instead of one fsync per file, then the renames
    result.written = [written[code] for code, _, _ in jobs]
    return result


# Below this many workbooks, starting worker processes costs more than it saves.
PARALLEL_FROM = 40
_WRITER: dict[str, object] = {}


def _init_writer(plan: Plan, config: Config, year: int, history: History | None, ask: YearAsk | None) -> None:
    _WRITER.update(plan=plan, config=config, year=year, history=history, ask=ask)


def _write_one(job: tuple[str, str, str]) -> tuple[str, str, str]:
    code, path, temporary = job
    plan = _WRITER["plan"]
    data = build_workbook(plan, _WRITER["config"], _WRITER["year"], plan.department_by_code[code], _WRITER["history"],
                          ask=_WRITER["ask"])
    write_new(Path(temporary), same_on_every_system(data), target=Path(path))   # made durable at once, and put in place, when all are written
    return job


# Answers to put in the input cells instead of blanks: (sheet, key in column A, field) → value.
# For the demo and the benchmark (a filled return written as fast as a template); never for templates sent out.
Prefill = Mapping[tuple[str, str, str], object]


def build_workbook(plan: YearPlan, config: Config, year: int, department: Department,
                   history: History | None = None, *, prefill: Prefill | None = None,
                   ask: YearAsk | None = None) -> bytes:
    """One department's workbook for `year`, as bytes. The same inputs give the same bytes.

    With `history`, last year's answers stand read-only beside the inputs, and the indicator shows
    the earlier years' figures (the running total for 延べ). With `ask`, a sheet asks the department about
    the committee's open opinions addressed to it, and one shows the good practices to share.
    With `prefill`, the inputs hold those answers."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {
        "in_memory": True,
        # text from the plan must never become a formula or a link
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    writer = _WorkbookWriter(wb, plan, config, year, department, history, prefill, ask)
    writer.write()
    wb.close()
    return buffer.getvalue()


class _WorkbookWriter:
    def __init__(self, wb: xlsxwriter.Workbook, plan: Plan, config: Config, year: int, department: Department,
                 history: History | None = None, prefill: Prefill | None = None, ask: YearAsk | None = None):
        self.wb, self.plan, self.config, self.year, self.department = wb, plan, config, year, department
        self.history = history
        self.ask = ask or YearAsk(year)
        self.prefill = prefill or {}
        self.items = plan.items_for(department.code)
        self.template_id = layout.template_id(plan.id, plan.digest, year, department.code)
        self.look = Look(wb)

    # --- the whole workbook -------------------------------------------------------------------------
    def write(self) -> None:
        wb, plan, year = self.wb, self.plan, self.year
        describe_workbook(
            wb, year=year, title=f"{fiscal_year_label(year)} {plan.title} 進捗状況調査票（{self.department.name}）",
            subject="行財政改革 進捗状況調査", author=self.config.secretariat.name, company=plan.city,
            comments=f"調査票ID {self.template_id}", identity=self._identity(),
        )
        self._guide_sheet()
        for item in self.items:
            self._item_sheet(item)
        asked = self.ask.of(self.department.code)
        if asked:
            self._opinions_sheet(asked)
        if self.ask.practices:
            self._practices_sheet()
        self._identity_sheet()

    def _identity(self) -> dict[str, str]:
        identity = {
            layout.ID_SCHEMA: layout.SCHEMA_VERSION,
            layout.ID_PLAN: self.plan.id,
            layout.ID_PLAN_DIGEST: self.plan.digest,
            layout.ID_YEAR: str(self.year),
            layout.ID_DEPARTMENT: self.department.code,
            layout.ID_DEPARTMENT_NAME: self.department.name,
            layout.ID_TEMPLATE: self.template_id,
        }
        asked = self.ask.ids_of(self.department.code)
        if asked:   # so collect asks for answers only to what this very workbook asked
            identity[layout.ID_OPINIONS] = ",".join(asked)
        return identity

    def _identity_sheet(self) -> None:
        identity_sheet(self.wb, layout.SHEET_IDENTITY, self._identity())

    def _print_setup(self, ws, repeat_to_row: int) -> None:
        print_setup(ws, (0, repeat_to_row))

    # --- 記入要領 ------------------------------------------------------------------------------------
    def _guide_sheet(self) -> None:
        ws = self.wb.add_worksheet(layout.SHEET_GUIDE)
        cfg, plan, year = self.config, self.plan, self.year
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 90)
        rows: list[tuple[str, str]] = []
        ws.write_string(0, 0, f"{plan.title} 進捗状況調査票　記入要領", self.look.title)
        ws.write_string(1, 0, f"{fiscal_year_label(year)}実績", self.look.subtitle)
        secretariat = cfg.secretariat
        contact = secretariat.contact_line
        rows += [
            ("対象年度", f"{fiscal_year_label(year)}（{year}年4月1日〜{year + 1}年3月31日）"),
            ("部署", f"{self.department.name}（部署コード {self.department.code}）"),
            ("提出期限", format_date_ja(cfg.deadline(year))),
            ("問い合わせ先", contact),
            ("返送方法", cfg.return_instructions),
            ("記入するシート", "、".join(f"{i.code} {i.title}" for i in self.items)),
            ("記入のしかた",
             "黄色のセルだけに記入してください（他のセルは保護されています）。\n"
             "※ の付いた項目は必須です。進捗状況・自己評価は一覧から選んでください。\n"
             "指標の実績値は数字だけを記入してください（単位・カンマ・「約」は不要です）。\n"
             "シート名の変更、行・列の追加や削除、シートの保護の解除はしないでください。\n"
             f"文章は1項目 {cfg.max_text_length} 文字以内で記入してください。"),
        ]
        row = label_rows(ws, 3, rows, self.look, 90)
        row = self._meanings(ws, row + 1, ("進捗状況（取組ごと）", "意味"),
                             [(c.label, c.description) for c in cfg.progress_choices])
        row = self._meanings(ws, row + 1, ("自己評価（取組項目ごと）", "意味（主担当課が記入）"),
                             [(g.choice, g.description) for g in cfg.grades])
        row += 1
        ws.write_string(row, 0, f"調査票ID {self.template_id}（様式 {layout.SCHEMA_VERSION}）", self.look.note)
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.7)
        ws.protect("", {"format_columns": True, "format_rows": True})
        ws.activate()

    def _meanings(self, ws, row: int, headers: tuple[str, str], rows: list[tuple[str, str]]) -> int:
        """A two-column table on the guide sheet (a choice and what it means) from `row`; the next free row."""
        return meanings_table(ws, row, headers, rows, self.look)

    # --- one action item ----------------------------------------------------------------------------
    def _item_sheet(self, item: ActionItem) -> None:
        ws = self.wb.add_worksheet(item.code)
        plan, dept = self.plan, self.department.code
        for col, width in enumerate(ITEM_WIDTHS):
            ws.set_column(col, col, width)
        wide = sum(ITEM_WIDTHS[1:])
        title, subtitle = layout.item_sheet_titles(self.year, item, self.department)
        ws.write_string(0, 0, title, self.look.title)
        ws.write_string(1, 0, subtitle, self.look.subtitle)

        row = 3
        for label, text in layout.context_rows(self.plan, item):
            ws.write_string(row, 0, label, self.look.label)
            ws.merge_range(row, 1, row, layout.LAST_COL, text, self.look.cell)
            ws.set_row(row, LINE_HEIGHT * max(wrapped_lines(text, wide), wrapped_lines(label, ITEM_WIDTHS[0])))
            row += 1

        row += 1
        header_row = row
        for col, header in enumerate(layout.INITIATIVE_HEADERS):
            ws.write_string(row, col, header, self.look.header)
        if self.history:
            ws.set_column(layout.COL_PREVIOUS, layout.COL_PREVIOUS, PREVIOUS_WIDTH)
            ws.write_string(row, layout.COL_PREVIOUS, layout.previous_header(self.history.previous_year), self.look.previous_header)
        ws.set_row(row, LINE_HEIGHT * 2)
        row += 1
        own = plan.initiatives_of(item.code, dept)
        first_input_row = row
        for ini in own:
            names = layout.initiative_departments(plan, ini)
            ws.write_string(row, layout.COL_KEY, ini.id, self.look.cell)
            ws.write_string(row, layout.COL_TEXT, ini.display_text, self.look.cell)
            ws.write_string(row, layout.COL_DEPARTMENTS, names, self.look.cell)
            for col, field_name, _required in layout.INITIATIVE_INPUTS:
                self._input(ws, row, col, (item.code, ini.id, field_name), self.look.input)
            lines = max(wrapped_lines(ini.display_text, ITEM_WIDTHS[1]), wrapped_lines(names, ITEM_WIDTHS[2]), 4)
            if self.history:
                previous = self._previous_answer(ini.id)
                ws.write_string(row, layout.COL_PREVIOUS, previous, self.look.previous)
                lines = max(lines, min(wrapped_lines(previous, PREVIOUS_WIDTH), 12))
            ws.set_row(row, LINE_HEIGHT * lines)
            row += 1
        if own:
            self._initiative_validations(ws, first_input_row, row - 1)
        else:
            ws.write_string(row, 0, layout.NOTE_NO_INITIATIVES, self.look.note)
            row += 1

        indicator = item.indicator
        if indicator and indicator.reporter == dept:
            row = self._indicator_block(ws, row + 1, indicator)
        if item.lead == dept:
            row = self._evaluation_block(ws, row + 1, item)

        ws.freeze_panes(header_row + 1, 1)
        self._print_setup(ws, 1)

    def _input(self, ws, row: int, col: int, key: tuple[str, str, str], fmt, *, blank: bool = True) -> None:
        """An input cell: blank in a template; the prefilled answer, if any, in a filled return."""
        value = self.prefill.get(key)
        if value is None:
            if blank:
                ws.write_blank(row, col, None, fmt)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def _initiative_validations(self, ws, first: int, last: int) -> None:
        cfg = self.config
        labels = [c.label for c in cfg.progress_choices]
        ws.data_validation(first, layout.COL_PROGRESS, last, layout.COL_PROGRESS, {
            "validate": "list",
            "source": labels,
            "input_title": "進捗状況（必須）",
            "input_message": "一覧から選んでください。意味は「記入要領」シートにあります。",
            "error_title": "選択肢にない値です",
            "error_message": "進捗状況は一覧（" + "・".join(labels) + "）から選んでください。",
        })
        for col, field_name, required in layout.INITIATIVE_INPUTS[1:]:
            ws.data_validation(first, col, last, col, length_rule(field_name, required, self.config.max_text_length))

    def _indicator_block(self, ws, row: int, ind: Indicator) -> int:
        wide = sum(ITEM_WIDTHS[1:])
        rows = layout.indicator_rows(ind)
        if self.history:
            rows.append((layout.KEY_HISTORY, self._earlier_actuals(ind)))
        for label, text in rows:
            ws.write_string(row, 0, label, self.look.label)
            ws.merge_range(row, 1, row, layout.LAST_COL, text, self.look.cell)
            ws.set_row(row, LINE_HEIGHT * wrapped_lines(text, wide))
            row += 1
        ws.write_string(row, 0, f"{layout.KEY_ACTUAL} ※", self.look.label)
        self._input(ws, row, 1, (ind.item_code, layout.KEY_ACTUAL, layout.FIELD_ACTUAL), self.look.input_number)
        ws.write_string(row, layout.COL_UNIT, ind.unit, self.look.cell)
        note = f"{self.year}年度の実績値を数字だけで記入（単位 {ind.unit}）。"
        if ind.cumulative:
            note += "延べ（累計）の指標は、その年度だけの実績を記入してください（累計は自動で計算します）。"
        if ind.baseline_marked:
            note += f"＊基準値は{ind.baseline_year}年度の数値です。"
        ws.merge_range(row, layout.COL_ACTUAL_NOTE, row, layout.LAST_COL, note, self.look.note)
        ws.set_row(row, LINE_HEIGHT * max(2, wrapped_lines(note, sum(ITEM_WIDTHS[layout.COL_ACTUAL_NOTE:]))))
        ws.data_validation(row, 1, row, 1, {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "input_title": "指標実績値（必須）",
            "input_message": f"数字だけを記入してください（単位 {ind.unit} は不要）。"[:255],
            "error_title": "数値を記入してください",
            "error_message": f"{ind.name}の実績値を0以上の数字で記入してください（単位・カンマは不要）。"[:255],
        })
        return row + 1

    # --- carry-over ---------------------------------------------------------------------------------
    def _previous_answer(self, initiative: str) -> str:
        h = self.history
        answer = h.answers.get((initiative, self.department.code))
        if answer is None:
            if h.roster.get(self.department.code) == MISSING:
                return "前年度は未提出"
            return "前年度の回答はありません"
        parts = [f"進捗状況: {answer.progress}", f"取組実績: {answer.result}"]
        if answer.issues:
            parts.append(f"課題: {answer.issues}")
        if answer.next_plan:
            parts.append(f"次年度の予定: {answer.next_plan}")
        return "\n".join(parts)

    def _previous_grade(self, item: str) -> str:
        evaluation = self.history.evaluations.get(item)
        if evaluation is None:
            return "なし"
        label = next((g.choice for g in self.config.grades if g.code == evaluation.grade), evaluation.grade)
        return f"{label}（{evaluation.reason}）" if evaluation.reason else label

    def _earlier_actuals(self, ind: Indicator) -> str:
        years = [y for y in self.plan.years if y < self.year]
        figures = [(y, self.history.actuals.get((y, ind.item_code))) for y in years]
        text = "／".join(
            f"{y}年度 " + (f"{format_number(v)}{ind.unit}" if v is not None else "未報告") for y, v in figures
        ) or "なし"
        if ind.cumulative:
            total = sum(v for _, v in figures if v is not None)
            text += f"（延べ {format_number(total)}{ind.unit}、{years[0]}〜{years[-1]}年度の累計）" if years else ""
        return text

    def _evaluation_block(self, ws, row: int, item: ActionItem) -> int:
        grades = [g.choice for g in self.config.grades]
        ws.write_string(row, 0, f"{layout.KEY_GRADE} ※", self.look.label)
        self._input(ws, row, 1, (item.code, layout.KEY_GRADE, layout.FIELD_GRADE), self.look.input)
        meaning = "　".join(f"{g.code}: {g.label}" for g in self.config.grades)
        note = f"取組項目 {item.code} 全体の自己評価を一覧から選んでください（{meaning}）。"
        if self.history:
            note += f"\n（参考）{self.history.previous_year}年度の自己評価: {self._previous_grade(item.code)}"
        ws.merge_range(row, layout.COL_GRADE_NOTE, row, layout.LAST_COL, note, self.look.note)
        ws.set_row(row, LINE_HEIGHT * 2)
        ws.data_validation(row, 1, row, 1, {
            "validate": "list",
            "source": grades,
            "input_title": "自己評価（必須）",
            "input_message": "一覧から選んでください。意味は「記入要領」シートにあります。",
            "error_title": "選択肢にない値です",
            "error_message": "自己評価は一覧（" + "・".join(grades) + "）から選んでください。",
        })
        row += 1
        ws.write_string(row, 0, layout.KEY_REASON, self.look.label)
        ws.merge_range(row, 1, row, layout.LAST_COL, None, self.look.input)
        self._input(ws, row, 1, (item.code, layout.KEY_REASON, layout.FIELD_REASON), self.look.input, blank=False)
        ws.set_row(row, LINE_HEIGHT * 4)
        ws.data_validation(row, 1, row, 1, length_rule(layout.FIELD_REASON, False, self.config.max_text_length))
        return row + 1

    # --- the committee's loop -----------------------------------------------------------------------
    def _sheet_head(self, ws, widths: tuple[int, ...], title: str, note: str, headers: tuple[str, ...]) -> int:
        """Title, subtitle, a note and the header row of a list sheet; the first row below the header."""
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.write_string(0, 0, title, self.look.title)
        ws.write_string(1, 0, f"{fiscal_year_label(self.year)}　{self.department.name}", self.look.subtitle)
        ws.merge_range(2, 0, 2, len(widths) - 1, note, self.look.note)
        ws.set_row(2, LINE_HEIGHT * max(2, wrapped_lines(note, sum(widths))))
        row = layout.OPINION_FIRST_ROW
        for col, header in enumerate(headers):
            ws.write_string(row, col, header, self.look.header)
        ws.set_row(row, LINE_HEIGHT * 2)
        return row + 1

    def _opinions_sheet(self, asked: list[OpinionState]) -> None:
        ws = self.wb.add_worksheet(layout.SHEET_OPINIONS)
        choices = [s.label for s in ResponseStatus.choices()]
        row = first = self._sheet_head(
            ws, layout.OPINION_WIDTHS, f"{self.plan.committee}の意見への対応",
            f"委員会から受けた意見のうち、この部署が対応するもので、まだ対応が済んでいないものです。意見ごとに対応状況を一覧"
            f"（{'・'.join(choices)}）から選び、対応内容を記入してください（「{ResponseStatus.NOT_YET.label}」のときは任意）。"
            f"「{ResponseStatus.DONE.label}」「{ResponseStatus.DECLINED.label}」と回答した意見は、来年度からは尋ねません。",
            layout.OPINION_HEADERS,
        )
        for state in asked:
            o = state.opinion
            item = f"{o.item_code} {item_title(self.plan, o.item_code)}"
            before = "\n".join(f"{r.year}年度: {r.status.label}" + (f"（{r.text}）" if r.text else "")
                               for r in state.responses) or "なし"
            ws.write_string(row, layout.COL_OPINION_KEY, o.id, self.look.cell)
            ws.write_string(row, layout.COL_OPINION_YEAR, f"{o.year}年度", self.look.cell)
            ws.write_string(row, layout.COL_OPINION_ITEM, item, self.look.cell)
            ws.write_string(row, layout.COL_OPINION_TEXT, o.text, self.look.cell)
            ws.write_string(row, layout.COL_OPINION_BEFORE, before, self.look.previous)
            self._input(ws, row, layout.COL_RESPONSE_STATUS, (layout.SHEET_OPINIONS, o.id, layout.FIELD_RESPONSE_STATUS), self.look.input)
            self._input(ws, row, layout.COL_RESPONSE_TEXT, (layout.SHEET_OPINIONS, o.id, layout.FIELD_RESPONSE_TEXT), self.look.input)
            lines = max(wrapped_lines(o.text, layout.OPINION_WIDTHS[layout.COL_OPINION_TEXT]),
                        min(wrapped_lines(before, layout.OPINION_WIDTHS[layout.COL_OPINION_BEFORE]), 12),
                        wrapped_lines(item, layout.OPINION_WIDTHS[layout.COL_OPINION_ITEM]), 4)
            ws.set_row(row, LINE_HEIGHT * lines)
            row += 1
        ws.data_validation(first, layout.COL_RESPONSE_STATUS, row - 1, layout.COL_RESPONSE_STATUS, {
            "validate": "list",
            "source": choices,
            "input_title": f"{layout.FIELD_RESPONSE_STATUS}（必須）",
            "input_message": "一覧から選んでください。",
            "error_title": "選択肢にない値です",
            "error_message": f"{layout.FIELD_RESPONSE_STATUS}は一覧（" + "・".join(choices) + "）から選んでください。",
        })
        ws.data_validation(first, layout.COL_RESPONSE_TEXT, row - 1, layout.COL_RESPONSE_TEXT,
                           length_rule(layout.FIELD_RESPONSE_TEXT, True, self.config.max_text_length))
        ws.freeze_panes(first, 1)
        self._print_setup(ws, layout.OPINION_FIRST_ROW)

    def _practices_sheet(self) -> None:
        ws = self.wb.add_worksheet(layout.SHEET_PRACTICES)
        year = self.year - 1
        row = self._sheet_head(
            ws, layout.PRACTICE_WIDTHS, f"優良事例（{fiscal_year_label(year)}の報告で{self.plan.committee}が紹介した取組）",
            "組織を横断して展開できるよう、庁内で共有する取組です。自部署の取組の参考にしてください（記入は不要です）。",
            layout.PRACTICE_HEADERS,
        )
        for practice in self.ask.practices:
            ini = self.plan.initiative_by_id[practice.initiative_id]
            names = layout.initiative_departments(self.plan, ini)
            for col, text in enumerate((ini.id, ini.display_text, names, practice.reason)):
                ws.write_string(row, col, text, self.look.cell)
            ws.set_row(row, LINE_HEIGHT * max(wrapped_lines(ini.display_text, layout.PRACTICE_WIDTHS[1]),
                                              wrapped_lines(practice.reason, layout.PRACTICE_WIDTHS[3]), 2))
            row += 1
        self._print_setup(ws, layout.OPINION_FIRST_ROW)
