r"""One year's cycle with fixed dates, for comparing outputs between systems byte for byte.

    python tools/wine/cycle.py <folder> <list> [<returns folder of another run>]

templates → returns (filled as make demo fills them, with its typical mistakes; seeded) → collect → report
without LibreOffice → status, all dated 2023-06-01, in a fresh workspace at <folder>. Writes the sha256 of
every deterministic output to <list>, one "<sha256> <path>" line each (paths with "/"), sorted:
tools/wine/run-tests runs it with Linux's Python and with Windows' under Wine and compares the two lists.

The one thing allowed to differ is the workspace's own absolute path, which the status workbook shows (where
to write the choice of return): /tmp/a/returns/… on Linux, Z:\tmp\b\returns\… on Windows. A package that
holds it is compared member by member with that path written as {workspace}/returns/… (marked "paths:");
every other file by its raw bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.config import load_config  # noqa: E402
from pipeline.demo import fill_returns, prepare_workspace  # noqa: E402
from pipeline.followup.status import load_status  # noqa: E402
from pipeline.plan import load_plan  # noqa: E402
from pipeline.report.usecase import make_report  # noqa: E402
from pipeline.survey.workbook import write_templates  # noqa: E402
from pipeline.usecases.collect_year import run_collect_year  # noqa: E402

TODAY = dt.date(2023, 6, 1)


def fingerprint(data: bytes, workspace: Path) -> str:
    spellings = [str(workspace).encode("utf-8"), workspace.as_posix().encode("utf-8")]
    if not any(s in data for s in spellings) and not data.startswith(b"PK"):
        return hashlib.sha256(data).hexdigest()
    members = []
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = [(i.filename, i.date_time, i.compress_type, i.external_attr, z.read(i)) for i in z.infolist()]
    else:
        members = [("", (), 0, 0, data)]
    if not any(s in m[-1] for m in members for s in spellings):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    for name, when, compression, attributes, content in members:
        for spelling in spellings:
            content = content.replace(spelling, b"{workspace}")
        content = re.sub(rb"\{workspace\}[^<\"]*", lambda m: m.group(0).replace(b"\\", b"/"), content)
        digest.update(repr((name, when, compression, attributes, len(content))).encode() + content)
    return "paths:" + digest.hexdigest()


def main(folder: Path, listing: Path, returns_from: Path | None = None) -> None:
    config_path = prepare_workspace(folder.resolve())
    config = load_config(config_path)
    plan = load_plan(config.plan_file)
    year = plan.years[0]
    write_templates(plan, config, year)
    if returns_from is None:
        fill_returns(config_path, year, with_mistakes=True, seed=year)
    else:
        # the same returns, byte for byte, with their arrival times: openpyxl (which fills them) marks each
        # member with the system that saved it, as real returns carry whatever Excel wrote
        shutil.copytree(returns_from, config.returns_for(year), dirs_exist_ok=True)
    run_collect_year(plan, config, year, today=TODAY)
    make_report(plan, config, year, TODAY, use_office=False)
    load_status(plan, config, year, TODAY)
    outputs = [*config.templates_for(year).rglob("*"), *config.output_for(year).rglob("*")]
    workspace = folder.resolve()
    lines = []
    for path in sorted(p for p in outputs if p.is_file()):
        name = path.relative_to(workspace).as_posix()
        data = path.read_bytes()
        lines.append(f"{fingerprint(data, workspace)} {name}\n")
        if path.suffix == ".docx":
            # the report's parts apart from its chart images, which matplotlib's Windows and Linux wheels draw
            # differently even with the same font (tools/wine/run-tests tells the two apart)
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                text = hashlib.sha256(b"".join(z.read(i) for i in z.infolist() if not i.filename.startswith("word/media/")))
            lines.append(f"text:{text.hexdigest()} {name}\n")
    listing.write_text("".join(lines), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
