"""Numbers as Excel means them (issue 23): a figure pasted from a department's own sums (5820×1.1 arrives
as 6402.000000000001) is the number the cell shows, in the store, every output and every comparison; a
formula whose result is an error is said to be one, at its cell. Returns are the project's own workbooks,
filled as a person would (tests/filling.py), taken through the CLI."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile

import openpyxl
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.report.public_table import RATE_HEADER, public_file_name
from pipeline.report.usecase import report_file_name
from pipeline.store import Store
from pipeline.survey import layout as L
from tests import report_fixtures as F
from tests.conftest import YEAR

RESIDUE = "6402.000000000001"


def _cli(project, *args):
    return CliRunner().invoke(main, ["--config", str(project.config_path), *args])


def _collect_and_report(project):
    collected = _cli(project, "collect", "--year", str(YEAR))
    assert collected.exit_code in (0, 1), collected.output
    reported = _cli(project, "report", "--year", str(YEAR), "--date", "2025-06-20", "--no-pdf")
    assert reported.exit_code == 0, reported.output
    return project.config.output_for(YEAR)


def _outputs(folder) -> dict[str, str]:
    """Every published output as text: the CSV, the public .xlsx's cell values, the web page, the report."""
    csv_text = (folder / public_file_name(YEAR, ".csv")).read_bytes().decode("utf-8-sig")
    book = openpyxl.load_workbook(folder / public_file_name(YEAR, ".xlsx"))
    cells = "\n".join(repr(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)
    with zipfile.ZipFile(folder / report_file_name(YEAR)) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    page = (folder / "web" / "index.html").read_text(encoding="utf-8")
    return {"csv": csv_text, "xlsx": cells, "docx": document, "web": page}


def _csv_row(folder, item: str) -> dict[str, str]:
    text = (folder / public_file_name(YEAR, ".csv")).read_bytes().decode("utf-8-sig")
    return next(row for row in csv.DictReader(io.StringIO(text)) if item in row.values())


def test_report__actual_pasted_from_a_sum__every_output_shows_6402_and_the_target_is_reached(project):
    filler = project.filler("01").fill_all()
    cell = filler.set("1102", L.KEY_ACTUAL, L.FIELD_ACTUAL, 5820 * 1.1)     # 貼り付け→値 of =5820*1.1
    filler.save(project.inbox() / "総合政策課.xlsx")
    folder = _collect_and_report(project)
    with Store(project.config.store_path) as store:
        assert repr(store.actuals()[(YEAR, "1102")]) == "6402.0"
        assert [f for f in store.findings(YEAR) if f[5] == cell] == []
    outputs = _outputs(folder)
    for name, text in outputs.items():
        assert RESIDUE not in text and "6402.00000" not in text, name
    row = _csv_row(folder, "1102")
    assert row[f"{YEAR}年度実績"] == "6402"
    assert row["判定"] == "達成" and row[RATE_HEADER] == "100"
    assert "6,402" in outputs["web"] and "6,402" in outputs["docx"]


def test_report__store_of_an_earlier_version_holding_a_residue__published_as_shown(tmp_path):
    config_path = F.write_config(tmp_path)
    store_path = tmp_path / "output" / "progress.sqlite"
    F.filled_store(store_path, F.plan()).close()
    with sqlite3.connect(store_path) as db:      # as a version before the rule stored the pasted figure
        db.execute("UPDATE indicator_actuals SET value = ? WHERE fiscal_year = ? AND item_code = '1102'",
                   (5820 * 1.1, YEAR))
    result = CliRunner().invoke(main, ["--config", str(config_path), "report", "--year", str(YEAR),
                                       "--date", "2025-06-20", "--no-pdf"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "output" / str(YEAR)
    for name, text in _outputs(folder).items():
        assert RESIDUE not in text and "6402.00000" not in text, name
    row = _csv_row(folder, "1102")
    assert row[f"{YEAR}年度実績"] == "6402" and row["判定"] == "達成"
