"""Every return accounted for, and said truly: a year not under way is not collected, a department that
sent something is never told 未提出, a report made from few returns says so."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.policy
import io
import re
import shutil
import zipfile
from email.message import EmailMessage

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline import platform
from pipeline.cli import main
from pipeline.collect import held
from pipeline.collect.checks import departments_named
from pipeline.collect.outputs import status_workbook_name
from pipeline.followup.reminders import reminder_list_name
from pipeline.intake.inbox import InboxFile
from pipeline.report.usecase import make_report
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.survey.workbook import template_file_name
from pipeline.vocabulary import RETURNED, Arrival
from tests.conftest import YEAR
from tests.ole_files import outlook_msg


def cli(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), *args])


def _everything(project) -> set[str]:
    """Every file under the project but the templates and the inbox: what collect may write."""
    return {p.relative_to(project.root).as_posix() for p in project.root.rglob("*")
            if not p.is_relative_to(project.config.templates_dir) and not p.is_relative_to(project.config.returns_dir)}


# --- a year that is not under way -------------------------------------------------------------------

def test_collect__no_inbox_folder__exit_2_one_line_and_nothing_written(project):
    before = _everything(project)
    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"エラー: 受付フォルダー {project.inbox()} がありません。何も変更していません。"
        "このフォルダーを作り、届いた回答のファイルを保存してから、もう一度 make collect を実行してください。"]
    assert _everything(project) == before
    assert not project.config.store_path.exists()
    assert not project.config.output_for(YEAR).exists()


def test_collect__no_templates_made_for_the_year__exit_2_and_nothing_written(project):
    project.return_all(except_codes=tuple(d.code for d in project.plan.departments if d.code != "05"))
    shutil.rmtree(project.config.templates_for(YEAR))
    before = _everything(project)
    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 2, result.output
    made = project.config.templates_for(YEAR)
    assert result.output.strip().splitlines() == [
        f"エラー: {YEAR}年度の調査票がまだ作られていません（{made} に調査票がありません）。何も変更していません。"
        f"先に make templates YEAR={YEAR} で調査票を作って各部署に送り、"
        "回答が届いてから make collect を実行してください。"]
    assert _everything(project) == before
    assert not project.config.store_path.exists()
    assert not list(project.config.output_for(YEAR).glob("*"))


def test_collect__templates_folder_without_this_years_workbooks__is_not_made(project):
    folder = project.config.templates_for(YEAR)
    for path in folder.glob("*.xlsx"):
        path.rename(path.with_name("old_" + path.name))     # someone's own files, not what templates wrote
    project.inbox().mkdir(parents=True)
    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 2, result.output
    assert "調査票がまだ作られていません" in result.output
    assert not project.config.store_path.exists()


# --- a report from few returns --------------------------------------------------------------------

def test_report__few_returns__says_how_many_and_warns(project):
    surveyed = project.plan.for_year(YEAR).surveyed_departments()
    returning = [d.code for d in surveyed][:5]
    project.return_all(except_codes=tuple(d.code for d in surveyed if d.code not in returning))
    assert cli(project, "collect", "--year", str(YEAR)).exit_code == 1
    result = cli(project, "report", "--year", str(YEAR), "--no-pdf", "--date", "2025-06-20")
    assert result.exit_code == 0, result.output
    assert f"{len(surveyed)}部署のうち 5部署の回答を反映（提出状況は報告書の 1(5) にあります）。" in result.output
    assert (f"注意: 回答を反映した部署が半数に届きません（{len(surveyed)}部署のうち 5部署の回答を反映）。"
            "残りの部署は報告書で「未提出」「差し戻し中」と表示されます。"
            "回答がそろってから make collect をもう一度実行し、報告書を作り直してください。") in result.output


def test_report__every_return_in__says_so_without_a_warning(project):
    project.return_all()
    assert cli(project, "collect", "--year", str(YEAR)).exit_code == 0
    result = cli(project, "report", "--year", str(YEAR), "--no-pdf", "--date", "2025-06-20")
    assert result.exit_code == 0, result.output
    n = len(project.plan.for_year(YEAR).surveyed_departments())
    assert f"{n}部署のうち {n}部署の回答を反映" in result.output
    assert "半数に届きません" not in result.output


# --- a department that sent something is never told 未提出 ------------------------------------------

def _eml(subject: str, attachments: dict[str, bytes]) -> bytes:
    """A mail as a mail program saves it (.eml): the attachments as MIME parts with their file names."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, "soumu@example.lg.jp", "keiei@example.lg.jp"
    message.set_content("調査票を送付します。")
    for name, data in attachments.items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes(policy=email.policy.SMTP)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _filled(project, code: str, year: int = YEAR) -> bytes:
    path = project.filler(code, year).fill_all().save(project.root / "scratch" / f"{code}_{year}.xlsx")
    return path.read_bytes()


