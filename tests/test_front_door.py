"""The front door: what a new user meets through make and the command line tells the truth, in Japanese.

A collect with missing returns ends make normally on its Japanese summary; every command a message or the README
prints runs as printed; what a message says to add (FORCE=1, DEPT=) exists in make; a year is read as people
write it; click's usage errors and a config's TOML mistake are said in Japanese; `make check` says what to fix
before the first workbooks go out.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline import platform
from pipeline.cli import main
from pipeline.findings import CATALOGUE
from pipeline.fiscal import YEAR_FORMS, parse_fiscal_year
from pipeline.readiness import check_readiness
from tests.conftest import PLAN_FILE, ROOT, YEAR, make_project

MAKE = None if platform.WINDOWS else shutil.which("make")   # Windows: make.cmd (tests/test_make_cmd.py)
needs_make = pytest.mark.skipif(MAKE is None, reason="make がないため省略します（Debian: apt-get install make）")
# Words of click's own English messages, none of which may reach the user.
ENGLISH = re.compile(r"\b(Usage|Error|Try|Missing|No such|Invalid|invalid|Got unexpected|is not|does not|requires)\b")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`make -s …` in the project folder, as the secretariat runs it; stdout and stderr as one screen."""
    outer = {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}     # not as a sub-make of `make test`
    fresh = {k: v for k, v in os.environ.items() if k not in outer}
    return subprocess.run([MAKE, "-s", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env={**fresh, **(env or {})})


def lines(run: subprocess.CompletedProcess) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.strip()]


# --- 1. a collect with errors or missing returns is a normal outcome through make -------------------------

@needs_make
def test_make_collect__department_missing__last_line_is_the_japanese_summary_not_make_error(project):
    project.return_all(except_codes=("18",))
    run = make("collect", f"YEAR={YEAR}", f"CONFIG={project.config_path}")
    assert run.returncode == 0, run.stdout
    assert "Error" not in run.stdout and "make:" not in run.stdout
    assert lines(run)[-1] == "未提出 1 部署: 商工課（18）"
    assert f"{YEAR}年度: ファイル 18 件を点検。受理 18、差し戻し 0、未提出 1（全 19 部署）。" in run.stdout
    # scripts that need the exit code run the command itself, as the README shows
    direct = subprocess.run([sys.executable, "-m", "pipeline", "--config", str(project.config_path), "collect",
                             "--year", str(YEAR)], cwd=ROOT, capture_output=True, text=True)
    assert direct.returncode == 1


@needs_make
def test_make_collect__config_cannot_be_read__exit_2_still_fails_make_after_the_japanese_error(project):
    text = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(text.replace('deadline = "05-31"', 'deadline = "05-31'), encoding="utf-8")
    at = next(n for n, x in enumerate(text.splitlines(), 1) if x.startswith('deadline = "05-31"'))
    run = make("collect", f"YEAR={YEAR}", f"CONFIG={project.config_path}")
    assert run.returncode != 0
    line = next(x for x in lines(run) if x.startswith("エラー: "))
    assert line == (f"エラー: 設定ファイル {project.config_path} の {at} 行目（18 文字目）の書式に誤りがあります: "
                    "文字列を閉じる「\"」がありません。\" で始めた値は、同じ行のうちに \" で閉じてください。")


# --- 2 and 3. every command a message or the README prints runs as printed ---------------------------------

def _printed_texts() -> list[tuple[str, str]]:
    """(where, text) for every Japanese string the tool can print — message templates, f-strings (each
    placeholder as X), help texts — and every line of the README."""
    found = []
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if JAPANESE.search(text) and not _english_docstring(text):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", text))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found += [(f"README.md:{n}", line) for n, line in enumerate(readme.splitlines(), 1)]
    return found


def _english_docstring(text: str) -> bool:
    """A developer's docstring or comment (mostly ASCII words), not a text the tool prints."""
    return len(JAPANESE.findall(text)) * 4 < len(re.findall(r"[A-Za-z]", text))


