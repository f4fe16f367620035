"""Choosing among a department's different returns: no single clock is trusted, every doubt is said,
and the secretariat settles it with a line in the year's choices file. Also: a file is known by its
real path, whatever its name looks like."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline import platform
from pipeline.cli import main
from pipeline.collect import choice
from pipeline.collect.outputs import status_workbook_name
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import ACCEPTED, RETURNED, SUPERSEDED, WITH_ERRORS
from tests.conftest import YEAR
from tests.office_support import Calc, need_office, requires_office

JST = dt.timezone(dt.timedelta(hours=9))
EXCEL = "Microsoft Excel"
LIBREOFFICE = "LibreOffice/7.4.7.2$Linux_X86_64 LibreOffice_project/40$Build-2"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in May 2025, Japan time."""
    return dt.datetime(2025, 5, day, hour, minute, tzinfo=JST)


def as_stamped(moment: dt.datetime, *, libreoffice: bool = False) -> dt.datetime:
    """The naive time the workbook's properties carry with a Z: UTC from Excel, local time from LibreOffice."""
    return (moment if libreoffice else moment.astimezone(dt.UTC)).replace(tzinfo=None)


def run(project, now: dt.datetime | None = None):
    result = run_collect_year(project.plan, project.config, YEAR, now=now).result
    return result


def statuses(result) -> dict[str, str]:
    return {o.file_name: o.status for o in result.files}


def the(result, code: str):
    return next(f for f in result.findings if f.code == code)


# --- the signals ---------------------------------------------------------------------------------------

def test_saved_time__libreoffice_stamp_is_japan_time_excel_stamp_is_utc():
    lo = choice.Candidate("a.xlsx", "2025-05-20T10:00:00Z", LIBREOFFICE, "2025-05-20T01:05:00.000000Z", False)
    excel = choice.Candidate("b.xlsx", "2025-05-20T10:00:00Z", EXCEL, "2025-05-20T10:05:00.000000Z", False)
    assert choice.saved_time(lo) == dt.datetime(2025, 5, 20, 1, 0, tzinfo=dt.UTC)
    assert choice.saved_time(excel) == dt.datetime(2025, 5, 20, 10, 0, tzinfo=dt.UTC)
    assert choice.saved_time(choice.Candidate("c", "2025-05-20T19:00:00+09:00", LIBREOFFICE, "", False)) == \
        dt.datetime(2025, 5, 20, 10, 0, tzinfo=dt.UTC)
    assert choice.saved_time(choice.Candidate("d", "not a time", EXCEL, "", False)) is None


def test_decide__saved_after_arrival_or_in_the_future__that_clock_is_not_believed():
    now = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    future = choice.Candidate("draft.xlsx", "2030-01-01T00:00:00Z", EXCEL, "2025-05-10T00:00:00Z", False)
    fixed = choice.Candidate("fixed.xlsx", "2025-05-20T00:00:00Z", EXCEL, "2025-05-20T00:10:00Z", False)
    decision = choice.decide([future, fixed], now)
    assert decision.chosen == "fixed.xlsx"
    assert "draft.xlsx の最終保存日時 2030-01-01 09:00（日本時間）は未来の日時" in decision.doubt


# --- through collect -----------------------------------------------------------------------------------

def test_collect__libreoffice_draft_then_excel_correction_hours_later__correction_is_used(project):
    """A 10:00 JST save in LibreOffice is stamped 10:00Z: read as UTC it would beat a 14:00 JST Excel save."""
    draft, fixed = at(20, 10), at(20, 14)
    project.filler("05").fill_all(actual=10).save(project.inbox() / "下書き.xlsx", as_stamped(draft, libreoffice=True),
                                                  saved_by=LIBREOFFICE, received_at=draft + dt.timedelta(minutes=5))
    project.filler("05").fill_all(actual=20).save(project.inbox() / "修正版.xlsx", as_stamped(fixed),
                                                  saved_by=EXCEL, received_at=fixed + dt.timedelta(minutes=5))
    result = run(project)
    assert statuses(result) == {"修正版.xlsx": ACCEPTED, "下書き.xlsx": SUPERSEDED}
    assert not [f for f in result.findings if f.code == "SUBM_004"]   # understood, the clocks agree
    with Store(project.config.store_path) as store:
        assert store.actuals()[(YEAR, "2101")] == 20


def test_collect__pc_clock_in_2030__draft_loses_and_a_warning_names_both_times(project):
    project.filler("05").fill_all(actual=10).save(project.inbox() / "draft.xlsx", dt.datetime(2030, 1, 1, 9),
                                                  saved_by=EXCEL, received_at=at(10, 9))
    project.filler("05").fill_all(actual=20).save(project.inbox() / "fixed.xlsx", as_stamped(at(20, 14)),
                                                  saved_by=EXCEL, received_at=at(20, 14, 10))
    result = run(project)
    assert statuses(result) == {"fixed.xlsx": ACCEPTED, "draft.xlsx": SUPERSEDED}
    warning = the(result, "SUBM_004")
    assert warning.file == "fixed.xlsx" and warning.department == "情報政策課"
    assert "draft.xlsx の最終保存日時 2030-01-01 18:00（日本時間）は未来の日時" in warning.message
    assert '"05" = "draft.xlsx"' in warning.message     # how to settle it the other way


