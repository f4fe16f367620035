"""make.cmd's other half: the Makefile's targets where there is no make (Windows, cmd.exe or PowerShell).

    make.cmd collect YEAR=2025        (cmd.exe)
    .\\make.cmd collect YEAR=2025      (PowerShell)

The same targets, the same VAR=value options and the same exit codes as the Makefile: exit 1 ("the input needs
fixing") ends normally for the input targets, exit 2 stops. `install` makes .venv, from the wheelhouse folder
without network when there is one (tools/wheelhouse.py), else from PyPI. Only the standard library is used: it
runs before anything is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
WHEELHOUSE = ROOT / "wheelhouse"

# target → (arguments after `python -m pipeline --config CONFIG`, whether exit 1 ends normally)
TARGETS = {
    "check": (lambda v: ["check", "--year", v["YEAR"], *_opt("--today", v["TODAY"])], True),
    "templates": (lambda v: ["templates", "--year", v["YEAR"], *_force(v), *_departments(v)], False),
    "collect": (lambda v: ["collect", "--year", v["YEAR"], *_force(v)], True),
    "report": (lambda v: ["report", "--year", v["YEAR"]], False),
    "status": (lambda v: ["status", "--year", v["YEAR"], *_opt("--today", v["TODAY"])], True),
    "opinions-template": (lambda v: ["opinions", "template", "--year", v["YEAR"], *_force(v)], False),
    "opinions-collect": (lambda v: ["opinions", "collect", "--year", v["YEAR"]], True),
    "history-template": (lambda v: ["history", "template", "--year", v["YEAR"], *_force(v)], False),
    "history-import": (lambda v: ["history", "import", "--year", v["YEAR"], *_force(v),
                                  *([v["FILE"]] if v["FILE"] else [])], True),
    "plan-check": (lambda v: ["plan-check"], False),
    "plan-export": (lambda v: ["plan", "export", "--out", v["MASTER"], *_force(v)], False),
    "plan-import": (lambda v: ["plan", "import", v["MASTER"], "--out", v["OUT"], *_force(v)], True),
    "original": (lambda v: ["original", *(["--sha256", v["SHA"]] if v["SHA"] else ["--year", v["YEAR"], *_departments(v)]),
                            *_opt("--out", v["OUT"])], False),
}
# what the developers' targets run (the Makefile's; bench and docs-images are Linux tools, not here)
PYTEST_PARALLEL = ["-n", "auto", "--dist", "loadfile"]
HELP = {
    "install": ".venv を作り、このツールと必要なライブラリを入れる（wheelhouse フォルダーがあればネットワークなしで）",
    "check": "最初の調査票を送る前の点検。TODAY=YYYY-MM-DD で基準日",
    "templates": "年度の調査票を作る。FORCE=1 で上書き、DEPT=05 で部署を指定",
    "collect": "受付フォルダー returns\\YEAR\\ の回答を点検し、取り込む",
    "report": "報告書・参考指標一覧・公表用ウェブページを作る（output\\YEAR\\）",
    "status": "提出・未提出・差し戻しの状況を1画面で表示する",
    "opinions-template": "委員会意見・優良事例の記録票を作る",
    "opinions-collect": "記録票に記入した委員会意見・優良事例を取り込む",
    "history-template": "手作業で調査・報告した年度の転記票を作る",
    "history-import": "記入した転記票を取り込む（FILE= でファイルを指定）",
    "original": "取り込んだ回答の控えを取り出す。DEPT=部署コード（YEAR の受理分）か SHA=ハッシュ値、OUT=保存先",
    "plan-check": "計画ファイルを点検する",
    "plan-export": "計画を Excel の計画マスタ（MASTER=）に書き出す",
    "plan-import": "計画マスタ（MASTER=）から計画ファイル（OUT=）を書き出す",
    "demo": "見本の作業フォルダー demo\\ で一連の流れを通す",
    "test": "テストを実行する",
    "test-fast": "LibreOffice・ブラウザーを使うテストを省いて実行する",
    "lint": "コードの書式・誤りを点検する（ruff）",
    "clean": "生成物（demo\\ と .venv）を消す。回答・データベースは消さない",
}
DEFAULTS = {"YEAR": "2025", "CONFIG": "config.toml", "FORCE": "", "DEPT": "", "MASTER": "計画マスタ.xlsx",
            "OUT": "", "TODAY": "", "FILE": "", "SHA": ""}


def _opt(flag: str, value: str) -> list[str]:
    return [flag, value] if value else []


def _force(v: dict[str, str]) -> list[str]:
    return ["--force"] if v["FORCE"] and v["FORCE"] not in ("0", "no") else []


def _departments(v: dict[str, str]) -> list[str]:
    return [a for d in v["DEPT"].split(",") if d for a in ("--department", d)]


def install() -> int:
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.stat().st_mtime >= (ROOT / "pyproject.toml").stat().st_mtime:
        return 0
    if not PY.exists():
        import venv  # in python.org's installer; not in its embeddable zip, which runs only `help` here

        venv.EnvBuilder(with_pip=True).create(VENV)
    if WHEELHOUSE.is_dir():
        print(f"{WHEELHOUSE} から入れます（ネットワークは使いません）")
        where = ["--no-index", "--find-links", str(WHEELHOUSE)]
    else:
        subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=False)
        where = []
    status = subprocess.run([str(PY), "-m", "pip", "install", "--quiet", *where, "-e", f"{ROOT}[dev]"]).returncode
    if status == 0:
        stamp.touch()
    return status


def command_for(target: str, values: dict[str, str]) -> tuple[list[str], tuple[int, ...]]:
    """What `target` runs after the .venv's python, as the Makefile's recipe does, and the exit codes that end
    normally (1 too for the targets whose input may need fixing)."""
    if target == "demo":
        return ["-m", "pipeline.demo", "--workspace", "demo", "--year", values["YEAR"]], (0,)
    if target in ("test", "test-fast"):
        return ["-m", "pytest", "-q", *PYTEST_PARALLEL], (0,)
    if target == "lint":
        return ["-m", "ruff", "check", "pipeline", "tests", "tools", "bench"], (0,)
    arguments, input_target = TARGETS[target]
    return ["-m", "pipeline", "--config", values["CONFIG"], *arguments(values)], ((0, 1) if input_target else (0,))


def main(argv: list[str]) -> int:
    values = dict(DEFAULTS)
    values.update({k: v for k, v in os.environ.items() if k in DEFAULTS and k != "FILE"})
    targets = []
    for word in argv:
        match = re.fullmatch(r"([A-Z_]+)=(.*)", word)
        if match:
            values[match.group(1)] = match.group(2)
        else:
            targets.append(word)
    for target in targets or ["help"]:
        if target == "help":
            for name, what in HELP.items():
                print(f"  make.cmd {name:<18} {what}")
            print(f"  YEAR={values['YEAR']} で年度を指定（例: make.cmd collect YEAR=2024）、FORCE=1 で上書き")
            continue
        if target == "clean":
            shutil.rmtree(ROOT / "demo", ignore_errors=True)
            shutil.rmtree(VENV, ignore_errors=True)
            continue
        if target not in HELP:
            print(f"「{target}」というターゲットはありません。make.cmd help で一覧を表示します。", file=sys.stderr)
            return 2
        status = install()
        if status or target == "install":
            if status:
                return status
            continue
        if target == "plan-import" and not values["OUT"]:
            print("OUT= に書き出す計画ファイルを指定してください（例: make.cmd plan-import OUT=plan\\izunokuni_2022_2025.toml FORCE=1）",
                  file=sys.stderr)
            return 2
        arguments, ok = command_for(target, values)
        env = None
        if target == "test-fast":
            env = {**os.environ, "GYOZAI_SOFFICE": "/nonexistent", "GYOZAI_CHROMIUM": "/nonexistent"}
        status = subprocess.run([str(PY), *arguments], cwd=ROOT, env=env).returncode
        if status not in ok:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