MAKE_FORM = re.compile(r"\bmake\s+(?:-s\s+)?(?P<target>[a-z][a-z-]*)(?P<vars>(?:\s+[A-Z_]+=[^\s、。）)`」]*)*)")
VENV_FORM = re.compile(r"\.venv/bin/python -m pipeline(?P<words>(?: [a-z][a-z-]*)*)")


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))


def test_printed_commands__no_bare_python_m_pipeline_that_fails_outside_the_venv():
    bare = [(where, text) for where, text in _printed_texts()
            if re.search(r"(?<!\.venv/bin/)(?<!\\Scripts\\)(?<![\w/])python3? -m pipeline", text)]
    assert bare == []


def test_printed_commands__a_step_to_run_again_is_named_by_its_make_command():
    commands = "|".join(sorted(main.commands, key=len, reverse=True))
    said = re.compile(rf"(?<![-\w])(?<!make )(?:opinions )?(?:{commands}) ?(?:を実行|し直)")
    bare = [(where, text) for where, text in _printed_texts() if said.search(text)]
    assert bare == []


def test_printed_commands__every_make_form_names_a_target_and_variables_make_knows():
    targets = _make_targets()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    wrong = []
    for where, text in _printed_texts():
        for m in MAKE_FORM.finditer(text):
            if m["target"] not in targets:
                wrong.append((where, m.group(0)))
            for var in re.findall(r"([A-Z_]+)=", m["vars"]):
                if not re.search(rf"\$\({var}\)", makefile):
                    wrong.append((where, var))
    assert wrong == []


def test_printed_commands__force_advice_always_says_the_make_form():
    said = [(where, text) for where, text in _printed_texts() if "--force" in text and "付け" in text]
    said += [(code, e.template) for code, e in CATALOGUE.items() if "--force" in e.template]
    assert all("FORCE=1" in text for _, text in said), said


