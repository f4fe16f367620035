"""The store: SQLite, every fiscal year side by side, so a report can compare years.

A collect run replaces one fiscal year's rows in one transaction: the year's state is a function of
that year's inbox, so running collect again on the same inbox gives the same store, and a corrected
return replaces that department's answers. Other years are never touched.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

from pipeline.errors import (
    NOTHING_CHANGED,
    PipelineError,
    StorageError,
)
from pipeline.records.opinions import GoodPractice, Opinion, Response
from pipeline.records.year import (
    Answer,
    Evaluation,
    Submission,
    Transcription,
    YearRecord,
)
from pipeline.storefile import create_store, diagnose, sqlite_code, tidy_on_failure
from pipeline.storefile import (
    run_lock as run_lock,  # one collect or report at a time: part of the store's interface
)
from pipeline.values import spreadsheet_number
from pipeline.vocabulary import Arrival, ResponseStatus, RosterStatus, SubmissionStatus

SCHEMA_VERSION = 5   # 2: the committee's opinions, good practices and the responses (a v1 store gains them)
#                      3: roster_arrivals, what came from a department that could not be used (a v2 store gains it)
#                      4: the years transcribed from the printed reports (an older store gains the table)
#                      5: the adopted files' bytes (returned_files), in the store with the records that name them;
#                         an older store gains the table and takes in the copies of the archive folder


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
CREATE TABLE IF NOT EXISTS roster_arrivals (
    fiscal_year     INTEGER NOT NULL,
    department_code TEXT    NOT NULL,
    arrival         TEXT    NOT NULL,   -- vocabulary.Arrival: what came (another year's form, a zip…), the roster holding its file
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
CREATE TABLE IF NOT EXISTS opinions (
    opinion_id      TEXT    PRIMARY KEY,   -- year and number: 2024-03
    fiscal_year     INTEGER NOT NULL,      -- the year whose report the committee gave it on
    number          INTEGER NOT NULL,
    item_code       TEXT    NOT NULL,      -- an action item's code, or 全般
    department_code TEXT    NOT NULL,      -- who answers it
    text            TEXT    NOT NULL,
    member          TEXT    NOT NULL,
    given_on        TEXT    NOT NULL,
    UNIQUE (fiscal_year, number)
);
CREATE TABLE IF NOT EXISTS opinion_registers (
    fiscal_year     INTEGER PRIMARY KEY,   -- the year whose report the register is on
    file_name       TEXT    NOT NULL,
    sha256          TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS good_practices (
    fiscal_year     INTEGER NOT NULL,      -- named on this year's report
    number          INTEGER NOT NULL,
    initiative_id   TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    PRIMARY KEY (fiscal_year, number)
);
CREATE TABLE IF NOT EXISTS opinion_responses (
    fiscal_year     INTEGER NOT NULL,      -- the year whose workbook carried the answer
    opinion_id      TEXT    NOT NULL,
    department_code TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('done','in_progress','not_yet','declined','unanswered')),
    text            TEXT    NOT NULL,
    sha256          TEXT    NOT NULL,
    PRIMARY KEY (fiscal_year, opinion_id)
);
CREATE TABLE IF NOT EXISTS transcriptions (
    fiscal_year     INTEGER PRIMARY KEY,   -- a year done by hand, taken in from its 転記票 (history import)
    source          TEXT    NOT NULL,      -- where it was transcribed from: 令和5年度進捗状況報告書から転記
    file_name       TEXT    NOT NULL,
    sha256          TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS returned_files (
    sha256          TEXT    PRIMARY KEY,   -- of the bytes: what submissions, registers and transcriptions name
    data            BLOB    NOT NULL       -- the file exactly as it came (a return, a register, a 転記票)
);
CREATE INDEX IF NOT EXISTS submissions_by_sha256 ON submissions (sha256);
CREATE TABLE IF NOT EXISTS runs (
    fiscal_year     INTEGER PRIMARY KEY,
    plan_id         TEXT    NOT NULL,
    plan_digest     TEXT    NOT NULL,
    collected_at    TEXT    NOT NULL
);
"""


