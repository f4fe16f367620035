"""Fill survey workbooks in LibreOffice Calc through UNO, the way a person does, and save them as .xlsx.

Runs under the Python that has LibreOffice's `uno` module (Debian: /usr/bin/python3 with python3-uno),
not under the project's virtualenv:

    /usr/bin/python3 tests/uno_calc.py IN.xlsx OUT.xlsx ACTIONS.json     # one workbook
    /usr/bin/python3 tests/uno_calc.py --jobs JOBS.json                  # many workbooks, one soffice
    ... [--pipe NAME]       connect to a running soffice (--accept=pipe,name=NAME;urp;) instead of starting one
    ... [--soffice PATH]    the soffice to start (default: soffice on PATH)
    /usr/bin/python3 tests/uno_calc.py --pipe NAME --terminate              # end that soffice

ACTIONS.json is a list of actions; JOBS.json a list of {"in": path, "out": path, "actions": [...]} with
"stamp": true where the save must write the time of saving (Save As) instead of exporting a copy.
An action names a cell by sheet and A1 reference, or by sheet, the key in column A and a column letter
(the row found as a person reads the sheet, like pipeline.layout.row_key), and does one of:

    {"type": "約千件"}      type the text as a person types it (setFormula: "1234" becomes a number,
                            "約千件" stays text); "" or {"clear": true} is the Delete key
    {"enter": "80%"}       type it through Calc's own input, as at the keyboard (.uno:EnterString, what a
                            recorded macro does): Calc also applies the number format it recognises in the
                            text to a cell in the default format, so "80%" becomes 0.8 shown as a percent
    {"choose": 1}          open the cell's dropdown (its list validation) and pick the 2nd value;
    {"choose": "実施中"}    or pick that value (refused when the list does not hold it)

or sorts a sheet, as Data ▸ Sort does (the rows under the header row, each cell's format moving with it;
the sheet's protection lifted first, as anyone can):

    {"sheet": "具体的な取組", "sort": 3, "descending": false}     by the 4th column

Only unlocked cells are typed into: a locked cell is refused unless the action says "unprotect": true,
which lifts the sheet's protection first (the survey sheets have an empty password), as anyone can.
The workbook is saved with Calc's own filter "Calc MS Excel 2007 XML". Prints, as JSON on stdout, what
was done: per workbook the typed cells with what Calc made of them (VALUE, TEXT, EMPTY, FORMULA) and
their number format.
Exits 1 with a message on stderr when an action is refused or a file cannot be opened or saved.

Only the standard library and uno are imported, and uno only when LibreOffice is driven, so the tests'
own Python can import `soffice_command` and `prepare_profile` from here to start a shared soffice.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CALC_XLSX_FILTER = "Calc MS Excel 2007 XML"
CONNECT_SECONDS = 120
_REMOTE: dict[str, object] = {}      # the connected soffice's component context (for its dispatcher)


def soffice_command(soffice: str, profile: Path, pipe: str) -> list[str]:
    """A headless soffice with a throw-away profile, listening on a named pipe for UNO."""
    return [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
            f"-env:UserInstallation={profile.resolve().as_uri()}", f"--accept=pipe,name={pipe};urp;"]


def prepare_profile(soffice: str, profile: Path) -> None:
    """Create the profile before soffice listens: on its first start with a new profile soffice restarts
    itself, and a bridge made to the first process dies with it (the client crashes without a word)."""
    subprocess.run([soffice, "--headless", "--nologo", "--norestore", "--terminate_after_init",
                    f"-env:UserInstallation={profile.resolve().as_uri()}"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)


class Refused(Exception):
    """An action a person could not do as asked (a locked cell, a value the dropdown does not offer)."""


def _prop(name, value):
    from com.sun.star.beans import PropertyValue

    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe: str, office: subprocess.Popen | None = None):
    """The Desktop of the soffice listening on `pipe` (waits while it starts)."""
    import uno
    from com.sun.star.connection import NoConnectException

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            _REMOTE["context"] = ctx
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if time.monotonic() > deadline or (office is not None and office.poll() is not None):
                raise SystemExit(f"soffice に接続できませんでした（pipe {pipe}）") from None
            time.sleep(0.2)


def row_key(text: str) -> str:
    """Column A as a person reads it: without the required mark ※, trimmed (pipeline.layout.row_key)."""
    return text.replace("※", "").strip()


def list_choices(formula: str) -> list[str]:
    """The values of an inline list validation: '"完了";"実施中"' → ['完了', '実施中']."""
    return [m.replace('""', '"') for m in re.findall(r'"((?:[^"]|"")*)"', formula)]


class Sheet:
    def __init__(self, sheet):
        self.sheet = sheet
        self._keys: dict[str, int] | None = None

    def row_of(self, key: str) -> int:
        """0-based row of the row whose column A holds `key`."""
        if self._keys is None:
            cursor = self.sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            last = cursor.getRangeAddress().EndRow
            column = self.sheet.getCellRangeByPosition(0, 0, 0, last).getDataArray()
            self._keys = {}
            for r, (value,) in enumerate(column):
                text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
                self._keys.setdefault(row_key(text), r)
        if key not in self._keys:
            raise Refused(f"シート {self.sheet.getName()} の A 列に「{key}」の行がありません")
        return self._keys[key]

    def cell(self, action: dict):
        if "cell" in action:
            return self.sheet.getCellRangeByName(action["cell"])
        ref = f"{action['column']}{self.row_of(action['key']) + 1}"
        return self.sheet.getCellRangeByName(ref)


def _a1(cell) -> str:
    address = cell.getCellAddress()
    col, letters = address.Column + 1, ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{address.Row + 1}"


def _content(cell) -> str:
    return cell.getType().value     # EMPTY, VALUE, TEXT, FORMULA


def enter(doc, sheet, cell, text: str) -> None:
    """Type `text` into `cell` through Calc's input, as at the keyboard and then Enter."""
    controller = doc.getCurrentController()
    controller.setActiveSheet(sheet)
    controller.select(cell)
    ctx = _REMOTE["context"]
    helper = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
    helper.executeDispatch(controller.getFrame(), ".uno:EnterString", "", 0, (_prop("StringName", text),))


