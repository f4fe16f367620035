"""Broken and hostile returns: each gives a clear finding (file, and cell where there is one) while the
good returns in the same inbox are accepted; nothing is executed, nothing in the inbox changes."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest

from pipeline import platform
from pipeline.collect.returns import collect
from pipeline.sheets import layout as L
from pipeline.store import Store
from pipeline.usecases.collect_year import run_collect_year
from pipeline.vocabulary import ACCEPTED, RETURNED
from tests.conftest import YEAR
from tests.test_gate import (
    SHEET,
    GiB,
    _biff_workbook_stream,
    _changed,
    _encrypted,
    _Entry,
    _ole,
    _raw_zip,
    _replaced,
    _zeros_deflated,
)


def _bytes(filler) -> bytes:
    buffer = io.BytesIO()
    filler.wb.save(buffer)
    return buffer.getvalue()


def _with_sheet_xml(data: bytes, sheet_name: str, edit) -> bytes:
    """The workbook with one worksheet's XML edited by `edit(xml: str) -> str`."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{sheet_name}"[^>]*r:id="(rId\d+)"', workbook).group(1)
        target = re.search(rf'Id="{rid}"[^>]*Target="/?(?:xl/)?([^"]+)"', rels) or re.search(
            rf'Target="/?(?:xl/)?([^"]+)"[^>]*Id="{rid}"', rels)
        part = "xl/" + target.group(1)
        return _changed(data, {part: edit(zf.read(part).decode()).encode()})


