"""One vocabulary for the states things are in, each with its Japanese words, in one place.

A submission (one file of the inbox) and a department's place on the year's roster are different
things, and so are their states: `SubmissionStatus.ACCEPTED` (this file is the one that counts) is not
`RosterStatus.RETURNED` (this department has returned its workbook without errors), even though the
store has long spelled both "accepted". The store converts at its edge; everything else holds these.
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


class RosterStatus(Enum):
    """Where a department stands for the year."""

    RETURNED = "accepted"       # returned, no errors
    WITH_ERRORS = "errors"      # returned, to be fixed (差し戻し)
    MISSING = "missing"         # nothing returned yet (未提出)

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

# The short names the code reads best with.
ACCEPTED, REJECTED, SUPERSEDED, DUPLICATE = SubmissionStatus
RETURNED, WITH_ERRORS, MISSING = RosterStatus

for _status in (SubmissionStatus, RosterStatus, ResponseStatus):
    sqlite3.register_adapter(_status, lambda s: s.value)   # stored as the words the store has always used
