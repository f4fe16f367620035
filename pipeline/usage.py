"""The command line's front door in Japanese: how a year is written, and click's own usage errors.

click says a missing option, an unknown command or a value it cannot read in English ("Error: Missing
option '--year'. Try 'pipeline collect --help' for help."). Every command of ours is a JapaneseGroup or a
JapaneseCommand, whose main() runs click without its standalone handling and says the same in Japanese:
what is wrong, and where to look (make help, or the command's --help). Exit status 2, as click's own.
"""

from __future__ import annotations

import datetime as dt
import difflib
import sys
from typing import Any, NoReturn

import click

from pipeline import platform
from pipeline.fiscal import parse_fiscal_year

# What a person runs to see every target and every command's options.
HELP_HINT = "使い方は make help で、コマンドの詳しい使い方は {command} で確かめてください。"


class FiscalYear(click.ParamType):
    """A fiscal year as people write it (2025, R7, 令和7年度, 2025年度 …) → the western year."""

    name = "年度"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return parse_fiscal_year(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Day(click.ParamType):
    """A date written YYYY-MM-DD (also 2025/5/20), as a datetime at midnight (what click.DateTime gave)."""

    name = "日付"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        text = str(value).strip().replace("/", "-")
        try:
            year, month, day = (int(part) for part in text.split("-"))
            return dt.datetime(year, month, day)
        except ValueError:
            self.fail(f"日付「{value}」を読めません。2025-05-20 のように 年-月-日 で書いてください。", param, ctx)


# click ≥ 8.2 raises this for a group run without a command (click 8.1 printed the help and ended with 0).
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


# click's own words in --help, and the command form for this system (.venv\Scripts\python on Windows)
_HELP_WORDS = (
    ("Usage: ", "使い方: "),
    ("\nOptions:\n", "\nオプション:\n"),
    ("\nCommands:\n", "\nコマンド:\n"),
    ("[required]", "［必須］"),
    ("Show this message and exit.", "この説明を表示して終わる。"),
    (" [OPTIONS]", " [オプション]"),
    (" COMMAND [ARGS]...", " コマンド [引数]..."),
)


class JapaneseUsage:
    """Mixed into a click command: its main() says click's usage errors in Japanese, and its --help is
    Japanese throughout (click's headings too), with the command forms of the system it runs on."""

    def get_help(self, ctx: click.Context) -> str:
        text = super().get_help(ctx)
        for english, japanese in _HELP_WORDS:
            text = text.replace(english, japanese)
        return text.replace(".venv/bin/python", platform.venv_python())

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NO_ARGS_IS_HELP as exc:
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:
            _usage_failed(exc)
        except click.Abort:
            click.echo("中断しました。", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            click.echo(f"エラー: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        sys.exit(result if isinstance(result, int) else 0)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if isinstance(self, click.Group) and name and not name.startswith("-") and self.get_command(ctx, name) is None:
            known = self.list_commands(ctx)
            close = difflib.get_close_matches(name, known, n=1)
            guess = f"「{close[0]}」のことですか。" if close else ""
            raise click.UsageError(f"「{name}」というコマンドはありません。{guess}使えるコマンド: {'、'.join(known)}。",
                                   ctx)
        return super().resolve_command(ctx, args)


class JapaneseCommand(JapaneseUsage, click.Command):
    pass


class JapaneseGroup(JapaneseUsage, click.Group):
    command_class = JapaneseCommand
    group_class = type       # sub-groups are JapaneseGroups too


def _usage_failed(exc: click.UsageError) -> NoReturn:
    chain = _chain(exc.ctx) if exc.ctx else []
    module = getattr(chain[0].command.callback, "__module__", "") if chain else ""
    program = f"{platform.venv_python()} -m {module if module not in ('', 'pipeline.cli') else 'pipeline'}"
    command = " ".join([program, *(c.info_name for c in chain[1:] if c.info_name), "--help"])
    click.echo(f"エラー: {japanese_usage_message(exc)}", err=True)
    click.echo(HELP_HINT.format(command=command), err=True)
    sys.exit(2)


def _chain(ctx: click.Context) -> list[click.Context]:
    chain = []
    while ctx is not None:
        chain.append(ctx)
        ctx = ctx.parent
    return chain[::-1]


def japanese_usage_message(exc: click.UsageError) -> str:
    """What a click usage error means, in Japanese: the option or command named, and what to write."""
    if isinstance(exc, click.NoSuchOption):
        close = f"（「{'」「'.join(exc.possibilities)}」のことですか）" if exc.possibilities else ""
        return f"オプション {exc.option_name} はありません{close}。"
    if isinstance(exc, click.BadOptionUsage):
        return f"オプション {exc.option_name} の後に値を書いてください（例: {_example(exc.option_name)}）。"
    if isinstance(exc, click.MissingParameter):
        return f"{_name(exc.param)} を指定してください（例: {_example(_name(exc.param))}）。"
    if isinstance(exc, click.BadParameter):
        message = exc.message if _is_japanese(exc.message) else _TYPE_ADVICE.get(
            type(exc.param.type) if exc.param else None, "値を読めません。書き方を確かめてください。")
        return f"{_name(exc.param)}: {message}" if exc.param else message
    if _is_japanese(exc.message):
        return exc.message
    if exc.message.startswith("Got unexpected extra argument"):
        extra = exc.message[exc.message.find("(") + 1:exc.message.rfind(")")]
        return f"余分な語「{extra}」があります。オプションは --year 2025 のように「--名前 値」で書いてください。"
    return "コマンドの書き方に誤りがあります。"


_TYPE_ADVICE = {
    click.types.IntParamType: "数字だけで書いてください。",
    click.Path: "ファイルの指定が正しくありません（フォルダーではなくファイルを、正しい場所で指定してください）。",
    click.Choice: "選べる値のどれかを書いてください（--help で一覧を確かめられます）。",
}
_EXAMPLES = {"--year": "--year 2025 または --year R7", "--out": "--out 計画マスタ.xlsx", "--config": "--config config.toml",
             "--date": "--date 2026-06-20", "--today": "--today 2026-05-20", "--department": "--department 05",
             "MASTER": "計画マスタ.xlsx"}


def _example(name: str | None) -> str:
    return _EXAMPLES.get(name or "", f"{name} …")


def _name(param: click.Parameter | None) -> str:
    if param is None:
        return "値"
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return (param.name or "値").upper()


def _is_japanese(text: str) -> bool:
    return any(ord(ch) > 0x3000 for ch in text)
