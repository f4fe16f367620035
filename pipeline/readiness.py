"""`make check`: is the config, the plan and this machine ready for the first workbooks to go out?

Looks at what the secretariat's first day needs and says each point as a Finding (SETUP_*): an error is
something to fix before sending workbooks (contacts still the example ones, a deadline already past, a folder
that cannot be written, a plan with mistakes, a broken config), a warning is advice (departments without a
contact for the reminder list, LibreOffice absent, the year's inbox not made yet). Reads only: it creates and
changes nothing (a writability probe is a temporary file, removed at once).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError, PlanError, cause_of
from pipeline.findings import Code, Finding, Tally, finding
from pipeline.fiscal import format_date_ja
from pipeline.office import find_office
from pipeline.plan import Plan, load_plan

# Contact values that are only ever examples: documentation domains (RFC 2606) and dummy phone numbers.
_EXAMPLE_MAIL = re.compile(r"@(?:[\w-]+\.)*example(?:\.[a-z]+)*\b", re.IGNORECASE)
_EXAMPLE_PHONE = re.compile(r"(?:^|\D)0{3,}(?:\D|$)|x{3,}|1234-5678|123-4567|\*{3,}", re.IGNORECASE)
_EXAMPLE_MARK = "設定例"


@dataclass
class Readiness(Tally):
    """What make check found, in the order the secretariat would go through it."""

    year: int
    today: dt.date
    config_path: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing to fix before sending workbooks (advice may remain)."""
        return self.errors == 0


def check_readiness(config_path: Path | str, year: int, today: dt.date, office_finder=find_office) -> Readiness:
    """Every point the first day needs, as findings. `office_finder` says whether LibreOffice can be used."""
    result = Readiness(year, today, Path(config_path))
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        result.findings.append(finding(Code.SETUP_008, file=str(config_path), problem=str(exc)))
        return result
    add = result.findings.append
    for key, place, value in (("secretariat.phone", "事務局", config.secretariat.phone),
                              ("secretariat.email", "事務局", config.secretariat.email),
                              *((f'department_contacts."{code}"', f"部署 {code} ", contact)
                                for code, contact in sorted(config.department_contacts.items()))):
        if value and _is_example(config.path, key, value):
            add(finding(Code.SETUP_001, file=str(config.path), field=key, value=value, place=place))

    plan = _plan(config, result)
    if plan is not None:
        if year not in plan.years:
            add(finding(Code.SETUP_009, file=str(config.plan_file), year=year, start=plan.period_start,
                        end=plan.period_end))
        else:
            missing = [d for d in plan.for_year(year).surveyed_departments()
                       if d.code not in config.department_contacts]
            if missing:
                add(finding(Code.SETUP_002, file=str(config.path), field="department_contacts", count=len(missing),
                            departments="、".join(f"{d.code} {d.name}" for d in missing)))

    deadline = config.deadline(year)
    if deadline < today:
        key = f"survey.deadlines.{year}" if year in config.deadlines else "survey.deadline"
        add(finding(Code.SETUP_003, file=str(config.path), field=key, value=deadline.isoformat(), year=year,
                    deadline=format_date_ja(deadline), today=format_date_ja(today),
                    example=(today + dt.timedelta(days=30)).isoformat()))

    if office_finder() is None:
        add(finding(Code.SETUP_004, file=str(config.path)))

    for key, what, folder in (("paths.store", "データベース", config.store_path.parent),
                              ("paths.templates", "調査票の出力先", config.templates_dir),
                              ("paths.output", "点検結果・報告書の出力先", config.output_dir),
                              ("paths.archive", "採用した回答の控え", config.archive_dir),
                              ("paths.opinions", "委員会意見の記録票", config.opinions_dir)):
        cause = _unwritable(folder)
        if cause:
            add(finding(Code.SETUP_005, file=str(config.path), field=key, value=str(folder), folder=folder, what=what,
                        cause=cause))

    inbox = config.returns_for(year)
    if not inbox.is_dir():
        add(finding(Code.SETUP_007, file=str(config.path), field="paths.returns", value=str(inbox), folder=inbox,
                    year=year))
    return result


def _plan(config: Config, result: Readiness) -> Plan | None:
    try:
        return load_plan(config.plan_file)
    except PlanError as exc:
        for problem in exc.problems:
            result.findings.append(finding(Code.SETUP_006, file=str(config.plan_file), problem=problem))
        return None


def _is_example(config_path: Path, key: str, value: str) -> bool:
    """A contact is the example when its value is a documentation address or a dummy number, or its line in
    config.toml still carries the shipped 「# 設定例」 comment."""
    if _EXAMPLE_MAIL.search(value) or _EXAMPLE_PHONE.search(value):
        return True
    name = key.rsplit(".", 1)[-1]
    try:
        lines = config_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    assignment = re.compile(rf"^\s*{re.escape(name)}\s*=\s*(\"[^\"]*\"|'[^']*')\s*#(?P<comment>.*)$")
    return any((m := assignment.match(line)) and value in m.group(1) and _EXAMPLE_MARK in m["comment"]
               for line in lines)


def _unwritable(folder: Path) -> str:
    """Why nothing could be written in `folder` (created later by the run if missing), or '' when it can."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            return "フォルダーがない"
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} がフォルダーではなくファイル"
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".check-")
    except OSError as exc:
        return cause_of(exc)
    os.close(handle)
    os.unlink(probe)
    return ""
