"""The store: SQLite, every fiscal year side by side, so a report can compare years.

A collect run replaces one fiscal year's rows in one transaction: the year's state is a function of
that year's inbox, so running collect again on the same inbox gives the same store, and a corrected
return replaces that department's answers. Other years are never touched.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import LockedError, PipelineError
from pipeline.findings import Finding

SCHEMA_VERSION = 1

# Submission status
ACCEPTED, REJECTED, SUPERSEDED, DUPLICATE = "accepted", "rejected", "superseded", "duplicate"
# Roster status of a department for a year
RETURNED, WITH_ERRORS, MISSING = "accepted", "errors", "missing"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    fiscal_year     INTEGER NOT NULL,
    file_name       TEXT    NOT NULL,   -- path relative to the year's inbox
    sha256          TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    department_code TEXT,               -- from the hidden identity (NULL when unidentified)
    template_id     TEXT,
    schema_version  TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('accepted','rejected','superseded','duplicate')),
    saved_at        TEXT,               -- when the workbook was last saved (its own properties, else the file)
    received_at     TEXT    NOT NULL,   -- the file's modification time in the inbox
    errors          INTEGER NOT NULL,
    warnings        INTEGER NOT NULL,
    PRIMARY KEY (fiscal_year, file_name)
);
CREATE TABLE IF NOT EXISTS roster (
    fiscal_year     INTEGER NOT NULL,
    department_code TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('accepted','errors','missing')),
    file_name       TEXT,               -- the submission that counts (NULL when missing)
    PRIMARY KEY (fiscal_year, department_code)
);
CREATE TABLE IF NOT EXISTS answers (
    fiscal_year     INTEGER NOT NULL,
    initiative_id   TEXT    NOT NULL,
    department_code TEXT    NOT NULL,
    item_code       TEXT    NOT NULL,
    progress        TEXT    NOT NULL,   -- 進捗状況
    result          TEXT    NOT NULL,   -- 取組実績
    issues          TEXT    NOT NULL,   -- 課題
    next_plan       TEXT    NOT NULL,   -- 次年度の取組予定
    sha256          TEXT    NOT NULL,   -- the submission it came from
    PRIMARY KEY (fiscal_year, initiative_id, department_code)
);
CREATE TABLE IF NOT EXISTS indicator_actuals (
    fiscal_year     INTEGER NOT NULL,
    item_code       TEXT    NOT NULL,
    department_code TEXT    NOT NULL,
    value           REAL    NOT NULL,   -- the year's own figure (not a running total)
    sha256          TEXT    NOT NULL,
    PRIMARY KEY (fiscal_year, item_code)
);
CREATE TABLE IF NOT EXISTS evaluations (
    fiscal_year     INTEGER NOT NULL,
    item_code       TEXT    NOT NULL,
    department_code TEXT    NOT NULL,
    grade           TEXT    NOT NULL,   -- 自己評価 code (S/A/B/C)
    reason          TEXT    NOT NULL,   -- 評価の理由
    sha256          TEXT    NOT NULL,
    PRIMARY KEY (fiscal_year, item_code)
);
CREATE TABLE IF NOT EXISTS findings (
    fiscal_year     INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    severity        TEXT    NOT NULL,
    code            TEXT    NOT NULL,
    file            TEXT    NOT NULL,
    department_code TEXT    NOT NULL,
    sheet           TEXT    NOT NULL,
    cell            TEXT    NOT NULL,
    field           TEXT    NOT NULL,
    value           TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    PRIMARY KEY (fiscal_year, seq)
);
CREATE TABLE IF NOT EXISTS runs (
    fiscal_year     INTEGER PRIMARY KEY,
    plan_id         TEXT    NOT NULL,
    plan_digest     TEXT    NOT NULL,
    collected_at    TEXT    NOT NULL
);
"""


@dataclass(frozen=True)
class Submission:
    file_name: str
    sha256: str
    size: int
    department_code: str | None
    template_id: str | None
    schema_version: str | None
    status: str
    saved_at: str | None
    received_at: str
    errors: int
    warnings: int


@dataclass(frozen=True)
class Answer:
    initiative_id: str
    department_code: str
    item_code: str
    progress: str
    result: str
    issues: str
    next_plan: str


@dataclass(frozen=True)
class IndicatorActual:
    item_code: str
    department_code: str
    value: float


@dataclass(frozen=True)
class Evaluation:
    item_code: str
    department_code: str
    grade: str
    reason: str


@dataclass
class YearRecord:
    """Everything one collect run decided for one fiscal year: what the store will hold."""

    fiscal_year: int
    plan_id: str
    plan_digest: str
    collected_at: str
    submissions: list[Submission]
    roster: dict[str, tuple[str, str | None]]        # department → (status, file_name)
    answers: list[tuple[Answer, str]]                 # (answer, sha256)
    actuals: list[tuple[IndicatorActual, str]]        # (actual, sha256) for fiscal_year
    evaluations: list[tuple[Evaluation, str]]
    findings: list[Finding]


