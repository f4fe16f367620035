"""The command line: parses options, calls one use case, prints. No stage logic lives here."""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from pathlib import Path
from typing import NoReturn

import click

from pipeline import platform
from pipeline.config import Config, load_config
from pipeline.errors import PipelineError, StorageError, UsageError
from pipeline.plan import Plan, load_plan
from pipeline.usage import Day, FiscalYear, JapaneseGroup


class Context:
    """Loaded lazily so that `--help` works even where config.toml is broken."""

    def __init__(self, config_path: Path, quiet: bool, verbose: bool):
        self.config_path = config_path
        self.quiet = quiet
        self.verbose = verbose
        self._config: Config | None = None
        self._plan: Plan | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = load_plan(self.config.plan_file)
        return self._plan

    @property
    def store_path(self) -> Path | None:
        """The store's path when the config could be read (for a message), else None."""
        try:
            return self.config.store_path
        except PipelineError:
            return None

    def say(self, message: str = "", err: bool = False) -> None:
        if not self.quiet:
            click.echo(message, err=err)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            click.echo(message, err=True)

    def progress(self, label: str):
        """A progress callback (n, total, name) that draws one updating line on a terminal."""
        def show(n: int, total: int, name: str) -> None:
            if self.quiet:
                return
            if self.verbose:
                click.echo(f"  [{n}/{total}] {name}", err=True)
            elif sys.stderr.isatty():
                click.echo(f"\r{label} {n}/{total}", err=True, nl=n == total)
        return show