@needs_make
@pytest.mark.parametrize("line, expected", [
    ("make templates YEAR=2024 FORCE=1 DEPT=05", "templates --year 2024 --force --department 05"),
    ("make templates YEAR=2024 DEPT=05,18", "templates --year 2024 --department 05 --department 18"),
    ("make collect YEAR=2024 FORCE=1", "collect --year 2024 --force"),
    ("make opinions-template YEAR=2024 FORCE=1", "opinions template --year 2024 --force"),
    ("make plan-export MASTER=計画マスタ.xlsx FORCE=1", 'plan export --out "計画マスタ.xlsx" --force'),
    ("make plan-import MASTER=計画マスタ.xlsx OUT=plan/新.toml FORCE=1",
     'plan import "計画マスタ.xlsx" --out "plan/新.toml" --force'),
    ("make check YEAR=2025 TODAY=2026-04-01", "check --year 2025 --today 2026-04-01"),
])
def test_make_forms__run_the_command_with_the_options_they_stand_for(line, expected):
    run = subprocess.run([MAKE, "-n", *line.split()[1:]], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert expected in " ".join(run.stdout.split())


@needs_make
def test_make_forms__every_one_printed_anywhere_is_accepted_by_make():
    forms = {m.group(0).replace("X", "2024") for _, text in _printed_texts() for m in MAKE_FORM.finditer(text)}
    for form in sorted(forms):
        run = subprocess.run([MAKE, "-n", *form.split()[1:]], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, (form, run.stderr)


def test_venv_forms__every_command_printed_exists():
    runner = CliRunner()
    for where, text in _printed_texts():
        for m in VENV_FORM.finditer(text):
            words = m["words"].split()
            result = runner.invoke(main, [*words, "--help"])
            assert result.exit_code == 0, (where, m.group(0), result.output)


@pytest.mark.parametrize("python", ["-S", "bare venv"])
def test_python_m_pipeline__without_the_libraries__one_japanese_line_says_what_to_run(python, tmp_path):
    if platform.WINDOWS:
        pytest.skip("python.org's embeddable Windows Python (the Wine run) has neither -S's effect nor venv")
    if python == "-S":
        command = [sys.executable, "-S", "-m", "pipeline", "collect", "--year", "2025"]
    else:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
        command = [str(tmp_path / "bare" / "bin" / "python"), "-m", "pipeline", "collect", "--year", "2025"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 2 and run.stdout == ""
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr
    assert re.fullmatch(r"このツールに必要なライブラリ（\w+）がこの Python（.+）にありません。make install で .venv を作ってから、"
                        r"make help にあるコマンド（例: make collect YEAR=2025）か、.venv の Python（.venv/bin/python -m "
                        r"pipeline …、Windows では .venv\\Scripts\\python -m pipeline …）で実行してください。\n", run.stderr)


# --- 4. a year as people write it; click's messages and TOML mistakes in Japanese --------------------------

@pytest.mark.parametrize("text, year", [
    ("2025", 2025), ("R7", 2025), ("r7", 2025), ("令和7", 2025), ("令和7年度", 2025), ("2025年度", 2025),
    ("令和元年", 2019), ("令和元年度", 2019), ("Ｒ７", 2025), ("平成30年度", 2018), (" 2024 ", 2024),
])
def test_parse_fiscal_year__forms_people_write(text, year):
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text", ["来年", "R", "R0", "令和", "20251", "2025-26", ""])
def test_parse_fiscal_year__anything_else__says_which_forms_are_accepted(text):
    with pytest.raises(ValueError) as caught:
        parse_fiscal_year(text)
    assert str(caught.value) == f"年度「{text}」を読めません。{YEAR_FORMS} のように書いてください。"


@needs_make
def test_make_check__year_written_in_wareki__is_read_as_the_western_year(project):
    run = make("check", "YEAR=令和6年度", "TODAY=2025-04-01", f"CONFIG={project.config_path}")
    assert "2024年度の提出期限" not in run.stdout             # 2025-05-31 is after 2025-04-01
    assert f"2024年度の受付フォルダー {project.inbox(2024)} がありません" in run.stdout


@needs_make
def test_make_collect__year_not_readable__one_japanese_line_with_the_accepted_forms(project):
    run = make("collect", "YEAR=来年", f"CONFIG={project.config_path}")
    said = lines(run)
    assert said[0] == f"エラー: --year: 年度「来年」を読めません。{YEAR_FORMS} のように書いてください。"
    assert said[1] == ("使い方は make help で、コマンドの詳しい使い方は .venv/bin/python -m pipeline collect --help "
                       "で確かめてください。")
    # a usage mistake is exit 2, which stops make (so `make collect report` goes no further): make's own closing
    # line keeps the command's status
    assert run.returncode != 0 and len(said) == 3 and re.fullmatch(r"make: \*\*\* \[Makefile:\d+: collect\] Error 2", said[2])


def _commands(group: click.Group, path=()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, command in sorted(group.commands.items()):
        out.append(((*path, name), command))
        if isinstance(command, click.Group):
            out += _commands(command, (*path, name))
    return out


@pytest.mark.parametrize("words, command", _commands(main), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_cli__bad_usage_of_every_command__japanese_message_exit_2(words, command):
    runner = CliRunner()
    attempts = [[*words, "--no-such-option"], [*words, "--year", "来年"] if _takes(command, "--year") else None,
                [*words] if any(p.required for p in command.params) else None,
                [*words, "no-such-command"] if isinstance(command, click.Group) else None,
                [*words, "--year"] if _takes(command, "--year") else None]
    for args in filter(None, attempts):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert not ENGLISH.search(result.output), (args, result.output)
        first, hint = result.output.splitlines()
        assert first.startswith("エラー: ") and JAPANESE.search(first), (args, first)
        assert hint.startswith(f"使い方は make help で、コマンドの詳しい使い方は {platform.venv_python()} -m pipeline"), hint


def _takes(command: click.Command, option: str) -> bool:
    return any(option in getattr(p, "opts", ()) for p in command.params)


def test_cli__unknown_command__japanese_with_the_close_one_and_the_list():
    result = CliRunner().invoke(main, ["colect", "--year", "2024"])
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == ("エラー: 「colect」というコマンドはありません。「collect」のことですか。使えるコマンド: "
                                             "check、collect、history、opinions、original、plan、plan-check、report、status、templates。")


def test_cli__bad_date__japanese_with_the_form():
    result = CliRunner().invoke(main, ["report", "--year", "2024", "--date", "2025/13/01"])
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == "エラー: --date: 日付「2025/13/01」を読めません。2025-05-20 のように 年-月-日 で書いてください。"


@needs_make
def test_make_plan_check__plan_file_toml_mistake__japanese_with_its_line(project, tmp_path):
    broken = tmp_path / "plan.toml"
    lines_of_plan = PLAN_FILE.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines_of_plan) if line.startswith("period_end"))
    lines_of_plan[n] = "period_end = 2025 2026"
    broken.write_text("\n".join(lines_of_plan) + "\n", encoding="utf-8")
    text = project.config_path.read_text(encoding="utf-8").replace(PLAN_FILE.as_posix(), broken.as_posix())
    project.config_path.write_text(text, encoding="utf-8")
    run = make("plan-check", f"CONFIG={project.config_path}")
    assert run.returncode != 0
    assert (f"  - {n + 1} 行目（19 文字目）の書式に誤りがあります: 値の後に余分な文字があります。1行に「キー = 値」を1つだけ書き、"
            "文字の値は \"…\" で囲んでください。") in run.stdout
    assert "Expected" not in run.stdout


# --- 5. make check -------------------------------------------------------------------------------------

def _ready_config(project, tmp_path) -> Path:
    """The project's config as a city would have it before the first year: real contacts, every department's."""
    text = project.config_path.read_text(encoding="utf-8")
    text = text.replace('phone = "055-948-1111（代表）"            # 設定例: 実際の連絡先に書き換えてください',
                        'phone = "055-948-2900（内線 321）"')
    text = text.replace('email = "gyosei-keiei@example.jp"         # 設定例: 実際の連絡先に書き換えてください',
                        'email = "gyosei@city.izunokuni.shizuoka.jp"')
    contacts = "\n".join(f'"{d.code}" = "{d.name} 内線{100 + n}"' for n, d in enumerate(project.plan.departments))
    text += f"\n[department_contacts]\n{contacts}\n"
    project.config_path.write_text(text, encoding="utf-8")
    project.inbox(YEAR).mkdir(parents=True)
    return project.config_path


def test_check__ready_config__nothing_to_fix(project, tmp_path):
    result = check_readiness(_ready_config(project, tmp_path), YEAR, dt.date(2025, 4, 1), office_finder=object)
    assert result.ok and result.findings == []


def test_check__shipped_config__example_contacts_and_missing_department_contacts(project, tmp_path):
    result = check_readiness(project.config_path, YEAR, dt.date(2025, 4, 1), office_finder=object)
    assert [(f.code, f.field, f.value) for f in result.findings] == [
        ("SETUP_001", "secretariat.phone", "055-948-1111（代表）"),
        ("SETUP_001", "secretariat.email", "gyosei-keiei@example.jp"),
        ("SETUP_002", "department_contacts", ""),
        ("SETUP_007", "paths.returns", str(project.inbox(YEAR))[:57] + "…"),
    ]
    assert not result.ok
    names = "、".join(f"{d.code} {d.name}" for d in project.plan.for_year(YEAR).surveyed_departments())
    assert f"19 部署の連絡先が config.toml の [department_contacts] にありません（{names}）。" in result.findings[2].message


def test_check__example_address_after_the_comment_was_removed__still_the_example(project, tmp_path):
    config = _ready_config(project, tmp_path)
    text = config.read_text(encoding="utf-8").replace('"05" = "情報政策課 内線104"', '"05" = "情報政策課 joho@example.jp"')
    config.write_text(text, encoding="utf-8")
    result = check_readiness(config, YEAR, dt.date(2025, 4, 1), office_finder=object)
    assert [(f.code, f.field) for f in result.findings] == [("SETUP_001", 'department_contacts."05"')]
    assert result.findings[0].message.startswith("部署 05 の連絡先「情報政策課 joho@example.jp」は設定例のままです。")


def test_check__deadline_before_today__to_fix(project, tmp_path):
    result = check_readiness(_ready_config(project, tmp_path), YEAR, dt.date(2025, 6, 1), office_finder=object)
    assert [f.code for f in result.findings] == ["SETUP_003"] and not result.ok
    assert result.findings[0].message == (
        "2024年度の提出期限 令和7年5月31日（2025年5月31日） は、今日（令和7年6月1日（2025年6月1日））より前です。"
        "調査票に載る期限なので、config.toml の survey.deadline を今後の日付に直してください"
        "（この年度だけ変えるなら、[survey] の deadlines に 2024 = 2025-07-01 の形で書けます）。")


def test_check__no_libreoffice__advice_how_to_install(project, tmp_path):
    result = check_readiness(_ready_config(project, tmp_path), YEAR, dt.date(2025, 4, 1), office_finder=lambda: None)
    assert [f.code for f in result.findings] == ["SETUP_004"] and result.ok
    assert "PDF は作られず、目次のページ番号は Word で開いて更新するまで入りません" in result.findings[0].message
    assert "GYOZAI_SOFFICE" in result.findings[0].message


def test_check__store_folder_cannot_be_written__to_fix(project, tmp_path):
    config = _ready_config(project, tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace('store = "output/progress.sqlite"',
                                                      f'store = "{blocker.as_posix()}/db/progress.sqlite"')
    config.write_text(text, encoding="utf-8")
    result = check_readiness(config, YEAR, dt.date(2025, 4, 1), office_finder=object)
    assert [(f.code, f.field) for f in result.findings] == [("SETUP_005", "paths.store")]
    assert result.findings[0].message == (
        f"データベース（config.toml の paths.store）のフォルダー {blocker / 'db'} に書き込めません（{blocker} がフォルダーでは"
        "なくファイル）。フォルダーの場所と書き込みの権限を確かめるか、paths.store を書き込めるフォルダーに直してください。")


def test_check__plan_with_mistakes__each_problem_to_fix(project, tmp_path):
    config = _ready_config(project, tmp_path)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN_FILE.read_text(encoding="utf-8").replace("period_end = 2025", "period_end = 2020", 1),
                    encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace(PLAN_FILE.as_posix(), plan.as_posix()),
                      encoding="utf-8")
    result = check_readiness(config, YEAR, dt.date(2025, 4, 1), office_finder=object)
    assert result.findings and {f.code for f in result.findings} == {"SETUP_006"} and not result.ok
    assert result.findings[0].message.startswith(f"計画ファイル {plan}: ")


def test_check__broken_config__one_point_to_fix(project, tmp_path):
    project.config_path.write_text("[plan]\nfile = \"x\n", encoding="utf-8")
    result = check_readiness(project.config_path, YEAR, dt.date(2025, 4, 1), office_finder=object)
    assert [f.code for f in result.findings] == ["SETUP_008"] and not result.ok
    assert "の 2 行目（10 文字目）の書式に誤りがあります: 文字列を閉じる「\"」がありません。" in result.findings[0].message


@needs_make
def test_make_check__shipped_config__exit_0_for_make_lines_say_what_to_fix(project):
    run = make("check", f"YEAR={YEAR}", "TODAY=2025-04-01", f"CONFIG={project.config_path}",
               env={"GYOZAI_SOFFICE": str(project.root / "no-soffice")})
    assert run.returncode == 0 and "make:" not in run.stdout
    said = lines(run)
    assert [line.split(":")[0] for line in said[:-1]] == ["直すこと", "直すこと", "確認", "確認", "確認"]
    assert said[-1] == ("点検の結果: 調査票を送る前に直すことが 2 件あります（確認すること 3 件）。"
                        f"直してから、もう一度 make check YEAR={YEAR} を実行してください。")
    direct = subprocess.run([sys.executable, "-m", "pipeline", "--config", str(project.config_path), "check",
                             "--year", str(YEAR), "--today", "2025-04-01"], cwd=ROOT, capture_output=True)
    assert direct.returncode == 1


@needs_make
def test_make_check__only_advice__exit_0_says_what_to_look_at(project, tmp_path):
    config = _ready_config(project, tmp_path)
    run = make("check", f"YEAR={YEAR}", "TODAY=2025-04-01", f"CONFIG={config}",
               env={"GYOZAI_SOFFICE": str(project.root / "no-soffice")})
    assert run.returncode == 0
    assert lines(run)[-1] == (f"点検の結果: 直すことはありません（確認すること 1 件）。上を確かめてから make templates YEAR={YEAR} "
                              "で調査票を作れます。")


# --- 6. make help and the demo say what really happens ----------------------------------------------------

@needs_make
def test_make_help__lists_the_front_door_targets_and_what_the_demo_does():
    run = make("help")
    assert run.returncode == 0
    for target in ("check", "templates", "collect", "report", "plan-check", "plan-export", "plan-import"):
        assert re.search(rf"^  make {target} ", run.stdout, re.MULTILINE), target
    assert "2022〜2025年度の4年分" in run.stdout and "ウェブページ" in run.stdout
    assert "FORCE=1" in run.stdout and "DEPT=" in run.stdout


def test_demo_closing_list__workbooks_without_opinions_or_practices__says_the_sheets_are_absent(project):
    from pipeline.demo import workbook_extras

    assert workbook_extras(project.config.templates_for(YEAR)) == (
        "19部署分、対応を尋ねる委員会意見はないため「委員会意見」シートなし、"
        "前年度の報告に優良事例がないため「優良事例」シートなし")


def test_demo__commands_shown__are_the_make_commands_for_its_workspace(tmp_path):
    from pipeline.demo import make_form

    config = make_project(tmp_path / "demo").config_path
    assert make_form(config, "opinions", "template", "--year", "2024") == \
        f"make opinions-template YEAR=2024 CONFIG={config.as_posix()}"


def test_demo__bad_usage__japanese_like_every_command():
    from pipeline.demo import main as demo_main

    result = CliRunner().invoke(demo_main, ["--year", "来年"])
    assert result.exit_code == 2 and not ENGLISH.search(result.output)
    assert result.output.splitlines() == [
        f"エラー: --year: 年度「来年」を読めません。{YEAR_FORMS} のように書いてください。",
        f"使い方は make help で、コマンドの詳しい使い方は {platform.venv_python()} -m pipeline.demo --help で確かめてください。"]


def test_usage_mistake_on_windows__names_the_venv_python_as_typed_there(monkeypatch):
    """On the secretariat's Windows PC the hint names .venv\\Scripts\\python, the path that exists there."""
    from pipeline import platform

    monkeypatch.setattr(platform, "WINDOWS", True)
    result = CliRunner().invoke(main, ["collect", "--year", "来年"])
    assert result.exit_code == 2
    assert "コマンドの詳しい使い方は .venv\\Scripts\\python -m pipeline collect --help で確かめてください。" in result.output
    assert ".venv/bin/python" not in result.output


def test_help_of_every_command__japanese_throughout_with_this_systems_command_form():
    """--help of every command and group: click's own headings and words in Japanese too; the examples name
    the .venv's python as it is typed on this system."""
    runner = CliRunner()
    pending = [[]]
    while pending:
        words = pending.pop()
        command = main
        for word in words:
            command = command.get_command(None, word)
        result = runner.invoke(main, [*words, "--help"])
        assert result.exit_code == 0, (words, result.output)
        for english in ("Usage:", "Options:", "Commands:", "[required]", "Show this message", "[OPTIONS]", "[ARGS]"):
            assert english not in result.output, (words, english)
        assert result.output.startswith("使い方: "), words
        if ".venv" in result.output:
            assert f"{platform.venv_python()} -m pipeline" in result.output, words
        if isinstance(command, click.Group):
            pending += [[*words, name] for name in command.list_commands(None)]