class Store:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise PipelineError(f"データベース {self.path} を開けません（{exc}）。壊れている場合はバックアップから戻してください。") from None
        if version > SCHEMA_VERSION:
            raise PipelineError(
                f"データベース {self.path} はこのプログラムより新しい版（{version}）で作られています。プログラムを更新してください。"
            )
        self.db.executescript(_SCHEMA)
        self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writing ------------------------------------------------------------------------------------
    def replace_year(self, record: YearRecord) -> None:
        """Replace everything for record.fiscal_year in one transaction (all or nothing)."""
        y = record.fiscal_year
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in ("submissions", "roster", "answers", "indicator_actuals", "evaluations", "findings"):
                db.execute(f"DELETE FROM {table} WHERE fiscal_year = ?", (y,))
            db.executemany(
                "INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(y, s.file_name, s.sha256, s.size, s.department_code, s.template_id, s.schema_version,
                  s.status, s.saved_at, s.received_at, s.errors, s.warnings) for s in record.submissions],
            )
            db.executemany(
                "INSERT INTO roster VALUES (?,?,?,?)",
                [(y, dept, status, file) for dept, (status, file) in sorted(record.roster.items())],
            )
            db.executemany(
                "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?,?)",
                [(y, a.initiative_id, a.department_code, a.item_code, a.progress, a.result, a.issues,
                  a.next_plan, sha) for a, sha in record.answers],
            )
            db.executemany(
                "INSERT INTO indicator_actuals VALUES (?,?,?,?,?)",
                [(y, a.item_code, a.department_code, a.value, sha) for a, sha in record.actuals],
            )
            db.executemany(
                "INSERT INTO evaluations VALUES (?,?,?,?,?,?)",
                [(y, e.item_code, e.department_code, e.grade, e.reason, sha) for e, sha in record.evaluations],
            )
            db.executemany(
                "INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(y, n, str(f.severity), f.code, f.file, f.department, f.sheet, f.cell, f.field, f.value, f.message)
                 for n, f in enumerate(record.findings)],
            )
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?,?,?,?)",
                (y, record.plan_id, record.plan_digest, record.collected_at),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # --- reading ------------------------------------------------------------------------------------
    def years(self) -> list[int]:
        """Fiscal years that have been collected."""
        return [r[0] for r in self.db.execute("SELECT fiscal_year FROM runs ORDER BY fiscal_year")]

    def has_year(self, year: int) -> bool:
        return year in self.years()

    def roster(self, year: int) -> dict[str, str]:
        """department code → accepted / errors / missing."""
        rows = self.db.execute("SELECT department_code, status FROM roster WHERE fiscal_year = ?", (year,))
        return dict(rows.fetchall())

    def submissions(self, year: int) -> list[Submission]:
        rows = self.db.execute(
            "SELECT file_name, sha256, size, department_code, template_id, schema_version, status, saved_at,"
            " received_at, errors, warnings FROM submissions WHERE fiscal_year = ? ORDER BY file_name", (year,))
        return [Submission(*r) for r in rows]

    def answers(self, year: int) -> dict[tuple[str, str], Answer]:
        """(initiative_id, department_code) → Answer."""
        rows = self.db.execute(
            "SELECT initiative_id, department_code, item_code, progress, result, issues, next_plan"
            " FROM answers WHERE fiscal_year = ? ORDER BY initiative_id, department_code", (year,))
        return {(r[0], r[1]): Answer(*r) for r in rows}

    def evaluations(self, year: int) -> dict[str, Evaluation]:
        rows = self.db.execute(
            "SELECT item_code, department_code, grade, reason FROM evaluations WHERE fiscal_year = ?", (year,))
        return {r[0]: Evaluation(*r) for r in rows}

    def actuals(self) -> dict[tuple[int, str], float]:
        """(fiscal_year, item_code) → the year's own figure, for every collected year."""
        rows = self.db.execute("SELECT fiscal_year, item_code, value FROM indicator_actuals")
        return {(r[0], r[1]): r[2] for r in rows}

    def findings(self, year: int) -> list[tuple]:
        return self.db.execute(
            "SELECT severity, code, file, department_code, sheet, cell, field, value, message"
            " FROM findings WHERE fiscal_year = ? ORDER BY seq", (year,)).fetchall()

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table in a stable order — for comparing two stores."""
        out = {}
        for (table,) in self.db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            out[table] = sorted(self.db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        return out


@contextmanager
def run_lock(store_path: Path | str) -> Iterator[None]:
    """One collect or report at a time on a store; a second gets a clear message, not a corrupt store."""
    lock_path = Path(f"{store_path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"別の collect または report が実行中です（{lock_path}）。終わってからもう一度実行してください。"
            ) from None
        yield
    finally:
        os.close(fd)