def command_errors(func):
    """Turn a PipelineError into one clear message and its exit status, never a traceback. An OSError or a
    SQLite error that no stage turned into one (a file of ours that could not be written or read) gets
    the same kind of message as a StorageError."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PipelineError as exc:
            fail(exc)
        except OSError as exc:
            if platform.output_gone(exc):
                # the reader of our output went away (`make status | head`): stop quietly, as other commands do;
                # stdout goes to devnull so that the interpreter's final flush does not complain either
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)
            fail(StorageError.of(exc, exc.filename, action="を使えません"))
        except sqlite3.Error as exc:
            obj = args[0] if args and isinstance(args[0], Context) else None
            fail(StorageError.of(exc, obj.store_path if obj else None, action="を使えません"))
    return wrapper


def fail(error: PipelineError) -> NoReturn:
    click.echo(f"エラー: {error}", err=True)
    sys.exit(error.exit_code)


year_option = click.option("--year", "-y", type=FiscalYear(), required=True,
                           help="対象の年度（例: 2024、R6、令和6年度、2024年度）。")


def output_options(func):
    """-q/-v accepted after the command too (`collect --year 2024 -v`), as people type them."""
    def set_quiet(ctx: click.Context, _param, value: bool) -> None:
        if value:
            ctx.find_object(Context).quiet = True

    def set_verbose(ctx: click.Context, _param, value: bool) -> None:
        if value:
            ctx.find_object(Context).verbose = True

    func = click.option("--quiet", "-q", is_flag=True, expose_value=False, callback=set_quiet,
                        help="進捗と要約を表示しない（エラーだけ）。")(func)
    return click.option("--verbose", "-v", is_flag=True, expose_value=False, callback=set_verbose,
                        help="ファイルごとの処理を表示する。")(func)


@click.group(cls=JapaneseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default="config.toml", show_default=True, help="設定ファイル。相対パスはこのファイルの場所が基準。")
@click.option("--quiet", "-q", is_flag=True, help="進捗と要約を表示しない（エラーだけ）。")
@click.option("--verbose", "-v", is_flag=True, help="ファイルごとの処理を表示する。")
@click.version_option(package_name="gyozai-progress")
@click.pass_context
def main(ctx: click.Context, config_path: Path, quiet: bool, verbose: bool) -> None:
    """行財政改革 行動計画の進捗調査: 調査票の作成 → 回収・点検 → 報告書。

    \b
    例:
      .venv/bin/python -m pipeline templates --year 2024
      .venv/bin/python -m pipeline collect --year 2024
      .venv/bin/python -m pipeline report --year 2024
    """
    ctx.obj = Context(config_path, quiet, verbose)


@main.command("plan-check")
@click.pass_obj
@command_errors
def plan_check(obj: Context) -> None:
    """計画ファイルを読み込んで点検し、件数と、年度ごとの計画の変更（追加・終了・変更・対象外）を表示する。

    \b
    例:
      .venv/bin/python -m pipeline plan-check
    """
    plan = obj.plan
    click.echo(plan.summary())
    for year in plan.years:
        in_year = plan.for_year(year)
        changes = "、".join(f"{c.kind} {c.initiative_id or c.item_code}" for c in in_year.changes) or "変更なし"
        click.echo(f"  {year}年度: 具体的な取組 {len(in_year.initiatives)}、調査する部署 "
                   f"{len(in_year.surveyed_departments())} — {changes}")
        for change in in_year.changes:
            click.echo(f"    {change.describe()}")


@main.command()
@year_option
@click.option("--today", type=Day(), default=None, help="提出期限と比べる今日の日付（YYYY-MM-DD）。省略すると今日。")
@click.pass_obj
@command_errors
def check(obj: Context, year: int, today) -> None:
    """最初の調査票を送る前の点検: 連絡先（設定例のまま・部署の連絡先）、提出期限、計画ファイル、LibreOffice、
    書き込めるフォルダー、受付フォルダー。直すことを1行ずつ表示する。

    終了コード: 0 = 直すことなし（確認することは表示）、1 = 調査票を送る前に直すことがある。

    \b
    例:
      make check YEAR=2025
      .venv/bin/python -m pipeline check --year 2025 --today 2026-04-01
    """
    import datetime as dt

    from pipeline.readiness import check_readiness

    result = check_readiness(obj.config_path, year, today.date() if today else dt.date.today())
    for f in result.findings:
        click.echo(f"{'直すこと' if f.is_error else '確認'}: {f.message}（{f.code}）")
    if result.ok and not result.findings:
        click.echo(f"点検の結果: {year}年度の調査票を送る準備ができています。make templates YEAR={year} で調査票を作れます。")
    elif result.ok:
        click.echo(f"点検の結果: 直すことはありません（確認すること {result.warnings} 件）。"
                   f"上を確かめてから make templates YEAR={year} で調査票を作れます。")
    else:
        click.echo(f"点検の結果: 調査票を送る前に直すことが {result.errors} 件あります（確認すること {result.warnings} 件）。"
                   f"直してから、もう一度 make check YEAR={year} を実行してください。")
        sys.exit(1)


@main.command()
@year_option
@output_options
@click.option("--force", is_flag=True, help="既存の調査票を上書きする（記入中のファイルがないか確認してから）。")
@click.option("--department", "-d", "departments", multiple=True, help="この部署コードだけ作る（複数可）。")
@click.pass_obj
@command_errors
def templates(obj: Context, year: int, force: bool, departments: tuple[str, ...]) -> None:
    """年度の調査票（部署ごとの Excel ブック）を作る。

    \b
    例:
      .venv/bin/python -m pipeline templates --year 2024
      .venv/bin/python -m pipeline templates --year 2024 --force --department 05
    """
    from pipeline.survey.workbook import write_templates

    plan, config = obj.plan, obj.config
    result = write_templates(plan, config, year, force=force, departments=list(departments) or None,
                             progress=obj.progress("調査票"))
    for w in result.written:
        obj.detail(f"  {w.path.name}: {len(w.items)} 取組項目")
    obj.say(f"{len(result.written)} 部署の調査票を {result.folder} に作成しました。")
    for path in result.removed:
        obj.say(f"  この年度は記入する取組がない部署の調査票を削除しました: {path.name}")


@main.command()
@year_option
@output_options
@click.option("--force", is_flag=True, help="受付フォルダーが空でも、また転記票から取り込んだ年度でも、その年度のデータベースの内容を置き換える。")
@click.pass_obj
@command_errors
def collect(obj: Context, year: int, force: bool) -> None:
    """受付フォルダーの回答を点検し、データベースに取り込む。

    終了コード: 0 = 全部署の回答を受理（エラーなし）、1 = エラーまたは未提出あり、
    2 = 使い方・設定の誤り、またはデータベース・出力先に書き込めない（そのときは何も変更しない）。

    \b
    例:
      .venv/bin/python -m pipeline collect --year 2024
      .venv/bin/python -m pipeline collect --year 2024 --verbose
    """
    from pipeline.usecases.collect_year import run_collect_year
    from pipeline.vocabulary import MISSING, RETURNED, WITH_ERRORS

    plan, config = obj.plan, obj.config
    run = run_collect_year(plan, config, year, force=force, progress=obj.progress("点検"),
                           packet_progress=obj.progress("差し戻し"))
    result, outputs, followup = run.result, run.outputs, run.followup

    for code, (status, file) in sorted(result.roster.items()):
        label = result.arrivals[code].label if code in result.arrivals else status.label
        obj.detail(f"  {code} {plan.department_name(code)}: {label}{'（' + file + '）' if file else ''}")
    obj.say(
        f"{year}年度: ファイル {len(result.files)} 件を点検。"
        f"受理 {result.count(RETURNED)}、差し戻し {result.count(WITH_ERRORS)}、未提出 {result.count(MISSING)}"
        f"（全 {len(result.roster)} 部署）。エラー {result.errors} 件、警告 {result.warnings} 件。"
    )
    if result.arrivals:
        obj.say("届いたが取り込めないもの（未提出ではありません）: " + "、".join(
            f"{plan.department_name(code)}（{arrival.label}）" for code, arrival in sorted(result.arrivals.items())))
    for path in outputs:
        obj.say(f"  {path}")
    for line in followup.summary_lines():
        obj.say(line)
    for note in followup.notes:
        click.echo(f"注意: {note}", err=True)
    if not result.ok:
        sys.exit(1)


@main.command()
@year_option
@output_options
@click.option("--date", "report_date", type=Day(), default=None,
              help="表紙の作成日（YYYY-MM-DD）。省略すると今日。")
@click.option("--no-pdf", is_flag=True, help="LibreOffice を使わない（PDF を作らず、目次は Word で開いたときに更新）。")
@click.pass_obj
@command_errors
def report(obj: Context, year: int, report_date, no_pdf: bool) -> None:
    """年度の報告書（Word・PDF）と参考指標一覧（Excel・CSV）、公表用のウェブページ（web/index.html）を output/<年度>/ に作る。

    \b
    例:
      .venv/bin/python -m pipeline report --year 2024
      .venv/bin/python -m pipeline report --year 2024 --date 2025-06-20 --no-pdf
    """
    import datetime as dt

    from pipeline.report.usecase import make_report

    today = report_date.date() if report_date else dt.date.today()
    result = make_report(obj.plan, obj.config, year, today, use_office=not no_pdf)
    for warning in result.warnings:
        click.echo(f"注意: {warning}", err=True)
    obj.say(f"{year}年度の報告書と参考指標一覧、ウェブページを {result.folder} に作成しました:")
    for path in result.paths:
        obj.say(f"  {path.relative_to(result.folder).as_posix()}")
    obj.say(f"{result.coverage}（提出状況は報告書の 1(5) にあります）。")
    if result.few_returns:
        click.echo(f"注意: {result.few_returns}", err=True)
    if result.pdf and not result.toc_filled:
        obj.say("  （目次は Word で開いたときに更新されます）")


@main.command()
@year_option
@output_options
@click.option("--today", type=Day(), default=None,
              help="提出期限までの日数を数える基準日（YYYY-MM-DD）。省略すると今日。")
@click.pass_obj
@command_errors
def status(obj: Context, year: int, today) -> None:
    """最後の collect の結果から、部署ごとの提出状況（受理・差し戻し・未提出）と提出期限までの日数を表示する。
    委員会の意見があれば、その年度に尋ねた意見の回答・完了の件数と、次年度も尋ねる件数（部署別）も表示する。

    終了コード: 0 = 全部署の回答を受理、1 = 差し戻しまたは未提出あり、2 = その年度をまだ collect していない。

    \b
    例:
      .venv/bin/python -m pipeline status --year 2024
      .venv/bin/python -m pipeline status --year 2024 --today 2025-05-20
    """
    import datetime as dt

    from pipeline.followup.status import load_status

    state = load_status(obj.plan, obj.config, year, today.date() if today else dt.date.today())
    for line in state.lines():
        click.echo(line)
    if not state.all_accepted:
        sys.exit(1)


@main.command()
@click.option("--year", "-y", type=FiscalYear(), default=None, help="年度（--department と一緒に指定）。")
@click.option("--department", "-d", default=None, help="部署コード。その年度に受理した回答を取り出す。")
@click.option("--sha256", default=None, help="ファイルの sha256（先頭8文字以上）。回答・記録票・転記票のどれでも。")
@click.option("--out", "folder", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="保存先のフォルダー（省略すると output/年度/控え/）。")
@output_options
@click.pass_obj
@command_errors
def original(obj: Context, year: int | None, department: str | None, sha256: str | None, folder: Path | None) -> None:
    """取り込んだ回答の控え（届いたままのファイル）を、データベースから取り出す。

    部署コードと年度で、その年度に受理した回答を取り出します。ハッシュ値（sha256。findings.csv や
    データベースに記録）なら、回答・委員会意見の記録票・転記票のどれでも取り出せます。
    同じ名前の別のファイルが保存先にあるときは、上書きせずに止まります。

    \b
    例:
      .venv/bin/python -m pipeline original --year 2024 --department 05
      .venv/bin/python -m pipeline original --sha256 3f2a9c1b --out 控え
    """
    from pipeline.files import ensure_folder
    from pipeline.original import find_original, write_original

    if (sha256 is None) == (department is None):
        raise UsageError("部署コード（--department と --year）か、ハッシュ値（--sha256）のどちらかを指定してください。")
    found = find_original(obj.plan, obj.config, year=year, department=department, sha256=sha256)
    if folder is None:
        folder = (obj.config.output_for(year) if year is not None else obj.config.output_dir) / "控え"
    path = write_original(found, ensure_folder(folder))
    obj.say(f"{found.file_name}（sha256 {found.sha256[:12]}…、{len(found.data):,} バイト）を {path} に保存しました。")


# --- the committee's register (委員会意見・優良事例) ------------------------------------------------------

@main.group()
def opinions() -> None:
    """委員会意見・優良事例の記録票を作り（template）、記入した記録票を取り込む（collect）。

    \b
    例:
      .venv/bin/python -m pipeline opinions template --year 2024
      .venv/bin/python -m pipeline opinions collect --year 2024
    """


@opinions.command("template")
@year_option
@output_options
@click.option("--force", is_flag=True, help="既存の記録票を上書きする（記入済みの内容は消えます）。")
@click.pass_obj
@command_errors
def opinions_template(obj: Context, year: int, force: bool) -> None:
    """年度の報告書に対する委員会意見・優良事例の記録票（Excel）を opinions/<年度>/ に作る。

    \b
    例:
      .venv/bin/python -m pipeline opinions template --year 2024
    """
    from pipeline.committee.register import write_register

    written = write_register(obj.plan, obj.config, year, force=force)
    obj.say(f"{year}年度の報告書に対する委員会意見・優良事例の記録票を作成しました: {written.path}")
    obj.say(f"  委員会意見 {written.opinion_rows} 行、優良事例 {written.practice_rows} 行。記入後に "
            f"make opinions-collect YEAR={year} で取り込みます。")


@opinions.command("collect")
@year_option
@output_options
@click.pass_obj
@command_errors
def opinions_collect(obj: Context, year: int) -> None:
    """opinions/<年度>/ の記録票を点検し、誤りがなければその年度の委員会意見・優良事例をデータベースに取り込む。

    終了コード: 0 = 取り込んだ（警告があっても）、1 = 記録票に誤りがあり取り込んでいない（データベースは変更なし）、
    または記録票が複数ある、2 = 記録票がない、設定の誤り、データベース・出力先に書き込めない。

    \b
    例:
      .venv/bin/python -m pipeline opinions collect --year 2024
    """
    from pipeline.committee.intake import collect_opinions

    result = collect_opinions(obj.plan, obj.config, year)
    for f in result.findings:
        place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "（ファイル全体）")
        click.echo(f"{f.severity.label} {place}: {f.message}（{f.code}）", err=f.is_error)
    if result.stored:
        obj.say(f"{result.register.name} を取り込みました: {year}年度の委員会意見 {len(result.opinions)} 件、"
                f"優良事例 {len(result.practices)} 件（警告 {result.warnings} 件）。")
    else:
        obj.say(f"{result.register.name} にエラーが {result.errors} 件あるため、取り込んでいません"
                f"（データベースは変更していません）。上のセルを直して保存し、もう一度実行してください。", err=True)
    obj.say(f"  点検結果: {result.findings_file}")
    if not result.stored:
        sys.exit(1)


# --- the plan master in Excel (計画マスタ) ------------------------------------------------------------------

@main.group("plan")
def plan_master() -> None:
    """計画を Excel の計画マスタに書き出し（export）、編集した計画マスタから計画ファイルを作る（import）。

    \b
    例:
      .venv/bin/python -m pipeline plan export --out 計画マスタ.xlsx
      .venv/bin/python -m pipeline plan import 計画マスタ.xlsx --out plan/izunokuni_2022_2025.toml --force
    """


@plan_master.command("export")
@output_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default="計画マスタ.xlsx", show_default=True,
              help="書き出す計画マスタ（.xlsx）。")
@click.option("--force", is_flag=True, help="既存の計画マスタを上書きする（編集中の内容は消えます）。")
@click.pass_obj
@command_errors
def plan_export(obj: Context, out: Path, force: bool) -> None:
    """設定の計画ファイルを、事務局が Excel で編集できる計画マスタ（.xlsx）に書き出す。

    \b
    例:
      .venv/bin/python -m pipeline plan export --out 計画マスタ.xlsx
    """
    from pipeline.plan_master.commands import export_master

    plan = obj.plan
    path = export_master(plan, obj.config, out, force=force)
    obj.say(f"計画マスタを作成しました: {path}")
    obj.say(f"  {plan.summary()}")
    obj.say(f"  編集後に make plan-import MASTER={path} OUT={obj.config.plan_file} FORCE=1 で計画ファイルにします。")


@plan_master.command("import")
@output_options
@click.argument("master", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="書き出す計画ファイル（.toml）。")
@click.option("--force", is_flag=True, help="既存の計画ファイルを上書きする（そのファイルのコメントは残りません）。")
@click.pass_obj
@command_errors
def plan_import(obj: Context, master: Path, out: Path, force: bool) -> None:
    """計画マスタ（.xlsx）を点検し、誤りがなければ計画ファイル（TOML）を書き出す。

    終了コード: 0 = 書き出した（警告があっても）、1 = 計画マスタに誤りがあり何も書いていない、
    2 = 計画マスタがない、--out が既にある（--force なし）、設定の誤り、書き込めない。

    \b
    例:
      .venv/bin/python -m pipeline plan import 計画マスタ.xlsx --out plan/新しい計画.toml
    """
    from pipeline.plan_master.commands import import_master

    config = obj.config if obj.config_path.exists() else None
    result = import_master(master, out, force=force, config=config)
    for f in result.findings:
        place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "（ファイル全体）")
        value = f"「{f.value}」" if f.value else ""
        click.echo(f"{f.severity.label} {place}{value}: {f.message}（{f.code}）", err=f.is_error)
    if result.written is None:
        obj.say(f"{master.name} にエラーが {result.errors} 件あるため、計画ファイルを書いていません。"
                "上のセルを直して保存し、もう一度実行してください。", err=True)
        sys.exit(1)
    obj.say(f"計画ファイルを書き出しました: {result.written}（警告 {result.warnings} 件）")
    obj.say(f"  {result.plan.summary()}")
    for line in result.plan.revisions_summary():
        obj.detail(f"  {line}")


# --- the years done by hand before the tool (転記票) ---------------------------------------------------------

@main.group()
def history() -> None:
    """ツールを使う前に手作業で調査・報告した年度の転記票を作り（template）、印刷した報告書から記入した転記票を取り込む（import）。

    \b
    例:
      .venv/bin/python -m pipeline history template --year 2024
      .venv/bin/python -m pipeline history import --year 2024
    """


@history.command("template")
@year_option
@output_options
@click.option("--force", is_flag=True, help="既存の転記票を上書きする（記入済みの内容は消えます）。")
@click.pass_obj
@command_errors
def history_template(obj: Context, year: int, force: bool) -> None:
    """その年度の計画から、手作業の年度の転記票（Excel）を history/<年度>/ に作る。

    \b
    例:
      .venv/bin/python -m pipeline history template --year 2024
    """
    from pipeline.history.transcript import write_transcript

    written = write_transcript(obj.plan, obj.config, year, force=force)
    obj.say(f"{year}年度の転記票を作成しました: {written.path}")
    obj.say(f"  参考指標 {written.indicators} 行、自己評価 {written.items} 行、具体的な取組 {written.initiatives} 行"
            f"（どれも空欄可）。印刷した報告書から記入して保存し、make history-import YEAR={year} で取り込みます。")


@history.command("import")
@year_option
@output_options
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="collect で回答を取り込んだ年度でも、転記票の内容で置き換える。")
@click.pass_obj
@command_errors
def history_import(obj: Context, year: int, file: Path | None, force: bool) -> None:
    """転記票（省略すると history/<年度>/ の転記票）を点検し、誤りがなければその年度を「転記」としてデータベースに取り込む。

    終了コード: 0 = 取り込んだ（警告があっても）、1 = 転記票に誤りがあり取り込んでいない（データベースは変更なし）、
    2 = 転記票がない、collect 済みの年度（--force なし）、設定の誤り、データベース・出力先に書き込めない。

    \b
    例:
      .venv/bin/python -m pipeline history import --year 2024
      .venv/bin/python -m pipeline history import --year 2024 転記票_R06_2024年度.xlsx --force
    """
    from pipeline.history.intake import import_transcript

    result = import_transcript(obj.plan, obj.config, year, file, force=force)
    for f in result.findings:
        place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "（ファイル全体）")
        click.echo(f"{f.severity.label} {place}: {f.message}（{f.code}）", err=f.is_error)
    if result.stored:
        check = result.check
        obj.say(f"{result.path.name} を取り込みました: {year}年度（{check.source}）、参考指標の実績 {len(check.actuals)} 件、"
                f"自己評価 {len(check.evaluations)} 件、進捗状況 {len({a.initiative_id for a in check.answers})} 取組"
                f"（警告 {result.warnings} 件）。")
        if result.replaced_collected:
            obj.say(f"  collect で取り込んでいた{year}年度の回答は、転記票の内容で置き換えました。")
    else:
        obj.say(f"{result.path.name} にエラーが {result.errors} 件あるため、取り込んでいません"
                "（データベースは変更していません）。上のセルを直して保存し、もう一度実行してください。", err=True)
    obj.say(f"  点検結果: {result.findings_file}")
    if not result.stored:
        sys.exit(1)
