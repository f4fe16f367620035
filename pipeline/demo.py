"""`make demo`: a whole year in a scratch workspace, through the same commands a user runs.

Generates the workbooks, fills plausible returns for every department the way staff would (with a few
typical mistakes, one department that sends twice and one that does not return), collects, and writes
the report. Every year of the period up to the demo year is run first (so the report can compare years and,
in the plan's last year, close the period), and the committee's opinions on each report are registered, so
that the next years' workbooks ask about them and the demo year's report answers them. Real returns, outputs and
the real store are never touched: everything lives in the workspace folder.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import sys
from pathlib import Path

import click
import openpyxl

from pipeline.committee import register
from pipeline.config import load_config
from pipeline.errors import UsageError
from pipeline.fiscal import fiscal_year_label
from pipeline.plan import load_plan
from pipeline.sheets import layout
from pipeline.survey.filling import ReturnFiller, fill_plausibly, restamp
from pipeline.survey.workbook import template_file_name
from pipeline.usage import FiscalYear, JapaneseCommand

MARKER = ".demo-workspace"
ROOT = Path(__file__).resolve().parent.parent

# The typical mistakes of the demo year: (department code, what happens)
NOT_RETURNED = "18"          # 商工課 does not return
SENT_TWICE = "06"            # 企画課 sends a first version, then a corrected one
TYPED_ABOUT = "14"           # 会計課 types 「約1,500件」 into the indicator's number cell
LEFT_EMPTY = "13"            # 建設課 leaves a required cell empty


def prepare_workspace(workspace: Path) -> Path:
    """A fresh workspace with its own config; refuses a folder that is not a demo workspace."""
    if workspace.exists():
        if not (workspace / MARKER).exists():
            raise click.ClickException(
                f"{workspace} は見本用の作業フォルダーではありません（{MARKER} がない）。別の --workspace を指定してください。"
            )
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    (workspace / MARKER).write_text("make demo が作った作業フォルダーです。消してかまいません。\n", encoding="utf-8")
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    plan_file = (ROOT / "plan" / "izunokuni_2022_2025.toml").as_posix()
    text = text.replace('file = "plan/izunokuni_2022_2025.toml"', f'file = "{plan_file}"')
    text = text.replace('report_reference = "input_templates/report_reference.docx"',
                        f'report_reference = "{(ROOT / "input_templates" / "report_reference.docx").as_posix()}"')
    config_path = workspace / "config.toml"
    config_path.write_text(text, encoding="utf-8")
    return config_path


def pipeline_command(config_path: Path, *args: str) -> int:
    """Run `python -m pipeline` as a user would; returns its exit status. Shows the make command that does the
    same in the demo's workspace (`make collect YEAR=2025 CONFIG=demo/config.toml`), which the reader can run."""
    command = [sys.executable, "-m", "pipeline", "--config", str(config_path), *args]
    click.secho("$ " + make_form(config_path, *args), fg="cyan")
    return subprocess.run(command, cwd=config_path.parent).returncode


def make_form(config_path: Path, *args: str) -> str:
    """`templates --year 2024` → 'make templates YEAR=2024 CONFIG=demo/config.toml' (the target is the command's
    words joined by '-', the options the Makefile's variables)."""
    words = [a for a in args if not a.startswith("--")]
    year = args[args.index("--year") + 1] if "--year" in args else ""
    words = [w for w in words if w != year]
    try:
        config = config_path.relative_to(Path.cwd())
    except ValueError:
        config = config_path
    return " ".join(["make", "-".join(words), *([f"YEAR={year}"] if year else []), f"CONFIG={config.as_posix()}"])