def _status_rows(output: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in output.splitlines() if re.match(r"^\d\d ", line)}


def _roster_sheet(project) -> dict[str, tuple]:
    wb = openpyxl.load_workbook(project.config.output_for(YEAR) / status_workbook_name(YEAR))
    rows = list(wb["提出状況"].iter_rows(min_row=4, values_only=True))
    return {r[0]: r[2:4] for r in rows if r[0]}


def _reminders(project) -> dict[str, dict]:
    wb = openpyxl.load_workbook(project.config.output_for(YEAR) / reminder_list_name(YEAR))
    ws = wb["督促リスト"]
    rows = [[("" if c.value is None else c.value) for c in row] for row in ws[ws.tables[next(iter(ws.tables))].ref]]
    return {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def test_collect__last_years_form__status_roster_and_reminders_say_so_and_the_letter_asks_for_this_years(project):
    project.return_all(except_codes=("05",))
    project.inbox().joinpath("情報政策課.xlsx").write_bytes(_filled(project, "05", YEAR - 1))

    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 1, result.output
    assert "届いたが取り込めないもの（未提出ではありません）: 情報政策課（前年度の様式で提出）" in result.output
    assert result.output.splitlines()[-1] == "未提出の部署はありません。"

    status = cli(project, "status", "--year", str(YEAR), "--today", "2025-05-21")
    assert status.exit_code == 1
    assert _status_rows(status.output)["05"][1:5] == ["情報政策課", "前年度の様式", "1", "0"]   # its IDENT_003
    assert _status_rows(status.output)["05"][-1] == "情報政策課.xlsx"
    assert "  情報政策課: 前年度の様式で提出（情報政策課.xlsx）。今年度配布した調査票に記入して送ってもらってください（督促リストに文例があります）。" \
        in status.output.splitlines()
    assert "未提出 0（全 19 部署）" in status.output

    assert _roster_sheet(project)["05"] == ("前年度の様式で提出", "情報政策課.xlsx")
    reminders = _reminders(project)
    assert list(reminders) == ["05"]
    wb = openpyxl.load_workbook(project.config.output_for(YEAR) / reminder_list_name(YEAR))
    assert wb["督促リスト"]["A4"].value == ("未提出 0 部署、要修正 1 部署（うち、届いたが取り込めないもの 1 部署: 状況の列のとおり）。"
                                        "督促文はそのままメールに貼り付けられます。")
    assert reminders["05"]["状況"] == "前年度の様式で提出"
    letter = reminders["05"]["督促文"]
    template = template_file_name(project.plan, YEAR, project.plan.department_by_code["05"])
    assert "お送りいただいたファイル（情報政策課.xlsx）は、前年度の調査票でした。" in letter
    assert f"令和6年度（2024年度）の調査票（{template}）に記入し" in letter
    assert "まだ確認できておりません" not in letter


def test_collect__zip_holding_the_workbook__in_the_zip_not_missing_and_nobody_chased(project):
    project.return_all(except_codes=("11",))
    project.inbox().joinpath("回答.zip").write_bytes(_zip({"総務管財課_回答.xlsx": _filled(project, "11")}))

    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 1, result.output
    assert "総務管財課（ZIP の中にあります）" in result.output
    with Store(project.config.store_path, readonly=True) as store:
        findings = {(f[1], f[2]): f[8] for f in store.findings(YEAR)}
        assert store.arrivals(YEAR) == {"11": (Arrival.IN_ZIP, "回答.zip")}
    assert findings[("FILE_022", "回答.zip")] == (
        "ZIP ファイルの中に 「総務管財課_回答.xlsx」 があります。collect は ZIP を展開しません。展開して、中の調査票を"
        "受付フォルダーに保存してから、もう一度 make collect を実行してください（ZIP は残して構いません）。")
    assert findings[("SUBM_006", "回答.zip")] == (
        "総務管財課からは「ZIP の中にあります」（回答.zip）が届いていますが、このままでは取り込めません（未提出では"
        "ありません）。ZIP を展開し、中の調査票を受付フォルダーに保存してから、もう一度 make collect を実行してください"
        "（部署への督促は不要です）。")
    assert not any(code == "SUBM_003" for code, _ in findings)

    status = cli(project, "status", "--year", str(YEAR), "--today", "2025-05-21")
    assert _status_rows(status.output)["11"][1:3] == ["総務管財課", "ZIP"]     # 「ZIP の中」
    assert _roster_sheet(project)["11"] == ("ZIP の中にあります", "回答.zip")
    letter = _reminders(project)["11"]["督促文"]
    assert letter.startswith("【事務局の作業。総務管財課への督促は不要です】受付フォルダーの「回答.zip」はZIP の中にあります。")
    assert "ZIP ファイルを展開し、中の調査票をそのまま受付フォルダーに保存してから" in letter

    # extracted as asked: the workbook is taken, and the zip beside it changes nothing
    project.inbox().joinpath("総務管財課_回答.xlsx").write_bytes(_filled(project, "11"))
    assert cli(project, "collect", "--year", str(YEAR)).exit_code == 0
    with Store(project.config.store_path, readonly=True) as store:
        assert store.arrivals(YEAR) == {} and set(store.roster(YEAR).values()) == {RETURNED}


def test_collect__zip_with_a_password__asks_the_department_for_it(project):
    project.return_all(except_codes=("11",))
    data = bytearray(_zip({"総務管財課_回答.xlsx": b"x" * 100}))
    for header in (b"PK\x03\x04", b"PK\x01\x02"):     # the encrypted flag, as a zip made with a password has
        at = data.find(header)
        offset = at + (6 if header == b"PK\x03\x04" else 8)
        data[offset] |= 1
    project.inbox().joinpath("回答.zip").write_bytes(bytes(data))
    assert cli(project, "collect", "--year", str(YEAR)).exit_code == 1
    reminder = _reminders(project)["11"]
    assert reminder["状況"] == "パスワード付き ZIP の中にあります"
    assert "パスワードをお知らせいただくか、調査票を ZIP にせずにそのまま添付してお送りください。" in reminder["督促文"]


@pytest.mark.parametrize(("file_name", "make", "label", "short"), [
    ("RE_調査票.eml", lambda data: _eml("調査票の提出", {"R06_商工課_進捗状況調査票.xlsx": data}),
     "メールのまま保存（.eml）", "メールのまま"),
    ("RE_調査票.msg", lambda data: outlook_msg("調査票の提出", {"R06_商工課_進捗状況調査票.xlsx": data}),
     "メールのまま保存（.msg）", "メールのまま"),
])
def test_collect__mail_saved_whole__says_save_the_attachment(project, file_name, make, label, short):
    project.return_all(except_codes=("18",))
    project.inbox().joinpath(file_name).write_bytes(make(_filled(project, "18")))

    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 1, result.output
    assert f"商工課（{label}）" in result.output
    assert _status_rows(cli(project, "status", "--year", str(YEAR)).output)["18"][1:3] == ["商工課", short]
    assert _roster_sheet(project)["18"] == (label, file_name)
    letter = _reminders(project)["18"]["督促文"]
    assert letter.startswith(f"【事務局の作業。商工課への督促は不要です】受付フォルダーの「{file_name}」は{label}。")
    assert "メールを開き、添付の調査票をそのまま受付フォルダーに保存してから" in letter
    with Store(project.config.store_path, readonly=True) as store:
        (message,) = [f[8] for f in store.findings(YEAR) if f[1] == "FILE_023"]
    assert message.startswith(f"メールのファイル（{file_name[-4:]}）のまま保存されていて、添付ファイル 「R06_商工課_進捗状況調査票.xlsx」 は")


def test_collect__zip_or_mail_without_a_workbook__a_file_not_taken_and_what_came_if_named(project):
    project.return_all(except_codes=("18",))
    project.inbox().joinpath("商工課_写真.zip").write_bytes(_zip({"photo.jpg": b"\xff\xd8"}))
    project.inbox().joinpath("お知らせ.eml").write_bytes(_eml("お知らせ", {}))
    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 1
    with Store(project.config.store_path, readonly=True) as store:
        codes = sorted((f[1], f[2]) for f in store.findings(YEAR) if f[1].startswith(("FILE", "SUBM")))
        assert store.arrivals(YEAR) == {"18": (Arrival.NOT_A_WORKBOOK, "商工課_写真.zip")}
    assert codes == [("FILE_021", "お知らせ.eml"), ("FILE_021", "商工課_写真.zip"), ("SUBM_006", "商工課_写真.zip")]


@pytest.mark.parametrize(("name", "data", "label"), [
    ("商工課_回答.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "読めないファイルで提出"),
    ("商工課_回答.pdf", b"%PDF-1.4\n", "調査票でないファイルで提出"),
])
def test_collect__unreadable_file_named_after_a_department__not_missing_and_asked_for_the_form(
        project, name, data, label):
    project.return_all(except_codes=("18",))
    project.inbox().joinpath(name).write_bytes(data)
    assert cli(project, "collect", "--year", str(YEAR)).exit_code == 1
    reminder = _reminders(project)["18"]
    assert (reminder["状況"], reminder["提出されたファイル"]) == (label, name)
    assert f"お送りいただいたファイル（{name}）は、" in reminder["督促文"]
    assert "令和6年度（2024年度）の調査票（R06_2024年度_18_商工課_進捗状況調査票.xlsx）に記入し" in reminder["督促文"]


def test_collect__a_department_with_its_own_return__its_zip_changes_nothing(project):
    project.return_all()
    project.inbox().joinpath("情報政策課.zip").write_bytes(_zip({"情報政策課.xlsx": _filled(project, "05")}))
    project.inbox().joinpath("情報政策課_昨年.xlsx").write_bytes(_filled(project, "05", YEAR - 1))
    assert cli(project, "collect", "--year", str(YEAR)).exit_code == 1    # the wrong-year file is still an error
    with Store(project.config.store_path, readonly=True) as store:
        assert store.roster(YEAR)["05"] == RETURNED and store.arrivals(YEAR) == {}


def test_held_names__japanese_names_in_a_zip_from_windows__read_as_cp932(tmp_path):
    name = "総務管財課_回答.xlsx".encode("cp932")
    stand_in = b"A" * (len(name) - 5) + b".xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(stand_in.decode(), b"PK")
    path = tmp_path / "a.zip"
    path.write_bytes(buffer.getvalue().replace(stand_in, name))     # the name's bytes as Windows writes them, no UTF-8 flag
    listed = held.list_held(held.HeldJob(InboxFile(path, "a.zip", path.stat().st_size, 0.0)))
    assert listed.names == ("総務管財課_回答.xlsx",) and listed.workbooks == ("総務管財課_回答.xlsx",)


def test_departments_named__a_name_inside_a_longer_one_is_the_longer_ones(plan):
    assert departments_named(plan, "R06_2024年度_05_情報政策課_進捗状況調査票.xlsx") == {"05"}
    assert departments_named(plan, "環境企画課_回答.xlsx") == {"10"}      # 企画課 is inside 環境企画課
    assert departments_named(plan, "企画課_環境企画課.xlsx") == {"06", "10"}
    assert departments_named(plan, "回答.xlsx") == set()


# --- typed text that would reorder or hide what stands next to it -------------------------------------

RLO_REASON = "予算は\u202e円000,01\u202cで足りた。\u200b確認済み"      # shows as 予算は10,000円… on screen
REASON_AS_TYPED = "予算は円000,01で足りた。確認済み"


def test_collect__bidi_override_and_zero_width_in_a_reason__removed_with_a_warning_at_the_cell(project):
    project.return_all(except_codes=("05",))
    filler = project.filler("05").fill_all()
    cell = filler.set("2101", L.KEY_REASON, L.FIELD_REASON, RLO_REASON)
    filler.save(project.inbox() / "情報政策課.xlsx")
    result = cli(project, "collect", "--year", str(YEAR))
    assert result.exit_code == 0, result.output          # a warning: the answer is taken
    with Store(project.config.store_path, readonly=True) as store:
        (found,) = [f for f in store.findings(YEAR) if f[1] == "VALUE_016"]
        assert store.evaluations(YEAR)["2101"].reason == REASON_AS_TYPED
    assert found[2:8] == ("情報政策課.xlsx", "情報政策課", "2101", cell, L.FIELD_REASON, REASON_AS_TYPED)
    assert found[8] == (
        f"「{L.FIELD_REASON}」に、文字の並びを逆にするなど表示を変える制御文字（U+202E など）や幅のない文字（U+200B など）が"
        "含まれていたため、取り除いて読み取りました（報告書・公表用の表・ウェブページには取り除いた文字で載ります）。"
        f"読み取った内容: {REASON_AS_TYPED}")

    assert cli(project, "report", "--year", str(YEAR), "--no-pdf", "--date", "2025-06-20").exit_code == 0
    page = (project.config.output_for(YEAR) / "web" / "index.html").read_text("utf-8")
    assert f"<dd><bdi>{REASON_AS_TYPED}</bdi></dd>" in page and "\u202e" not in page and "\u200b" not in page


def test_report__typed_text_still_holding_a_bidi_override__shown_as_typed_everywhere_and_isolated_on_the_page(
        tmp_path):
    """A store collected before collect removed the controls still holds one: every output (Word, the public
    .xlsx and .csv, the page) takes text through the same clean_text, and on the page each typed text is also
    its own bidi isolate, so nothing typed can reach what stands next to it."""
    from tests import report_fixtures as F
    from tests.test_web import parse

    plan, config = F.plan(), F.config(tmp_path)
    store = F.filled_store(config.store_path, plan)
    record = F.year_record(plan, YEAR)
    answers = [(dataclasses.replace(a, result=RLO_REASON), sha)
               if (a.initiative_id, a.department_code) == ("1101-01", "01") else (a, sha) for a, sha in record.answers]
    evaluations = [(dataclasses.replace(e, reason=RLO_REASON), sha) if e.item_code == "1101" else (e, sha)
                   for e, sha in record.evaluations]
    store.replace_year(dataclasses.replace(record, answers=answers, evaluations=evaluations))
    with store:
        result = make_report(plan, config, YEAR, dt.date(2025, 6, 20), use_office=False)
    page = result.web.read_bytes()
    tree = parse(page)
    holding = [n for n in tree.iter() if any(isinstance(c, str) and REASON_AS_TYPED in c for c in n.children)]
    assert len(holding) == 2 and all(n.tag == "bdi" for n in holding)
    assert {n.parent.tag for n in holding} == {"td", "dd"}
    assert all(n.parent.children == [n] for n in holding)      # nothing else in the cell for an override to reach
    with zipfile.ZipFile(result.docx) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    assert REASON_AS_TYPED in document
    for text in (page.decode("utf-8"), document, result.csv.read_text("utf-8-sig")):
        assert "\u202e" not in text and "\u202c" not in text and "\u200b" not in text


@pytest.mark.skipif(platform.WINDOWS, reason="a symbolic link needs an administrator on Windows, and Wine's are not Windows'")
def test_collect__a_link_out_of_the_inbox_named_after_a_department__ours_to_fix_not_the_departments(project, tmp_path):
    project.return_all(except_codes=("18",))
    outside = tmp_path / "elsewhere.xlsx"
    outside.write_bytes(_filled(project, "18"))
    project.inbox().joinpath("商工課_回答.xlsx").symlink_to(outside)
    assert cli(project, "collect", "--year", str(YEAR)).exit_code == 1
    reminder = _reminders(project)["18"]
    assert reminder["状況"] == "受付フォルダーのファイルを読めません"
    assert reminder["督促文"] == (
        "【事務局の作業。商工課への督促は不要です】受付フォルダーの「商工課_回答.xlsx」を読めませんでした。"
        "ファイルのコピーが終わっているか、アクセス権と保存場所（受付フォルダーの中に実物があるか）を確かめてから、"
        "もう一度 make collect を実行してください（部署への督促は不要です）。")
