"""`python -m pipeline`: the command line. Run by a Python that lacks the tool's libraries (the system's python3
instead of the .venv's, before `make install`), it says in one Japanese line what to run instead, not a traceback."""

import sys

NOT_HERE = ("このツールに必要な{what}がこの Python（{python}）にありません。make install で .venv を作ってから、"
            "make help にあるコマンド（例: make collect YEAR=2025）か、.venv の Python（.venv/bin/python -m pipeline …、"
            "Windows では .venv\\Scripts\\python -m pipeline …）で実行してください。")


def _missing(exc: ModuleNotFoundError) -> bool:
    """True when a third-party library is missing (not a module of this tool)."""
    return bool(exc.name) and exc.name.split(".")[0] != "pipeline"


def run() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run by any python3 the user has, before the .venv exists
        print(NOT_HERE.format(what="Python 3.11 以上", python=sys.executable), file=sys.stderr)
        sys.exit(2)
    try:
        from pipeline.cli import main

        main()
    except ModuleNotFoundError as exc:
        if not _missing(exc):
            raise
        print(NOT_HERE.format(what=f"ライブラリ（{exc.name}）", python=sys.executable), file=sys.stderr)
        sys.exit(2)


run()