@pytest.fixture
def hostile_inbox(project):
    """Every department returns a good workbook; beside them lie the hostile files of the corpus."""
    good = project.return_all()
    inbox = project.inbox()
    template_return = project.filler("05").fill_all()
    base = _bytes(template_return)
    cases: dict[str, bytes] = {
        "truncated.xlsx": base[: len(base) // 2],
        "random.xlsx": os.urandom(4096),
        "empty.xlsx": b"",
        "encrypted.xlsx": _encrypted("secret", base),
        "legacy.xls": _ole({"Workbook": _biff_workbook_stream()}),
        "macro.xlsm": _changed(base, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not a real project"}),
        "embedded.xlsx": _changed(base, {"xl/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0 object"}),
        "external_link.xlsx": _changed(base, {"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}),
        "entity_bomb.xlsx": _changed(base, {SHEET: (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
            b'</sheetData></worksheet>')}),
        "xxe.xlsx": _changed(base, {SHEET: (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
            b'</sheetData></worksheet>')}),
        "zip_bomb.xlsx": _raw_zip(_replaced(base, _Entry(SHEET, _zeros_deflated(3 * 1024), 3 * GiB, 0))),
        "far_cell.xlsx": _with_sheet_xml(base, "2101", lambda xml: xml.replace(
            "</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')),
        "folder.xlsx/情報政策課_控え.xlsx": good["05"].read_bytes(),   # the same return, saved again in a folder named like a file
    }
    for name, data in cases.items():
        path = inbox / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if not platform.WINDOWS:    # a link needs an administrator on Windows (test_gate proves links where they are everyday)
        os.symlink("/etc/passwd", inbox / "passwd.xlsx")
    snapshot = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in inbox.rglob("*") if p.is_file() and not p.is_symlink()}
    return project, good, snapshot


EXPECTED = {
    "truncated.xlsx": ["FILE_003"],
    "random.xlsx": ["FILE_003"],
    "empty.xlsx": ["FILE_001"],
    "encrypted.xlsx": ["FILE_004"],
    "legacy.xls": ["FILE_006"],
    "macro.xlsm": ["FILE_011"],
    "embedded.xlsx": ["FILE_013"],
    "external_link.xlsx": ["FILE_014"],
    "entity_bomb.xlsx": ["FILE_017"],
    "xxe.xlsx": ["FILE_017"],
    "zip_bomb.xlsx": ["FILE_009", "FILE_008"],
    "far_cell.xlsx": ["FILE_015"],
    "passwd.xlsx": ["FILE_018"],
    "folder.xlsx/情報政策課_控え.xlsx": ["SUBM_001"],
}


def test_hostile_corpus__each_case_a_clear_finding__good_returns_beside_them_accepted(hostile_inbox):
    project, good, snapshot = hostile_inbox
    result = run_collect_year(project.plan, project.config, YEAR).result
    with Store(project.config.store_path) as store:
        assert set(store.roster(YEAR).values()) == {RETURNED}

    found: dict[str, list[str]] = {}
    for f in result.findings:
        found.setdefault(f.file, []).append(f.code)
    for name, codes in EXPECTED.items():
        if name == "passwd.xlsx" and platform.WINDOWS:
            continue    # not made there (above)
        assert found.get(name) == codes, (name, found.get(name))
    accepted = {o.file_name for o in result.files if o.status == ACCEPTED}
    assert accepted == {p.name for p in good.values()}
    for f in result.findings:
        assert f.message and f.file, f
    # the inbox is only ever read
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in project.inbox().rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == snapshot


def test_archive__accepted_returns_kept_in_the_store_under_their_content_hash(project):
    good = project.return_all()
    result = run_collect_year(project.plan, project.config, YEAR).result
    with Store(project.config.store_path, readonly=True) as store:
        for o in result.files:
            assert store.kept_file(o.sha256) == good[o.department].read_bytes()
        assert len(store.kept_files()) == 19
    assert not project.config.archive_dir.exists()      # no file per return any more


# --- cell-level cases ---------------------------------------------------------------------------------

def _collect_one(project, filler, name="return.xlsx"):
    filler.save(project.inbox() / name)
    result = run_collect_year(project.plan, project.config, YEAR).result
    with Store(project.config.store_path) as store:
        answers = store.answers(YEAR)
    return result, answers, [f for f in result.findings if f.file == name]


def test_collect__ten_thousand_character_answer__too_long_at_its_cell(project):
    filler = project.filler("05").fill_all()
    cell = filler.set("2104", "2104-02", L.FIELD_RESULT, "長" * 10_000)
    _, _, findings = _collect_one(project, filler)
    assert [(f.code, f.cell) for f in findings] == [("VALUE_005", cell)]


def test_collect__emoji_and_rare_kanji__stored_exactly(project):
    filler = project.filler("05").fill_all()
    text = "𠮷野家と髙橋さん🙂と連携した。①〜③を実施。ｶﾀｶﾅ"
    filler.set("2104", "2104-02", L.FIELD_RESULT, text)
    _, answers, findings = _collect_one(project, filler)
    assert findings == []
    assert answers[("2104-02", "05")].result == text


@pytest.mark.parametrize("text", [
    '=HYPERLINK("http://example.com","x")', "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "-1+1",
])
def test_collect__formula_text_typed_as_text__stored_as_inert_text(project, text):
    filler = project.filler("05").fill_all()
    ws = filler.wb["2104"]
    cell = ws[filler.set("2104", "2104-02", L.FIELD_RESULT, text)]
    cell.data_type = "s"       # pasted as text
    _, answers, findings = _collect_one(project, filler)
    assert findings == []
    assert answers[("2104-02", "05")].result == text


def test_collect__formula_in_a_number_cell__warning_at_cell_and_its_result_read(project):
    filler = project.filler("05").fill_all()
    cell = filler.set("2101", L.KEY_ACTUAL, L.FIELD_ACTUAL, 7)
    path = project.inbox() / "return.xlsx"
    filler.save(path)
    # a cached result, as Excel writes it: <f>3+4</f><v>7</v>
    path.write_bytes(_with_sheet_xml(path.read_bytes(), "2101", lambda xml: re.sub(
        rf'(<c r="{cell}"[^>]*>)<v>7</v>', r"\1<f>3+4</f><v>7</v>", xml)))
    result = collect(project.plan.for_year(YEAR), project.config, YEAR)
    findings = [f for f in result.findings if f.file == "return.xlsx"]
    assert [(f.code, f.sheet, f.cell, f.severity) for f in findings] == [("VALUE_008", "2101", cell, "warning")]
    assert [a.value for o in result.files for a in o.actuals if a.item_code == "2101"] == [7]


def test_collect__sheet_with_100000_filled_rows__warning_and_the_survey_rows_still_read(project):
    filler = project.filler("05").fill_all()
    ws = filler.wb["2104"]
    for r in range(200, 100_200):
        ws.cell(r, 2).value = r
    _, answers, findings = _collect_one(project, filler)
    assert [(f.code, f.sheet) for f in findings] == [("SHEET_003", "2104")]
    assert ("2104-02", "05") in answers


def test_collect__workbook_structure_lifted_protection__locked_text_edit_is_a_warning(project):
    filler = project.filler("05").fill_all()
    ws = filler.wb["2101"]
    ws.protection.sheet = False
    row = filler.row_of("2101", L.CTX_TITLE)
    ws.cell(row, 2).value = "書き換えた取組項目"
    _, _, findings = _collect_one(project, filler)
    assert [(f.code, f.cell, f.field) for f in findings] == [("ROW_004", f"B{row}", L.CTX_TITLE)]


def test_collect__very_hidden_identity_deleted__identity_read_from_document_properties(project):
    filler = project.filler("05").fill_all()
    del filler.wb[L.SHEET_IDENTITY]
    result, _, findings = _collect_one(project, filler)
    assert findings == []
    assert result.roster["05"][1] == "return.xlsx"


def test_collect__hidden_sheet_unhidden_and_edited_to_another_department__taken_as_written(project):
    filler = project.filler("05").fill_all()
    for row in filler.wb[L.SHEET_IDENTITY].iter_rows():
        if row[0].value == L.ID_DEPARTMENT:
            row[1].value = "99"
    _, _, findings = _collect_one(project, filler)
    assert [f.code for f in findings] == ["IDENT_004"]