class Store:
    """The store, opened for writing (collect) or, with `readonly=True`, only for reading (status, report,
    the templates' carry-over), which also works where the store lies on a read-only medium.

    Every way it cannot be opened or written (damaged, empty, newer, read-only, a full disk, a folder
    without permission) raises a StorageError naming the file; nothing is changed."""

    def __init__(self, path: Path | str, *, readonly: bool = False, archive: Path | None = None):
        """`archive`: the folder where versions before schema 5 kept the adopted files, one file each; a store
        opened for writing that is upgraded to schema 5 takes them in (the folder is left as it is)."""
        self.path = Path(path)
        self.readonly = readonly
        self.archive = archive
        self._kept_now: set[str] = set()     # files this transaction added (see keep_file)
        try:
            if readonly:
                self.db = self._open_for_reading()
            else:
                self.db = self._open_for_writing()
        except sqlite3.Error as exc:
            raise self.error(exc, action="を開けません" if readonly else "に書き込めません") from None
        except OSError as exc:
            raise StorageError.of(exc, self.path, action="を開けません") from None

    def _open_for_writing(self) -> sqlite3.Connection:
        if not self.path.exists():
            create_store(self.path, _write_schema)
        self._refuse_empty()
        with tidy_on_failure(self.path):
            return self._connect_for_writing()

    def _connect_for_writing(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            version = self._check_version(db)
            db.execute("BEGIN IMMEDIATE")
            try:
                if version < SCHEMA_VERSION:
                    _write_schema(db)
                    if version < 5 and self.archive is not None:
                        _take_in_archive(db, self.archive)
                    db.execute("COMMIT")
                else:
                    # the same value again: fails at once on a store we cannot write, changes nothing
                    db.execute(f"PRAGMA user_version={version}")
                    db.execute("ROLLBACK")
            finally:
                _rollback_if_open(db)
        except BaseException:
            db.close()
            raise
        return db

    def _open_for_reading(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise StorageError(f"データベース {self.path} がありません。config.toml の [paths] store を確かめてください。",
                               path=self.path, cause="ファイルがない")
        self._refuse_empty()
        uri = self.path.resolve().as_uri()
        try:
            with tidy_on_failure(self.path):
                # mode=rw never creates a file; query_only refuses every write. The last connection to close
                # still folds the -wal into the store and removes it, as a writer's does: the folder stays tidy.
                db = sqlite3.connect(f"{uri}?mode=rw", uri=True, isolation_level=None)
                try:
                    db.execute("PRAGMA query_only=ON")
                    db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                except BaseException:
                    db.close()
                    raise
        except sqlite3.OperationalError as exc:
            wal = Path(f"{self.path}-wal")
            if sqlite_code(exc) not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY) or (
                    wal.exists() and wal.stat().st_size > 0):
                raise
            # WAL needs a -shm file beside the store; where none can be made (a read-only medium, a full disk)
            # and no write is pending in a -wal file, the file alone is the whole store: read it as it is.
            db = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)
        try:
            self._check_version(db)
        except BaseException:
            db.close()
            raise
        return db

    def _refuse_empty(self) -> None:
        """A 0-byte file is a damaged store, never a new one: starting afresh would lose every other year."""
        if self.path.exists() and self.path.stat().st_size == 0:
            raise StorageError(
                f"データベース {self.path} が空（0 バイト）です。壊れているか、書き込みの途中で止まった可能性があります。"
                "他の年度の回答を失わないよう、新しく作り直すことはしません。"
                f"{NOTHING_CHANGED}バックアップから戻してから、もう一度実行してください"
                "（まだ一度も collect していない場合は、このファイルを削除してから実行してください）。",
                path=self.path, cause="空のファイル",
            )

    def _check_version(self, db: sqlite3.Connection) -> int:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise PipelineError(
                f"データベース {self.path} はこのプログラムより新しい版（{version}）で作られています。プログラムを更新してください。"
            )
        return version

    def error(self, exc: sqlite3.Error, *, action: str = "に書き込めません") -> StorageError:
        """The message for a SQLite error on this store: damaged, or why it cannot be written."""
        if sqlite_code(exc) in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return StorageError(
                f"データベース {self.path} を開けません（{exc}）。壊れている可能性があります。{NOTHING_CHANGED}"
                "バックアップから戻してから、もう一度実行してください。",
                path=self.path, cause=str(exc),
            )
        return StorageError.of(exc, self.path, action=action, cause=diagnose(exc, self.path))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writing ------------------------------------------------------------------------------------
    def keep_file(self, sha256: str, data: bytes) -> None:
        """Keep a file's exact bytes under its sha256, in the transaction the next replace_year or
        replace_opinions commits (begun here when none is open): the record and its file are committed
        together or not at all. A file the store holds already is not written again."""
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"the bytes kept as {sha256} have another sha256")
        try:
            _begin(self.db)
            if self.db.execute("INSERT OR IGNORE INTO returned_files VALUES (?,?)", (sha256, data)).rowcount:
                self._kept_now.add(sha256)
        except sqlite3.Error as exc:
            _rollback_if_open(self.db)
            self._kept_now.clear()
            raise self.error(exc) from None

    def replace_year(self, record: YearRecord) -> None:
        """Replace everything for record.fiscal_year in one transaction (all or nothing)."""
        try:
            self._replace_year(record)
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    def _replace_year(self, record: YearRecord) -> None:
        y = record.fiscal_year
        db = self.db
        _begin(db)
        try:
            for table in ("submissions", "roster", "answers", "indicator_actuals", "evaluations", "findings",
                          "opinion_responses", "roster_arrivals"):
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
                "INSERT INTO roster_arrivals VALUES (?,?,?)",
                [(y, dept, arrival) for dept, arrival in sorted(record.arrivals.items())],
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
            db.executemany(
                "INSERT INTO opinion_responses VALUES (?,?,?,?,?,?)",
                [(y, r.opinion_id, r.department_code, r.status, r.text, sha) for r, sha in record.responses],
            )
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?,?,?,?)",
                (y, record.plan_id, record.plan_digest, record.collected_at),
            )
            # a year is either collected or transcribed: replacing it says which, in the same transaction
            db.execute("DELETE FROM transcriptions WHERE fiscal_year = ?", (y,))
            if record.transcription is not None:
                t = record.transcription
                db.execute("INSERT INTO transcriptions VALUES (?,?,?,?)", (y, t.source, t.file_name, t.sha256))
            self._drop_unused_kept()
            db.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back by itself (a full disk): a second ROLLBACK would fail and hide the cause
            _rollback_if_open(db)
            raise
        finally:
            self._kept_now.clear()

    def _drop_unused_kept(self) -> None:
        """The files kept in this transaction that no record names after all (a return kept as it arrived
        that lost to another of its department's, or was a duplicate) are not stored."""
        self.db.executemany(
            "DELETE FROM returned_files WHERE sha256 = ?1"
            " AND NOT EXISTS (SELECT 1 FROM submissions WHERE sha256 = ?1 AND status = 'accepted')"
            " AND NOT EXISTS (SELECT 1 FROM opinion_registers WHERE sha256 = ?1)"
            " AND NOT EXISTS (SELECT 1 FROM transcriptions WHERE sha256 = ?1)",
            [(sha,) for sha in sorted(self._kept_now)])

    def replace_opinions(self, year: int, opinions: list[Opinion], practices: list[GoodPractice], *,
                         file_name: str, sha256: str) -> None:
        """Replace the committee's opinions and good practices given on year `year`'s report (from the
        register `file_name`), in one transaction. Answers given in later years stay (they name opinions by ID)."""
        try:
            self._replace_opinions(year, opinions, practices, file_name, sha256)
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    def _replace_opinions(self, year: int, opinions: list[Opinion], practices: list[GoodPractice],
                          file_name: str, sha256: str) -> None:
        db = self.db
        _begin(db)
        try:
            db.execute("INSERT OR REPLACE INTO opinion_registers VALUES (?,?,?)", (year, file_name, sha256))
            db.execute("DELETE FROM opinions WHERE fiscal_year = ?", (year,))
            db.execute("DELETE FROM good_practices WHERE fiscal_year = ?", (year,))
            db.executemany(
                "INSERT INTO opinions VALUES (?,?,?,?,?,?,?,?)",
                [(o.id, year, o.number, o.item_code, o.department_code, o.text, o.member, o.given_on)
                 for o in opinions],
            )
            db.executemany(
                "INSERT INTO good_practices VALUES (?,?,?,?)",
                [(year, p.number, p.initiative_id, p.reason) for p in practices],
            )
            self._drop_unused_kept()
            db.execute("COMMIT")
        except BaseException:
            _rollback_if_open(db)
            raise
        finally:
            self._kept_now.clear()

    # --- reading ------------------------------------------------------------------------------------
    def kept_files(self) -> frozenset[str]:
        """The sha256 of every file the store holds the bytes of (none before schema 5)."""
        if not self._has_table("returned_files"):
            return frozenset()
        return frozenset(r[0] for r in self.db.execute("SELECT sha256 FROM returned_files"))

    def kept_file(self, sha256: str) -> bytes | None:
        """A kept file's bytes by their sha256, or None when the store does not hold them."""
        if not self._has_table("returned_files"):
            return None
        row = self.db.execute("SELECT data FROM returned_files WHERE sha256 = ?", (sha256,)).fetchone()
        return bytes(row[0]) if row else None

    def sha256_named(self, prefix: str) -> list[str]:
        """Every sha256 a record or the kept files name that starts with `prefix` (lower case hex)."""
        tables = [t for t in ("submissions", "opinion_registers", "transcriptions", "returned_files") if self._has_table(t)]
        found: set[str] = set()
        for table in tables:
            found.update(r[0] for r in self.db.execute(
                f"SELECT DISTINCT sha256 FROM {table} WHERE substr(sha256, 1, ?) = ?", (len(prefix), prefix)))
        return sorted(found)

    def names_of(self, sha256: str) -> list[tuple[int, str]]:
        """(year, file name) of every record of the file with this sha256: submissions, registers, 転記票."""
        rows: list[tuple[int, str]] = []
        for table in ("submissions", "opinion_registers", "transcriptions"):
            if self._has_table(table):
                rows += self.db.execute(f"SELECT fiscal_year, file_name FROM {table} WHERE sha256 = ?", (sha256,)).fetchall()
        return sorted(set(rows))

    def years(self) -> list[int]:
        """Fiscal years that have been collected (or transcribed: see transcriptions)."""
        return [r[0] for r in self.db.execute("SELECT fiscal_year FROM runs ORDER BY fiscal_year")]

    def has_year(self, year: int) -> bool:
        return year in self.years()

    def transcriptions(self) -> dict[int, Transcription]:
        """year → how it was transcribed, for the years taken in from a 転記票 (none before schema 3)."""
        rows = self._rows_of("transcriptions",
                             "SELECT fiscal_year, source, file_name, sha256 FROM transcriptions ORDER BY fiscal_year")
        return {r[0]: Transcription(*r) for r in rows}

    def transcription(self, year: int) -> Transcription | None:
        return self.transcriptions().get(year)

    def roster(self, year: int) -> dict[str, RosterStatus]:
        """department code → where it stands (returned, with errors, missing)."""
        rows = self.db.execute("SELECT department_code, status FROM roster WHERE fiscal_year = ?", (year,))
        return {code: RosterStatus.from_stored(status) for code, status in rows}

    def arrivals(self, year: int) -> dict[str, tuple[Arrival, str]]:
        """department code → (what came from it that could not be used, the file): only departments without
        a usable return that sent something (none in a store made before schema 3)."""
        rows = self._rows_of(
            "roster_arrivals", "SELECT a.department_code, a.arrival, r.file_name FROM roster_arrivals a JOIN roster r"
            " ON r.fiscal_year = a.fiscal_year AND r.department_code = a.department_code WHERE a.fiscal_year = ?",
            (year,))
        return {code: (Arrival(arrival), file or "") for code, arrival, file in rows}

    def submissions(self, year: int) -> list[Submission]:
        rows = self.db.execute(
            "SELECT file_name, sha256, size, department_code, template_id, schema_version, status, saved_at,"
            " received_at, errors, warnings FROM submissions WHERE fiscal_year = ? ORDER BY file_name", (year,))
        return [Submission(*r[:6], SubmissionStatus(r[6]), *r[7:]) for r in rows]

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
        """(fiscal_year, item_code) → the year's own figure, for every collected year. A figure stored by a
        version before values.spreadsheet_number may hold a float residue (6402.000000000001): it is read
        as the number its cell showed, so an old store reports as a new one would."""
        rows = self.db.execute("SELECT fiscal_year, item_code, value FROM indicator_actuals")
        return {(r[0], r[1]): spreadsheet_number(r[2]) for r in rows}

    def findings(self, year: int) -> list[tuple]:
        """The year's findings as rows (severity, code, file, department, sheet, cell, field, value, message).
        The department is its name (`Finding.department`), though the column has always been called
        department_code: the name of a column of stores already made."""
        return self.db.execute(
            "SELECT severity, code, file, department_code, sheet, cell, field, value, message"
            " FROM findings WHERE fiscal_year = ? ORDER BY seq", (year,)).fetchall()

    def opinions(self) -> list[Opinion]:
        """Every opinion the committee has given, every year (none in a store made before schema 2)."""
        rows = self._rows_of(
            "opinions", "SELECT opinion_id, fiscal_year, number, item_code, department_code, text, member, given_on"
            " FROM opinions ORDER BY fiscal_year, number")
        return [Opinion(*r) for r in rows]

    def opinion_years(self) -> list[int]:
        """The years whose opinions have been registered (opinions collect), even with none given."""
        return [r[0] for r in self._rows_of("opinion_registers", "SELECT fiscal_year FROM opinion_registers ORDER BY fiscal_year")]

    def good_practices(self, year: int) -> list[GoodPractice]:
        """The good practices named on year `year`'s report."""
        rows = self._rows_of(
            "good_practices", "SELECT fiscal_year, number, initiative_id, reason FROM good_practices WHERE fiscal_year = ?"
            " ORDER BY number", (year,))
        return [GoodPractice(*r) for r in rows]

    def responses(self) -> list[Response]:
        """Every answer to an opinion, every year."""
        rows = self._rows_of(
            "opinion_responses", "SELECT opinion_id, fiscal_year, department_code, status, text FROM opinion_responses"
            " ORDER BY fiscal_year, opinion_id")
        return [Response(r[0], r[1], r[2], ResponseStatus(r[3]), r[4]) for r in rows]

    def _has_table(self, name: str) -> bool:
        """A store opened read-only is never upgraded: one made by an earlier version lacks the newer tables."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None

    def _rows_of(self, table: str, sql: str, params: tuple = ()) -> list[tuple]:
        """The rows `sql` selects from `table`, or none where the store is older than the table."""
        return self.db.execute(sql, params).fetchall() if self._has_table(table) else []

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table in a stable order — for comparing two stores."""
        out = {}
        for (table,) in self.db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            out[table] = sorted(self.db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        return out


def _rollback_if_open(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the error that brought us here is the one to report


def _begin(db: sqlite3.Connection) -> None:
    """Begin a write transaction unless one is open (keep_file began it: the record joins it)."""
    if not db.in_transaction:
        db.execute("BEGIN IMMEDIATE")


_ARCHIVED = re.compile(r"[0-9a-f]{64}\.xlsx")


def _take_in_archive(db: sqlite3.Connection, folder: Path) -> None:
    """The upgrade to schema 5: every copy in the archive folder (<2 hex>/<sha256>.xlsx) whose bytes still
    have the sha256 of its name is put in returned_files, in the upgrade's transaction. Nothing in the
    folder is changed or removed: a copy whose bytes do not match its name stays there, as it was."""
    if not folder.is_dir():
        return
    for prefix in sorted(folder.iterdir()):
        if not prefix.is_dir() or prefix.is_symlink():
            continue
        for path in sorted(prefix.iterdir()):
            if not _ARCHIVED.fullmatch(path.name) or not path.is_file() or path.is_symlink():
                continue
            data = path.read_bytes()
            sha256 = path.name[:64]
            if hashlib.sha256(data).hexdigest() == sha256:
                db.execute("INSERT OR IGNORE INTO returned_files VALUES (?,?)", (sha256, data))


def _write_schema(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
