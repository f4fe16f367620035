"""One vocabulary for the states things are in, each with its Japanese words, in one place.

A submission (one file of the inbox) and a department's place on the year's roster are different
things, and so are their states: `SubmissionStatus.ACCEPTED` (this file is the one that counts) is not
`RosterStatus.RETURNED` (this department has returned its workbook without errors), even though the
store has long spelled both "accepted" (`RosterStatus.stored`). The store converts at its edge; everything
else holds these.
"""

from __future__ import annotations

import sqlite3
from enum import Enum


class SubmissionStatus(Enum):
    """What collect made of one file of a department."""

    ACCEPTED = "accepted"       # the department's return, without errors: its answers are stored
    REJECTED = "rejected"       # the department's return, with errors: sent back (差し戻し)
    SUPERSEDED = "superseded"   # another return of the department counts
    DUPLICATE = "duplicate"     # the same bytes as a file that arrived earlier

    @property
    def label(self) -> str:
        return _SUBMISSION_LABELS[self]


_STORED_RETURNED = "accepted"


class RosterStatus(Enum):
    """Where a department stands for the year."""

    RETURNED = "returned"       # returned, no errors
    WITH_ERRORS = "errors"      # returned, to be fixed (差し戻し)
    MISSING = "missing"         # nothing returned yet (未提出)

    @property
    def stored(self) -> str:
        """The word the store holds: it has always spelled RETURNED "accepted"."""
        return _STORED_RETURNED if self is RosterStatus.RETURNED else self.value

    @classmethod
    def from_stored(cls, word: str) -> RosterStatus:
        return cls.RETURNED if word == _STORED_RETURNED else cls(word)

    @property
    def label(self) -> str:
        """As the status workbook lists it: 受理 / 差し戻し（要修正） / 未提出."""
        return _ROSTER_LABELS[self][0]

    @property
    def short(self) -> str:
        """For a narrow column (the status screen): 受理 / 差し戻し / 未提出."""
        return _ROSTER_LABELS[self][1]

    @property
    def to_chase(self) -> str:
        """In the reminder list: 未提出 / 要修正（差し戻し）."""
        return _ROSTER_LABELS[self][2]


class Arrival(Enum):
    """What came from a department that sent something that could not be used (and nothing usable
    besides): its place on the roster says what came, never 未提出, and what to ask for.

    Its roster status stays WITH_ERRORS (something came, nothing usable yet); the arrival says what."""

    LAST_YEARS_FORM = "last_years_form"     # last year's workbook, filled in again (IDENT_003)
    OTHER_YEARS_FORM = "other_years_form"   # another year's workbook (IDENT_003)
    OTHER_PLANS_FORM = "other_plans_form"   # another plan's workbook (IDENT_002)
    OLD_FORM = "old_form"                   # this year's, in an old version of the form (IDENT_005)
    COPIED_SHEETS = "copied_sheets"         # the sheets copied into a new workbook: no identity (IDENT_008)
    IN_ZIP = "in_zip"                       # inside a zip in the inbox (not extracted)
    IN_LOCKED_ZIP = "in_locked_zip"         # inside a zip with a password
    MAIL_MSG = "mail_msg"                   # the whole mail saved from Outlook (.msg), not its attachment
    MAIL_EML = "mail_eml"                   # the whole mail saved as .eml, not its attachment
    UNREADABLE = "unreadable"               # a file named after it that cannot be read (password, .xls, broken…)
    NOT_READ_HERE = "not_read_here"         # a file named after it that this PC could not read from the inbox
                                            # (still being copied, no permission, a link out of the inbox)
    NOT_A_WORKBOOK = "not_a_workbook"       # a file of another kind named after it (PDF, Word, CSV…)

    @property
    def label(self) -> str:
        """As the roster shows it: 前年度の様式で提出, ZIP の中にあります…"""
        return _ARRIVAL_LABELS[self][0]

    @property
    def short(self) -> str:
        """For a narrow column (the status screen)."""
        return _ARRIVAL_LABELS[self][1]

    @property
    def ask(self) -> str:
        """What the secretariat does about it (the reminder list holds the letter to the department)."""
        if self is Arrival.IN_ZIP:
            return "ZIP を展開し、中の調査票を受付フォルダーに保存してから、もう一度 make collect を実行してください（部署への督促は不要です）。"
        if self in (Arrival.MAIL_MSG, Arrival.MAIL_EML):
            return ("メールを開き、添付の調査票をそのまま受付フォルダーに保存してから、もう一度 make collect を実行してください"
                    "（部署への督促は不要です）。")
        if self is Arrival.NOT_READ_HERE:
            return ("ファイルのコピーが終わっているか、アクセス権と保存場所（受付フォルダーの中に実物があるか）を確かめてから、"
                    "もう一度 make collect を実行してください（部署への督促は不要です）。")
        if self is Arrival.IN_LOCKED_ZIP:
            return "部署にパスワードを確かめて展開するか、ZIP にせずに送ってもらってください（督促リストに文例があります）。"
        return "今年度配布した調査票に記入して送ってもらってください（督促リストに文例があります）。"

    @property
    def by_secretariat(self) -> bool:
        """The secretariat can make it usable itself (extract the zip, save the attachment): nobody is chased."""
        return self in (Arrival.IN_ZIP, Arrival.MAIL_MSG, Arrival.MAIL_EML, Arrival.NOT_READ_HERE)