def test_collect__saved_and_arrival_order_disagree__saved_time_wins_and_both_times_are_shown(project):
    # the department saved the draft, then the correction; the secretariat saved the mails in the other order
    project.filler("05").fill_all(actual=20).save(project.inbox() / "修正版.xlsx", as_stamped(at(20, 14)),
                                                  saved_by=EXCEL, received_at=at(21, 9, 0))
    project.filler("05").fill_all(actual=10).save(project.inbox() / "下書き.xlsx", as_stamped(at(19, 10)),
                                                  saved_by=EXCEL, received_at=at(21, 9, 1))
    result = run(project)
    assert statuses(result) == {"修正版.xlsx": ACCEPTED, "下書き.xlsx": SUPERSEDED}
    message = the(result, "SUBM_004").message
    assert "最終保存日時では 修正版.xlsx（保存 2025-05-20 14:00（日本時間）、受付 2025-05-21 09:00（日本時間））" in message
    assert "受付日時では 下書き.xlsx（保存 2025-05-19 10:00（日本時間）、受付 2025-05-21 09:01（日本時間））" in message
    assert "ブックの最終保存日時が新しい方を採用" in message


def test_collect__clocks_disagree_and_only_one_has_no_errors__the_one_without_errors_is_used(project):
    bad = project.filler("05").fill_all()
    bad.set("2101", "2101-02", L.FIELD_PROGRESS, "？")
    bad.save(project.inbox() / "a.xlsx", as_stamped(at(20, 14)), saved_by=EXCEL, received_at=at(21, 9, 0))
    project.filler("05").fill_all().save(project.inbox() / "b.xlsx", as_stamped(at(19, 10)), saved_by=EXCEL,
                                         received_at=at(21, 9, 1))
    result = run(project)
    assert statuses(result)["b.xlsx"] == ACCEPTED
    assert "エラーのない方（受付日時が新しい方）を採用" in the(result, "SUBM_004").message
    assert result.roster["05"] == (RETURNED, "b.xlsx")


def test_collect__signals_agree__no_warning(project):
    project.filler("05").fill_all(actual=10).save(project.inbox() / "1.xlsx", as_stamped(at(19, 10)), saved_by=EXCEL,
                                                  received_at=at(19, 11))
    project.filler("05").fill_all(actual=20).save(project.inbox() / "2.xlsx", as_stamped(at(20, 10)), saved_by=EXCEL,
                                                  received_at=at(20, 11))
    result = run(project)
    assert statuses(result) == {"2.xlsx": ACCEPTED, "1.xlsx": SUPERSEDED}
    assert [f.code for f in result.findings if f.code.startswith("SUBM_00") and f.code != "SUBM_003"] == ["SUBM_002"]


def test_collect__choices_file_line__that_file_counts_and_the_status_workbook_shows_it(project):
    project.filler("05").fill_all(actual=10).save(project.inbox() / "1.xlsx", as_stamped(at(19, 10)), saved_by=EXCEL,
                                                  received_at=at(19, 11))
    project.filler("05").fill_all(actual=20).save(project.inbox() / "2.xlsx", as_stamped(at(20, 10)), saved_by=EXCEL,
                                                  received_at=at(20, 11))
    path = choice.choices_path(project.config.returns_dir, YEAR)
    path.write_text(choice.CHOICES_HEADER.format(year=YEAR) + choice.choice_line("05", "1.xlsx") + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(project.config_path), "collect", "--year", str(YEAR)])
    assert result.exit_code == 1, result.output          # 1: other departments have not returned
    with Store(project.config.store_path) as store:
        assert store.actuals()[(YEAR, "2101")] == 10
        assert ("SUBM_005", "1.xlsx") in [(f[1], f[2]) for f in store.findings(YEAR)]
    book = openpyxl.load_workbook(project.config.output_for(YEAR) / status_workbook_name(YEAR))
    rows = [[c.value for c in row] for row in book["採用の判断"].iter_rows(min_row=5)]
    assert [(r[2], r[3], r[-1]) for r in rows] == [("1.xlsx", "採用", '"05" = "1.xlsx"'),
                                                   ("2.xlsx", "不採用", '"05" = "2.xlsx"')]
    assert str(path) in book["採用の判断"]["A2"].value


@pytest.mark.parametrize(("line", "says"), [
    ('"05" = "ない.xlsx"', "受付フォルダーにそのファイルがありません"),
    ('"01" = "1.xlsx"', "そのファイルは情報政策課の回答です"),
    ('"99" = "1.xlsx"', "部署コード「99」は計画にありません"),
    ('"05" = 1.xlsx', "1 行目（9 文字目）の書式に誤りがあります"),
])
def test_collect__choices_file_with_a_mistake__exit_2_names_the_line_and_changes_nothing(project, line, says):
    project.filler("05").fill_all().save(project.inbox() / "1.xlsx")
    choice.choices_path(project.config.returns_dir, YEAR).write_text(line + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(project.config_path), "collect", "--year", str(YEAR)])
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output
    assert not project.config.store_path.exists()


