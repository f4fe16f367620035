"""Prepare, on a PC connected to the internet, a folder of every wheel the tool needs (a wheelhouse), to carry
on a USB stick to a PC without internet (the city hall's LGWAN), where `make.cmd install` installs from it.

    python tools/wheelhouse.py                      Windows x64, CPython 3.11, 3.12 and 3.13 → wheelhouse/
    python tools/wheelhouse.py --here               only this PC's own system and Python (e.g. to try it on Linux)

The wheels are fetched with `pip download --only-binary=:all:` for each Python version, so that whichever
python.org CPython (3.11 to 3.13) the city hall's PC has, its wheels are there. pip judges the libraries'
environment markers as this PC's, so for Windows the ones only Windows needs (colorama, which click uses there)
are named here. setuptools is included: `pip install -e .` builds this project with it, offline too.
Only the standard library and pip are used.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ("3.11", "3.12", "3.13")
WINDOWS_ONLY = ("colorama",)          # dependencies behind `sys_platform == "win32"` markers
BUILD = ("setuptools>=64", "wheel")   # what `pip install -e .` needs to build this project


def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["dev"], *BUILD]


def download(dest: Path, *, here: bool, versions: tuple[str, ...]) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    wanted = requirements()
    runs = [[]] if here else [["--platform", "win_amd64", "--python-version", v, "--implementation", "cp"]
                              for v in versions]
    for target in runs:
        extra = [] if here else list(WINDOWS_ONLY)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(dest),
                   *target, *wanted, *extra]
        print("$ " + " ".join(command[2:5]) + " … " + " ".join(target))
        status = subprocess.run(command).returncode
        if status:
            print(f"ダウンロードに失敗しました（{' '.join(target) or 'この PC 用'}）。インターネットにつながっているか確かめてください。",
                  file=sys.stderr)
            return status
    count = len(list(dest.glob("*.whl")))
    size = sum(p.stat().st_size for p in dest.glob("*.whl")) / 1e6
    print(f"{dest} に {count} 個のホイール（{size:.0f} MB）を用意しました。このフォルダーごと、ツールのフォルダーに入れて運んでください。")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "wheelhouse", help="ホイールを置くフォルダー")
    parser.add_argument("--here", action="store_true", help="この PC の OS と Python の分だけ")
    parser.add_argument("--python", nargs="+", default=list(VERSIONS), help="Windows 用に用意する Python の版")
    args = parser.parse_args()
    return download(args.dest, here=args.here, versions=tuple(args.python))


if __name__ == "__main__":
    sys.exit(main())
