"""config.toml, loaded once into a frozen Config and passed down.

Every relative path in a config resolves against the config file's own folder, so a copied config
works anywhere. A missing or wrong key is one clear line naming the key (ConfigError, exit 2).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli as tomllib  # the standard library's parser, compiled: 3× faster on a large plan

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class ProgressChoice:
    """One 進捗状況 choice for an initiative."""

    label: str
    description: str


@dataclass(frozen=True)
class Grade:
    """One 自己評価 grade for an action item (S / A / B / C …)."""

    code: str
    label: str
    description: str

    @property
    def choice(self) -> str:
        """The text offered in the workbook's dropdown: 'A：計画どおり'."""
        return f"{self.code}：{self.label}"


@dataclass(frozen=True)
class Secretariat:
    name: str
    contact_person: str
    phone: str
    email: str

    @property
    def contact_line(self) -> str:
        """'伊豆の国市 総務部 行政経営課　行財政改革担当　電話 055-…　…@…': every workbook and letter says it so."""
        return "　".join(x for x in (self.name, self.contact_person, f"電話 {self.phone}" if self.phone else "",
                                    self.email) if x)


@dataclass(frozen=True)
class Limits:
    """What collect accepts before any parser touches a file (Apache POI's defaults as reference)."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_total_uncompressed: int = 200 * 1024 * 1024
    max_part_uncompressed: int = 100 * 1024 * 1024
    max_compression_ratio: float = 100.0
    max_parts: int = 1000
    worker_memory_bytes: int = 1024 * 1024 * 1024
    worker_timeout_seconds: float = 60.0


@dataclass(frozen=True)
class Config:
    path: Path
    plan_file: Path
    templates_dir: Path
    returns_dir: Path
    output_dir: Path
    store_path: Path
    report_reference: Path
    archive_dir: Path
    opinions_dir: Path
    deadline_month_day: tuple[int, int]
    deadlines: dict[int, dt.date]
    return_instructions: str
    max_text_length: int
    secretariat: Secretariat
    progress_choices: tuple[ProgressChoice, ...]
    grades: tuple[Grade, ...]
    limits: Limits = field(default_factory=Limits)
    workbook_password: str | None = None
    workers: int = 0
    department_contacts: dict[str, str] = field(default_factory=dict)   # department code → contact (督促リスト)
    history_dir: Path | None = None     # the 転記票 of the years done by hand (default: history/ beside the config)

    def deadline(self, year: int) -> dt.date:
        """The return deadline for fiscal year `year` (a date after its 31 March)."""
        if year in self.deadlines:
            return self.deadlines[year]
        month, day = self.deadline_month_day
        return dt.date(year + 1, month, day)

    def templates_for(self, year: int) -> Path:
        return self.templates_dir / str(year)

    def returns_for(self, year: int) -> Path:
        return self.returns_dir / str(year)

    def output_for(self, year: int) -> Path:
        return self.output_dir / str(year)

    def history_for(self, year: int) -> Path:
        """Where the 転記票 of year `year` (a year surveyed and reported by hand) is kept (history template / import)."""
        return (self.history_dir or self.path.parent / "history") / str(year)

    def opinions_for(self, year: int) -> Path:
        """Where the committee's register on year `year`'s report is kept (opinions template / collect)."""
        return self.opinions_dir / str(year)


class _Reader:
    """Typed access to the parsed TOML that names the exact key in every error."""

    def __init__(self, source: Path, data: dict[str, Any]):
        self.source = source
        self.data = data

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"設定ファイル {self.source}: {key} {problem}")

    def table(self, key: str, required: bool = True) -> dict[str, Any]:
        value = self._lookup(key, required, default={})
        if not isinstance(value, dict):
            raise self.fail(f"[{key}]", "は表（[{key}] の形）で書いてください。".replace("{key}", key))
        return value

    def _lookup(self, key: str, required: bool, default: Any = None) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if required:
                    raise self.fail(key, "がありません。追加してください。")
                return default
            node = node[part]
        return node

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self._lookup(key, required, default)
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key, "には空でない文字列を指定してください（例: \"…\"）。")
        return value

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self._lookup(key, False, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"には {minimum} 以上の整数を指定してください（値: {value!r}）。")
        return value

    def array_of_tables(self, key: str) -> list[dict[str, Any]]:
        value = self._lookup(key, True)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, f"は [[{key}]] の表を1つ以上書いてください。")
        return value

    def path(self, key: str, default: str | None = None) -> Path:
        raw = self.text(key, required=default is None, default=default or "")
        p = Path(raw).expanduser()
        return p if p.is_absolute() else (self.source.parent / p)


_KNOWN = {
    "plan": {"file"},
    "paths": {"templates", "returns", "output", "store", "report_reference", "archive", "opinions", "history"},
    "survey": {"deadline", "deadlines", "return_instructions", "max_text_length"},
    "secretariat": {"name", "contact_person", "phone", "email"},
    "vocab": {"progress", "grades"},
    "collect": {
        "workbook_password", "workers", "max_file_bytes", "max_total_uncompressed",
        "max_part_uncompressed", "max_compression_ratio", "max_parts", "worker_memory_mb",
        "worker_timeout_seconds",
    },
    "department_contacts": set(),   # free-form: department code = "contact"
}
_FREE_FORM = {"department_contacts"}


def load_config(path: Path | str) -> Config:
    """Read and check config.toml; raise ConfigError naming the first wrong key."""
    source = Path(path).resolve()
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"設定ファイル {source} が見つかりません。--config（make では CONFIG=）で場所を指定してください。"
        ) from None
    except OSError as exc:
        raise ConfigError(f"設定ファイル {source} を読めません: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"設定ファイル {source} は UTF-8 で保存してください。") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"設定ファイル {source} の {toml_syntax_problem(exc)}") from None
    return config_from_mapping(source, data)


# What the TOML parser's English message means for a person editing the file in a text editor, by its start.
_TOML_PROBLEMS = (
    ("Illegal character '\\n'", "文字列を閉じる「\"」がありません。\" で始めた値は、同じ行のうちに \" で閉じてください"),
    ("Illegal character", "文字列の中に使えない文字（タブ以外の制御文字）があります。その文字を消してください"),
    ("Unterminated string", "文字列を閉じる「\"」（または「\'」「\"\"\"」）がありません。値の終わりに付けてください"),
    ("Expected '=' after a key", "キーの後に「=」がありません。「キー = 値」の形で書き、文字の値は \"…\" で囲んでください"),
    ("Invalid value", "値の書き方が正しくありません。文字は \"…\" で囲み（例: \"行政経営課\"）、数は数字だけ、日付は 2025-05-30 の形で書いてください"),
    ("Invalid statement", "この行を読めません。「キー = 値」か「[表の名前]」の形で書くか、行の先頭に # を付けてコメントにしてください"),
    ("Invalid initial character for a key part", "キーの書き方が正しくありません。キーは英数字と _ - で書くか、\"…\" で囲んでください"),
    ("Cannot declare", "同じ表が2回書かれています。どちらかにまとめてください"),
    ("Cannot overwrite a value", "同じキーが2回書かれています。どちらかを消してください"),
    ("Cannot redefine", "同じ名前のキーと表があります。どちらかの名前を直してください"),
    ("Cannot mutate", "{ } で書いた表に、後からキーを足しています。{ } の中にまとめて書いてください"),
    ("Duplicate inline table key", "{ } の中に同じキーが2回あります。どちらかを消してください"),
    ("Unclosed array", "「[」で始めた一覧を閉じる「]」がありません"),
    ("Unclosed inline table", "「{」で始めた表を閉じる「}」がありません（{ } の中は1行で書いてください）"),
    ("Unescaped '\\'", "文字列の中の「\\」は「\\\\」と書くか、値を '…' で囲んでください（フォルダーの区切りは / でも書けます）"),
    ("Invalid hex value", "文字列の中の「\\」は「\\\\」と書くか、値を '…' で囲んでください（フォルダーの区切りは / でも書けます）"),
    ("Expected newline or end of document", "値の後に余分な文字があります。1行に「キー = 値」を1つだけ書き、文字の値は \"…\" で囲んでください"),
    ("Expected \"'\"", "文字列を閉じる「'」がありません。' で始めた値は、同じ行のうちに ' で閉じてください"),
    ("Invalid date or datetime", "日付の書き方が正しくありません。2025-05-30 の形（年-月-日、ゼロ詰め）で書いてください"),
)


def toml_syntax_problem(exc: Exception) -> str:
    """'18 行目（11 文字目）の書式に誤りがあります: 文字列を閉じる「"」がありません。…' — a TOMLDecodeError said in
    Japanese with where it is and what to fix (for config.toml, a plan file, any TOML a person edits)."""
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    where = f"{line} 行目（{column} 文字目）の" if line else ""
    reason = getattr(exc, "msg", str(exc))
    what = next((text for start, text in _TOML_PROBLEMS if reason.startswith(start)),
                "書き方が TOML の書式になっていません。前後の行と同じ形（キー = 値、文字は \"…\" で囲む）で書いてください")
    return f"{where}書式に誤りがあります: {what}。"


def config_from_mapping(source: Path, data: dict[str, Any]) -> Config:
    r = _Reader(source, data)
    for section, value in data.items():
        if section not in _KNOWN:
            raise r.fail(f"[{section}]", "は不明な表です。綴りを確認してください。")
        if isinstance(value, dict) and section not in _FREE_FORM:
            for key in value:
                if key not in _KNOWN[section]:
                    raise r.fail(f"{section}.{key}", "は不明なキーです。綴りを確認してください。")

    deadline_text = r.text("survey.deadline")
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", deadline_text.strip())
    try:
        month_day = (int(m.group(1)), int(m.group(2))) if m else None
        if month_day:
            dt.date(2001, *month_day)
    except ValueError:
        month_day = None
    if not month_day:
        raise r.fail("survey.deadline", f"は年度末の後の月日を \"MM-DD\" で書いてください（値: {deadline_text!r}）。")

    deadlines: dict[int, dt.date] = {}
    for year_key, day in r.table("survey", True).get("deadlines", {}).items():
        if not (str(year_key).isdigit() and isinstance(day, dt.date) and not isinstance(day, dt.datetime)):
            raise r.fail(f"survey.deadlines.{year_key}", "は 2024 = 2025-05-30 の形（年度 = 日付）で書いてください。")
        deadlines[int(year_key)] = day

    progress = tuple(
        ProgressChoice(
            label=_entry_text(r, f"vocab.progress[{i}].label", e.get("label")),
            description=_entry_text(r, f"vocab.progress[{i}].description", e.get("description")),
        )
        for i, e in enumerate(r.array_of_tables("vocab.progress"))
    )
    grades = tuple(
        Grade(
            code=_entry_text(r, f"vocab.grades[{i}].code", e.get("code")),
            label=_entry_text(r, f"vocab.grades[{i}].label", e.get("label")),
            description=_entry_text(r, f"vocab.grades[{i}].description", e.get("description")),
        )
        for i, e in enumerate(r.array_of_tables("vocab.grades"))
    )
    _no_duplicates(r, "vocab.progress", [p.label for p in progress])
    _no_duplicates(r, "vocab.grades", [g.code for g in grades])
    # Excel rejects an inline list source over 255 characters (the file is reported corrupt).
    for key, choices in (("vocab.progress", [p.label for p in progress]), ("vocab.grades", [g.choice for g in grades])):
        if len(",".join(choices)) > 255:
            raise r.fail(key, "の選択肢が長すぎます（合計255文字まで）。Excelの入力規則に収まりません。")
        if any("," in c for c in choices):
            raise r.fail(key, "の選択肢に半角カンマ「,」は使えません。")

    collect = r.table("collect", required=False)
    defaults = Limits()
    limits = Limits(
        max_file_bytes=r.integer("collect.max_file_bytes", defaults.max_file_bytes, 1),
        max_total_uncompressed=r.integer("collect.max_total_uncompressed", defaults.max_total_uncompressed, 1),
        max_part_uncompressed=r.integer("collect.max_part_uncompressed", defaults.max_part_uncompressed, 1),
        max_compression_ratio=float(r.integer("collect.max_compression_ratio", int(defaults.max_compression_ratio), 1)),
        max_parts=r.integer("collect.max_parts", defaults.max_parts, 1),
        worker_memory_bytes=r.integer("collect.worker_memory_mb", defaults.worker_memory_bytes // 2**20, 64) * 2**20,
        worker_timeout_seconds=float(r.integer("collect.worker_timeout_seconds", int(defaults.worker_timeout_seconds), 1)),
    )
    password = collect.get("workbook_password")
    if password is not None and not isinstance(password, str):
        raise r.fail("collect.workbook_password", "は文字列で指定してください。")

    contacts = r.table("department_contacts", required=False)
    for code, contact in contacts.items():
        if not isinstance(contact, str) or not contact.strip():
            raise r.fail(f"department_contacts.{code}", 'には連絡先を文字列で書いてください（例: "05" = "情報政策課 田中 内線1234"）。')

    return Config(
        path=source,
        plan_file=r.path("plan.file"),
        templates_dir=r.path("paths.templates"),
        returns_dir=r.path("paths.returns"),
        output_dir=r.path("paths.output"),
        store_path=r.path("paths.store"),
        report_reference=r.path("paths.report_reference", "input_templates/report_reference.docx"),
        archive_dir=r.path("paths.archive", "output/archive"),
        opinions_dir=r.path("paths.opinions", "opinions"),
        history_dir=r.path("paths.history", "history"),
        deadline_month_day=month_day,
        deadlines=deadlines,
        return_instructions=r.text("survey.return_instructions"),
        max_text_length=r.integer("survey.max_text_length", 1000, 1),
        secretariat=Secretariat(
            name=r.text("secretariat.name"),
            contact_person=r.text("secretariat.contact_person", required=False),
            phone=r.text("secretariat.phone", required=False),
            email=r.text("secretariat.email", required=False),
        ),
        progress_choices=progress,
        grades=grades,
        limits=limits,
        workbook_password=password or None,
        workers=r.integer("collect.workers", 0, 0),
        department_contacts={str(code): contact.strip() for code, contact in contacts.items()},
    )


def _entry_text(r: _Reader, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise r.fail(key, "がないか空です。文字列を指定してください。")
    return value.strip()


def _no_duplicates(r: _Reader, key: str, values: list[str]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise r.fail(key, f"に「{v}」が重複しています。")
        seen.add(v)