def sort_rows(sheet, column: int, descending: bool) -> dict:
    """Data ▸ Sort on the sheet's used area, its first row the header, by one column."""
    import uno
    from com.sun.star.table import TableSortField

    if sheet.isProtected():
        sheet.unprotect("")
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    end = cursor.getRangeAddress()
    area = sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
    by = TableSortField()
    by.Field, by.IsAscending = column, not descending
    descriptor = list(area.createSortDescriptor())
    for n, p in enumerate(descriptor):
        if p.Name == "SortFields":
            descriptor[n] = _prop("SortFields", uno.Any("[]com.sun.star.table.TableSortField", (by,)))
        elif p.Name == "ContainsHeader":
            descriptor[n] = _prop("ContainsHeader", True)
        elif p.Name == "BindFormatsToContent":
            descriptor[n] = _prop("BindFormatsToContent", True)
    uno.invoke(area, "sort", (tuple(descriptor),))
    return {"sheet": sheet.getName(), "sorted_by": column, "last_row": end.EndRow + 1,
            "first_column": [row[0] for row in area.getDataArray()[1:]]}


def apply(doc, action: dict) -> dict:
    """Do one action on an open document; returns what was done."""
    from com.sun.star.sheet.CellFlags import DATETIME, FORMULA, STRING, VALUE

    sheets = doc.getSheets()
    if not sheets.hasByName(action["sheet"]):
        raise Refused(f"シート {action['sheet']} がありません")
    raw = sheets.getByName(action["sheet"])
    if "sort" in action:
        return sort_rows(raw, action["sort"], action.get("descending", False))
    cell = Sheet(raw).cell(action)
    done = {"sheet": action["sheet"], "cell": _a1(cell)}
    locked = cell.getPropertyValue("CellProtection").IsLocked
    done["locked"] = locked
    if locked and raw.isProtected():
        if not action.get("unprotect"):
            raise Refused(f"{action['sheet']}!{done['cell']} は保護されたセルです（入力できません）")
        raw.unprotect("")
        done["unprotected"] = True
    if "choose" in action:
        validation = cell.getPropertyValue("Validation")
        if validation.Type.value != "LIST":
            raise Refused(f"{action['sheet']}!{done['cell']} には一覧（入力規則のリスト）がありません")
        choices = list_choices(validation.getFormula1())
        want = action["choose"]
        if isinstance(want, int):
            if not 0 <= want < len(choices):
                raise Refused(f"{action['sheet']}!{done['cell']} の一覧に {want + 1} 番目の値はありません")
            want = choices[want]
        elif want not in choices:
            raise Refused(f"{action['sheet']}!{done['cell']} の一覧に「{want}」はありません（{choices}）")
        done["choices"] = choices
        typed = want
    elif action.get("clear"):
        typed = ""
    else:
        typed = action["enter"] if "enter" in action else action["type"]
    if typed == "":
        cell.clearContents(VALUE | DATETIME | STRING | FORMULA)     # the Delete key
    elif "enter" in action:
        enter(doc, raw, cell, typed)
    else:
        cell.setFormula(typed)            # what pressing Enter after typing does: a number stays a number
    done["typed"] = typed
    done["content"] = _content(cell)
    done["value"] = cell.getValue() if done["content"] == "VALUE" else cell.getString()
    done["format"] = doc.getNumberFormats().getByKey(cell.getPropertyValue("NumberFormat")).FormatString
    return done


