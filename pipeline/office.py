"""LibreOffice helpers: fill in a .docx's table of contents and export a PDF, through UNO.

A plain `soffice --convert-to pdf` leaves a table of contents empty; only Word, or LibreOffice told
through UNO to update the document's indexes, fills it in. UNO lives in the Python that LibreOffice
was built for (Debian: /usr/bin/python3 with python3-uno), not in the project's virtualenv, so this
module is both the library the pipeline calls and the worker script that Python runs:

    <uno python> pipeline/office.py <soffice> <in.docx> <out.pdf> <profile dir>

The worker starts its own soffice with a throw-away profile (-env:UserInstallation) so it neither
needs nor disturbs a user's LibreOffice, maps the report's Japanese fonts to Noto CJK through a
fontconfig file of its own, and prints the filled table of contents as JSON. The caller kills the
worker's whole process group when the time limit passes. Only the standard library is imported at the top:
the worker script runs in LibreOffice's Python, where this package is not installed, so the caller's side
imports pipeline.platform (where LibreOffice lives, how to end a process tree) inside its functions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# fonts the report names → what fontconfig should use where they are not installed
FONT_ALIASES = {
    "游明朝": "Noto Serif CJK JP",
    "Yu Mincho": "Noto Serif CJK JP",
    "ＭＳ 明朝": "Noto Serif CJK JP",
    "MS Mincho": "Noto Serif CJK JP",
    "游ゴシック": "Noto Sans CJK JP",
    "Yu Gothic": "Noto Sans CJK JP",
    "ＭＳ ゴシック": "Noto Sans CJK JP",
    "MS Gothic": "Noto Sans CJK JP",
}

# writer_pdf_Export's options for a PDF everyone can read (JIS X 8341-3 / WCAG 2.x): a structure tree from
# the headings, tables and figures (their alt text), the document's title in the window's title bar, and
# bookmarks from the headings, the bookmarks pane shown on opening. LibreOffice writes /Lang from the Latin
# text's language (en-US); pipeline.files.stamped_pdf makes the PDF Japanese throughout, and adds DisplayDocTitle
# if LibreOffice did not.
PDF_OPTIONS = {
    "UseTaggedPDF": True,
    "DisplayPDFDocTitle": True,
    "ExportBookmarks": True,
    "OpenBookmarkLevels": -1,       # every level of the bookmarks open
    "InitialView": 1,               # 1 = the bookmarks (outline) pane beside the pages
    "ExportNotes": False,
}

class OfficeError(Exception):
    """LibreOffice could not update or export the document (the .docx itself is fine)."""


@dataclass(frozen=True)
class Office:
    soffice: str
    python: str

    def update_and_export(self, docx: Path, pdf: Path, *, timeout: float = 240.0) -> list[tuple[str, str]]:
        """Update every index and field of `docx`, export it to `pdf`; return the TOC's (text, page) lines.

        `docx` is not changed. Raises OfficeError on failure or when `timeout` seconds pass.
        """
        from pipeline import platform  # not at the top: see the module's docstring

        profile = Path(tempfile.mkdtemp(prefix="gyozai-lo-"))
        tmp_pdf = pdf.with_name(f".{pdf.name}.tmp")
        try:
            proc = subprocess.Popen(
                [self.python, "-I", str(Path(__file__).resolve()), self.soffice, str(docx.resolve()),
                 str(tmp_pdf.resolve()), str(profile)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, **platform.own_group(),
                env={**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(profile))},
            )
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                platform.kill_group(proc)
                raise OfficeError(f"{timeout:.0f}秒以内に終わりませんでした") from None
            finally:
                platform.kill_group(proc)  # soffice, if the worker left it behind
            if proc.returncode != 0 or not tmp_pdf.exists():
                detail = err.decode("utf-8", "replace").strip().splitlines()
                raise OfficeError(detail[-1] if detail else f"終了コード {proc.returncode}")
            try:
                toc = json.loads(out.decode("utf-8"))["toc"]
            except (ValueError, KeyError) as exc:
                raise OfficeError(f"結果を読めません（{exc}）") from None
            tmp_pdf.replace(pdf)
            return [(str(text), str(page)) for text, page in toc]
        finally:
            tmp_pdf.unlink(missing_ok=True)
            shutil.rmtree(profile, ignore_errors=True)


def fontconfig_file(folder: Path) -> Path:
    aliases = "".join(
        f'<alias binding="same"><family>{name}</family><prefer><family>{target}</family></prefer></alias>'
        for name, target in FONT_ALIASES.items()
    )
    path = folder / "fonts.conf"
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<include ignore_missing="yes">{system}</include>{aliases}</fontconfig>',
        encoding="utf-8",
    )
    return path


def _has_uno(python: str) -> bool:
    try:
        return subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_office() -> Office | None:
    """soffice and a Python with UNO, or None. GYOZAI_SOFFICE / GYOZAI_UNO_PYTHON override the search.
    On Windows LibreOffice installs both in Program Files\\LibreOffice\\program (soffice.exe, python.exe)."""
    from pipeline import platform  # not at the top: see the module's docstring

    soffice = os.environ.get("GYOZAI_SOFFICE") or shutil.which("soffice") or next(
        (p for p in platform.soffice_candidates() if platform.is_program(p)), None)
    if not soffice or not platform.is_program(soffice):
        return None
    override = os.environ.get("GYOZAI_UNO_PYTHON")
    candidates = [override] if override else [*platform.uno_python_candidates(soffice), sys.executable]
    python = next((p for p in dict.fromkeys(candidates) if p and platform.is_program(p) and _has_uno(p)), None)
    return Office(soffice, python) if python else None


# --- the worker (runs under the UNO Python) -------------------------------------------------------

def _worker(soffice: str, docx: str, pdf: str, profile: str) -> None:  # pragma: no cover - runs in LibreOffice's Python
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException

    def prop(name, value):
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    pipe = f"gyozai{os.getpid()}"
    office = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
         f"-env:UserInstallation={Path(profile).as_uri()}",
         f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    ctx = None
    for _ in range(240):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if office.poll() is not None:
                break
            time.sleep(0.25)
    if ctx is None:
        office.kill()
        sys.exit("soffice に接続できませんでした")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(Path(docx).as_uri(), "_blank", 0, (prop("Hidden", True),))
    if doc is None:
        sys.exit("文書を開けませんでした")
    try:
        doc.getTextFields().refresh()
        indexes = doc.getDocumentIndexes()
        toc = []
        for i in range(indexes.getCount()):
            index = indexes.getByIndex(i)
            index.update()
            if index.supportsService("com.sun.star.text.ContentIndex") and not toc:
                for line in index.getAnchor().getString().splitlines():
                    text, tab, page = line.rpartition("\t")
                    if tab and page.strip().isdigit():
                        toc.append((text.strip(), page.strip()))
        doc.refresh()
        # FilterData is a sequence of PropertyValue: typed as such, or the filter ignores it
        options = uno.Any("[]com.sun.star.beans.PropertyValue",
                          tuple(prop(name, value) for name, value in PDF_OPTIONS.items()))
        uno.invoke(doc, "storeToURL", (Path(pdf).as_uri(), (prop("FilterName", "writer_pdf_Export"),
                                                            prop("FilterData", options))))
    finally:
        doc.close(True)
    try:
        desktop.terminate()
    except Exception:  # noqa: BLE001 - the bridge closes as soffice exits
        pass
    try:
        office.wait(timeout=30)
    except subprocess.TimeoutExpired:
        office.kill()
    print(json.dumps({"toc": toc}, ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 5:
        sys.exit("usage: office.py <soffice> <in.docx> <out.pdf> <profile dir>")
    _worker(*sys.argv[1:])