class ResponseStatus(Enum):
    """Where a department stands on one of the committee's opinions (対応状況), as it answered in its workbook."""

    DONE = "done"                 # 対応済: settled
    IN_PROGRESS = "in_progress"   # 対応中: asked again next year
    NOT_YET = "not_yet"           # 未対応: asked again next year
    DECLINED = "declined"         # 対応しない: settled, with the reason in 対応内容
    UNANSWERED = "unanswered"     # no answer this year (the department did not return, or left it blank)

    @property
    def label(self) -> str:
        return _RESPONSE_LABELS[self]

    @property
    def settles(self) -> bool:
        """An opinion answered so is closed: it is not asked again."""
        return self in (ResponseStatus.DONE, ResponseStatus.DECLINED)

    @classmethod
    def choices(cls) -> tuple[ResponseStatus, ...]:
        """What a department may choose in its workbook, in the order of the dropdown."""
        return (cls.DONE, cls.IN_PROGRESS, cls.NOT_YET, cls.DECLINED)

    @classmethod
    def from_label(cls, label: str) -> ResponseStatus | None:
        return next((s for s in cls.choices() if s.label == label), None)


_RESPONSE_LABELS = {
    ResponseStatus.DONE: "対応済",
    ResponseStatus.IN_PROGRESS: "対応中",
    ResponseStatus.NOT_YET: "未対応",
    ResponseStatus.DECLINED: "対応しない",
    ResponseStatus.UNANSWERED: "回答なし",
}

_SUBMISSION_LABELS = {
    SubmissionStatus.ACCEPTED: "採用",
    SubmissionStatus.REJECTED: "不受理（誤りあり）",
    SubmissionStatus.SUPERSEDED: "新しい回答で置換",
    SubmissionStatus.DUPLICATE: "重複（同一内容）",
}
_ROSTER_LABELS = {
    RosterStatus.RETURNED: ("受理", "受理", "受理"),
    RosterStatus.WITH_ERRORS: ("差し戻し（要修正）", "差し戻し", "要修正（差し戻し）"),
    RosterStatus.MISSING: ("未提出", "未提出", "未提出"),
}

_ARRIVAL_LABELS = {
    Arrival.LAST_YEARS_FORM: ("前年度の様式で提出", "前年度の様式"),
    Arrival.OTHER_YEARS_FORM: ("別の年度の様式で提出", "別年度の様式"),
    Arrival.OTHER_PLANS_FORM: ("別の計画の様式で提出", "別計画の様式"),
    Arrival.OLD_FORM: ("古い版の様式で提出", "古い様式"),
    Arrival.COPIED_SHEETS: ("配布した様式でないブックで提出", "様式外のブック"),
    Arrival.IN_ZIP: ("ZIP の中にあります", "ZIP の中"),
    Arrival.IN_LOCKED_ZIP: ("パスワード付き ZIP の中にあります", "パスワード付き ZIP"),
    Arrival.MAIL_MSG: ("メールのまま保存（.msg）", "メールのまま"),
    Arrival.MAIL_EML: ("メールのまま保存（.eml）", "メールのまま"),
    Arrival.UNREADABLE: ("読めないファイルで提出", "読めないファイル"),
    Arrival.NOT_READ_HERE: ("受付フォルダーのファイルを読めません", "受付で読めない"),
    Arrival.NOT_A_WORKBOOK: ("調査票でないファイルで提出", "調査票でない"),
}

# What the report, the public table and the web page print where the answer of a department whose return
# was sent back (差し戻し中) would stand: one word, and the same word with its reason where there is room.
PENDING = "未確定"
PENDING_SENT_BACK = f"{PENDING}（差し戻し中）"
# in a table cell, the reason on a line of its own (as a grade's 「A」「（計画どおり）」): a narrow column then
# breaks between the two, never inside the reason (「未確定（差し戻」「し中）」)
PENDING_SENT_BACK_CELL = f"{PENDING}\n（差し戻し中）"

# The short names the code reads best with.
ACCEPTED, REJECTED, SUPERSEDED, DUPLICATE = SubmissionStatus
RETURNED, WITH_ERRORS, MISSING = RosterStatus

for _status in (SubmissionStatus, ResponseStatus, Arrival):
    sqlite3.register_adapter(_status, lambda s: s.value)   # stored as the words the store has always used
sqlite3.register_adapter(RosterStatus, lambda s: s.stored)