def fill_returns(config_path: Path, year: int, with_mistakes: bool, seed: int) -> None:
    config = load_config(config_path)
    plan = load_plan(config.plan_file).for_year(year)     # the departments asked that year, as the plan stood
    rng = random.Random(seed)
    inbox = config.returns_for(year)
    received = dt.datetime(year + 1, 5, 10, 9, 0)
    for n, dept in enumerate(plan.surveyed_departments()):
        if with_mistakes and dept.code == NOT_RETURNED:
            continue
        template = config.templates_for(year) / template_file_name(plan, year, dept)
        filler = fill_plausibly(ReturnFiller(template), plan, config, year, rng)
        name = f"{dept.name}_回答.xlsx" if n % 3 else f"Re_{dept.name}（{fiscal_year_label(year)}）.xlsx"
        saved = received + dt.timedelta(hours=n)
        if with_mistakes and dept.code == SENT_TWICE:
            filler.save(inbox / "5月12日受信" / f"{dept.name}_回答.xlsx", saved_at=saved,
                        received_at=_arrived(saved))
            filler.answer(filler.item_sheets[0], filler.initiatives(filler.item_sheets[0])[0], progress="完了",
                          result="前回の回答を修正しました。計画した内容をすべて実施した。")
            saved += dt.timedelta(days=3)
            name = f"{dept.name}_回答（修正版）.xlsx"
        if with_mistakes and dept.code == TYPED_ABOUT:
            filler.set("2301", layout.KEY_ACTUAL, layout.FIELD_ACTUAL, "約1,500件")
        if with_mistakes and dept.code == LEFT_EMPTY:
            sheet = filler.item_sheets[0]
            filler.set(sheet, filler.initiatives(sheet)[0], layout.FIELD_RESULT, None)
        filler.save(inbox / name, saved_at=saved, received_at=_arrived(saved))


# What the committee says on each year's report: (管理番号, 対応部署 as typed, 意見), and good practices
OPINIONS = {
    0: (("1101", "", "広報紙とホームページの発信が、どれだけ市民に届いているかを確かめる工夫をしてほしい。"),
        ("1101", "情報政策課", "SNS による発信は、情報政策課と連携して全庁で取り組んでほしい。"),
        ("全般", "財務課", "計画全体の進み具合を、市民に分かりやすく示してほしい。")),
    1: (("2101", "", "窓口の手続のデジタル化を、利用の少ない手続にも広げてほしい。"),),
    2: (("2401", "", "職員の健康管理について、休暇の取りやすさも含めて検討してほしい。"),),
}
PRACTICES = {
    0: (("1101-01", "市民に伝わる言葉で発信する工夫は、他の部署の広報にも生かせる。"),),
    1: (("2101-01", "AI-OCRで入力の手間を減らした方法は、他の部署の定型業務にも使える。"),),
}


def fill_register(config_path: Path, year: int) -> None:
    """The secretariat types the committee's opinions on `year`'s report into the register."""
    config = load_config(config_path)
    order = year - load_plan(config.plan_file).period_start
    path = config.opinions_for(year) / register.register_file_name(year)
    wb = openpyxl.load_workbook(path)
    opinions, practices = wb[register.SHEET_OPINIONS], wb[register.SHEET_PRACTICES]
    for n, (item, department, text) in enumerate(OPINIONS.get(order, ())):
        row = register.FIRST_ROW + 1 + n
        opinions.cell(row, 2).value = item
        opinions.cell(row, 4).value = text
        opinions.cell(row, 5).value = department or None
        opinions.cell(row, 6).value = "委員A" if n % 2 else "委員B"
        opinions.cell(row, 7).value = dt.datetime(year + 1, 8, 20)
    for n, (initiative, reason) in enumerate(PRACTICES.get(order, ())):
        practices.cell(register.FIRST_ROW + 1 + n, 2).value = initiative
        practices.cell(register.FIRST_ROW + 1 + n, 4).value = reason
    wb.save(path)
    restamp(path, dt.datetime(year + 1, 8, 25, 17, 0))    # saved after the committee met: the same bytes each run


def workbook_extras(folder: Path) -> str:
    """What the year's workbooks carry beyond the item sheets, as they really are: how many have the 委員会意見
    sheet (the departments asked about an open opinion), and whether the 優良事例 sheet is there (only when the
    previous year's report named good practices)."""
    books = sorted(folder.glob("*.xlsx"))
    sheets = []
    for path in books:
        wb = openpyxl.load_workbook(path, read_only=True)
        sheets.append(set(wb.sheetnames))
        wb.close()
    asked = sum(layout.SHEET_OPINIONS in s for s in sheets)
    practices = any(layout.SHEET_PRACTICES in s for s in sheets)
    parts = [f"{len(books)}部署分"]
    parts.append(f"うち{asked}部署は「{layout.SHEET_OPINIONS}」シートつき（委員会意見への対応を尋ねる）" if asked
                 else f"対応を尋ねる委員会意見はないため「{layout.SHEET_OPINIONS}」シートなし")
    parts.append(f"全部署に「{layout.SHEET_PRACTICES}」シートつき" if practices
                 else f"前年度の報告に優良事例がないため「{layout.SHEET_PRACTICES}」シートなし")
    return "、".join(parts)