def fill(desktop, source: str, target: str, actions: list[dict], stamp: bool = False) -> dict:
    """Open `source`, do `actions`, save as .xlsx to `target` with Calc's own filter. `stamp`: save as a
    person does (File ▸ Save As), which writes the time of saving into the document's properties."""
    doc = desktop.loadComponentFromURL(Path(source).resolve().as_uri(), "_blank", 0, (_prop("Hidden", True),))
    if doc is None:
        raise Refused(f"{source} を開けませんでした")
    try:
        done = [apply(doc, a) for a in actions]
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        arguments = (_prop("FilterName", CALC_XLSX_FILTER), _prop("Overwrite", True))
        if stamp:
            doc.setModified(True)
            doc.storeAsURL(Path(target).resolve().as_uri(), arguments)
        else:
            doc.storeToURL(Path(target).resolve().as_uri(), arguments)
    finally:
        doc.close(True)
    return {"in": source, "out": target, "done": done}


def run(jobs: list[dict], pipe: str | None, soffice: str) -> list[dict]:
    office = profile = desktop = None
    if pipe is None:
        profile = Path(tempfile.mkdtemp(prefix="gyozai-calc-"))
        pipe = f"gyozai_calc_{os.getpid()}"
        prepare_profile(soffice, profile)
        office = subprocess.Popen(soffice_command(soffice, profile, pipe),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        desktop = connect(pipe, office)
        return [fill(desktop, j["in"], j["out"], j["actions"], j.get("stamp", False)) for j in jobs]
    finally:
        if office is not None:
            try:
                if desktop is not None:
                    desktop.terminate()
            except Exception:  # noqa: BLE001 - the bridge closes as soffice exits
                pass
            try:
                office.wait(timeout=30)
            except subprocess.TimeoutExpired:
                office.kill()
                office.wait()
            shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", metavar="IN.xlsx OUT.xlsx ACTIONS.json")
    parser.add_argument("--jobs", help="JSON list of {in, out, actions}")
    parser.add_argument("--pipe", help="connect to the soffice listening on this pipe")
    parser.add_argument("--soffice", default=shutil.which("soffice") or "soffice")
    parser.add_argument("--terminate", action="store_true", help="end the soffice on --pipe")
    args = parser.parse_args(argv)
    if args.terminate and args.pipe:
        try:
            connect(args.pipe).terminate()
        except Exception:  # noqa: BLE001 - the bridge closes as soffice exits
            pass
        return 0
    if args.jobs and not args.files:
        jobs = json.loads(Path(args.jobs).read_text(encoding="utf-8"))
    elif len(args.files) == 3 and not args.jobs:
        source, target, actions = args.files
        jobs = [{"in": source, "out": target, "actions": json.loads(Path(actions).read_text(encoding="utf-8"))}]
    else:
        parser.error("IN.xlsx OUT.xlsx ACTIONS.json か --jobs JOBS.json のどちらかを指定してください")
    try:
        results = run(jobs, args.pipe, args.soffice)
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 1
    json.dump(results, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