# --- a file is known by its real path ------------------------------------------------------------------

@pytest.mark.skipif(platform.WINDOWS, reason="a name in bytes (cp932 from a Windows zip or share) is POSIX's: Windows names are UTF-16")
def test_collect__mac_and_windows_file_names__findings_and_a_return_packet_for_each(project):
    mac = unicodedata.normalize("NFD", "情報政策課_ガイド.xlsx")          # as a Mac sends it: decomposed
    assert mac != unicodedata.normalize("NFC", mac)
    windows = "総務課_回答.xlsx".encode("cp932")                          # unpacked from a Windows zip
    for code, name in (("05", mac), ("01", None)):
        f = project.filler(code).fill_all()
        f.set(f.item_sheets[0], f.initiatives(f.item_sheets[0])[0], L.FIELD_RESULT, None)
        target = project.inbox() / name if name else project.inbox() / "tmp.xlsx"
        f.save(target)
        if name is None:
            os.rename(os.fsencode(target), os.path.join(os.fsencode(project.inbox()), windows))
    collected = run_collect_year(project.plan, project.config, YEAR)
    result = collected.result
    assert result.roster["05"] == (WITH_ERRORS, unicodedata.normalize("NFC", mac))
    assert result.roster["01"] == (WITH_ERRORS, "総務課_回答.xlsx")
    followup = collected.followup
    assert sorted(followup.packets.names) == ["01", "05"], followup.notes
    assert not followup.packets.refused


def test_collect__two_files_whose_names_read_the_same__both_kept_apart(project):
    nfc = unicodedata.normalize("NFC", "情報政策課_データ.xlsx")
    nfd = unicodedata.normalize("NFD", nfc)
    project.filler("05").fill_all(actual=1).save(project.inbox() / nfc, as_stamped(at(19, 10)), received_at=at(19, 11))
    project.filler("05").fill_all(actual=2).save(project.inbox() / nfd, as_stamped(at(20, 10)), received_at=at(20, 11))
    result = run(project)
    names = sorted(o.file_name for o in result.files)
    assert len(set(names)) == 2 and all(n.startswith(nfc) for n in names)
    with Store(project.config.store_path) as store:
        assert store.actuals()[(YEAR, "2101")] == 2
        assert len(store.submissions(YEAR)) == 2


# --- through LibreOffice Calc ----------------------------------------------------------------------------

@requires_office()
def test_libreoffice__draft_saved_in_calc_then_corrected_in_excel__correction_is_used(project, tmp_path):
    """Calc, on a PC set to Japan time, stamps its local time as UTC; the correction an hour later wins."""
    calc = Calc(need_office(), tmp_path, tz="JST-9")
    try:
        calc.fill([{"in": str(project.template("05")), "out": str(project.inbox() / "calc_draft.xlsx"),
                    "stamp": True, "actions": []}])
    finally:
        calc.close()
    draft = project.inbox() / "calc_draft.xlsx"
    with_stamp = choice.saved_time(choice.Candidate("", _core_modified(draft), LIBREOFFICE, "", False))
    now = dt.datetime.now(dt.UTC)
    assert abs(with_stamp - now) < dt.timedelta(minutes=10)    # read as Japan time, it is the real moment
    later = now + dt.timedelta(hours=1)
    project.filler("05").fill_all(actual=20).save(project.inbox() / "excel_fix.xlsx", later.replace(tzinfo=None),
                                                  saved_by=EXCEL, received_at=later)
    result = run(project, now=later + dt.timedelta(minutes=5))
    assert statuses(result)["excel_fix.xlsx"] == ACCEPTED
    assert statuses(result)["calc_draft.xlsx"] == SUPERSEDED


def _core_modified(path) -> str:
    import re
    import zipfile
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode()
        assert z.read("docProps/app.xml").decode().count("LibreOffice")
    return re.search(r"<dcterms:modified[^>]*>([^<]+)<", core).group(1)


def test_status__a_doubtful_choice__status_says_which_department_to_look_at(project):
    project.filler("05").fill_all().save(project.inbox() / "draft.xlsx", dt.datetime(2030, 1, 1, 9),
                                         saved_by=EXCEL, received_at=at(10, 9))
    project.filler("05").fill_all().save(project.inbox() / "fixed.xlsx", as_stamped(at(20, 14)),
                                         saved_by=EXCEL, received_at=at(20, 14, 10))
    run(project)
    result = CliRunner().invoke(main, ["--config", str(project.config_path), "status", "--year", str(YEAR),
                                       "--today", "2025-05-21"])
    assert result.output.splitlines()[-1].startswith("採用の判断に要確認: 情報政策課（回収状況の「採用の判断」シート")
