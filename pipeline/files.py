"""Writing outputs so that a run killed at any moment leaves the previous file as it was."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename over `path`.

    `durable=False` skips the per-file fsync, for many files that the caller makes durable at once
    with one os.sync() before anything points at them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# xlsxwriter options for every workbook this project writes: text is always written as text, so a
# return's "=HYPERLINK(...)" or "http://…" never becomes a formula, a link or a number.
XLSX_INERT_TEXT = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def csv_safe(value: str) -> str:
    """OWASP: a cell that begins with = + - @ tab or CR is prefixed with ' so no spreadsheet runs it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