def _arrived(saved: dt.datetime) -> dt.datetime:
    """When a return saved at `saved` (UTC) reached the inbox: mailed within the hour."""
    return saved.replace(tzinfo=dt.UTC) + dt.timedelta(minutes=40)


@click.command(cls=JapaneseCommand)
@click.option("--workspace", type=click.Path(path_type=Path), default=Path("demo"), show_default=True,
              help="見本の作業フォルダー（作り直します）。")
@click.option("--year", type=FiscalYear(), default=2025, show_default=True, help="見本の年度（例: 2025、R7）。")
def main(workspace: Path, year: int) -> None:
    """見本の作業フォルダーで、計画期間の初年度から指定の年度まで、毎年度の流れを通す。

    \b
    例:
      make demo YEAR=2025
      .venv/bin/python -m pipeline.demo --workspace demo --year 2025
    """
    config_path = prepare_workspace(workspace.resolve())
    config = load_config(config_path)
    plan = load_plan(config.plan_file)
    try:
        plan.check_year(year)
    except UsageError as exc:
        raise click.ClickException(str(exc)) from None
    years = [y for y in plan.years if y <= year]     # every year of the period so far: the report shows them all
    for y in years:
        click.secho(f"\n== {fiscal_year_label(y)} ==", bold=True)
        if pipeline_command(config_path, "templates", "--year", str(y)) != 0:
            sys.exit(1)
        click.echo(f"（見本）各部署の回答を {config.returns_for(y)} に保存します。")
        fill_returns(config_path, y, with_mistakes=(y == year), seed=y)
        status = pipeline_command(config_path, "collect", "--year", str(y))
        if status not in (0, 1):
            sys.exit(status)
        if y < year:    # the committee meets on each report: its opinions are asked in the next years' workbooks
            if pipeline_command(config_path, "opinions", "template", "--year", str(y)) != 0:
                sys.exit(1)
            click.echo(f"（見本）委員会の意見と優良事例を {config.opinions_for(y)} の記録票に記入します。")
            fill_register(config_path, y)
            if pipeline_command(config_path, "opinions", "collect", "--year", str(y)) != 0:
                sys.exit(1)
    if pipeline_command(config_path, "report", "--year", str(year)) != 0:
        sys.exit(1)

    out = config.output_for(year)
    click.secho(f"\n見本の{len(years)}年分（{years[0]}〜{years[-1]}年度）ができました。次の順に開いてみてください:", bold=True)
    for pattern, what in (
        ("進捗状況報告書_*.pdf", "委員会向けの報告書（PDF）"),
        ("進捗状況報告書_*.docx", "同じ報告書（Word、目次は開くと更新できます）"),
        ("回収状況_*.xlsx", "部署ごとの提出状況と、差し戻す指摘の一覧"),
        ("差し戻し/*.xlsx", "部署に返す差し戻し票（問題のセルに色とコメント）"),
        ("督促リスト_*.xlsx", "未提出の部署への督促リスト（督促文の例つき）"),
        ("参考指標一覧_*.xlsx", "公表用の参考指標一覧（Excel、グラフ付き）"),
        ("参考指標一覧_*.csv", "同じ表のCSV（オープンデータ用）"),
        ("web/index.html", "公表用のウェブページ（ホームページにそのまま載せられる HTML）"),
        ("findings.csv", "指摘の一覧（機械処理用）"),
    ):
        for path in sorted(out.glob(pattern)):
            click.echo(f"  {path}  … {what}")
    if not any(out.glob("進捗状況報告書_*.pdf")):
        click.echo("  （LibreOffice が見つからないため、PDF は作っていません。目次のページ番号は Word で開いて更新すると入ります）")
    for path in sorted(config.opinions_for(year - 1).glob("*.xlsx")):
        click.echo(f"  {path}  … 委員会意見・優良事例の記録票（{fiscal_year_label(year - 1)}の報告に対するもの）")
    click.echo(f"  {config.templates_for(year)}/  … 部署に送る調査票（{workbook_extras(config.templates_for(year))}）")
    click.echo(f"  {config.returns_for(year)}/  … 見本の回答（受付フォルダー）")


if __name__ == "__main__":
    main()
