"""The reference for collect's speed: `python bench/bare_read.py FOLDER` reads every value of every sheet of
every .xlsx in FOLDER with python-calamine, in one process, with no gate, no checks and no store: the practical
limit of reading. bench/run.py times this whole process against the whole `collect` command."""

import sys
from pathlib import Path

import python_calamine

values = 0
files = sorted(Path(sys.argv[1]).rglob("*.xlsx"))
for path in files:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        values += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
print(len(files), values)
